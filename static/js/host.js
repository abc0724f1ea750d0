// The host console: push jobs, keep a "next up" queue, go live / end, watch the numbers.
import { eventIdFromPath, request, tokenFromHash } from "./api.js";
import { headcountText, jobFacts } from "./cards.js";
import { $, h, toast } from "./dom.js";
import { formatNumber, initI18n, onLangChange, t } from "./i18n.js";
import { remaining, remainingText } from "./openings.js";
import { isRefusedToken, showRefusedToken } from "./refused.js";
import { renderFigures } from "./figures.js";
import { renderOnsite } from "./onsite.js";
import { startHostQuestions } from "./host_questions.js";
import { openStatsSocket } from "./socket.js";
import { load, save } from "./storage.js";

const eventId = eventIdFromPath();
const token = tokenFromHash();
const base = `/api/events/${encodeURIComponent(eventId)}`;
const host = {
  event: null,
  jobs: [],
  stats: null,
  card: null,
  queue: load(`queue.${eventId}`, []), // job ids, in the order the host will present them
  busy: false,
};
let socket = null;
let questions = null; // viewers' questions (issue 17 part 2): static/js/host_questions.js

function call(path, options = {}) {
  return request(base + path, { token, ...options });
}

function jobById(id) {
  return host.jobs.find((job) => job.id === id);
}

/** A failed call as a toast, or, for a refused token, as the lasting banner alone. */
function report(error) {
  const message = explain(error);
  if (!isRefusedToken(error)) toast(message);
}

function explain(error) {
  if (error.status === 409) return t("host.err_not_live");
  if (isRefusedToken(error)) {
    showRefusedToken(); // lasting: every later call would be refused too
    return t("console.bad_token");
  }
  if (error.status === 0) return t("err.network");
  return t("err.generic", { message: error.message });
}

// --- actions --------------------------------------------------------------------------------
async function act(work) {
  if (host.busy) return;
  host.busy = true;
  renderButtons();
  try {
    await work();
  } catch (error) {
    report(error);
  } finally {
    host.busy = false;
    renderButtons();
  }
}

function push(jobId) {
  return act(async () => {
    await call("/cards", { method: "POST", body: { job_id: jobId } });
    host.card = { job: jobById(jobId) };
    removeFromQueue(jobId);
    await refreshEvent();
  });
}

function pushNext() {
  const next = host.queue.find((id) => jobById(id));
  if (next) push(next);
}

function withdraw() {
  if (!host.card) return;
  act(async () => {
    await call("/cards/current", { method: "DELETE" });
    host.card = null;
    await refreshEvent();
  });
}

function setState(state) {
  if (state === "ended" && !window.confirm(t("host.confirm_end"))) return;
  act(async () => {
    await call("/state", { method: "POST", body: { state } });
    await refreshEvent();
  });
}

function saveQueue() {
  save(`queue.${eventId}`, host.queue);
  renderQueue();
  renderJobs();
  renderButtons();
}

function enqueue(jobId) {
  if (!host.queue.includes(jobId)) host.queue.push(jobId);
  saveQueue();
}

function removeFromQueue(jobId) {
  host.queue = host.queue.filter((id) => id !== jobId);
  saveQueue();
}

function moveInQueue(index, delta) {
  const target = index + delta;
  if (target < 0 || target >= host.queue.length) return;
  const [id] = host.queue.splice(index, 1);
  host.queue.splice(target, 0, id);
  saveQueue();
  const buttons = $("#queue").children[target]?.querySelectorAll("button");
  if (buttons) buttons[delta < 0 ? 0 : 1]?.focus();
}

// --- rendering ------------------------------------------------------------------------------------
function renderHead() {
  const event = host.event;
  if (!event) return;
  $("#title").textContent = event.title;
  document.title = `${t("host.title")} · ${event.title}`;
  $("#state-badge").textContent = t(`state.${event.state}`);
  $("#state-badge").className = `badge ${event.state}`;
}

function renderButtons() {
  const state = host.event ? host.event.state : null;
  $("#go-live").hidden = state !== "scheduled";
  $("#end").hidden = state !== "live";
  $("#go-live").disabled = host.busy;
  $("#end").disabled = host.busy;
  $("#withdraw").disabled = host.busy || !host.card;
  $("#push-next").disabled = host.busy || state !== "live" || !host.queue.some((id) => jobById(id));
  for (const button of document.querySelectorAll(".push-btn")) {
    button.disabled = host.busy || state !== "live";
  }
}

