// A venue's check-in page (/checkin/{event}?venue=V): people who arrive check in with their
// name, phone and consent, on their own phone. The server dedupes by venue and phone, so
// sending again after a lost answer is safe.
import { eventIdFromPath, request } from "./api.js";
import { $ } from "./dom.js";
import { initI18n, t } from "./i18n.js";
import { checkPhone } from "./phone.js";

const eventId = eventIdFromPath();
const venueId = new URLSearchParams(window.location.search).get("venue") || "";
const base = `/api/events/${encodeURIComponent(eventId)}`;

function fieldError(name, text) {
  const input = $(`#c-${name}`);
  $(`#ce-${name}`).textContent = text || "";
  if (input) input.setAttribute("aria-invalid", text ? "true" : "false");
}

function check() {
  const name = $("#c-name").value.trim();
  const phone = checkPhone($("#c-phone").value);
  const consent = $("#c-consent").checked;
  fieldError("name", name ? "" : t("err.name"));
  fieldError("phone", phone ? "" : t("err.phone"));
  fieldError("consent", consent ? "" : t("checkin.err_consent"));
  return name && phone && consent ? { name, phone, consent: true } : null;
}

function showDone(answer) {
  $("#checkin-panel").hidden = true;
  const done = $("#checkin-done");
  done.hidden = false;
  done.classList.toggle("duplicate", answer.duplicate);
  $("#done-title").textContent = t(answer.duplicate ? "checkin.already" : "checkin.done");
  $("#done-number").textContent = answer.checkin_id;
  $("#done-title").focus();
}

async function submit(event) {
  event.preventDefault();
  $("#c-error").hidden = true;
  const body = check();
  if (!body) return;
  const button = $("#c-submit");
  button.disabled = true;
  try {
    const path = `${base}/venues/${encodeURIComponent(venueId)}/checkins`;
    showDone(await request(path, { method: "POST", body }));
  } catch (error) {
    for (const [field, why] of Object.entries(error.fields || {})) {
      if (["name", "phone", "consent"].includes(field)) fieldError(field, why);
    }
    const key = error.status === 0 ? "checkin.err_network"
      : error.status === 429 ? "checkin.err_busy"
      : error.status === 404 ? "checkin.err_venue" : "checkin.err_other";
    $("#c-error").textContent = t(key);
    $("#c-error").hidden = false;
  } finally {
    button.disabled = false;
  }
}

async function start() {
  await initI18n();
  $("#checkin-form").addEventListener("submit", submit);
  for (const name of ["name", "phone", "consent"]) {
    $(`#c-${name}`).addEventListener("input", () => fieldError(name, ""));
  }
  try {
    const [event, venue] = await Promise.all([
      request(base),
      request(`${base}/venues/${encodeURIComponent(venueId)}`),
    ]);
    $("#event-title").textContent = event.title;
    $("#venue-name").textContent = t("checkin.at", { venue: venue.name });
    document.title = `${t("checkin.title")} · ${venue.name}`;
  } catch (error) {
    $("#load-error").textContent = t(error.status === 404 ? "checkin.err_venue" : "checkin.err_network");
    $("#load-error").hidden = false;
  }
}

start();
