// The station's outbox: every application entered at a venue is kept on the device
// (localStorage) until the server has answered it, and sent in order with its own
// idempotency key, so a flaky venue network neither loses nor duplicates anyone.
//
// An entry: {key, job_id, job, name, phone, consent, consent_version, consent_to, state,
// answer, tries, at}. state:
//   "unsent"     waiting (not sent yet, or its last try got no answer / a retryable one);
//   "applied"    stored (201);  "duplicate"  the person had already applied (200);
//   "error"      refused for good (a 4xx other than 401/403/408/429): answer says why.
// A try that got no answer (network down, timeout, 408/429/5xx) is tried again after a
// backoff (1 s doubling to 30 s, with jitter), at once when the browser comes back online. The
// same key on every try: the server answers a repeat with its first answer and stores once.
// 401/403 stop sending (the token is wrong) and keep the entries. Sent entries keep the name
// and a masked phone (the tablet is shared), the last KEEP_SENT of them, for KEEP_SENT_MS.
//
// Several tabs of the page on one tablet share the one list: every write first merges what is
// stored (by key; a sent copy wins over an unsent one), so no tab overwrites another's
// entries, and a tab hears the others' writes (the "storage" event). One tab sends at a time
// (a Web Lock, where the browser has them: secure contexts); without one, two tabs may send
// the same entry, which its idempotency key makes harmless.
//
// Each entry belongs to the venue whose page queued it (entry.venue): a page sends only its
// own venue's entries, so one tablet used with two venues' links never credits a person to
// the wrong venue; the other venue's entries wait, shown, for that venue's link.
import { request } from "./api.js";
import { load, save, storageName } from "./storage.js";

const KEEP_SENT = 200;
// A sent entry (a name, a masked phone, the job) stays on the shared tablet this long, no more.
const KEEP_SENT_MS = 12 * 60 * 60 * 1000;
const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30000;
const RETRY_STATUSES = new Set([0, 408, 429, 500, 502, 503, 504]);

export function newKey() {
  // crypto.randomUUID needs a secure context; a venue's LAN server may be plain http.
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "st-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function maskPhone(phone) {
  const text = String(phone || "");
  if (text.length <= 7) return "*".repeat(text.length);
  return text.slice(0, 3) + "*".repeat(text.length - 7) + text.slice(-4);
}

/** The more advanced of two copies of one entry: a sent one, else the one tried more. */
function newer(a, b) {
  const sentA = a.state !== "unsent";
  const sentB = b.state !== "unsent";
  if (sentA !== sentB) return sentA ? a : b;
  return (b.tries || 0) > (a.tries || 0) ? b : a;
}

/** Two tabs' lists as one: every key once (its most advanced copy), in the order added. */
export function mergeEntries(mine, stored) {
  const byKey = new Map();
  for (const entry of [...(stored || []), ...(mine || [])]) {
    if (!entry || !entry.key) continue;
    const had = byKey.get(entry.key);
    byKey.set(entry.key, had ? newer(had, entry) : entry);
  }
  return [...byKey.values()].sort((a, b) => (a.at || 0) - (b.at || 0));
}

/** ``entries`` without those sent over KEEP_SENT_MS ago (unsent ones are always kept). */
function fresh(entries) {
  const since = Date.now() - KEEP_SENT_MS;
  return entries.filter((e) => e.state === "unsent" || (e.sent_at || e.at || 0) >= since);
}

export class Outbox {
  /** storageKey: where the entries live; venue: this page's venue id ("" if unknown);
   * venueName: its name; pathFor(venueId): the POST address; token: the station's. */
  constructor({
    storageKey, venue = "", venueName = "", pathFor, token,
    onChange = () => {}, onRefused = () => {},
  }) {
    this.storageKey = storageKey;
    this.venue = venue;
    this.venueName = venueName;
    this.pathFor = pathFor;
    this.token = token;
    this.onChange = onChange;
    this.onRefused = onRefused;
    this.entries = fresh(mergeEntries([], load(storageKey, [])));
    this.delay = FIRST_DELAY_MS;
    this.timer = null;
    this.sending = false;
    this.stopped = false;
    this.lastError = null;
    window.addEventListener("online", () => this.retryNow());
    window.addEventListener("storage", (event) => {
      if (event.key !== storageName(this.storageKey)) return;
      this.reload();
      this.onChange(this);
      if (this.sendable().length) this.flush();
    });
  }

