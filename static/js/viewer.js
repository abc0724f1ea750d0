// The viewer's page: the stream, the card on screen now, the jobs shown so far, and applying.
import { ApiError, eventIdFromPath, request, socketUrl } from "./api.js";
import { headcountText, jobFacts, jobSummary } from "./cards.js";
import { $, announce, h } from "./dom.js";
import { formatDateTime, formatClock, formatNumber, initI18n, onLangChange, t } from "./i18n.js";
import { consentFields, hasConsented, initConsent, rememberConsent, showConsent } from "./consent.js";
import { HireBook, remainingLine } from "./openings.js";
import { checkPhone } from "./phone.js";
import { createQuestions } from "./questions.js";
import { LiveSocket } from "./socket.js";
import { load, save } from "./storage.js";
import { ViewerPlace } from "./viewer-city.js";
import { initElder, readAloudButton } from "./viewer-elder.js";
import { replayActive, replayFields, startReplay } from "./viewer-replay.js";
import { renderSignup } from "./viewer-signup.js";
import { initStatusNotices, statusNoticeFields } from "./viewer-status-notices.js";

const eventId = eventIdFromPath();
const view = {
  event: null,
  card: null,        // the card on screen now
  cursor: null,      // the last timeline position we saw: the resume point
  shown: new Map(),  // job id -> {job, pushed_at}, every card of this broadcast
  viewers: null,
  fresh: null,       // card id that should slide in on the next render
};
let applied = load(`applied.${eventId}`, {}); // job id -> application id
let profile = load("profile", null);          // {name, phone}: the one-tap apply
let socket = null;
// Each job's confirmed hires (issue 16: positions remaining), newest cursor winning.
const hireBook = new HireBook((jobId, before, after) => {
  renderCard();
  renderShown();
  const job = view.shown.get(jobId)?.job;
  if (job && before !== null && after > before && hireBook.left(job).filled) {
    announce($("#announcer"), t("remaining.now_filled", { job: job.title }));
  }
});
let sheetJob = null;
let sheetOpener = null;
let applyCounter = 0;
const pendingApplies = new Map();
// The viewer's city and channel (issue 16): viewer-city.js.
const place = new ViewerPlace(eventId, { onChange: () => {
  renderCard();
  renderShown();
  if (socket) socket.send(place.hello());
} });
// Questions on the card on screen (issue 17 part 2): static/js/questions.js.
const questions = createQuestions({
  eventId,
  defaultName: () => (profile ? profile.name : ""),
  isLive: () => Boolean(view.event && view.event.state === "live") && !replayActive(),
});

function maskPhone(phone) {
  if (!phone || phone.length <= 7) return phone || "";
  return phone.slice(0, 3) + "*".repeat(phone.length - 7) + phone.slice(-4);
}

function randomKey() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// --- the event: title, stream, countdown ---------------------------------------------------------
function renderEvent() {
  const event = view.event;
  if (!event) return;
  $("#title").textContent = event.title;
  document.title = `${event.title} · ${t("page.title")}`;
  const badge = $("#state-badge");
  badge.textContent = t(`state.${event.state}`);
  badge.className = `badge ${event.state}`;
  renderStream(event);
  $("#before").hidden = !(event.state === "scheduled" && event.starts_at);
  if (event.starts_at) {
    $("#starts-at").textContent = formatDateTime(event.starts_at);
    $("#ics").href = `/api/events/${encodeURIComponent(eventId)}/calendar.ics`;
    $("#ics").setAttribute("download", `${eventId}.ics`);
  }
  $("#ended").hidden = event.state !== "ended";
  if (event.state === "ended") startReplay({ eventId, box: $("#stream"), onCard: showCard }).catch(() => {});
  tickCountdown();
  renderSignup(event, eventId, place.city); // sign-ups before the broadcast (viewer-signup.js)
}

