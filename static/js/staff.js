// The staff dashboard: totals, per employer and job, the applications list, the chart, exports.
import { download, eventIdFromPath, request, tokenFromHash } from "./api.js";
import { headcountText, totalHeadcount } from "./cards.js";
import { drawChart } from "./chart.js";
import { initEmployerProgress } from "./employers_progress.js";
import { $, h, toast } from "./dom.js";
import { formatNumber, formatTime, initI18n, lang, onLangChange, t } from "./i18n.js";
import { isRefusedToken, showRefusedToken } from "./refused.js";
import { setupChannels } from "./channels.js";
import { renderFigures } from "./figures.js";
import { openStatsSocket } from "./socket.js";
import { showReplayPanel } from "./staff-replay.js";
import { remaining, remainingText } from "./openings.js";
import { setupVenues } from "./venues-panel.js";
import { startFunnel } from "./staff-funnel.js";
import { initFollowUps } from "./followups.js";

const STATUSES = ["applied", "intent", "contacted", "interviewed", "offered", "hired", "rejected",
  "declined", "no_show"];
const PAGE = 50;
const eventId = eventIdFromPath();
const token = tokenFromHash();
const base = `/api/events/${encodeURIComponent(eventId)}`;
const staff = {
  event: null,
  jobs: [],
  stats: null,
  rows: [],
  total: 0,
  offset: 0,
  selected: new Set(),
  seenApplications: null, // the total when the list was last loaded
  activity: null,
};
let socket = null;
let venuesPanel = null; // venues-panel.js, once the page has loaded

function call(path, options = {}) {
  return request(base + path, { token, ...options });
}

/** A failed call as a toast, or, for a refused token, as the lasting banner alone. */
function report(error) {
  const message = explain(error);
  if (!isRefusedToken(error)) toast(message);
}

function explain(error) {
  if (isRefusedToken(error)) {
    showRefusedToken(); // lasting: every later call would be refused too
    return t("console.bad_token");
  }
  if (error.status === 0) return t("err.network");
  return t("err.generic", { message: error.message });
}

function jobLabel(jobId) {
  const job = staff.jobs.find((j) => j.id === jobId);
  return job ? `${job.employer} · ${job.title}` : jobId;
}

function statusSelect(value, label, onchange) {
  const select = h("select", { "aria-label": label },
    STATUSES.map((s) => h("option", { value: s, selected: s === value }, t(`status.${s}`))));
  if (onchange) select.addEventListener("change", () => onchange(select));
  select.dataset.status = value;
  return select;
}

// --- totals and tables --------------------------------------------------------------------------
function renderTotals() {
  const s = staff.stats;
  if (!s) return;
  const set = (id, n) => {
    const el = $(id);
    const text = typeof n === "string" ? n : formatNumber(n);
    if (el.textContent !== text && el.textContent !== "–") {
      el.parentElement.classList.remove("bump");
      void el.parentElement.offsetWidth;
      el.parentElement.classList.add("bump");
    }
    el.textContent = text;
  };
  set("#n-applications", s.applications);
  set("#n-applicants", s.applicants);
  set("#n-hires", s.hires);
  set("#n-openings", headcountText(totalHeadcount(s.jobs), { short: true }));
  set("#n-viewers", s.viewers_online);
  if (staff.event) {
    staff.event.state = s.state;
    $("#state-badge").textContent = t(`state.${s.state}`);
    $("#state-badge").className = `badge ${s.state}`;
  }
  showReplayPanel(s.state, { call, report }); // the recording, once the event has ended
}

function renderTables() {
  const s = staff.stats;
  if (!s) return;
  const employers = new Map();
  for (const job of s.jobs) {
    const row = employers.get(job.employer) || { jobs: [], applications: 0, hires: 0 };
    row.jobs.push(job);
    row.applications += job.applications;
    row.hires += job.hires;
    employers.set(job.employer, row);
  }
  const sorted = Array.from(employers.entries()).sort((a, b) => b[1].applications - a[1].applications);
  $("#employers").replaceChildren(...sorted.map(([name, row]) => h("tr", {},
    h("th", { scope: "row" }, name),
    h("td", { class: "num" }, headcountText(totalHeadcount(row.jobs), { short: true })),
    h("td", { class: "num" }, formatNumber(row.applications)),
    h("td", { class: "num hires" }, formatNumber(row.hires)))));
  const jobs = [...s.jobs].sort((a, b) => b.applications - a.applications);
  $("#jobs").replaceChildren(...jobs.map((job) => h("tr", { dataset: { jobId: job.job_id } },
    h("th", { scope: "row" }, h("span", { class: "sub" }, job.employer), " ", job.title),
    h("td", { class: "num openings" }, headcountText(job, { short: true })),
    h("td", { class: "num" }, formatNumber(job.applications)),
    h("td", { class: "num hires" }, formatNumber(job.hires)),
    h("td", { class: "num left" }, remainingText(job.remaining || remaining(job, job.hires))))));
  renderFigures(s, $(".chart-panel")); // by city and channel (issue 16): figures.js
  if (venuesPanel) venuesPanel.update(s.onsite); // check-ins at venues (issue 16)
}

