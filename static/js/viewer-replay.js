// Replay with its cards (issue 17): once the event has ended and staff have set a recording
// (PUT /api/events/{id}/replay), the viewer page plays it and shows each card again while the
// video is at that card's moment, however the viewer plays, pauses or seeks. Applications made
// meanwhile say so: source "replay" and the card showing (the server checks the card).
//
// HLS plays through hls.js (static/vendor/hls, loaded only for an HLS recording) where the
// browser has Media Source Extensions, natively where it has none but plays HLS itself (Safari
// and WeChat on iOS); MP4 and WebM play natively everywhere.
import { request } from "./api.js";
import { h } from "./dom.js";
import { t } from "./i18n.js";

const HLS_MODULE = "../vendor/hls/hls.light.esm.min.js";

let replay = null;      // {replay, cues, video, showing}: set once a recording plays
let starting = false;

/** Whether the page is showing a recording (the live stream box is then the replay's). */
export function replayActive() {
  return replay !== null;
}

/**
 * The fields an application made now adds to its body: none during the broadcast; after it,
 * {source: "replay"} and, when a card is showing in the recording, its card_id.
 */
export function replayFields() {
  if (!replay) return {};
  return replay.showing ? { source: "replay", card_id: replay.showing } : { source: "replay" };
}

/**
 * The cue on screen at `position` seconds into the recording: of the cues whose window holds
 * it (from_s <= position < to_s, to_s null: to the end), the one pushed last; null if none.
 * The same rule as liveevent/domain/replays.py card_at (the server computes the windows).
 */
export function cardAt(cues, position) {
  let showing = null;
  for (const cue of cues) {
    if (cue.from_s <= position && (cue.to_s === null || position < cue.to_s)) showing = cue;
  }
  return showing;
}

/**
 * Start the replay if the event has one: fetch it, put its video in `box` and call
 * `onCard(card or null)` whenever the card showing changes. Resolves true once the video is
 * in place, false when the event has no recording (or the page cannot play it).
 */
export async function startReplay({ eventId, box, onCard }) {
  if (replay || starting) return Boolean(replay);
  starting = true;
  try {
    const data = await request(`/api/events/${encodeURIComponent(eventId)}/replay`);
    if (!data.replay) return false;
    const video = h("video", {
      controls: true, playsinline: true, "webkit-playsinline": true, "x5-playsinline": true,
      preload: "metadata", "aria-label": t("replay.video"), "data-i18n-attr": "aria-label:replay.video",
    });
    replay = { replay: data.replay, cues: data.cues, video, showing: null };
    box.dataset.url = data.replay.url;
    box.hidden = false;
    box.replaceChildren(h("p", { class: "replay-note", "data-i18n": "replay.note" }, t("replay.note")), video);
    const sync = () => {
      const cue = cardAt(replay.cues, video.currentTime);
      const id = cue ? cue.card.card_id : null;
      if (id === replay.showing) return;
      replay.showing = id;
      box.dataset.showing = id || "";
      onCard(cue ? cue.card : null);
    };
    for (const name of ["timeupdate", "seeking", "seeked", "play", "pause", "loadedmetadata"]) {
      video.addEventListener(name, sync);
    }
    await attach(video, data.replay, box);
    sync();
    return true;
  } finally {
    starting = false;
  }
}

async function attach(video, recording, box) {
  if (!recording.hls) {
    video.src = recording.url;
    video.dataset.player = "native";
    return;
  }
  const nativeHls = video.canPlayType("application/vnd.apple.mpegurl") !== "";
  const mse = "MediaSource" in window || "ManagedMediaSource" in window;
  if (mse) {
    const { default: Hls } = await import(HLS_MODULE);
    if (Hls.isSupported()) {
      // No worker: it would need blob: in the page's CSP (worker-src), which stays closed.
      const hls = new Hls({ enableWorker: false });
      hls.on(Hls.Events.ERROR, (_event, info) => {
        if (info.fatal) showError(box);
      });
      hls.loadSource(recording.url);
      hls.attachMedia(video);
      video.dataset.player = "hls.js";
      return;
    }
  }
  if (nativeHls) {
    video.src = recording.url;
    video.dataset.player = "native";
    return;
  }
  showError(box);
}

function showError(box) {
  if (box.querySelector(".replay-error")) return;
  box.append(h("p", { class: "notice bad replay-error", role: "alert", "data-i18n": "replay.cannot_play" },
    t("replay.cannot_play")));
}
