// The staff page's funnel (issue 17): signed up -> watched -> applied -> hired, the show-up
// rate, and the reminders' delivery (sent, waiting, dead). Hooked from staff.js:
// startFunnel(base, token) once the page has loaded; it polls every 20 s (the funnel reads
// every sign-up, so it is not on the live stats socket).
import { request } from "./api.js";
import { $, h } from "./dom.js";
import { formatNumber, onLangChange, t } from "./i18n.js";

const POLL_MS = 20000;
let last = null;

function panel() {
  let box = $("#funnel");
  if (box) return box;
  box = h("section", { id: "funnel", class: "panel funnel-panel", "aria-labelledby": "funnel-h" });
  $(".tiles").after(box);
  return box;
}

function tile(id, n, label) {
  return h("div", { class: "tile" }, h("span", { class: "tile-n", id }, n), h("span", { class: "tile-label" }, label));
}

function render() {
  if (!last) return;
  const { funnel, notes } = last;
  const box = panel();
  const rate = `${(funnel.show_up_rate * 100).toFixed(1)}%`;
  const c = notes.counts;
  const dead = notes.dead.map((d) => h("li", {}, `${d.recipient} · ${t(`funnel.kind_${d.kind}`)} · ${d.last_error || ""}`));
  box.replaceChildren(...[
    h("h2", { id: "funnel-h" }, t("funnel.title")),
    h("div", { class: "tiles" },
      tile("f-signed", formatNumber(funnel.signed_up), t("funnel.signed_up")),
      tile("f-watched", formatNumber(funnel.watched), t("funnel.watched")),
      tile("f-applied", formatNumber(funnel.applied), t("funnel.applied")),
      tile("f-hired", formatNumber(funnel.hired), t("funnel.hired")),
      tile("f-rate", rate, t("funnel.show_up"))),
    h("p", { id: "f-notes", class: "muted" }, t("funnel.notes", {
      sent: formatNumber(c.sent), waiting: formatNumber(c.scheduled + c.queued), dead: formatNumber(c.dead),
    })),
    notes.webhook ? null : h("p", { class: "notice warn" }, t("funnel.no_webhook")),
    dead.length ? h("details", {}, h("summary", {}, t("funnel.dead_list", { n: formatNumber(dead.length) })), h("ul", { id: "f-dead" }, dead)) : null,
  ].filter(Boolean));
}

async function refresh(base, token) {
  try {
    const [funnel, notes] = await Promise.all([
      request(`${base}/funnel`, { token }), request(`${base}/notifications`, { token }),
    ]);
    last = { funnel, notes };
    render();
  } catch {
    // The rest of the page reports errors; the funnel tries again at the next poll.
  }
}

/** Show the funnel block and keep it fresh. */
export function startFunnel(base, token) {
  onLangChange(render);
  refresh(base, token);
  setInterval(() => refresh(base, token), POLL_MS);
}
