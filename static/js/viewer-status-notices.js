// Status notices (issue 17 part 4): while staff have them on for the event, the apply form shows
// one more, separate and unticked checkbox, "text me about an interview or a hire", with the
// text the server gives (domain/status_notices.py CONSENT_TEXT). An application sent while it
// is ticked carries notify_status: true; nothing is sent about an applicant who did not tick it.
import { $, h } from "./dom.js";
import { lang, onLangChange } from "./i18n.js";

let consent = null; // {"zh-CN", "en"} while the event's status notices are on

function text() {
  return consent ? consent[lang()] || consent["zh-CN"] : "";
}

/** Ask whether the event tells applicants of status changes; if so, add the checkbox. */
export async function initStatusNotices(eventId) {
  try {
    const response = await fetch(`/api/events/${encodeURIComponent(eventId)}/status-notices`);
    if (!response.ok) return;
    const body = await response.json();
    if (!body.enabled) return;
    consent = body.consent;
  } catch {
    return; // offline: the form works without it
  }
  const anchor = $("#e-consent");
  if (!anchor || $("#f-notify")) return;
  anchor.after(h("label", { class: "check" },
    h("input", { id: "f-notify", type: "checkbox" }),
    h("span", { id: "f-notify-text" }, text())));
  onLangChange(() => { $("#f-notify-text").textContent = text(); });
}

/** The apply body's field: {notify_status: true} when the box is ticked, else nothing. */
export function statusNoticeFields() {
  const box = $("#f-notify");
  return consent && box && box.checked ? { notify_status: true } : {};
}
