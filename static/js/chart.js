// Applications per minute as an inline SVG bar chart, with a numbered marker at every card push.
import { formatClock, t } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
// Drawn at the box's own width in CSS pixels (not a fixed viewBox scaled down), so that the
// axis labels keep their 12px on a phone instead of shrinking to a third of it.
const MIN_W = 280;
const TALL = 240;
const SHORT = 200; // below 600px wide: a phone's screen is short too
const MIN_SLOTS = 15;
const LABEL_PX = 52; // room for one "HH:MM" time label on the x-axis
const PAD = { left: 36, right: 12, top: 28, bottom: 28 };

function svg(tag, attrs = {}, text = null) {
  const el = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  if (text !== null) el.textContent = text;
  return el;
}

function niceMax(n) {
  if (n <= 4) return Math.max(1, n);
  const step = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= n) return m * step;
  return 10 * step;
}

/**
 * Draw `activity` (GET /activity) into `box`; list the pushes in `legend`.
 * `now` (ms since the epoch) and `live`: while the event is live the x-axis ends at the minute
 * of `now`, else at the last minute with activity; it never runs past either.
 */
export function drawChart(box, legend, activity, { now = Date.now(), live = false } = {}) {
  const buckets = activity.buckets || [];
  if (!buckets.length) {
    box.replaceChildren(Object.assign(document.createElement("p"), {
      className: "muted", textContent: t("staff.chart_empty") }));
    legend.replaceChildren();
    return;
  }
  const bucketMs = activity.bucket_s * 1000;
  const first = Date.parse(buckets[0].at);
  const lastWithData = first + (buckets.length - 1) * bucketMs;
  const last = live ? Math.max(lastWithData, Math.floor(now / bucketMs) * bucketMs) : lastWithData;
  // At least MIN_SLOTS minutes wide, so the first minutes of a broadcast are not one huge bar;
  // the extra minutes go before the first one, never after the last (they would be the future).
  const slots = Math.max(Math.round((last - first) / bucketMs) + 1, MIN_SLOTS);
  const start = last - (slots - 1) * bucketMs;
  const span = slots * bucketMs;
  const W = Math.max(MIN_W, Math.floor(box.clientWidth || 0));
  const H = W < 600 ? SHORT : TALL;
  const counts = new Map(buckets.map((b) => [Date.parse(b.at), b.applications]));
  const max = niceMax(Math.max(...buckets.map((b) => b.applications)));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (ms) => PAD.left + ((ms - start) / span) * plotW;
  const y = (n) => PAD.top + plotH - (n / max) * plotH;
  const total = buckets.reduce((sum, b) => sum + b.applications, 0);
  const peak = buckets.reduce((best, b) => (b.applications > best.applications ? b : best), buckets[0]);
  const chart = svg("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "chart-svg",
    "aria-label": t("staff.chart_summary", { total, minutes: buckets.length,
      peak: peak.applications, at: formatClock(peak.at), pushes: activity.pushes.length }) });

  // A half-way line only when it falls on a whole number: labelled by rounding, 0.5 read "1"
  // and 1.5 read "2", so a bar reached a line whose label it did not have.
  const ticks = max % 2 === 0 ? [0, max / 2, max] : [0, max];
  for (const n of ticks) {
    chart.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(n), y2: y(n), class: "grid" }));
    chart.append(svg("text", { x: PAD.left - 6, y: y(n) + 4, class: "axis", "text-anchor": "end" },
      String(n)));
  }
  const barW = plotW / slots;
  const labelEvery = Math.max(1, Math.ceil(slots / Math.max(2, Math.floor(plotW / LABEL_PX))));
  for (let i = 0; i < slots; i += 1) {
    const ms = start + i * bucketMs;
    const at = new Date(ms).toISOString();
    const applications = counts.get(ms) || 0;
    const left = PAD.left + i * barW;
    if (applications) {
      const bar = svg("rect", { x: left + barW * 0.12, width: Math.max(1, barW * 0.76),
        y: y(applications), height: y(0) - y(applications), class: "bar", rx: 2 });
      bar.append(svg("title", {}, `${formatClock(at)}  ${applications}`));
      chart.append(bar);
    }
    // Counted back from the last minute, so the newest minute always has its label.
    if ((slots - 1 - i) % labelEvery === 0) {
      chart.append(svg("text", { x: left + barW / 2, y: H - 8, class: "axis tick",
        "text-anchor": "middle", "data-at": at }, formatClock(at)));
    }
  }
  let lastX = -Infinity;
  let nudge = 0;
  activity.pushes.forEach((push, i) => {
    const px = x(Date.parse(push.at));
    // Pushes seconds apart would hide each other's number: step them sideways.
    nudge = px - lastX < 22 ? nudge + 22 : 0;
    lastX = px;
    const cx = Math.min(W - 12, px + nudge);
    const marker = svg("g", { class: "push" });
    marker.append(svg("line", { x1: px, x2: px, y1: PAD.top - 8, y2: y(0) }));
    marker.append(svg("circle", { cx, cy: PAD.top - 14, r: 10 }));
    marker.append(svg("text", { x: cx, y: PAD.top - 10, "text-anchor": "middle" }, String(i + 1)));
    marker.append(svg("title", {}, `${formatClock(push.at)} ${push.employer} · ${push.title}`));
    chart.append(marker);
  });
  box.replaceChildren(chart);
  legend.replaceChildren(...activity.pushes.map((push, i) => {
    const li = document.createElement("li");
    li.value = i + 1;
    li.textContent = `${formatClock(push.at)}  ${push.employer} · ${push.title}`;
    return li;
  }));
}