function renderStream(event) {
  const box = $("#stream");
  const url = event.stream_url;
  if (replayActive()) return; // the box plays the recording (viewer-replay.js)
  if (box.dataset.url === (url || "")) return; // keep a playing video playing
  box.dataset.url = url || "";
  box.replaceChildren();
  box.hidden = !url;
  if (!url) return;
  if (/\.(m3u8|mp4|webm)(\?|#|$)/i.test(url)) {
    box.append(h("video", {
      src: url, controls: true, playsinline: true, "webkit-playsinline": true,
      "x5-playsinline": true, preload: "metadata", "aria-label": t("viewer.video"),
    }));
  } else {
    box.append(h("a", { class: "button primary big watch", href: url, target: "_blank",
      rel: "noopener" }, "▶ ", t("viewer.watch_elsewhere")));
  }
}

function tickCountdown() {
  const event = view.event;
  const out = $("#countdown");
  if (!event || !event.starts_at || event.state !== "scheduled") return;
  const left = Math.max(0, Math.floor((Date.parse(event.starts_at) - Date.now()) / 1000));
  if (left === 0) {
    out.textContent = t("viewer.starting");
    return;
  }
  const days = Math.floor(left / 86400);
  const clock = [Math.floor(left / 3600) % 24, Math.floor(left / 60) % 60, left % 60]
    .map((n) => String(n).padStart(2, "0")).join(":");
  out.textContent = days ? t("viewer.days", { n: days }) + " " + clock : clock;
}

// --- cards -------------------------------------------------------------------------------------
function showCard(card) {
  const changed = (view.card && view.card.card_id) !== (card && card.card_id);
  view.card = card;
  if (card) {
    rememberShown(card);
    if (changed) {
      view.fresh = card.card_id;
      announce($("#announcer"), t("viewer.new_card", { job: jobSummary(card.job) }));
    }
  }
  renderCard();
  renderShown();
  questions.setCard(card);
}

function rememberShown(card) {
  view.shown.delete(card.job.id); // a job pushed again moves to the top
  view.shown.set(card.job.id, { job: card.job, pushed_at: card.pushed_at });
}

function renderCard() {
  const slot = $("#card-slot");
  const card = view.card;
  if (!card) {
    const waiting = view.event && view.event.state === "scheduled" ? "viewer.no_card_yet" : "viewer.no_card";
    slot.replaceChildren(h("p", { class: "empty" }, t(waiting)));
    return;
  }
  const job = card.job;
  const article = h("article", {
    class: "card" + (view.fresh === card.card_id ? " slide-in" : ""),
    "aria-labelledby": "card-title", dataset: { jobId: job.id, cardId: card.card_id },
  },
  h("p", { class: "card-kicker" }, h("span", { class: "pulse", "aria-hidden": "true" }), t("viewer.now_presenting")),
  h("p", { class: "employer" }, job.employer),
  h("h3", { id: "card-title", class: "job-title" }, job.title),
  jobFacts(job),
  remainingLine(hireBook.left(job), { full: true }),
  place.badge(job),
  readAloudButton([jobSummary(job), job.description].filter(Boolean).join("。"), `${job.employer} ${job.title}`),
  job.description ? h("p", { class: "desc" }, job.description) : null,
  applyArea(job, { full: true }));
  view.fresh = null;
  slot.replaceChildren(article);
}

function renderShown() {
  const list = $("#shown-list");
  const items = place.ownCityFirst(Array.from(view.shown.values()).reverse());
  $("#shown-count").textContent = items.length ? `(${items.length})` : "";
  $("#shown-empty").hidden = items.length > 0;
  const current = view.card && view.card.job.id;
  list.replaceChildren(...items.map(({ job, pushed_at }) => h("li", {
    class: "shown-item" + (job.id === current ? " is-current" : ""), dataset: { jobId: job.id },
  },
  h("div", { class: "shown-main" },
    h("p", { class: "employer" }, job.employer),
    h("h3", { class: "job-title" }, job.title),
    h("p", { class: "meta" }, [job.salary, job.location, headcountText(job)].filter(Boolean).join(" · ")),
    remainingLine(hireBook.left(job)),
    place.badge(job),
    h("p", { class: "meta when" }, job.id === current
      ? t("viewer.now_presenting") : t("viewer.presented_at", { time: formatClock(pushed_at) }))),
  applyArea(job, { full: false }))));
}

function applyArea(job, { full }) {
  const id = applied[job.id];
  if (id) {
    return h("div", { class: "apply-area" },
      h("p", { class: "applied-note" }, h("span", { "aria-hidden": "true" }, "✓ "),
        t("apply.already_short", { id })));
  }
  const waitlist = hireBook.left(job).filled; // a filled job takes applications as a waiting list
  const label = waitlist ? t("apply.waitlist") : profile ? t("apply.one_tap") : t("apply.open");
  const button = h("button", {
    type: "button", class: "primary apply-btn" + (full ? " big" : ""),
    "aria-label": `${label}：${job.employer} ${job.title}`,
  }, label);
  button.addEventListener("click", () => startApply(job, button));
  const area = h("div", { class: "apply-area" }, button);
  if (profile) {
    // Wherever one tap sends an application (the card on screen and every earlier job), it
    // says whose name and phone it sends, next to a way to change them first.
    const edit = h("button", { type: "button", class: "link edit-who",
      "aria-label": `${t("apply.edit")}：${job.employer} ${job.title}` }, t("apply.edit"));
    edit.addEventListener("click", () => openSheet(job, edit));
    area.append(h("p", { class: "as-who" + (full ? "" : " compact") },
      t("apply.as_who", { name: profile.name, phone: maskPhone(profile.phone) }), " ", edit));
  }
  return area;
}

// --- applying ------------------------------------------------------------------------------------
async function startApply(job, button) {
  if (!profile || !hasConsented(job)) { // consent is given per employer (docs/privacy.md)
    openSheet(job, button);
    return;
  }
  button.disabled = true;
  button.textContent = t("apply.sending");
  try {
    const result = await submitApplication(job, profile);
    finishApply(job, result, button);
  } catch (error) {
    openSheet(job, button);
    showErrors(error);
  } finally {
    button.disabled = false;
    button.textContent = hireBook.left(job).filled ? t("apply.waitlist")
      : profile ? t("apply.one_tap") : t("apply.open");
  }
}

async function submitApplication(job, person) {
  try {
    return await sendApplication(job, person);
  } catch (error) {
    // A city or channel the event no longer has (a stale link): apply without it.
    if (!place.forgetRefused(error)) throw error;
    return sendApplication(job, person);
  }
}

async function sendApplication(job, person) {
  const body = { job_id: job.id, name: person.name, phone: person.phone, consent: true,
    idempotency_key: randomKey(), ...replayFields(), ...consentFields(job), ...place.attribution(),
    ...statusNoticeFields() }; // issue 17.4: viewer-status-notices.js
  if (socket && socket.open) {
    try {
      return await applyOverSocket(body);
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== "retry") throw error;
      // The socket dropped or was slow: the same idempotency key makes the retry safe.
    }
  }
  return request(`/api/events/${encodeURIComponent(eventId)}/applications`, { method: "POST", body });
}

