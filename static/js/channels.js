// Channels on the staff page (issue 16): add one (视频号, 抖音, an official-account post) and
// get its own link and QR code; viewers who come through it, and their applications and hires,
// are counted under it (the "by channel" figures, figures.js).
import { $, h, toast } from "./dom.js";
import { t } from "./i18n.js";

/** Adds the channels panel to `container`; `call(path, options)` is the page's API call. */
export function setupChannels({ container, call, report }) {
  const input = h("input", { id: "channel-name", type: "text", maxlength: 30, required: true,
    autocomplete: "off", "aria-labelledby": "channel-name-label" });
  const form = h("form", { id: "channel-form", class: "channel-form" },
    h("label", { id: "channel-name-label", for: "channel-name" }, t("channels.name")), " ", input,
    " ", h("button", { type: "submit", class: "primary" }, t("channels.add")));
  const list = h("ul", { id: "channels", class: "channel-list" });
  const panel = h("section", { id: "channels-panel", class: "panel channels-panel",
    "aria-labelledby": "channels-h" },
  h("h2", { id: "channels-h" }, t("channels.title")),
  h("p", { class: "muted" }, t("channels.help")), form, list);
  container.append(panel);

  async function load() {
    try {
      const data = await call("/channels");
      list.replaceChildren(...(data.channels.length ? data.channels.map((c) =>
        h("li", { class: "channel", dataset: { channelId: c.id } },
          h("img", { src: c.qr, alt: t("channels.qr_alt", { name: c.name }), width: 96, height: 96 }),
          h("div", {}, h("strong", {}, c.name), h("br"),
            h("a", { href: c.link, target: "_blank", rel: "noopener", class: "channel-link" }, c.link))))
        : [h("li", { class: "muted" }, t("channels.none"))]));
    } catch (error) {
      report(error);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    try {
      await call("/channels", { method: "POST", body: { name } });
      input.value = "";
      toast(t("channels.added", { name }), "ok", 3000);
      await load();
    } catch (error) {
      report(error);
    }
  });
  load();
}
