// Sign-ups (预约) on the viewer page: before the broadcast a person leaves a name, a phone and
// a city to be reminded; the confirmation offers the calendar file. Once the event is live, a
// page that signed up says "watching" once (the funnel's "watched"). Hooked from viewer.js:
// renderSignup(event) after every render of the event.
import { ApiError, request } from "./api.js";
import { $, h } from "./dom.js";
import { formatDateTime, t } from "./i18n.js";
import { checkPhone } from "./phone.js";
import { load, save } from "./storage.js";

let eventId = "";
let mine = null;          // {signup_id, watch_token, reminders, duplicate}: kept on this phone
let watchedSent = false;
let sending = false;
let view = {};             // the event as last rendered

function randomKey() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function section() {
  let box = $("#signup");
  if (box) return box;
  box = h("section", { id: "signup", class: "before signup", "aria-labelledby": "signup-h" });
  const anchor = $("#before");
  anchor.after(box);
  return box;
}

// `city`: the viewer's city (from the link's ?city= or chosen earlier on the page), or null.
function cityInput(event, city) {
  const cities = Array.isArray(event.cities) ? event.cities : [];
  if (cities.length) {
    const names = cities.map((c) => (typeof c === "string" ? c : c.name));
    return h("select", { id: "s-city", name: "city", "aria-describedby": "se-city" },
      h("option", { value: "" }, t("signup.city_pick")),
      names.map((name) => h("option", { value: name, selected: name === city }, name)));
  }
  return h("input", { id: "s-city", name: "city", type: "text", maxlength: "20", autocomplete: "address-level2",
    value: city || null, "aria-describedby": "se-city" });
}

function renderForm(box, event, city) {
  const profile = load("profile", null) || {};
  const form = h("form", { id: "signup-form", novalidate: true, onsubmit: (e) => onSubmit(e) },
    h("label", { for: "s-name" }, t("apply.name")),
    h("input", { id: "s-name", name: "name", type: "text", maxlength: "50", autocomplete: "name",
      value: profile.name || null, "aria-describedby": "se-name", required: true }),
    h("p", { id: "se-name", class: "field-error", "aria-live": "polite" }),
    h("label", { for: "s-phone" }, t("apply.phone")),
    h("input", { id: "s-phone", name: "phone", type: "tel", inputmode: "tel", maxlength: "64",
      autocomplete: "tel", value: profile.phone || null, "aria-describedby": "se-phone", required: true }),
    h("p", { id: "se-phone", class: "field-error", "aria-live": "polite" }),
    h("label", { for: "s-city" }, t("signup.city")),
    cityInput(event, city),
    h("p", { id: "se-city", class: "field-error", "aria-live": "polite" }),
    h("label", { class: "check" },
      h("input", { id: "s-consent", type: "checkbox", "aria-describedby": "se-consent" }),
      h("span", {}, t("signup.consent"))),
    h("p", { id: "se-consent", class: "field-error", "aria-live": "polite" }),
    h("p", { id: "signup-error", class: "notice bad", role: "alert", hidden: true }),
    h("button", { id: "signup-submit", type: "submit", class: "primary big" }, t("signup.submit")));
  box.replaceChildren(...[
    h("h2", { id: "signup-h" }, t("signup.title")),
    h("p", { class: "muted" }, t("signup.intro")),
    form]);
}

function renderDone(box, event) {
  const reminders = (mine.reminders || []).map((r) => {
    const at = formatDateTime(r.at);
    const text = t(`signup.when_${r.when}`, { at });
    return h("li", {}, text === `signup.when_${r.when}` ? t("signup.when_other", { at }) : text);
  });
  box.replaceChildren(...[
    h("h2", { id: "signup-h", tabindex: "-1" }, mine.duplicate ? t("signup.already") : t("signup.done")),
    h("p", {}, t("signup.done_note")),
    reminders.length ? h("ul", { id: "signup-reminders" }, reminders) : null,
    !event.starts_at ? null : h("a", { id: "signup-ics", class: "button", href: `/api/events/${encodeURIComponent(eventId)}/calendar.ics`,
      download: `${eventId}.ics` }, t("viewer.add_calendar")),
  ].filter(Boolean));
}