function applyOverSocket(body) {
  applyCounter += 1;
  const ref = `a${applyCounter}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pendingApplies.delete(ref);
      reject(new ApiError(0, "retry", "timeout"));
    }, 8000);
    pendingApplies.set(ref, { resolve, reject, timer });
    if (!socket.send({ type: "apply", ref, ...body })) {
      clearTimeout(timer);
      pendingApplies.delete(ref);
      reject(new ApiError(0, "retry", "not connected"));
    }
  });
}

function settleApply(message) {
  const pending = pendingApplies.get(message.ref);
  if (!pending) return;
  pendingApplies.delete(message.ref);
  clearTimeout(pending.timer);
  if (message.type === "applied") {
    pending.resolve(message);
  } else if (message.retry) {
    pending.reject(new ApiError(0, "retry", message.message));
  } else {
    pending.reject(new ApiError(400, message.code, message.message, message.fields));
  }
}

function failPendingApplies() {
  for (const [ref, pending] of pendingApplies) {
    clearTimeout(pending.timer);
    pending.reject(new ApiError(0, "retry", "connection lost"));
    pendingApplies.delete(ref);
  }
}

function finishApply(job, result, opener) {
  rememberConsent(job);
  applied = { ...applied, [job.id]: result.application_id };
  save(`applied.${eventId}`, applied);
  renderCard();
  renderShown();
  showResult(job, result, opener);
}

// --- the apply sheet ----------------------------------------------------------------------------
function openSheet(job, opener) {
  sheetJob = job;
  sheetOpener = opener || document.activeElement;
  const sheet = $("#sheet");
  $("#sheet-form").hidden = false;
  $("#sheet-result").hidden = true;
  $("#sheet-job").textContent = `${job.employer} · ${job.title}`;
  clearErrors();
  const form = $("#apply-form");
  form.elements.name.value = profile ? profile.name : form.elements.name.value;
  form.elements.phone.value = profile ? profile.phone : form.elements.phone.value;
  $("#f-consent").checked = false;
  showConsent(job);
  sheet.hidden = false;
  document.body.classList.add("sheet-open");
  setBackgroundInert(true);
  const first = !form.elements.name.value ? form.elements.name : !form.elements.phone.value
    ? form.elements.phone : $("#f-consent");
  first.focus();
}

/** While the sheet is open, the page behind it is out of reach of Tab and screen readers. */
function setBackgroundInert(on) {
  for (const el of document.querySelectorAll("body > header, body > main, body > .skip-link")) {
    el.inert = on;
    if (on) el.setAttribute("aria-hidden", "true");
    else el.removeAttribute("aria-hidden");
  }
}

function closeSheet() {
  $("#sheet").hidden = true;
  document.body.classList.remove("sheet-open");
  setBackgroundInert(false);
  sheetJob = null;
  const back = sheetOpener && sheetOpener.isConnected ? sheetOpener : $("#current");
  if (back) back.focus();
  sheetOpener = null;
}

function showResult(job, result, opener) {
  if ($("#sheet").hidden) openSheet(job, opener);
  $("#sheet-form").hidden = true;
  $("#sheet-result").hidden = false;
  $("#result-title").textContent = result.duplicate ? t("apply.duplicate_title") : t("apply.done_title");
  $("#result-job").textContent = `${job.employer} · ${job.title}`;
  $("#result-number").textContent = result.application_id;
  $("#result-note").textContent = result.duplicate
    ? t("apply.duplicate_note")
    : hireBook.left(job).filled ? t("apply.waitlist_done")
      : t("apply.done_note", { phone: maskPhone(profile ? profile.phone : "") || t("apply.your_phone") });
  $("#sheet-result").classList.toggle("duplicate", Boolean(result.duplicate));
  $("#result-title").focus();
}

function clearErrors() {
  for (const id of ["e-name", "e-phone", "e-consent"]) $(`#${id}`).textContent = "";
  for (const input of $("#apply-form").querySelectorAll("input")) input.removeAttribute("aria-invalid");
  $("#form-error").hidden = true;
}

