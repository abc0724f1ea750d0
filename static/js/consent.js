// The apply form's separate consent (PIPL Art. 23): it names the job's employer and its
// contact, the purpose, how the data is processed and what is shared (docs/privacy.md), and
// every application says which text and which employer it was given for.
import { request } from "./api.js";
import { lang, onLangChange, t } from "./i18n.js";
import { load, save } from "./storage.js";

let recipients = null;   // employer (as on its jobs) -> contact or null
let loading = null;
let shownFor = null;     // the job whose consent the form shows now
let eventKey = "";
let consented = {};      // employer -> the consent version ticked for it on this phone

/** Start reading each employer's contact (once; again when an unknown employer turns up). */
export function initConsent(eventId) {
  eventKey = eventId;
  consented = load(`consented.${eventId}`, {});
  onLangChange(() => { if (shownFor) showConsent(shownFor); });
  return refresh();
}

function refresh() {
  loading = request(`/api/events/${encodeURIComponent(eventKey)}/recipients`)
    .then((data) => { recipients = data.recipients || {}; })
    .catch(() => { /* the text then names the organiser as the way to reach the employer */ })
    .finally(() => { loading = null; });
  return loading;
}

function contactOf(job) {
  const contact = recipients ? recipients[job.employer] : null;
  return contact || t("consent.no_contact");
}

/** Put the consent for `job` next to the form's box (unticked by the caller). */
export function showConsent(job) {
  shownFor = job;
  const label = document.querySelector("#f-consent + span");
  if (!label) return;
  label.removeAttribute("data-i18n"); // its text is this job's, not the generic key's
  label.dataset.consentFor = job.employer;
  label.textContent = t("consent.text", { employer: job.employer, contact: contactOf(job) });
  label.lang = lang();
  if (recipients === null || !(job.employer in recipients)) {
    (loading || refresh()).then(() => {
      if (shownFor === job) label.textContent = t("consent.text", { employer: job.employer, contact: contactOf(job) });
    });
  }
}

/** What an application sends about its consent: the text's version and its recipient. */
export function consentFields(job) {
  return { consent_version: t("consent.version"), consent_to: job.employer };
}

/** Whether this phone already gave the current consent to `job`'s employer. */
export function hasConsented(job) {
  return consented[job.employer] === t("consent.version");
}

/** Remember the consent given through the form (a one-tap apply may then reuse it). */
export function rememberConsent(job) {
  consented = { ...consented, [job.employer]: t("consent.version") };
  save(`consented.${eventKey}`, consented);
}
