// A page older viewers can read (issue 17, 长辈模式): one tap turns on large text (body text
// 1.3x, line spacing 1.5, targets at least 48 px: the 适老化 norms; the sizes are in
// static/css/viewer.css under html.elder), remembered on the device. And a button that reads
// the card aloud with the browser's speech synthesis, in the page's language, shown only where
// the browser has a voice for it.
import { h } from "./dom.js";
import { lang, t } from "./i18n.js";
import { load, save } from "./storage.js";

const KEY = "elder";

/** Turn large text on or off (and remember it); `on` undefined toggles. */
export function setElder(on) {
  const root = document.documentElement;
  const next = on === undefined ? !root.classList.contains("elder") : Boolean(on);
  root.classList.toggle("elder", next);
  for (const button of document.querySelectorAll("[data-elder-toggle]")) {
    button.setAttribute("aria-pressed", String(next));
  }
  save(KEY, next);
}

/**
 * Wire the toggle buttons ([data-elder-toggle]) and apply the remembered choice; `onVoices` is
 * called when the browser's voices arrive (they load late), so the page can show the
 * read-aloud button.
 */
export function initElder({ onVoices } = {}) {
  setElder(load(KEY, false));
  for (const button of document.querySelectorAll("[data-elder-toggle]")) {
    button.addEventListener("click", () => setElder());
  }
  if (window.speechSynthesis && onVoices) {
    window.speechSynthesis.addEventListener("voiceschanged", onVoices);
  }
}

function speechLang() {
  return lang() === "en" ? "en" : "zh";
}

function voiceFor(code) {
  if (!window.speechSynthesis || !window.SpeechSynthesisUtterance) return null;
  const voices = window.speechSynthesis.getVoices() || [];
  return voices.find((v) => (v.lang || "").toLowerCase().replace("_", "-").startsWith(code)) || null;
}

/**
 * A button that reads `text` aloud (a job's employer, title, pay, place and headcount), or
 * null where the browser has no voice for the page's language: then there is nothing to press.
 */
export function readAloudButton(text, label) {
  const code = speechLang();
  if (!voiceFor(code)) return null;
  const button = h("button", {
    type: "button", class: "read-aloud", "aria-label": t("elder.read_label", { job: label }),
    "aria-pressed": "false",
  }, h("span", { "aria-hidden": "true" }, "🔊 "), t("elder.read"));
  button.addEventListener("click", () => {
    const synth = window.speechSynthesis;
    if (button.getAttribute("aria-pressed") === "true") {
      synth.cancel();
      return;
    }
    synth.cancel();
    const utterance = new window.SpeechSynthesisUtterance(text);
    utterance.lang = code === "en" ? "en-US" : "zh-CN"; // the browser picks its voice for it
    utterance.rate = 0.9; // a little slower than the default, for older listeners
    const done = () => {
      button.setAttribute("aria-pressed", "false");
      button.lastChild.textContent = t("elder.read");
    };
    utterance.addEventListener("end", done);
    utterance.addEventListener("error", done);
    button.setAttribute("aria-pressed", "true");
    button.lastChild.textContent = t("elder.stop");
    synth.speak(utterance);
  });
  return button;
}
