// The employer page: the employer's own jobs and applicants, live during the broadcast (it
// polls a small overview and reloads the list only when something changed) and afterwards.
// Intent (达成意向) is one tap while the card is up; outcomes are recorded from a list.
import { eventIdFromPath, request, tokenFromHash } from "./api.js";
import { headcountText } from "./cards.js";
import { $, h, toast } from "./dom.js";
import { formatNumber, formatTime, initI18n, onLangChange, t } from "./i18n.js";
import { startEmployerQuestions } from "./employer_questions.js";
import { isRefusedToken, showRefusedToken } from "./refused.js";
import { initFollowUps } from "./followups.js";

const OUTCOMES = ["intent", "contacted", "interviewed", "offered", "hired", "rejected", "declined", "no_show"];
const PAGE = 50;
const POLL_MS = 3000;
const eventId = eventIdFromPath();
const token = tokenFromHash();
const base = `/api/events/${encodeURIComponent(eventId)}`;
const page = { overview: null, rows: [], total: 0, shown: PAGE, cursor: null, stopped: false };
let questions = null; // viewers' questions about these jobs (issue 17 part 2)

function call(path, options = {}) {
  return request(base + path, { token, ...options });
}

function report(error) {
  if (isRefusedToken(error)) {
    showRefusedToken();
    page.stopped = true;
    return;
  }
  toast(error.status === 0 ? t("err.network") : t("err.generic", { message: error.message }));
}

function setConn(state) {
  $("#conn").dataset.state = state;
  $("#conn-text").textContent = t(`conn.${state}`);
}

// --- the overview: who, what is on screen, the jobs -----------------------------------------
function renderOverview() {
  const o = page.overview;
  if (!o) return;
  $("#employer-name").textContent = o.employer;
  $("#employer-contact").textContent = o.contact ? t("employer.contact", { contact: o.contact }) : "";
  $("#state-badge").textContent = t(`state.${o.state}`);
  $("#state-badge").className = `badge ${o.state}`;
  const air = $("#on-air");
  air.classList.toggle("live", Boolean(o.card));
  air.textContent = o.card ? `${t("employer.on_screen")} ${o.card.job.title}` : t("employer.not_on_screen");
  const onScreen = o.card ? o.card.job.id : null;
  $("#jobs").replaceChildren(...o.jobs.map((job) => h("li",
    { class: job.id === onScreen ? "on-screen" : null, dataset: { jobId: job.id } },
    h("span", {}, h("strong", {}, job.title), " ", h("span", { class: "muted" }, headcountText(job, { short: true }))),
    h("span", { class: "figures" },
      `${t("employer.applications")} ${formatNumber(job.applications)} · `,
      `${t("employer.intents")} ${formatNumber(job.intents)} · `,
      `${t("employer.hires")} ${formatNumber(job.hires)}`))));
  const select = $("#filter-job");
  const chosen = select.value;
  select.replaceChildren(h("option", { value: "" }, t("employer.all_jobs")),
    ...o.jobs.map((job) => h("option", { value: job.id, selected: job.id === chosen }, job.title)));
}

// --- the applicants ----------------------------------------------------------------------------
function onAir(row) {
  const o = page.overview;
  return Boolean(o && o.card && o.card.job.id === row.job_id);
}

function renderRows() {
  $("#apps").replaceChildren(...page.rows.map(renderRow));
  $("#apps-empty").hidden = page.rows.length > 0;
  $("#more").hidden = page.rows.length >= page.total;
}

function renderRow(row) {
  const phone = row.consented
    ? h("a", { class: "phone", href: `tel:${row.phone}` }, row.phone)
    : h("span", { class: "phone" }, row.phone);
  const actions = h("div", { class: "actions" });
  if (row.status === "applied") {
    const intent = h("button", { type: "button", class: onAir(row) ? "primary intent" : "intent" }, t("employer.intent"));
    intent.addEventListener("click", () => setStatus(row, "intent", intent));
    actions.append(intent);
  }
  const select = h("select", { class: "outcome", "aria-label": `${t("employer.set_outcome")}：${row.name}` },
    h("option", { value: "" }, t("employer.set_outcome")),
    ...OUTCOMES.filter((s) => s !== row.status).map((s) => h("option", { value: s }, t(`status.${s}`))));
  select.addEventListener("change", () => { if (select.value) setStatus(row, select.value, select); });
  actions.append(select);
  return h("li", { dataset: { applicationId: row.application_id, status: row.status, jobId: row.job_id } },
    h("div", { class: "who" }, h("span", { class: "name" }, row.name), phone,
      h("span", { class: "status-badge" }, t(`status.${row.status}`))),
    h("div", { class: "meta" }, `${row.title} · ${formatTime(row.applied_at)} · #${row.application_id}`),
    row.consented ? null : h("div", { class: "masked-note" }, t("employer.masked")),
    actions);
}

async function setStatus(row, status, control) {
  control.disabled = true;
  try {
    await call(`/employer/applications/${encodeURIComponent(row.application_id)}`,
      { method: "PATCH", body: { status } });
    row.status = status;
    toast(t("employer.saved", { status: t(`status.${status}`) }), "ok", 2500);
    renderRows();
    await poll(true);
  } catch (error) {
    report(error);
    control.disabled = false;
  }
}

async function loadRows() {
  const query = new URLSearchParams({ offset: "0", limit: String(Math.min(page.shown, 200)) });
  if ($("#filter-job").value) query.set("job_id", $("#filter-job").value);
  const data = await call(`/employer/applications?${query}`);
  page.rows = data.applications;
  page.total = data.total;
  renderRows();
}

// --- polling: the overview is small; the list is read again only when the cursor moved --------
async function poll(force = false) {
  if (page.stopped) return;
  try {
    page.overview = await call("/employer");
    setConn("live");
    renderOverview();
    if (force || page.overview.cursor !== page.cursor) {
      page.cursor = page.overview.cursor;
      await loadRows();
    }
  } catch (error) {
    setConn("reconnecting");
    report(error);
  }
}

async function main() {
  await initI18n();
  onLangChange(() => { renderOverview(); renderRows(); if (questions) questions.render(); });
  if (!token) {
    $("#auth-error").hidden = false;
    setConn("offline");
    return;
  }
  $("#filter-job").addEventListener("change", () => { page.shown = PAGE; poll(true); });
  $("#more").addEventListener("click", () => { page.shown += PAGE; poll(true); });
  await poll(true);
  setInterval(() => poll(false), POLL_MS);
  questions = startEmployerQuestions({
    base, token, report,
    onScreenCardId: () => (page.overview && page.overview.card ? page.overview.card.card_id : null),
    jobTitle: (id) => {
      const job = page.overview && page.overview.jobs.find((j) => j.id === id);
      return job ? job.title : id;
    },
  });
  if (!page.stopped) initFollowUps({ call, report, path: "/employer/followups" }); // issue 17.4
}

main();
