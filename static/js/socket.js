// A websocket that stays connected: it reconnects by itself with a growing, jittered delay,
// notices a silently dead connection (phones switching networks), and reports its state
// ("connecting", "live", "reconnecting", "offline") so the page can show it.

import { socketUrl } from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";

const MAX_DELAY_MS = 10000;

export class LiveSocket {
  /**
   * url: () => string, called before every attempt (so a resume cursor can be added).
   * onOpen(socket): after the connection opens (send an auth message here).
   * onMessage(message): every JSON message.
   * onStatus(state): the connection state changed.
   * ping: a message to send when the line has been quiet for pingAfterMs (null: none).
   * stop(closeEvent): return true to stop reconnecting (e.g. refused credentials).
   */
  constructor({ url, onOpen, onMessage, onStatus, ping = null, pingAfterMs = 20000,
    staleAfterMs = 45000, stop = () => false }) {
    Object.assign(this, { url, onOpen, onMessage, onStatus, ping, pingAfterMs, staleAfterMs, stop });
    this.ws = null;
    this.attempt = 0;
    this.state = "connecting";
    this.lastHeard = Date.now();
    this.retryTimer = null;
    this.stopped = false;
    this.watchdog = setInterval(() => this.check(), 5000);
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.check(true);
    });
    this.connect();
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    if (this.onStatus) this.onStatus(state);
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      if (this.onOpen) this.onOpen(this);
    };
    ws.onmessage = (event) => {
      this.lastHeard = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(message);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stop(event)) {
        this.stopped = true;
        this.setState("offline");
        return;
      }
      this.retry();
    };
  }

  /** The server has greeted us: the connection counts as live. */
  markLive() {
    this.attempt = 0;
    this.setState("live");
  }

  retry() {
    if (this.stopped || this.retryTimer !== null) return;
    this.setState("reconnecting");
    const base = Math.min(MAX_DELAY_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  reconnectNow() {
    if (this.stopped || this.open) return;
    this.attempt = 0;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
    this.connect();
  }

  send(message) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  check(now = false) {
    if (this.stopped) return;
    if (!this.ws) {
      if (now) this.reconnectNow();
      return;
    }
    if (!this.open) return;
    const quiet = Date.now() - this.lastHeard;
    if (quiet > this.staleAfterMs) {
      // No word for too long: the connection is dead even if the browser has not noticed.
      const ws = this.ws;
      this.ws = null;
      ws.close();
      this.retry();
    } else if (this.ping && quiet > this.pingAfterMs) {
      this.send(this.ping);
    }
  }
}

/**
 * The live numbers of the host console and the staff page (`/ws/host/{id}`): authenticates
 * with the page's token first, hands every `stats` message to onStats, and shows its state in
 * the page's #conn dot. A refused token (close 4401) ends it: reconnecting would not help.
 */
export function openStatsSocket({ eventId, token, onStats }) {
  const socket = new LiveSocket({
    url: () => socketUrl(`/ws/host/${encodeURIComponent(eventId)}`),
    onOpen: (s) => s.send({ type: "auth", token }),
    onMessage: (message) => {
      if (message.type === "welcome") socket.markLive();
      else if (message.type === "stats") onStats(message);
    },
    onStatus: (state) => {
      $("#conn").dataset.state = state;
      $("#conn-text").textContent = t(`conn.${state}`);
    },
    stop: (event) => event.code === 4401,
  });
  return socket;
}