function applicationsFor(jobId) {
  const row = host.stats && host.stats.jobs.find((j) => j.job_id === jobId);
  return row ? row.applications : 0;
}

/** Positions remaining of a job, in words (issue 16), from the live stats' hire counts. */
function remainingFor(job) {
  const row = host.stats && host.stats.jobs.find((j) => j.job_id === job.id);
  return remainingText(remaining(job, row ? row.hires : 0));
}

function renderJobs() {
  const query = $("#search").value.trim().toLowerCase();
  const shown = host.jobs.filter((job) => !query
    || `${job.employer} ${job.title} ${job.location || ""}`.toLowerCase().includes(query));
  $("#jobs-count").textContent = query ? `${shown.length} / ${host.jobs.length}` : `(${host.jobs.length})`;
  const current = host.card && host.card.job && host.card.job.id;
  const state = host.event ? host.event.state : null;
  $("#jobs").replaceChildren(...shown.map((job) => {
    const queued = host.queue.includes(job.id);
    return h("li", { class: "job-row" + (job.id === current ? " is-current" : ""), dataset: { jobId: job.id } },
      h("div", { class: "job-main" },
        h("span", { class: "employer" }, job.employer),
        h("strong", { class: "job-title" }, job.title),
        h("span", { class: "meta" }, [job.salary, job.location, headcountText(job),
          t("host.n_applications", { n: applicationsFor(job.id) }), remainingFor(job)].filter(Boolean).join(" · "))),
      h("div", { class: "job-actions" },
        h("button", { type: "button", class: "queue-btn", disabled: queued,
          "aria-label": `${t("host.enqueue")}：${job.title}`, onclick: () => enqueue(job.id) },
        queued ? t("host.queued") : t("host.enqueue")),
        h("button", { type: "button", class: "primary push-btn", disabled: host.busy || state !== "live",
          "aria-label": `${t("host.push")}：${job.employer} ${job.title}`, onclick: () => push(job.id) },
        job.id === current ? t("host.on_screen") : t("host.push"))));
  }));
}

function renderNow() {
  const card = host.card;
  const box = $("#now");
  if (!card || !card.job) {
    box.replaceChildren(h("p", { class: "muted" }, t("host.nothing_on_screen")));
    return;
  }
  box.replaceChildren(h("div", { class: "now-card" },
    h("span", { class: "employer" }, card.job.employer),
    h("strong", { class: "now-title" }, card.job.title),
    jobFacts(card.job),
    h("span", { class: "now-remaining" }, remainingFor(card.job)),
    card.pushed_by ? h("span", { class: "pushed-by" }, t("host.pushed_by", { name: card.pushed_by })) : null));
}

function renderQueue() {
  const ids = host.queue.filter((id) => jobById(id));
  $("#queue-count").textContent = ids.length ? `(${ids.length})` : "";
  $("#queue-empty").hidden = ids.length > 0;
  $("#queue").replaceChildren(...ids.map((id, index) => {
    const job = jobById(id);
    const item = h("li", { class: "queue-item", draggable: "true", dataset: { jobId: id } },
      h("span", { class: "queue-pos", "aria-hidden": "true" }, String(index + 1)),
      h("span", { class: "queue-text" }, h("span", { class: "employer" }, job.employer), h("strong", {}, job.title)),
      h("span", { class: "queue-actions" },
        h("button", { type: "button", class: "icon", disabled: index === 0,
          "aria-label": t("host.move_up", { title: job.title }), onclick: () => moveInQueue(index, -1) }, "↑"),
        h("button", { type: "button", class: "icon", disabled: index === ids.length - 1,
          "aria-label": t("host.move_down", { title: job.title }), onclick: () => moveInQueue(index, 1) }, "↓"),
        h("button", { type: "button", class: "icon",
          "aria-label": t("host.unqueue", { title: job.title }), onclick: () => removeFromQueue(id) }, "✕")));
    item.addEventListener("dragstart", (e) => { e.dataTransfer.setData("text/plain", String(index)); });
    item.addEventListener("dragover", (e) => e.preventDefault());
    item.addEventListener("drop", (e) => {
      e.preventDefault();
      const from = Number(e.dataTransfer.getData("text/plain"));
      if (Number.isInteger(from) && from !== index) moveInQueue(from, index - from);
    });
    return item;
  }));
}