// --- the applications list ----------------------------------------------------------------------
async function loadApplications() {
  const query = new URLSearchParams({ offset: String(staff.offset), limit: String(PAGE) });
  if ($("#filter-job").value) query.set("job_id", $("#filter-job").value);
  if ($("#filter-status").value) query.set("status", $("#filter-status").value);
  try {
    const data = await call(`/applications?${query}`);
    staff.rows = data.applications;
    staff.total = data.total;
    staff.seenApplications = staff.stats ? staff.stats.applications : null;
    $("#new-apps").hidden = true;
    renderApplications();
  } catch (error) {
    report(error);
  }
}

function renderApplications() {
  $("#apps").replaceChildren(...staff.rows.map((row) => {
    const box = h("input", { type: "checkbox", checked: staff.selected.has(row.application_id),
      "aria-label": t("staff.select_row", { id: row.application_id, name: row.name }) });
    box.addEventListener("change", () => {
      if (box.checked) staff.selected.add(row.application_id);
      else staff.selected.delete(row.application_id);
      renderBulk();
    });
    return h("tr", { dataset: { applicationId: row.application_id, status: row.status } },
      h("td", {}, box),
      h("td", { class: "mono" }, row.application_id),
      h("td", { class: "nowrap" }, formatTime(row.applied_at)),
      h("td", { class: "nowrap" }, row.name),
      h("td", { class: "mono nowrap" }, row.phone),
      h("td", { class: "job" }, jobLabel(row.job_id)),
      h("td", {}, statusSelect(row.status, t("staff.status_of", { name: row.name }),
        (select) => changeStatus([row.application_id], select.value, select))));
  }));
  $("#apps-empty").hidden = staff.rows.length > 0;
  const from = staff.total ? staff.offset + 1 : 0;
  const to = staff.offset + staff.rows.length;
  $("#page-info").textContent = t("staff.page_info", { from, to, total: staff.total });
  $("#prev").disabled = staff.offset === 0;
  $("#next").disabled = to >= staff.total;
  renderBulk();
}

function renderBulk() {
  const ids = staff.rows.map((r) => r.application_id);
  const onPage = ids.filter((id) => staff.selected.has(id)).length;
  $("#select-all").checked = ids.length > 0 && onPage === ids.length;
  $("#select-all").indeterminate = onPage > 0 && onPage < ids.length;
  $("#selected-count").textContent = t("staff.selected", { n: staff.selected.size });
  $("#bulk-apply").disabled = staff.selected.size === 0;
}

async function changeStatus(ids, status, select = null) {
  try {
    if (ids.length === 1) {
      await call(`/applications/${encodeURIComponent(ids[0])}`, { method: "PATCH", body: { status } });
    } else {
      await call("/applications", { method: "PATCH", body: { application_ids: ids, status } });
    }
    toast(t("staff.updated", { n: ids.length, status: t(`status.${status}`) }), "ok");
    if (ids.length > 1) staff.selected.clear();
    await Promise.all([loadApplications(), refreshStats()]);
  } catch (error) {
    if (select) select.value = select.dataset.status;
    report(error);
  }
}

// --- data ------------------------------------------------------------------------------------------
async function refreshStats() {
  onStats(await call("/stats"));
}

function onStats(stats) {
  const before = staff.stats ? staff.stats.applications : null;
  staff.stats = stats;
  renderTotals();
  renderTables();
  if (staff.seenApplications !== null && stats.applications > staff.seenApplications) {
    const button = $("#new-apps");
    button.textContent = t("staff.new_apps", { n: stats.applications - staff.seenApplications });
    button.hidden = false;
  }
  if (before !== null && (stats.applications !== before || stats.cards_pushed !== staff.activity?.pushes.length)) {
    scheduleChart();
  }
}

// Only what changed since the last poll (`?since=`): the minutes from the last one on and the
// pushes made since, merged into the chart we have; the whole chart again when its start moved.
function mergeActivity(known, fresh) {
  if (!fresh.buckets.length) return { ...fresh, buckets: known.buckets, pushes: known.pushes, since: known.since };
  const from = Date.parse(fresh.buckets[0].at);
  const fresher = new Set(fresh.pushes.map((p) => p.card_id));
  return {
    ...fresh,
    buckets: [...known.buckets.filter((b) => Date.parse(b.at) < from), ...fresh.buckets],
    pushes: [...known.pushes.filter((p) => !fresher.has(p.card_id)), ...fresh.pushes],
  };
}

async function fetchActivity() {
  const known = staff.activity;
  if (known && known.since !== null && known.since !== undefined) {
    const fresh = await call(`/activity?since=${known.since}`);
    if (fresh.start === known.start) return mergeActivity(known, fresh);
  }
  return call("/activity");
}

