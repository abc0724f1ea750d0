// localStorage that never throws (private modes and some in-app browsers refuse it).
const PREFIX = "liveevent.";

/** The localStorage name of ``key`` (what a "storage" event reports). */
export function storageName(key) {
  return PREFIX + key;
}

export function load(key, fallback = null) {
  try {
    const raw = window.localStorage.getItem(PREFIX + key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function save(key, value) {
  try {
    if (value === null || value === undefined) window.localStorage.removeItem(PREFIX + key);
    else window.localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // Storage full or refused: the page still works, it just forgets.
  }
}