function fieldError(field, text) {
  $(`#se-${field}`).textContent = text;
  const input = $(`#s-${field}`);
  input.setAttribute("aria-invalid", "true");
  return input;
}

function showErrors(error) {
  const fields = error.fields || {};
  const bad = [];
  if (fields.name) bad.push(fieldError("name", t("err.name")));
  if (fields.phone) bad.push(fieldError("phone", t("err.phone")));
  if (fields.city) bad.push(fieldError("city", t("signup.err_city")));
  if (fields.consent) bad.push(fieldError("consent", t("signup.err_consent")));
  let general = null;
  if (error.code === "rate_limited") general = t("err.rate");
  else if (error.status === 409) general = t("signup.closed");
  else if (error.status === 0) general = t("err.network");
  else if (error.status >= 500) general = t("err.busy");
  else if (!bad.length) general = t("err.generic", { message: error.message || "" });
  if (general) {
    $("#signup-error").textContent = general;
    $("#signup-error").hidden = false;
  }
  if (bad[0]) bad[0].focus();
}

async function onSubmit(e) {
  e.preventDefault();
  if (sending) return;
  const form = e.target;
  for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
  $("#signup-error").hidden = true;
  const name = form.elements.name.value.trim();
  const phone = checkPhone(form.elements.phone.value);
  const city = form.elements.city.value.trim();
  const bad = [];
  if (!name || name.length > 50) bad.push(fieldError("name", t("err.name")));
  if (!phone) bad.push(fieldError("phone", t("err.phone")));
  if (city.length > 20) bad.push(fieldError("city", t("signup.err_city")));
  if (!$("#s-consent").checked) bad.push(fieldError("consent", t("signup.err_consent")));
  if (bad.length) {
    bad[0].focus();
    return;
  }
  sending = true;
  const submit = $("#signup-submit");
  submit.disabled = true;
  submit.textContent = t("apply.sending");
  const body = { name, phone, consent: true, idempotency_key: randomKey() };
  if (city) body.city = city;
  try {
    let result;
    try {
      result = await request(`/api/events/${encodeURIComponent(eventId)}/signups`, { method: "POST", body });
    } catch (error) {
      // No answer: the same key again answers what the first try stored, never a second sign-up.
      if (!(error instanceof ApiError) || error.status !== 0) throw error;
      result = await request(`/api/events/${encodeURIComponent(eventId)}/signups`, { method: "POST", body });
    }
    mine = result;
    save(`signup.${eventId}`, mine);
    renderDone(section(), view);
    $("#signup-h").focus();
  } catch (error) {
    showErrors(error);
  } finally {
    sending = false;
    if (submit.isConnected) {
      submit.disabled = false;
      submit.textContent = t("signup.submit");
    }
  }
}

async function sayWatching() {
  if (watchedSent || !mine || load(`watched.${eventId}`, false)) return;
  watchedSent = true;
  try {
    const token = encodeURIComponent(mine.watch_token);
    await request(`/api/events/${encodeURIComponent(eventId)}/signups/${token}/watched`, { method: "POST", body: {} });
    save(`watched.${eventId}`, true);
  } catch {
    watchedSent = false; // the next render (a state message, a reconnect) tries again
  }
}

/** Show the sign-up block while the event is scheduled; report "watching" once it is live.
 * `city` (optional): the viewer's city, which the form's city starts with. */
export function renderSignup(event, id, city = null) {
  if (!event) return;
  eventId = id;
  view = event;
  if (mine === null) mine = load(`signup.${eventId}`, null);
  if (event.state === "live") sayWatching();
  const box = section();
  box.hidden = event.state !== "scheduled";
  if (box.hidden || sending) return;
  if (mine) renderDone(box, event);
  else if (!$("#signup-form", box)) renderForm(box, event, city);
}
