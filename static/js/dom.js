// Tiny DOM builder: h("p", {class: "x"}, "text", child). Text is always text, never HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** Say `text` to screen readers through a live region (cleared first so repeats are heard). */
export function announce(region, text) {
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

/** Show a short message in the page's #toast box; it hides itself after `ms`. */
export function toast(text, kind = "bad", ms = 6000) {
  const el = $("#toast");
  el.textContent = text;
  el.className = `notice ${kind} toast`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, ms);
}