function fieldError(field, text) {
  $(`#e-${field}`).textContent = text;
  const input = $(`#f-${field}`);
  input.setAttribute("aria-invalid", "true");
  return input;
}

function showErrors(error) {
  clearErrors();
  const fields = error.fields || {};
  const bad = [];
  if (fields.name) bad.push(fieldError("name", t("err.name")));
  if (fields.phone) bad.push(fieldError("phone", t("err.phone")));
  if (fields.consent) bad.push(fieldError("consent", t("err.consent")));
  const first = bad[0] || null;
  let general = null;
  if (error.code === "not_found" || fields.job_id) general = t("err.job_gone");
  else if (error.code === "rate_limited") general = t("err.rate");
  else if (error.status === 0 || error.code === "retry" || error.code === "network") general = t("err.network");
  else if (error.status >= 500 || error.code === "unavailable" || error.code === "store_unavailable") general = t("err.busy");
  else if (!first) general = t("err.generic", { message: error.message || "" });
  if (general) {
    $("#form-error").textContent = general;
    $("#form-error").hidden = false;
  }
  if (first) first.focus();
}

async function onSubmit(event) {
  event.preventDefault();
  const form = event.target;
  clearErrors();
  const name = form.elements.name.value.trim();
  const phone = checkPhone(form.elements.phone.value);
  const bad = [];
  if (!name || name.length > 50) bad.push(fieldError("name", t("err.name")));
  if (!phone) bad.push(fieldError("phone", t("err.phone")));
  if (!$("#f-consent").checked) bad.push(fieldError("consent", t("err.consent")));
  const first = bad[0];
  if (first) {
    first.focus();
    return;
  }
  const job = sheetJob;
  const submit = $("#submit");
  submit.disabled = true;
  submit.textContent = t("apply.sending");
  try {
    const person = { name, phone };
    const result = await submitApplication(job, person);
    profile = $("#f-remember").checked ? person : null;
    save("profile", profile);
    finishApply(job, result, sheetOpener);
    if (!$("#f-remember").checked) $("#result-note").textContent = t("apply.done_note", { phone: maskPhone(phone) });
  } catch (error) {
    showErrors(error);
  } finally {
    submit.disabled = false;
    submit.textContent = t("apply.submit");
  }
}

