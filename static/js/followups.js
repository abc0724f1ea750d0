// Follow-up after hire (issue 17 part 4), on the staff page and the employer page: the hires
// due for a 7- or 30-day check, with one tap to record "still in the job", "left" or "could
// not reach", and the retention figures (retained / (retained + left); docs/api.md). With
// "all hires" ticked every hire is listed with its marks, to correct one. Read when the page
// opens, after each mark and on "refresh": the list is read from the status stream, so it is
// not polled.
import { $, h, toast } from "./dom.js";
import { formatDateTime, onLangChange, t } from "./i18n.js";

const RESULTS = ["retained", "left", "unknown"];
const CHECKS = ["7d", "30d"];
let state = { listing: null, all: false };

function percent(rate) {
  return rate === null || rate === undefined ? "—" : `${Math.round(rate * 1000) / 10}%`;
}

function rates(retention) {
  return CHECKS.map((check) => {
    const f = retention[check];
    return t("followup.rate_line", {
      check: t(`followup.check_${check}`), rate: percent(f.rate), retained: f.retained,
      left: f.left, unknown: f.unknown, pending: f.pending, not_due: f.not_due,
    });
  });
}

function checkControls(row, check, { call, report, path }) {
  const info = row.checks[check];
  const due = row.due.includes(check);
  if (!due && !info.mark && !state.all) return null;
  const said = info.mark
    ? t("followup.marked", { result: t(`followup.${info.mark.result}`), by: info.mark.by,
      at: formatDateTime(info.mark.at) })
    : due ? t("followup.due") : t("followup.due_on", { at: formatDateTime(info.due_at) });
  const buttons = RESULTS.map((result) => h("button", {
    type: "button",
    class: info.mark && info.mark.result === result ? "primary" : null,
    "aria-pressed": info.mark && info.mark.result === result ? "true" : "false",
    dataset: { check, result },
    onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await call(`${path}/${encodeURIComponent(row.application_id)}`,
          { method: "PUT", body: { checkpoint: check, result } });
        toast(t("followup.saved"), "ok", 2500);
      } catch (error) {
        if (error.code === "invalid") toast(t("followup.not_yet"));
        else report(error);
      }
      await load({ call, report, path });
    },
  }, t(`followup.${result}`)));
  return h("div", { class: "fu-check", dataset: { check } },
    h("span", { class: "fu-label" }, t(`followup.check_${check}`), " · ", said),
    h("span", { class: "fu-buttons" }, buttons));
}

function render(ctx) {
  const listing = state.listing;
  if (!listing) return;
  $("#fu-rates").replaceChildren(...rates(listing.retention).map((line) => h("span", {}, line)));
  const list = $("#fu-list");
  list.replaceChildren(...listing.hires.map((row) => h("li", { dataset: { application: row.application_id } },
    h("div", { class: "who" },
      h("span", { class: "name" }, row.name), h("span", { class: "phone" }, row.phone),
      h("span", { class: "muted" }, `${row.employer} · ${row.title}`),
      h("span", { class: "muted" }, t("followup.hired_on", { at: formatDateTime(row.hired_at) }))),
    CHECKS.map((check) => checkControls(row, check, ctx)))));
  $("#fu-empty").hidden = listing.hires.length > 0;
}

async function load(ctx) {
  try {
    state.listing = await ctx.call(state.all ? ctx.path : `${ctx.path}?due=1`);
    render(ctx);
  } catch (error) {
    ctx.report(error);
  }
}

/**
 * Fill the page's #followups-panel. `call(path, options)` is the page's authorised API call
 * (paths under /api/events/{id}), `report(error)` its way of showing a failure, `path` the
 * follow-up route: "/followups" (staff) or "/employer/followups" (employer).
 */
export async function initFollowUps(ctx) {
  const panel = $("#followups-panel");
  if (!panel) return;
  panel.hidden = false;
  $("#fu-all").addEventListener("change", (event) => { state.all = event.target.checked; load(ctx); });
  $("#fu-refresh").addEventListener("click", () => load(ctx));
  onLangChange(() => render(ctx));
  wireSwitch(ctx); // staff page only
  await load(ctx);
}

// The event's status notices switch (issue 17 part 4; web/status_notices.py), staff page only.
async function wireSwitch({ call, report }) {
  const box = $("#sn-enabled");
  if (!box) return;
  try {
    box.checked = (await call("/status-notices")).enabled;
  } catch (error) {
    report(error);
  }
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      const answer = await call("/status-notices", { method: "PUT", body: { enabled: box.checked } });
      box.checked = answer.enabled;
      toast(t(answer.enabled ? "notices.on" : "notices.off"), "ok", 2500);
    } catch (error) {
      box.checked = !box.checked;
      report(error);
    }
    box.disabled = false;
  });
}
