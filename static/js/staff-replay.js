// The staff page's replay panel (issue 17): once the event has ended, staff set the address of
// its recording (MP4 or HLS on the organiser's storage), the lead-in (seconds a card comes up
// before its moment) and where in the recording the event went live. PUT /replay stores it;
// viewers of /e/{id} then watch it with its cards (static/js/viewer-replay.js).
import { eventIdFromPath } from "./api.js";
import { $, toast } from "./dom.js";
import { t } from "./i18n.js";

let wired = false;

function fieldErrors(error) {
  const fields = (error && error.fields) || {};
  for (const name of ["url", "lead_in_s", "offset_s"]) {
    const out = $(`#replay-e-${name}`);
    out.textContent = fields[name] ? t(`replay.err_${name}`) : "";
    $(`#replay-${name}`).toggleAttribute("aria-invalid", Boolean(fields[name]));
  }
}

function fill(replay) {
  $("#replay-url").value = replay ? replay.url : "";
  $("#replay-lead_in_s").value = replay ? String(replay.lead_in_s) : "3";
  $("#replay-offset_s").value = replay ? String(replay.offset_s) : "0";
  $("#replay-clear").hidden = !replay;
  $("#replay-link").hidden = !replay;
}

/**
 * Show the panel once the event has ended (`state`), and wire it the first time: `call(path,
 * options)` is the page's authorised API call, `report(error)` its way of showing a failure.
 */
export async function showReplayPanel(state, { call, report }) {
  const panel = $("#replay-panel");
  if (!panel) return;
  panel.hidden = state !== "ended";
  if (state !== "ended" || wired) return;
  wired = true;
  $("#replay-link").href = `/e/${encodeURIComponent(eventIdFromPath())}`;
  $("#replay-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    fieldErrors(null);
    const body = { url: $("#replay-url").value.trim() };
    for (const name of ["lead_in_s", "offset_s"]) {
      const raw = $(`#replay-${name}`).value.trim();
      if (raw !== "") body[name] = Number(raw);
    }
    try {
      const answer = await call("/replay", { method: "PUT", body });
      fill(answer.replay);
      toast(t("replay.saved", { n: answer.cues }), "ok");
    } catch (error) {
      if (error.code === "invalid") fieldErrors(error);
      else report(error);
    }
  });
  $("#replay-clear").addEventListener("click", async () => {
    try {
      await call("/replay", { method: "DELETE" });
      fill(null);
      toast(t("replay.cleared"), "ok");
    } catch (error) {
      report(error);
    }
  });
  try {
    fill((await call("/replay")).replay);
  } catch (error) {
    report(error);
  }
}