function renderStats() {
  const s = host.stats;
  if (!s) return;
  $("#n-viewers").textContent = formatNumber(s.viewers_online);
  $("#n-applications").textContent = formatNumber(s.applications);
  $("#n-applicants").textContent = formatNumber(s.applicants);
  $("#n-current").textContent = s.current_card ? formatNumber(s.current_card_applications) : "–";
  $("#n-cards").textContent = formatNumber(s.cards_pushed);
  renderFigures(s, $(".tiles")); // by city and channel (issue 16): figures.js
  renderOnsite(s.onsite, $(".tiles")); // on-site check-ins (issue 16): onsite.js
}

function renderAll() {
  renderHead();
  renderStats();
  renderNow();
  renderQueue();
  renderJobs();
  renderButtons();
}

// --- data ---------------------------------------------------------------------------------------------
async function refreshEvent() {
  host.event = await request(base);
  host.card = host.event.current_card;
  renderAll();
}

function onStats(stats) {
  host.stats = stats;
  if (host.event && stats.state !== host.event.state) host.event.state = stats.state;
  const before = host.card && host.card.card_id;
  host.card = stats.current_card;
  if ((host.card && host.card.card_id) !== before) renderHead();
  renderNow(); // the card on screen (maybe another studio's) and its places left
  renderStats();
  renderJobs();
  renderButtons();
}

function setupLinks() {
  const viewerUrl = `${window.location.origin}/e/${encodeURIComponent(eventId)}`;
  $("#qr").src = `${base}/qr.svg`;
  $("#viewer-link").href = viewerUrl;
  $("#viewer-link").textContent = viewerUrl;
  showOverlayLink();
  $("#copy-viewer").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(viewerUrl);
      toast(t("host.copied"), "ok");
    } catch {
      toast(viewerUrl, "ok");
    }
  });
}

/**
 * The OBS overlay's link carries the overlay's own read-only token, fetched from the API: never
 * the host's token, which would then sit in OBS scene files, screen shares and access logs.
 */
async function showOverlayLink() {
  try {
    const { overlay_token: overlayToken } = await call("/overlay-token");
    $("#overlay-link").value = `${window.location.origin}/overlay/${encodeURIComponent(eventId)}?token=${encodeURIComponent(overlayToken)}`;
  } catch (error) {
    report(error);
  }
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) {
    if (event.key === "Escape" && target.id === "search") target.blur();
    return;
  }
  const key = event.key.toLowerCase();
  if (key === "n") {
    event.preventDefault();
    pushNext();
  } else if (key === "w") {
    event.preventDefault();
    withdraw();
  } else if (key === "/") {
    event.preventDefault();
    $("#search").focus();
  }
}

async function main() {
  await initI18n();
  if (!token) {
    $("#auth-error").hidden = false;
    return;
  }
  onLangChange(() => {
    renderAll();
    if (questions) questions.render();
    $("#qr").alt = t("host.qr_alt");
    socket && $("#conn-text") && ($("#conn-text").textContent = t(`conn.${socket.state}`));
  });
  setupLinks();
  $("#qr").alt = t("host.qr_alt");
  $("#search").addEventListener("input", renderJobs);
  $("#go-live").addEventListener("click", () => setState("live"));
  $("#end").addEventListener("click", () => setState("ended"));
  $("#withdraw").addEventListener("click", withdraw);
  $("#push-next").addEventListener("click", pushNext);
  document.addEventListener("keydown", onKey);
  try {
    const [, jobs] = await Promise.all([refreshEvent(), request(`${base}/jobs`)]);
    host.jobs = jobs.jobs;
    host.stats = await call("/stats");
    renderAll();
  } catch (error) {
    report(error);
    if (isRefusedToken(error)) return; // the banner says what to do; nothing will load
  }
  questions = startHostQuestions({
    base, token, report, currentCardId: () => (host.card && host.card.card_id) || null,
  });
  socket = openStatsSocket({ eventId, token, onStats });
  socket.stop = (event) => {
    if (event.code !== 4401) return false;
    // The token stopped working while the page was open. After the socket has marked itself
    // offline (it does so once this returns), so that the banner's state is the one left.
    queueMicrotask(showRefusedToken);
    return true;
  };
}

main();
