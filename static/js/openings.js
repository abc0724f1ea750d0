// Positions remaining: a job's openings minus its confirmed hires (issue 16, part 3).
// The rule is liveevent/domain/openings.py's `remaining`, mirrored here; the table of cases in
// tests/data/openings.json holds both to the same answers. The viewer page keeps each job's
// hires, learnt from the hello, GET /cards and live "openings" messages, newest cursor winning.
import { h } from "./dom.js";
import { t } from "./i18n.js";

/**
 * What is left of `job`'s openings after `hires` confirmed hires: {kind, low, high, hires,
 * filled}. `job.openings` is the low end (null: open), `job.openings_max` the top end (null:
 * open; left out: the same as openings, an exact count). kind: exact | range | up_to |
 * at_least | open | filled (the table in liveevent/domain/openings.py).
 */
export function remaining(job, hires) {
  const h = Math.max(0, hires || 0);
  const low = job.openings ?? null;
  const high = job.openings_max === undefined ? low : job.openings_max;
  const out = (kind, l, hi) => ({ kind, low: l, high: hi, hires: h, filled: kind === "filled" });
  if (high === null) {
    if (low !== null && h < low) return out("at_least", low - h, null);
    return out("open", null, null);
  }
  if (h >= high) return out("filled", 0, 0);
  if (low !== null && low === high) return out("exact", high - h, high - h);
  if (low !== null && h < low) return out("range", low - h, high - h);
  return out("up_to", null, high - h);
}

/** The words for a `remaining` answer ("剩5个名额", "已招满"; "" when there is nothing to say). */
export function remainingText(left) {
  switch (left.kind) {
    case "exact": return t("remaining.exact", { n: left.low });
    case "range": return t("remaining.range", { low: left.low, high: left.high });
    case "up_to": return t("remaining.up_to", { n: left.high });
    case "at_least": return t("remaining.at_least", { n: left.low });
    case "filled": return t("remaining.filled");
    default: return left.hires > 0 ? t("remaining.open", { n: left.hires }) : "";
  }
}

/** Whether timeline cursor `a` ("ms-seq") is at or after `b` (null: the very start). */
export function cursorAtOrAfter(a, b) {
  if (!b) return true;
  if (!a) return false;
  const [am, as] = a.split("-").map(Number);
  const [bm, bs] = b.split("-").map(Number);
  return am > bm || (am === bm && as >= bs);
}

/**
 * Each job's confirmed hires as the page knows them, with the cursor each was learnt at: a
 * count read at an older cursor never replaces a newer one (a slow GET /cards answer must not
 * undo a live "openings" message). `onChange(jobId)` is called when a job's count changes.
 */
export class HireBook {
  constructor(onChange) {
    this.hires = new Map(); // job id -> {n, at}
    this.onChange = onChange;
  }

  learn(jobId, n, at) {
    const held = this.hires.get(jobId);
    if (held && !cursorAtOrAfter(at, held.at)) return;
    this.hires.set(jobId, { n, at });
    if (!held || held.n !== n) this.onChange(jobId, held ? held.n : null, n);
  }

  learnAll(map, at) {
    for (const [jobId, n] of Object.entries(map || {})) this.learn(jobId, n, at);
  }

  of(jobId) {
    const held = this.hires.get(jobId);
    return held ? held.n : 0;
  }

  left(job) {
    return remaining(job, this.of(job.id));
  }
}

/** A card's or list row's "places left" line (null when there is nothing to say). */
export function remainingLine(left, { full = false } = {}) {
  const text = remainingText(left);
  if (!text) return null;
  const line = h("p", {
    class: "remaining" + (left.filled ? " filled" : ""), dataset: { kind: left.kind },
  }, text);
  if (full && left.filled) {
    return h("div", { class: "remaining-box" }, line, h("p", { class: "waitlist-note" }, t("remaining.waitlist_note")));
  }
  return line;
}
