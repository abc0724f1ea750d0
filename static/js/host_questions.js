// The host console's queue of viewers' questions (issue 17 part 2): waiting questions with
// show / hide / answer, and those shown under the card on screen, read every 2 s from the API
// (each from its index in the store). Host and staff tokens may use it.
import { $, h } from "./dom.js";
import { t } from "./i18n.js";
import { redraw, startQuestionQueue } from "./question_queue.js";

const POLL_MS = 2000;

export function startHostQuestions({ base, token, report, currentCardId }) {
  const { state, call, poll } = startQuestionQueue({
    base, token, pollMs: POLL_MS, cardId: currentCardId, render: () => render(),
  });

  async function moderate(question, action, answer) {
    if (state.busy.has(question.question_id)) return;
    state.busy.add(question.question_id);
    render(true);
    try {
      const body = { action };
      if (answer !== undefined) body.answer = answer;
      await call(`/questions/${encodeURIComponent(question.question_id)}`, { method: "POST", body });
      if (action === "answer") state.drafts.delete(question.question_id);
      await poll();
    } catch (error) {
      report(error);
    } finally {
      state.busy.delete(question.question_id);
      render(true);
    }
  }

  function item(question, { pending }) {
    const id = question.question_id;
    const busy = state.busy.has(id);
    const answer = h("textarea", {
      class: "q-answer-input", rows: 2, maxlength: 500, placeholder: t("hostq.answer_hint"),
      "aria-label": t("hostq.answer_hint"), dataset: { questionId: id },
    });
    answer.value = state.drafts.get(id) ?? (question.answer || "");
    answer.addEventListener("input", () => state.drafts.set(id, answer.value));
    const buttons = [];
    if (pending) {
      buttons.push(h("button", { type: "button", class: "primary", disabled: busy,
        dataset: { action: "approve" }, onclick: () => moderate(question, "approve") },
      t("hostq.approve")));
    }
    buttons.push(h("button", { type: "button", disabled: busy, dataset: { action: "answer" },
      onclick: () => answer.value.trim() && moderate(question, "answer", answer.value) },
    t("hostq.answer")));
    buttons.push(h("button", { type: "button", class: "danger", disabled: busy,
      dataset: { action: "hide" }, onclick: () => moderate(question, "hide") }, t("hostq.hide")));
    return h("li", { class: "host-question", dataset: { questionId: id, status: question.status } },
      h("p", { class: "q-text" },
        h("strong", {}, question.name || t("hostq.anonymous")), "：", question.text),
      h("p", { class: "muted" }, `${question.employer} · ${question.job_id}`),
      answer,
      h("div", { class: "q-actions" }, buttons));
  }

  function render(force = false) {
    const panel = $("#questions-panel");
    if (!panel) return;
    redraw(panel, state, force, () => {
      const pending = state.questions.filter((q) => q.status === "pending");
      const shown = state.questions.filter((q) => q.status === "approved" || q.status === "answered");
      panel.replaceChildren(
        h("h2", { id: "questions-h" }, t("hostq.heading"), " ",
          h("span", { class: "count", id: "questions-count" }, pending.length ? `(${pending.length})` : "")),
        pending.length
          ? h("ul", { id: "question-queue", class: "question-queue" }, pending.map((q) => item(q, { pending: true })))
          : h("p", { class: "muted", id: "question-queue-empty" }, t("hostq.empty")),
        shown.length ? h("h3", {}, t("hostq.shown")) : null,
        shown.length
          ? h("ul", { id: "question-shown", class: "question-queue" }, shown.map((q) => item(q, { pending: false })))
          : null);
    });
  }

  return { render: () => render(true), poll };
}
