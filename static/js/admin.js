// The admin page: the report across fairs for a range of days (GET /api/report), as a table
// of the fairs and their total, and its Excel and CSV downloads. The admin token comes from
// the URL fragment (#token=...) and goes only in the Authorization header.
import { download, request, tokenFromHash } from "./api.js";
import { $, h, toast } from "./dom.js";
import { formatNumber, initI18n, lang, onLangChange, t } from "./i18n.js";
import { isRefusedToken, showRefusedToken } from "./refused.js";

// The report's columns, in order (FairsReport.to_wire: each fair's overview figures).
const FIGURES = ["employers", "jobs", "openings", "viewers_peak", "unique_viewers", "checkins",
  "applications", "applicants", "intents", "hires", "ratio"];
const DEFAULT_DAYS = 30;
const token = tokenFromHash();
const page = { report: null };

function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function range() {
  return { from: $("#from").value, to: $("#to").value };
}

function reportPath(format) {
  const { from, to } = range();
  const query = new URLSearchParams({ from, to, format });
  if (format === "csv") query.set("lang", lang());
  return `/api/report?${query}`;
}

function setConn(state) {
  $("#conn").dataset.state = state;
  $("#conn-text").dataset.i18n = `conn.${state}`;
  $("#conn-text").textContent = t(`conn.${state}`);
}

function fail(error) {
  if (isRefusedToken(error)) {
    showRefusedToken();
    return;
  }
  if (error.status === 422) {
    const names = Object.keys(error.fields || {});
    const box = $("#range-error");
    box.textContent = t("admin.bad_range", { fields: names.join(", ") || error.message });
    box.hidden = false;
    return;
  }
  toast(error.status === 0 ? t("err.network") : t("err.generic", { message: error.message }));
}

function cell(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "number" && !Number.isInteger(value) ? value.toFixed(2) : formatNumber(value);
}

function startDay(ms) {
  return ms ? new Intl.DateTimeFormat(lang(), { dateStyle: "medium" }).format(new Date(ms)) : "";
}

function render() {
  const report = page.report;
  $("#fairs-head").replaceChildren(
    h("th", { scope: "col" }, t("admin.col_title")),
    h("th", { scope: "col", class: "when" }, t("admin.col_starts")),
    h("th", { scope: "col", class: "when" }, t("admin.col_state")),
    ...FIGURES.map((name) => h("th", { scope: "col" }, t(`admin.col_${name}`))));
  if (!report) return;
  $("#zone-note").textContent = t("admin.zone", { zone: report.time_zone, from: report.from, to: report.to });
  $("#fairs-body").replaceChildren(...report.fairs.map((fair) => h("tr", { dataset: { eventId: fair.event_id } },
    h("td", { class: "fair-title" }, fair.title),
    h("td", { class: "when" }, startDay(fair.starts_at)),
    h("td", { class: "when" }, t(`state.${fair.state}`)),
    ...FIGURES.map((name) => h("td", { dataset: { figure: name } }, cell(fair[name]))))));
  const total = report.total;
  $("#fairs-total").replaceChildren(h("tr", { id: "total-row" },
    h("td", {}, t("admin.total", { n: formatNumber(total.fairs) })),
    h("td", {}), h("td", {}),
    ...FIGURES.map((name) => h("td", { dataset: { figure: name } }, cell(total[name])))));
  $("#fairs-empty").hidden = report.fairs.length > 0;
}

async function show() {
  $("#range-error").hidden = true;
  try {
    page.report = await request(reportPath("json"), { token, timeoutMs: 60000 });
    setConn("live");
    render();
  } catch (error) {
    fail(error);
  }
}

async function save(format) {
  const { from, to } = range();
  try {
    await download(reportPath(format), token, `fairs-${from}-${to}.${format}`);
  } catch (error) {
    fail(error);
  }
}

async function main() {
  await initI18n();
  onLangChange(render);
  render();
  if (!token) {
    $("#auth-error").hidden = false;
    setConn("offline");
    return;
  }
  const today = new Date();
  const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (DEFAULT_DAYS - 1));
  $("#from").value = isoDay(first);
  $("#to").value = isoDay(today);
  $("#range").addEventListener("submit", (e) => { e.preventDefault(); show(); });
  $("#get-xlsx").addEventListener("click", () => save("xlsx"));
  $("#get-csv").addEventListener("click", () => save("csv"));
  await show();
}

main();