  unsent() {
    return this.entries.filter((e) => e.state === "unsent");
  }

  /** The unsent entries this page may send: its own venue's. */
  sendable() {
    if (!this.venue) return [];
    return this.unsent().filter((e) => (e.venue || this.venue) === this.venue);
  }

  /** Whether an entry waits for another venue's page. */
  elsewhere(entry) {
    return Boolean(entry.venue && entry.venue !== this.venue);
  }

  sent() {
    return this.entries.filter((e) => e.state !== "unsent").reverse();
  }

  /** Queue one person's application; it is stored on the device before anything is sent. */
  add(entry) {
    this.reload();
    this.entries.push({
      ...entry, venue: this.venue, venue_name: this.venueName,
      key: newKey(), state: "unsent", tries: 0, at: Date.now(),
    });
    this.persist();
    this.retryNow();
  }

  retryNow() {
    this.delay = FIRST_DELAY_MS;
    clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }

  /** Fold in what the other tabs stored (no write). */
  reload() {
    this.entries = fresh(mergeEntries(this.entries, load(this.storageKey, [])));
  }

  persist() {
    this.reload();
    const sent = this.entries.filter((e) => e.state !== "unsent");
    if (sent.length > KEEP_SENT) {
      const drop = new Set(sent.slice(0, sent.length - KEEP_SENT));
      this.entries = this.entries.filter((e) => !drop.has(e));
    }
    save(this.storageKey, this.entries);
    this.onChange(this);
  }

  async flush() {
    if (this.sending || this.stopped || !this.venue) return;
    this.sending = true;
    try {
      if (navigator.locks) {
        const name = `liveevent.${this.storageKey}.sender`;
        const held = await navigator.locks.request(name, { ifAvailable: true }, async (lock) => {
          if (!lock) return false;
          await this.drain();
          return true;
        });
        if (!held) this.schedule(); // another tab is sending: look again later
      } else {
        await this.drain();
      }
    } finally {
      this.sending = false;
    }
  }

  async drain() {
    this.reload();
    for (let entry = this.sendable()[0]; entry; entry = this.sendable()[0]) {
      const retry = await this.sendOne(entry);
      if (retry) {
        this.schedule();
        return;
      }
      this.reload();
    }
    this.delay = FIRST_DELAY_MS;
  }

  schedule() {
    if (this.stopped || this.timer) return;
    const wait = this.delay * (0.75 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.timer = setTimeout(() => { this.timer = null; this.flush(); }, wait);
  }

  /** Send one entry; true when it must be tried again later. */
  async sendOne(entry) {
    entry.tries += 1;
    const body = {
      job_id: entry.job_id, name: entry.name, phone: entry.phone,
      consent: entry.consent, idempotency_key: entry.key,
    };
    // Which consent text the person ticked and the employer it named (absent in entries
    // queued before the station showed it: the employer then sees them masked).
    if (entry.consent_version) body.consent_version = entry.consent_version;
    if (entry.consent_to) body.consent_to = entry.consent_to;
    try {
      const path = this.pathFor(entry.venue || this.venue);
      const answer = await request(path, { method: "POST", token: this.token, body });
      this.settle(entry, answer.duplicate ? "duplicate" : "applied", answer.application_id,
        { waitlist: answer.waitlist === true }); // a filled job's waiting list (issue 16)
      this.lastError = null;
      return false;
    } catch (error) {
      if (RETRY_STATUSES.has(error.status)) {
        this.lastError = error;
        this.persist();
        return true;
      }
      if (error.status === 401 || error.status === 403) {
        this.stopped = true;
        this.lastError = error;
        this.persist();
        this.onRefused(error);
        return true;
      }
      const fields = Object.keys(error.fields || {}).join(", ");
      this.settle(entry, "error", fields ? `${error.message} (${fields})` : error.message);
      return false;
    }
  }

  settle(entry, state, answer, extra = {}) {
    // A new copy, not the old one changed: the merge then prefers it to any unsent copy.
    const settled = {
      ...entry, ...extra, state, answer, phone: maskPhone(entry.phone), sent_at: Date.now(),
    };
    this.entries = this.entries.map((e) => (e.key === entry.key ? settled : e));
    if (!this.entries.includes(settled)) this.entries.push(settled);
    this.persist();
  }
}
