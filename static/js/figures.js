// The figures by city and by channel (issue 16) on the host console and the staff dashboard:
// the rows of GET /stats' by_city and by_channel (liveevent/store/attribution.py), in a panel
// the page places after `anchor`. Hidden while the event has no cities and no channels.
import { $, h } from "./dom.js";
import { formatNumber, t } from "./i18n.js";

const n = (value) => (value === null || value === undefined ? "–" : formatNumber(value));

function table(id, caption, head, rows) {
  return h("section", { class: "figures-block", "aria-labelledby": `${id}-h` },
    h("h3", { id: `${id}-h` }, caption),
    h("div", { class: "table-wrap" }, h("table", { class: "data", id },
      h("thead", {}, h("tr", {}, ...head.map((label, i) =>
        h("th", { scope: "col", class: i ? "num" : null }, label)))),
      h("tbody", {}, ...rows.map((cells) => h("tr", { dataset: { value: cells[0].value } },
        h("th", { scope: "row" }, cells[0].label),
        ...cells.slice(1).map((cell) => h("td", { class: "num" }, n(cell)))))))));
}

/** Show stats.by_city and stats.by_channel in #figures-panel, made after `anchor` once. */
export function renderFigures(stats, anchor) {
  if (!stats || !anchor) return;
  const cities = (stats.by_city || []).filter((r) => r.city !== null || r.applications);
  const channels = stats.by_channel || [];
  let panel = $("#figures-panel");
  const named = cities.some((r) => r.city !== null) || channels.some((r) => r.channel !== null);
  if (!named) {
    if (panel) panel.hidden = true;
    return;
  }
  if (!panel) {
    panel = h("section", { id: "figures-panel", class: "panel figures-panel",
      "aria-labelledby": "figures-h" });
    anchor.after(panel);
  }
  panel.hidden = false;
  const none = t("figures.none");
  panel.replaceChildren(...[
    h("h2", { id: "figures-h" }, t("figures.title"), " ",
      h("span", { class: "count" }, t("figures.unique", { n: n(stats.unique_viewers) }))),
    table("by-city", t("figures.by_city"),
      [t("figures.city"), t("figures.viewers"), t("figures.applications"), t("figures.applicants"),
        t("figures.hires"), t("figures.openings")],
      cities.map((r) => [{ value: r.city || "", label: r.city || none }, r.viewers, r.applications,
        r.applicants, r.hires, r.openings])),
    channels.some((r) => r.channel !== null) ? table("by-channel", t("figures.by_channel"),
      [t("figures.channel"), t("figures.viewers"), t("figures.applications"), t("figures.hires")],
      channels.map((r) => [{ value: r.channel || "", label: r.name || none }, r.viewers,
        r.applications, r.hires])) : null,
  ].filter(Boolean));
}
