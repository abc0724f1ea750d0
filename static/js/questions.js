// Questions on the card on screen (viewer page): the questions shown under the card (masked
// names, answers) and a small "提问" form. Shown questions arrive in the socket's hello and as
// "question" timeline messages; asking goes over HTTP with an idempotency key, so a retry after
// a lost answer is the same question.
import { ApiError, request } from "./api.js";
import { $, h } from "./dom.js";
import { t } from "./i18n.js";

const MAX_TEXT = 200;
const MAX_NAME = 20;

function randomKey() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function createQuestions({ eventId, defaultName, isLive = () => true }) {
  const state = {
    card: null,            // the card on screen (its id decides what is shown)
    shown: new Map(),      // question id -> public question, of the card on screen
    sending: false,
    note: "",              // the last result of asking: "sent" or an error text
    noteKind: "",
    key: null,             // the idempotency key of the question being sent (kept on retry)
  };

  function slot() {
    return $("#questions-slot");
  }

  function setCard(card) {
    const id = card ? card.card_id : null;
    const before = state.card ? state.card.card_id : null;
    state.card = card;
    if (id !== before) {
      state.shown.clear();
      state.note = "";
      state.key = null;
    }
    render();
  }

  /** The hello's questions (absent on a resume: the page has them), for ``card``: the card
   * the page shows (a replay drives its own card; then none of these is under it). */
  function onHello(message, card) {
    setCard(card);
    if (Array.isArray(message.questions)) {
      state.shown.clear();
      for (const q of message.questions) upsert(q);
    }
    render();
  }

  function upsert(question) {
    if (!question || !state.card || question.card_id !== state.card.card_id) return;
    if (question.status === "approved" || question.status === "answered") {
      state.shown.set(question.question_id, question);
    } else {
      state.shown.delete(question.question_id);
    }
  }

  function onQuestion(message) {
    upsert(message.question);
    render();
  }

  function questionItem(q) {
    const who = q.name || t("questions.anonymous");
    return h("li", { class: "question", dataset: { questionId: q.question_id } },
      h("p", { class: "q-text" },
        h("span", { class: "q-who" }, who), "：", q.text),
      q.answer
        ? h("p", { class: "q-answer" },
          h("span", { class: "q-label" }, t("questions.answer")), " ", q.answer)
        : null);
  }

  // The form is built once (and again on a language change): a question arriving while the
  // viewer types must not take the focus or the text away.
  let els = null;

  function build() {
    const name = h("input", {
      id: "q-name", name: "name", type: "text", maxlength: MAX_NAME, autocomplete: "nickname",
      placeholder: t("questions.name_hint"),
    });
    name.value = (defaultName() || "").slice(0, MAX_NAME);
    const text = h("textarea", {
      id: "q-text", name: "text", rows: 2, maxlength: MAX_TEXT, required: true,
      placeholder: t("questions.text_hint"), "aria-describedby": "q-note",
    });
    const note = h("p", { id: "q-note", class: "q-note", "aria-live": "polite" });
    const submit = h("button", { id: "q-submit", type: "submit", class: "primary" });
    const form = h("form", { id: "ask-form", class: "ask-form", novalidate: true },
      h("label", { for: "q-text", class: "visually-hidden" }, t("questions.title")),
      text,
      h("label", { for: "q-name", class: "q-name-label" }, t("questions.name")),
      name,
      h("p", { class: "hint" }, t("questions.privacy")),
      note,
      submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(name, text);
    });
    const head = h("h3", { class: "q-head" }, t("questions.heading"));
    const list = h("div", { class: "q-list" });
    // Folded under a "提问" line: the card and its answers stay in view on a small phone.
    const details = h("details", { id: "ask", class: "ask" },
      h("summary", { class: "ask-summary" }, t("questions.title")), form);
    if (els) { // a rebuild keeps what was typed, and the form open if it was
      name.value = els.name.value;
      text.value = els.text.value;
      details.open = els.details.open;
    }
    els = { head, list, form, details, name, text, note, submit };
    const box = slot();
    if (box) box.replaceChildren(head, list, details);
  }

  function render() {
    const box = slot();
    if (!box) return;
    if (!els || !box.contains(els.details)) build();
    box.hidden = !state.card;
    if (!state.card) return;
    els.details.hidden = !isLive(); // questions are asked only while the fair is live
    const items = Array.from(state.shown.values())
      .sort((a, b) => (a.asked_at < b.asked_at ? -1 : a.asked_at > b.asked_at ? 1 : 0));
    els.list.replaceChildren(items.length
      ? h("ul", { id: "question-list", class: "question-list" }, items.map(questionItem))
      : h("p", { class: "muted", id: "question-empty" }, t("questions.empty")));
    els.note.textContent = state.note;
    els.note.className = `q-note ${state.noteKind}`;
    els.submit.disabled = state.sending;
    els.submit.textContent = state.sending ? t("questions.sending") : t("questions.ask");
  }

  function relabel() {
    build();
    render();
  }

  function errorText(error) {
    if (error.status === 429) return t("questions.err_rate");
    if (error.status === 409) return t("questions.err_card");
    const fields = error.fields || {};
    if (fields.text && /phone/.test(fields.text)) return t("questions.err_phone");
    if (fields.name && /phone/.test(fields.name)) return t("questions.err_phone");
    if (fields.text) return t("questions.err_text");
    if (fields.name) return t("questions.err_name");
    if (error.status === 0) return t("questions.err_network");
    return t("questions.err_other");
  }

  async function send(nameInput, textInput) {
    const name = nameInput.value.trim();
    const text = textInput.value;
    if (!state.card || state.sending) return;
    if (!text.trim()) {
      state.note = t("questions.err_text");
      state.noteKind = "bad";
      render();
      return;
    }
    state.key = state.key || randomKey();
    state.sending = true;
    state.note = "";
    render();
    const body = { card_id: state.card.card_id, text, idempotency_key: state.key };
    if (name) body.name = name;
    try {
      await request(`/api/events/${encodeURIComponent(eventId)}/questions`, { method: "POST", body });
      state.note = t("questions.sent");
      state.noteKind = "good";
      state.key = null;
      textInput.value = "";
    } catch (error) {
      state.note = errorText(error instanceof ApiError ? error : new ApiError(0, "network", ""));
      state.noteKind = "bad";
      if (error instanceof ApiError && error.status !== 0) state.key = null;
    } finally {
      state.sending = false;
      render();
    }
  }

  return { setCard, onHello, onQuestion, render: relabel };
}