function trapFocus(event) {
  if ($("#sheet").hidden) return;
  if (event.key === "Escape") {
    closeSheet();
    return;
  }
  if (event.key !== "Tab") return;
  const focusable = Array.from($(".sheet-panel").querySelectorAll("button, input, a[href]"))
    .filter((el) => !el.disabled && el.offsetParent !== null);
  if (!focusable.length) return;
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}

// --- the connection --------------------------------------------------------------------------------
function onMessage(message) {
  if (message.cursor) view.cursor = message.cursor;
  switch (message.type) {
    case "hello":
      view.event = message.event;
      place.setEvent(message.event);
      socket.send(place.hello());
      renderEvent();
      if (message.resync) loadShown();
      hireBook.learnAll(message.hires, message.cursor);
      showCard(replayActive() ? view.card : message.card); // a replay drives the card itself
      questions.onHello(message, view.card);
      socket.markLive();
      break;
    case "card":
      showCard(message.card);
      break;
    case "openings":
      hireBook.learn(message.job_id, message.hires, message.cursor);
      break;
    case "withdraw":
      if (view.card && view.card.card_id === message.card_id) {
        view.card = null;
        renderCard();
        renderShown();
        questions.setCard(null);
        announce($("#announcer"), t("viewer.withdrawn"));
      }
      break;
    case "state":
      if (view.event) view.event.state = message.state;
      renderEvent();
      renderCard();
      questions.render(); // the form is offered only while live
      break;
    case "question":
      questions.onQuestion(message);
      break;
    case "viewers":
      view.viewers = message.count;
      renderViewers();
      break;
    case "applied":
    case "error":
      if (place.helloError(message)) break;
      settleApply(message);
      break;
    default:
      break;
  }
}

function renderViewers() {
  const live = socket !== null && socket.state === "live";
  $("#viewers").textContent = live && view.viewers ? t("viewer.online", { n: formatNumber(view.viewers) }) : "";
}

function onStatus(state) {
  const conn = $("#conn");
  conn.dataset.state = state;
  $("#conn-text").textContent = t(`conn.${state}`);
  if (state !== "live") failPendingApplies();
  renderViewers(); // a count from before the drop would be stale
}

async function loadShown() {
  try {
    const data = await request(`/api/events/${encodeURIComponent(eventId)}/cards`);
    const current = view.card;
    view.shown.clear();
    for (const card of data.cards) rememberShown(card);
    if (current) rememberShown(current);
    hireBook.learnAll(data.hires, data.cursor);
    renderShown();
  } catch {
    // The live messages still fill the list; a later reconnect tries again.
  }
}

async function openFromLink() {
  const jobId = new URLSearchParams(window.location.search).get("job");
  if (!jobId) return;
  try {
    const data = await request(`/api/events/${encodeURIComponent(eventId)}/jobs`);
    const job = data.jobs.find((j) => j.id === jobId);
    if (!job) return;
    if (applied[job.id]) showResult(job, { application_id: applied[job.id], duplicate: true }, null);
    else openSheet(job, null);
  } catch {
    // Without the job list the page still shows the live card.
  }
}

async function main() {
  await initI18n();
  initElder({ onVoices: renderCard });
  initConsent(eventId);
  initStatusNotices(eventId); // issue 17.4: the status notices checkbox, when on
  onLangChange(() => {
    renderEvent();
    place.render();
    renderCard();
    renderShown();
    renderViewers();
    questions.render();
    onStatus(socket ? socket.state : "connecting");
  });
  $("#apply-form").addEventListener("submit", onSubmit);
  for (const el of document.querySelectorAll("[data-close]")) el.addEventListener("click", closeSheet);
  document.addEventListener("keydown", trapFocus);
  setInterval(tickCountdown, 1000);
  renderCard();
  try {
    view.event = await request(`/api/events/${encodeURIComponent(eventId)}`);
    place.setEvent(view.event);
    if (!view.card && view.event.current_card) showCard(view.event.current_card);
    renderEvent();
  } catch (error) {
    $("#load-error").textContent = error.status === 404 ? t("viewer.not_found") : t("err.network");
    $("#load-error").hidden = false;
    if (error.status === 404) return;
  }
  loadShown();
  socket = new LiveSocket({
    url: () => socketUrl(`/ws/events/${encodeURIComponent(eventId)}`
      + (view.cursor ? `?since=${encodeURIComponent(view.cursor)}` : "")),
    onMessage,
    onStatus,
    ping: { type: "ping" },
  });
  openFromLink();
}

main();
