// Venues on the staff page (issue 16 part 4): make a venue (a hall or a service station), see
// how many checked in at each, its check-in link and QR code, hand out another desk (station)
// link, or revoke every desk link of a venue (a lost tablet). Counts follow the live stats.
import { h, toast } from "./dom.js";
import { formatNumber, t } from "./i18n.js";

/** Adds the venues panel to `container`; `call(path, options)` is the page's API call,
 * `report(error)` shows a failure. Returns `{ update(onsite) }` for the stats' `onsite`. */
export function setupVenues({ container, call, report }) {
  const name = h("input", { id: "venue-name", type: "text", maxlength: 50, required: true,
    autocomplete: "off" });
  const city = h("input", { id: "venue-city", type: "text", maxlength: 20, autocomplete: "off" });
  const kind = h("select", { id: "venue-kind" },
    h("option", { value: "hall" }, t("venues.hall")),
    h("option", { value: "station" }, t("venues.station")));
  const form = h("form", { id: "venue-form", class: "channel-form" },
    h("label", { for: "venue-name" }, t("venues.name")), " ", name, " ",
    h("label", { for: "venue-city" }, t("venues.city")), " ", city, " ",
    h("label", { for: "venue-kind" }, t("venues.kind")), " ", kind, " ",
    h("button", { type: "submit", class: "primary" }, t("venues.add")));
  const desk = h("p", { id: "venue-desk", class: "desk-link", hidden: true });
  const total = h("strong", { id: "venues-total" }, "0");
  const list = h("ul", { id: "venues", class: "channel-list" });
  container.append(h("section", { id: "venues-panel", class: "panel channels-panel",
    "aria-labelledby": "venues-h" },
  h("h2", { id: "venues-h" }, t("venues.title")),
  h("p", { class: "muted" }, t("venues.checked_in_total"), " ", total),
  form, desk, list));

  /** Shows a desk (station) link once: it holds the token, which the server never shows again. */
  function showDesk(venue, station) {
    desk.replaceChildren(t("venues.desk_link", { venue: venue.name }), " ",
      h("a", { href: station.url, target: "_blank", rel: "noopener", class: "station-link" },
        station.url));
    desk.hidden = false;
  }

  function item(v) {
    const more = h("button", { type: "button", class: "add-desk" }, t("venues.new_desk"));
    const revoke = h("button", { type: "button", class: "revoke-desks danger" },
      t("venues.revoke"));
    more.addEventListener("click", async () => {
      try {
        showDesk(v, await call(`/venues/${encodeURIComponent(v.id)}/stations`, { method: "POST" }));
      } catch (error) { report(error); }
    });
    revoke.addEventListener("click", async () => {
      if (!window.confirm(t("venues.revoke_confirm", { venue: v.name }))) return;
      try {
        const done = await call(`/venues/${encodeURIComponent(v.id)}/stations`,
          { method: "DELETE" });
        toast(t("venues.revoked", { n: done.revoked, venue: v.name }), "ok", 4000);
      } catch (error) { report(error); }
    });
    const kindText = v.kind === "station" ? t("venues.station") : t("venues.hall");
    return h("li", { class: "channel venue", dataset: { venueId: v.id } },
      h("img", { src: v.qr_url, alt: t("venues.qr_alt", { name: v.name }), width: 96, height: 96 }),
      h("div", {},
        h("strong", {}, v.name), ` · ${kindText}${v.city ? ` · ${v.city}` : ""}`, h("br"),
        t("venues.checked_in"), " ",
        h("span", { class: "venue-count num" }, formatNumber(v.checked_in)), h("br"),
        h("a", { href: v.checkin_url, target: "_blank", rel: "noopener", class: "checkin-link" },
          v.checkin_url), h("br"),
        more, " ", revoke));
  }

  async function load() {
    try {
      const data = await call("/venues");
      total.textContent = formatNumber(data.checked_in);
      list.replaceChildren(...(data.venues.length ? data.venues.map(item)
        : [h("li", { class: "muted" }, t("venues.none"))]));
    } catch (error) {
      report(error);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), kind: kind.value };
    if (!body.name) return;
    if (city.value.trim()) body.city = city.value.trim();
    try {
      const made = await call("/venues", { method: "POST", body });
      name.value = "";
      city.value = "";
      toast(t("venues.added", { name: made.venue.name }), "ok", 3000);
      showDesk(made.venue, made.station);
      await load();
    } catch (error) {
      report(error);
    }
  });
  load();

  return {
    /** The live stats' `onsite` ({checked_in, by_venue}): counts change without a reload. */
    update(onsite) {
      if (!onsite) return;
      total.textContent = formatNumber(onsite.checked_in);
      const known = new Set();
      for (const li of list.querySelectorAll("li.venue")) {
        const row = onsite.by_venue[li.dataset.venueId];
        known.add(li.dataset.venueId);
        if (row) li.querySelector(".venue-count").textContent = formatNumber(row.checked_in);
      }
      if (Object.keys(onsite.by_venue).some((id) => !known.has(id))) load(); // made elsewhere
    },
  };
}
