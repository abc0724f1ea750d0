// A venue's station page (/station/{event}#token=T), for staff or volunteers with a tablet at
// a hall or a service station: they apply on behalf of the people present. Each application
// is kept on the device first and sent by the outbox (outbox.js), which survives a flaky
// network and reloads: it shows what is still unsent and what each sent one was answered.
import { eventIdFromPath, request, tokenFromHash } from "./api.js";
import { consentFields, initConsent, showConsent as showEmployerConsent } from "./consent.js";
import { $, h } from "./dom.js";
import { initI18n, onLangChange, t } from "./i18n.js";
import { Outbox } from "./outbox.js";
import { checkPhone } from "./phone.js";
import { load, save } from "./storage.js";

const eventId = eventIdFromPath();
const token = tokenFromHash();
const base = `/api/events/${encodeURIComponent(eventId)}`;
const station = { venue: null, jobs: [], outbox: null };

function fieldError(name, text) {
  const input = $(`#s-${name}`);
  $(`#se-${name}`).textContent = text || "";
  if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
}

function jobLabel(job) {
  return `${job.employer} · ${job.title}`;
}

function selectedJob() {
  return station.jobs.find((job) => job.id === $("#s-job").value) || null;
}

function showConsent() {
  const job = selectedJob();
  // The person's separate consent to this employer (PIPL Art. 23), as on the apply form:
  // the employer and its contact, the purpose, the processing, what is shared.
  if (job) showEmployerConsent(job, $("#s-consent-text"));
  else $("#s-consent-text").textContent = t("apply.consent");
}

function fillJobs() {
  const select = $("#s-job");
  const chosen = select.value;
  select.replaceChildren(
    h("option", { value: "" }, t("station.pick_job")),
    ...station.jobs.map((job) => h("option", { value: job.id }, jobLabel(job))),
  );
  if (station.jobs.some((job) => job.id === chosen)) select.value = chosen;
  showConsent();
}

function answerText(entry) {
  if (entry.state === "unsent" && station.outbox && station.outbox.elsewhere(entry)) {
    return t("station.other_venue", { venue: entry.venue_name || entry.venue });
  }
  const waitlist = entry.waitlist ? ` · ${t("station.waitlist")}` : ""; // the job was filled
  if (entry.state === "applied") return t("station.applied", { id: entry.answer }) + waitlist;
  if (entry.state === "duplicate") return t("station.duplicate") + waitlist;
  if (entry.state === "error") return t("station.error", { why: entry.answer });
  return entry.tries ? t("station.waiting_tries", { n: entry.tries }) : t("station.waiting");
}

function row(entry) {
  return h("li", { dataset: { key: entry.key, state: entry.state } },
    h("div", {},
      h("div", { class: "who" }, `${entry.name} · ${entry.phone}`),
      h("div", { class: "what" }, entry.job)),
    h("span", { class: "answer", dataset: { state: entry.state } }, answerText(entry)));
}

function render(outbox) {
  const unsent = outbox.unsent();
  const sent = outbox.sent();
  $("#unsent").replaceChildren(...unsent.map(row));
  $("#sent").replaceChildren(...sent.map(row));
  $("#unsent-count").textContent = String(unsent.length);
  $("#sent-count").textContent = String(sent.length);
  $("#unsent-empty").hidden = unsent.length > 0;
  $("#retry").hidden = unsent.length === 0 || outbox.stopped;
  const note = $("#retry-note");
  note.hidden = !(unsent.length && outbox.lastError);
  note.textContent = outbox.lastError ? t("station.will_retry") : "";
  showNetwork();
}

function showNetwork() {
  const online = navigator.onLine;
  const net = $("#net");
  net.dataset.online = String(online);
  net.textContent = t(online ? "station.online" : "station.offline");
}

function submit(event) {
  event.preventDefault();
  $("#s-added").hidden = true;
  const job = selectedJob();
  const name = $("#s-name").value.trim();
  const phone = checkPhone($("#s-phone").value);
  const consent = $("#s-consent").checked;
  fieldError("job", job ? "" : t("station.err_job"));
  fieldError("name", name ? "" : t("err.name"));
  fieldError("phone", phone ? "" : t("err.phone"));
  fieldError("consent", consent ? "" : t("station.err_consent"));
  if (!job || !name || !phone || !consent) return;
  if (!station.venue) {
    fieldError("job", t("station.err_venue"));
    return;
  }
  station.outbox.add({ job_id: job.id, job: jobLabel(job), name, phone, consent: true, ...consentFields(job) });
  // The next person starts from an empty form; the job stays chosen.
  $("#s-name").value = "";
  $("#s-phone").value = "";
  $("#s-consent").checked = false;
  $("#s-added").textContent = t("station.added", { name });
  $("#s-added").hidden = false;
  $("#s-name").focus();
}

/** A short, non-secret mark of the token (FNV-1a): each desk link keeps its own context. */
function tokenMark(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

async function loadVenue() {
  // The venue and the jobs are kept on the device too: a reload without network still works.
  // Per desk link: one tablet may open two venues' links, and must not show one as the other.
  const cacheKey = `station.${eventId}.context.${tokenMark(token)}`;
  try {
    const [me, event, jobs] = await Promise.all([
      request(`${base}/station`, { token }),
      request(base),
      request(`${base}/jobs`),
    ]);
    save(cacheKey, { venue: me.venue, title: event.title, jobs: jobs.jobs });
  } catch (error) {
    if (error.status === 401 || error.status === 403) $("#auth-error").hidden = false;
  }
  const context = load(cacheKey);
  if (!context) return null;
  station.jobs = context.jobs || [];
  $("#venue-name").textContent = t("station.at", { venue: context.venue.name });
  $("#event-title").textContent = context.title;
  fillJobs();
  return context.venue;
}

async function start() {
  await initI18n();
  initConsent(eventId); // each employer's contact, for the consent text (no wait)
  if ("serviceWorker" in navigator) {
    // Keeps this page and its scripts on the tablet, so a reload without network opens it.
    const worker = `/station-sw.js?page=${encodeURIComponent(window.location.pathname)}`;
    navigator.serviceWorker.register(worker, { scope: "/station/" }).catch(() => {});
  }
  if (!token) $("#auth-error").hidden = false;
  $("#station-form").addEventListener("submit", submit);
  for (const name of ["job", "name", "phone", "consent"]) {
    $(`#s-${name}`).addEventListener("input", () => fieldError(name, ""));
  }
  $("#s-job").addEventListener("change", showConsent);
  $("#retry").addEventListener("click", () => station.outbox.retryNow());
  window.addEventListener("online", showNetwork);
  window.addEventListener("offline", showNetwork);
  const venue = await loadVenue();
  station.venue = venue;
  station.outbox = new Outbox({
    storageKey: `station.${eventId}.outbox`,
    venue: venue ? venue.id : "",
    venueName: venue ? venue.name : "",
    pathFor: (venueId) => `${base}/venues/${encodeURIComponent(venueId)}/applications`,
    token,
    onChange: render,
    onRefused: () => { $("#auth-error").hidden = false; },
  });
  onLangChange(() => { fillJobs(); render(station.outbox); });
  render(station.outbox);
  if (venue) station.outbox.flush();
  document.body.dataset.ready = "true";
}

start();
