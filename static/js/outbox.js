// The station's outbox: every application entered at a venue is kept on the device
// (localStorage) until the server has answered it, and sent in order with its own
// idempotency key, so a flaky venue network neither loses nor duplicates anyone.
//
// An entry: {key, job_id, job, name, phone, consent, state, answer, tries, at}. state:
//   "unsent"     waiting (not sent yet, or its last try got no answer / a retryable one);
//   "applied"    stored (201);  "duplicate"  the person had already applied (200);
//   "error"      refused for good (a 4xx other than 401/403/408/429): answer says why.
// A try that got no answer (network down, timeout, 408/429/5xx) is tried again after a
// backoff (1 s doubling to 30 s, with jitter), at once when the browser comes back online. The
// same key on every try: the server answers a repeat with its first answer and stores once.
// 401/403 stop sending (the token is wrong) and keep the entries. Sent entries keep the name
// and a masked phone (the tablet is shared), the last KEEP_SENT of them.
import { request } from "./api.js";
import { load, save } from "./storage.js";

const KEEP_SENT = 200;
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

export class Outbox {
  /** storageKey: where the entries live; path: the POST address; token: the station's. */
  constructor({ storageKey, path, token, onChange = () => {}, onRefused = () => {} }) {
    this.storageKey = storageKey;
    this.path = path;
    this.token = token;
    this.onChange = onChange;
    this.onRefused = onRefused;
    this.entries = load(storageKey, []) || [];
    this.delay = FIRST_DELAY_MS;
    this.timer = null;
    this.sending = false;
    this.stopped = false;
    this.lastError = null;
    window.addEventListener("online", () => this.retryNow());
  }

  unsent() {
    return this.entries.filter((e) => e.state === "unsent");
  }

  sent() {
    return this.entries.filter((e) => e.state !== "unsent").reverse();
  }

  /** Queue one person's application; it is stored on the device before anything is sent. */
  add(entry) {
    this.entries.push({ ...entry, key: newKey(), state: "unsent", tries: 0, at: Date.now() });
    this.persist();
    this.retryNow();
  }

  retryNow() {
    this.delay = FIRST_DELAY_MS;
    clearTimeout(this.timer);
    this.timer = null;
    this.flush();
  }

  persist() {
    const sent = this.entries.filter((e) => e.state !== "unsent");
    if (sent.length > KEEP_SENT) {
      const drop = new Set(sent.slice(0, sent.length - KEEP_SENT));
      this.entries = this.entries.filter((e) => !drop.has(e));
    }
    save(this.storageKey, this.entries);
    this.onChange(this);
  }

  async flush() {
    if (this.sending || this.stopped) return;
    this.sending = true;
    try {
      for (let entry = this.unsent()[0]; entry; entry = this.unsent()[0]) {
        const retry = await this.sendOne(entry);
        if (retry) {
          this.schedule();
          return;
        }
      }
      this.delay = FIRST_DELAY_MS;
    } finally {
      this.sending = false;
    }
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
    try {
      const answer = await request(this.path, { method: "POST", token: this.token, body });
      this.settle(entry, answer.duplicate ? "duplicate" : "applied", answer.application_id);
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

  settle(entry, state, answer) {
    entry.state = state;
    entry.answer = answer;
    entry.phone = maskPhone(entry.phone);
    entry.sent_at = Date.now();
    this.persist();
  }
}