async function loadChart() {
  try {
    staff.activity = await fetchActivity();
    redrawChart();
  } catch {
    // The chart is a nicety; the numbers above are live anyway.
  }
}

function redrawChart() {
  if (!staff.activity) return;
  drawChart($("#chart"), $("#chart-legend"), staff.activity,
    { now: Date.now(), live: (staff.stats?.state || staff.event?.state) === "live" });
}

function scheduleChart() {
  if (scheduleChart.timer) return;
  scheduleChart.timer = setTimeout(() => {
    scheduleChart.timer = null;
    loadChart();
  }, 3000);
}

function fillFilters() {
  const jobSelect = $("#filter-job");
  const chosen = jobSelect.value;
  jobSelect.replaceChildren(h("option", { value: "" }, t("staff.all_jobs")),
    ...staff.jobs.map((job) => h("option", { value: job.id, selected: job.id === chosen }, `${job.employer} · ${job.title}`)));
  const statusFilter = $("#filter-status");
  const status = statusFilter.value;
  statusFilter.replaceChildren(h("option", { value: "" }, t("staff.all_statuses")),
    ...STATUSES.map((s) => h("option", { value: s, selected: s === status }, t(`status.${s}`))));
  const bulk = $("#bulk-status");
  const bulkValue = bulk.value || "contacted";
  bulk.replaceChildren(...STATUSES.map((s) => h("option", { value: s, selected: s === bulkValue },
    t("staff.bulk_to", { status: t(`status.${s}`) }))));
}

// The file speaks the page's language (headers, status words); CSV for other tools, XLSX for
// Excel/WPS (dates as dates, ids as text, column widths). See docs/exports.md.
async function exportFile(kind, ext) {
  const query = new URLSearchParams({ lang: lang() });
  try {
    await download(`${base}/export/${kind}.${ext}?${query}`, token, `${kind}-${eventId}.${ext}`);
  } catch (error) {
    report(error);
  }
}

async function main() {
  await initI18n();
  if (!token) {
    $("#auth-error").hidden = false;
    return;
  }
  onLangChange(() => {
    fillFilters();
    renderTotals();
    renderTables();
    renderApplications();
    redrawChart();
    if (socket) $("#conn-text").textContent = t(`conn.${socket.state}`);
  });
  $("#export-apps").addEventListener("click", () => exportFile("applications", "csv"));
  $("#export-hires").addEventListener("click", () => exportFile("hires", "csv"));
  $("#export-apps-xlsx").addEventListener("click", () => exportFile("applications", "xlsx"));
  $("#export-hires-xlsx").addEventListener("click", () => exportFile("hires", "xlsx"));
  for (const id of ["#filter-job", "#filter-status"]) {
    $(id).addEventListener("change", () => {
      staff.offset = 0;
      loadApplications();
    });
  }
  $("#prev").addEventListener("click", () => { staff.offset = Math.max(0, staff.offset - PAGE); loadApplications(); });
  $("#next").addEventListener("click", () => { staff.offset += PAGE; loadApplications(); });
  $("#new-apps").addEventListener("click", loadApplications);
  $("#select-all").addEventListener("change", (e) => {
    for (const row of staff.rows) {
      if (e.target.checked) staff.selected.add(row.application_id);
      else staff.selected.delete(row.application_id);
    }
    renderApplications();
  });
  $("#bulk-apply").addEventListener("click", () => changeStatus(Array.from(staff.selected), $("#bulk-status").value));
  try {
    staff.event = await request(base);
    $("#title").textContent = staff.event.title;
    document.title = `${t("staff.title")} · ${staff.event.title}`;
    staff.jobs = (await request(`${base}/jobs`)).jobs;
    fillFilters();
    await refreshStats();
    setupChannels({ container: $(".staff-grid"), call, report }); // issue 16: channels.js
    await loadApplications();
    loadChart();
    initEmployerProgress({ call, report });
    venuesPanel = setupVenues({ container: $(".staff-grid"), call, report }); // issue 16
    startFunnel(base, token); // sign-ups -> watched -> applied -> hired (staff-funnel.js)
    initFollowUps({ call, report, path: "/followups" }); // issue 17 part 4
  } catch (error) {
    report(error);
    if (isRefusedToken(error)) return; // the banner says what to do; nothing will load
  }
  socket = openStatsSocket({ eventId, token, onStats });
  socket.stop = (event) => {
    if (event.code !== 4401) return false;
    // The token stopped working while the page was open. After the socket has marked itself
    // offline (it does so once this returns), so that the banner's state is the one left.
    queueMicrotask(showRefusedToken);
    return true;
  };
  // The chart follows the width of the page (a phone turned sideways) and, while the event is
  // live, the clock: its x-axis ends at the current minute.
  new ResizeObserver(() => redrawChart()).observe($("#chart"));
  setInterval(redrawChart, 30000);
}

main();
