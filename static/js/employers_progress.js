// The staff page's "employers' progress": every employer of the jobs, its intents and
// outcomes reported, who has not reported yet, and a form that makes an employer's own link.
import { $, h, toast } from "./dom.js";
import { formatDateTime, formatNumber, onLangChange, t } from "./i18n.js";

const POLL_MS = 10000;
let rows = [];

/** Wire the section (#employers-progress) to `call` (the staff page's API call). */
export function initEmployerProgress({ call, report }) {
  const section = $("#employers-progress");
  if (!section) return;
  const load = async () => {
    try {
      rows = (await call("/employers")).employers;
      render();
    } catch (error) {
      report(error);
    }
  };
  $("#employer-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { name: form.elements.name.value.trim() };
    const contact = form.elements.contact.value.trim();
    if (contact) body.contact = contact;
    try {
      const made = await call("/employers", { method: "POST", body });
      const link = new URL(made.link, window.location.origin).href;
      $("#employer-made-label").textContent = t("staff.employer_link", { employer: made.employer });
      $("#employer-made-link").value = link;
      $("#employer-made").hidden = false;
      form.reset();
      await load();
    } catch (error) {
      const fields = error.fields || {};
      toast(fields.name ? `${t("staff.employer_name")}: ${fields.name}` : error.message);
    }
  });
  onLangChange(render);
  load();
  setInterval(load, POLL_MS);
}

function render() {
  const body = $("#employers-progress-rows");
  if (!body) return;
  body.replaceChildren(...rows.map((row) => h("tr", { dataset: { employer: row.employer, open: String(row.open) } },
    h("th", { scope: "row" }, row.employer, row.contact ? h("span", { class: "sub" }, ` ${row.contact}`) : null),
    h("td", { class: "num" }, formatNumber(row.tokens)),
    h("td", { class: "num" }, formatNumber(row.applications)),
    h("td", { class: "num" }, formatNumber(row.intents)),
    h("td", { class: "num" }, formatNumber(row.reported)),
    h("td", { class: row.open ? "num open" : "num" }, formatNumber(row.open)),
    h("td", { class: "num hires" }, formatNumber(row.hires)),
    h("td", {}, row.last_report_at ? formatDateTime(row.last_report_at) : t("staff.never")))));
}
