// The polling skeleton shared by the host console's and the employer page's question panels
// (static/js/host_questions.js, static/js/employer_questions.js): every `pollMs` it reads the
// waiting questions and those shown under the card on screen, each from its index in the store
// (the poll costs what it lists, not every question of the fair), and hands them to the page's
// own `render`. A 401 or 403 (the token revoked or wrong) stops the polling. Each page keeps
// its own rendering and actions.
import { request } from "./api.js";

// startQuestionQueue({ base, token, pollMs, cardId, render }) -> { state, call, poll, stop }
//   base: the event's API base; token: the caller's token; cardId(): the card on screen or null;
//   render(): draws `state` (called after each poll; `render(true)` is the page's own business).
//   state: { questions, signature, busy: Set of question ids, drafts: Map id -> answer text }.
export function startQuestionQueue({ base, token, pollMs, cardId, render }) {
  const state = { questions: [], signature: "", busy: new Set(), drafts: new Map() };
  let inFlight = false;

  function call(path, options = {}) {
    return request(base + path, { token, ...options });
  }

  async function poll() {
    if (inFlight) return;
    inFlight = true;
    try {
      const onScreen = cardId();
      const [pending, shown] = await Promise.all([
        call("/questions?status=pending"),
        onScreen ? call(`/questions?shown=1&card_id=${encodeURIComponent(onScreen)}`) : { questions: [] },
      ]);
      state.questions = [...pending.questions, ...shown.questions];
      render();
    } catch (error) {
      if (error.status === 401 || error.status === 403) stop();
    } finally {
      inFlight = false;
    }
  }

  const timer = setInterval(poll, pollMs);
  function stop() {
    clearInterval(timer);
  }
  poll();
  return { state, call, poll, stop };
}

// redraw(panel, state, force, build): rebuilds `panel` with build() only when the questions
// changed (or `force`), so that a poll does not take away an answer being typed, and gives the
// focus back to the answer box that had it.
export function redraw(panel, state, force, build) {
  const signature = JSON.stringify(state.questions.map((q) => [q.question_id, q.status, q.answer]));
  if (!force && signature === state.signature && panel.dataset.built === "1") return;
  state.signature = signature;
  panel.dataset.built = "1";
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.questionId : null;
  build();
  if (focused) {
    const again = panel.querySelector(`textarea[data-question-id="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}
