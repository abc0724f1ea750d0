// The viewer's place in a multi-city fair (issue 16): the city they say they are in, the
// channel whose link brought them, and a random viewer id, all kept in localStorage.
//
// A link can carry the city (/e/ID?city=宁波) and the channel (/e/ID?ch=<id>); the page
// remembers both per event, and a small chooser lets the viewer change the city. The card says
// whether its job is in the viewer's city; the list of earlier jobs puts that city first.
// Applications carry {city, channel}; the websocket hello tells the server who is watching
// from where (unique viewers by city and channel).
import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { load, save } from "./storage.js";

function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ViewerPlace {
  /** eventId: the event; onChange(): the city changed (re-render, say hello again). */
  constructor(eventId, { onChange = () => {} } = {}) {
    this.eventId = eventId;
    this.onChange = onChange;
    this.cities = [];
    const query = new URLSearchParams(window.location.search);
    this.linkCity = query.get("city");
    this.chosen = this.linkCity || load(`city.${eventId}`, null);
    const ch = query.get("ch");
    if (ch && /^[A-Za-z0-9_-]{1,64}$/.test(ch)) save(`channel.${eventId}`, ch);
    this.channelId = load(`channel.${eventId}`, null);
    this.viewerId = load("viewer", null);
    if (!this.viewerId || !/^[A-Za-z0-9_-]{1,64}$/.test(this.viewerId)) {
      this.viewerId = randomId();
      save("viewer", this.viewerId);
    }
  }

  /** The event's cities arrived (hello or GET): keep the chosen city only if it is one. */
  setEvent(event) {
    this.cities = (event && event.cities) || [];
    if (this.chosen && !this.cities.includes(this.chosen)) this.chosen = null;
    if (this.chosen) save(`city.${this.eventId}`, this.chosen);
    this.render();
  }

  get city() {
    return this.chosen && this.cities.includes(this.chosen) ? this.chosen : null;
  }

  /** What an application adds to its body. */
  attribution() {
    const out = {};
    if (this.city) out.city = this.city;
    if (this.channelId) out.channel = this.channelId;
    return out;
  }

  /** The websocket hello: who is watching, from which city, through which channel. */
  hello() {
    return { type: "hello", ref: "hello", viewer: this.viewerId, ...this.attribution() };
  }

  /** An error answering our hello: forget a channel the event does not know. True if ours. */
  helloError(message) {
    if (message.ref !== "hello") return false;
    const fields = message.fields || {};
    if (fields.channel) {
      this.channelId = null;
      save(`channel.${this.eventId}`, null);
    }
    if (fields.city) this.choose(null);
    return true;
  }

  /** An application refused for its city or channel: forget them. True if it was that. */
  forgetRefused(error) {
    const fields = (error && error.fields) || {};
    if (!fields.city && !fields.channel) return false;
    if (fields.channel) {
      this.channelId = null;
      save(`channel.${this.eventId}`, null);
    }
    if (fields.city) this.choose(null);
    return true;
  }

  choose(city) {
    this.chosen = city || null;
    save(`city.${this.eventId}`, this.chosen);
    this.render();
    this.onChange();
  }

  /** The city badge of a job's card or list item, or null. */
  badge(job) {
    if (!this.city || !job.city) return null;
    const here = job.city === this.city;
    return h("p", { class: "city-badge" + (here ? " here" : ""), dataset: { city: job.city } },
      here ? t("city.here", { city: job.city }) : t("city.elsewhere", { city: job.city }));
  }

  /** The earlier jobs with the viewer's city first, each group in its given order. */
  ownCityFirst(items) {
    const city = this.city;
    if (!city) return items;
    return [...items.filter((i) => i.job.city === city), ...items.filter((i) => i.job.city !== city)];
  }

  render() {
    let box = $("#city-chooser");
    if (!this.cities.length) {
      if (box) box.hidden = true;
      return;
    }
    if (!box) {
      box = h("div", { id: "city-chooser", class: "city-chooser" });
      const current = $("#current");
      current.parentNode.insertBefore(box, current);
    }
    box.hidden = false;
    const select = h("select", { id: "city-select", "aria-label": t("city.label") },
      h("option", { value: "" }, t("city.choose")),
      ...this.cities.map((c) => h("option", { value: c }, c)));
    select.value = this.city || "";
    select.addEventListener("change", () => this.choose(select.value));
    box.replaceChildren(h("label", { for: "city-select" }, t("city.label")), " ", select);
  }
}
