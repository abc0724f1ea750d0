// On-site check-ins on the host console (issue 16 part 4): a tile with everyone checked in at
// the fair's venues, and a line per venue, from the live stats' `onsite`.
import { h } from "./dom.js";
import { formatNumber, t } from "./i18n.js";

/** Shows `onsite` ({checked_in, by_venue: {id: {name, checked_in}}}) after `tiles`; nothing
 * when the event has no venue. */
export function renderOnsite(onsite, tiles) {
  if (!tiles || !onsite) return;
  const venues = Object.values(onsite.by_venue || {});
  let tile = document.getElementById("onsite-tile");
  if (!venues.length) {
    if (tile) tile.hidden = true;
    return;
  }
  if (!tile) {
    tile = h("div", { id: "onsite-tile", class: "tile" },
      h("span", { class: "tile-n", id: "n-onsite" }, "0"),
      h("span", { class: "tile-label" }, t("onsite.checked_in")),
      h("span", { class: "tile-label onsite-venues", id: "onsite-venues" }));
    tiles.append(tile);
  }
  tile.hidden = false;
  tile.querySelector("#n-onsite").textContent = formatNumber(onsite.checked_in);
  tile.querySelector("#onsite-venues").textContent = venues
    .map((v) => `${v.name} ${formatNumber(v.checked_in)}`).join(" · ");
}
