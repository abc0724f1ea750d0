// Strings come from one catalogue per language (static/i18n/*.js). Chinese is the default;
// the reader's choice is remembered on the device. Markup uses data-i18n="key" for text and
// data-i18n-attr="attr:key;attr:key" for attributes; scripts call t("key", {vars}).
import { load, save } from "./storage.js";

export const LANGUAGES = { "zh-CN": "中文", en: "English" };
const DEFAULT = "zh-CN";

let current = DEFAULT;
let strings = {};
let fallback = {};
const listeners = [];

function known(lang) {
  return Object.prototype.hasOwnProperty.call(LANGUAGES, lang) ? lang : null;
}

async function catalogue(lang) {
  const module = await import(`../i18n/${lang}.js`);
  return module.default;
}

export function lang() {
  return current;
}

export async function initI18n() {
  const asked = new URLSearchParams(window.location.search).get("lang");
  current = known(asked) || known(load("lang")) || DEFAULT;
  fallback = await catalogue(DEFAULT);
  strings = current === DEFAULT ? fallback : await catalogue(current);
  document.documentElement.lang = current;
  translate(document);
  for (const button of document.querySelectorAll("[data-lang-toggle]")) {
    button.addEventListener("click", () => setLang(current === "en" ? "zh-CN" : "en"));
  }
  labelToggles();
}

export async function setLang(next) {
  if (!known(next) || next === current) return;
  strings = next === DEFAULT ? fallback : await catalogue(next);
  current = next;
  save("lang", next);
  document.documentElement.lang = next;
  translate(document);
  labelToggles();
  for (const listener of listeners) listener(next);
}

export function onLangChange(listener) {
  listeners.push(listener);
}

/** The string for `key`, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  let text = strings[key] ?? fallback[key] ?? key;
  for (const [name, value] of Object.entries(vars)) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

export function translate(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

function labelToggles() {
  const other = current === "en" ? "zh-CN" : "en";
  for (const button of document.querySelectorAll("[data-lang-toggle]")) {
    button.textContent = LANGUAGES[other];
    button.setAttribute("lang", other);
    button.setAttribute("aria-label", t("lang.switch"));
  }
}

export function formatDateTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return new Intl.DateTimeFormat(current, {
    month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit",
  }).format(date);
}

export function formatTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(current, { hour: "2-digit", minute: "2-digit", second: "2-digit" })
    .format(new Date(iso));
}

export function formatClock(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(current, { hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
}

export function formatNumber(n) {
  return new Intl.NumberFormat(current).format(n ?? 0);
}
