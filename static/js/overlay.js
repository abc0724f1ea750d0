// The broadcast overlay: the card on screen now, with a QR code straight to its apply form.
import { eventIdFromPath, request, socketUrl } from "./api.js";
import { headcountText } from "./cards.js";
import { $ } from "./dom.js";
import { initI18n, onLangChange, t } from "./i18n.js";
import { HireBook, remainingText } from "./openings.js";
import { LiveSocket } from "./socket.js";

const eventId = eventIdFromPath();
const base = `/api/events/${encodeURIComponent(eventId)}`;
let card = null;
let cursor = null;
let socket = null;
const hireBook = new HireBook(() => render()); // positions remaining (issue 16)
// The channel its QR code credits (issue 16): /overlay/ID?token=...&ch=<channel id>.
const channel = new URLSearchParams(window.location.search).get("ch");

function render() {
  const box = $("#card");
  if (!card) {
    box.hidden = true;
    box.dataset.cardId = "";
    return;
  }
  const job = card.job;
  const again = box.dataset.cardId !== card.card_id;
  box.dataset.cardId = card.card_id;
  box.dataset.jobId = job.id;
  $("#ov-employer").textContent = job.employer;
  $("#ov-title").textContent = job.title;
  const facts = [job.salary, job.location, headcountText(job)].filter(Boolean);
  $("#ov-facts").replaceChildren(...facts.map((text) => Object.assign(document.createElement("span"), { textContent: text })));
  const left = hireBook.left(job); // positions remaining (issue 16)
  $("#ov-remaining").textContent = remainingText(left);
  $("#ov-remaining").hidden = !$("#ov-remaining").textContent;
  $("#ov-remaining").classList.toggle("filled", left.filled);
  $("#ov-qr").src = `${base}/qr.svg?job=${encodeURIComponent(job.id)}`
    + (channel ? `&ch=${encodeURIComponent(channel)}` : "");
  $("#ov-qr").alt = t("overlay.qr_alt", { title: job.title });
  if (again) {
    box.hidden = true;
    void box.offsetWidth; // restart the slide-in for a new card
  }
  box.hidden = false;
}

function onMessage(message) {
  if (message.cursor) cursor = message.cursor;
  if (message.type === "hello") {
    card = message.card;
    hireBook.learnAll(message.hires, message.cursor);
    socket.markLive();
  } else if (message.type === "card") {
    card = message.card;
  } else if (message.type === "withdraw" && card && card.card_id === message.card_id) {
    card = null;
  } else if (message.type === "openings") {
    hireBook.learn(message.job_id, message.hires, message.cursor);
    return; // re-rendered by the book when the count changed
  } else {
    return;
  }
  render();
}

async function main() {
  await initI18n();
  onLangChange(render);
  try {
    const event = await request(base);
    card = event.current_card;
    render();
  } catch {
    // The socket's hello brings the card too.
  }
  socket = new LiveSocket({
    // role=overlay: a broadcast screen, not a person; left out of the viewer count.
    url: () => socketUrl(`/ws/events/${encodeURIComponent(eventId)}?role=overlay`
      + (cursor ? `&since=${encodeURIComponent(cursor)}` : "")),
    onMessage,
    onStatus: (state) => {
      // Shown only while the connection is down, so the broadcast stays clean.
      $("#ov-status").hidden = state === "live";
      $("#ov-status").textContent = t(`conn.${state}`);
    },
    ping: { type: "ping" },
  });
}

main();
