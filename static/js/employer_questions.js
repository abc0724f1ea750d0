// The employer page's questions (issue 17 part 2): viewers' questions about the employer's own
// jobs, waiting or shown under its card on screen, each with an answer box. The server gives an
// employer token only its own jobs' questions and lets it only answer (not show or hide); an
// answer shows the question with it to every viewer. Read every 3 s, each list from its index.
import { $, h, toast } from "./dom.js";
import { t } from "./i18n.js";
import { redraw, startQuestionQueue } from "./question_queue.js";

const POLL_MS = 3000;

export function startEmployerQuestions({ base, token, report, onScreenCardId, jobTitle }) {
  const { state, call, poll } = startQuestionQueue({
    base, token, pollMs: POLL_MS, cardId: onScreenCardId, render: () => render(),
  });

  async function answer(question, text) {
    const id = question.question_id;
    if (state.busy.has(id) || !text.trim()) return;
    state.busy.add(id);
    render(true);
    try {
      await call(`/questions/${encodeURIComponent(id)}`, {
        method: "POST", body: { action: "answer", answer: text },
      });
      state.drafts.delete(id);
      toast(t("employerq.answered"), "ok", 2500);
      await poll();
    } catch (error) {
      report(error);
    } finally {
      state.busy.delete(id);
      render(true);
    }
  }

  function item(question) {
    const id = question.question_id;
    const box = h("textarea", {
      class: "q-answer-input", rows: 2, maxlength: 500, placeholder: t("hostq.answer_hint"),
      "aria-label": t("hostq.answer_hint"), dataset: { questionId: id },
    });
    box.value = state.drafts.get(id) ?? (question.answer || "");
    box.addEventListener("input", () => state.drafts.set(id, box.value));
    const send = h("button", {
      type: "button", class: "primary", disabled: state.busy.has(id), dataset: { action: "answer" },
      onclick: () => answer(question, box.value),
    }, t("hostq.answer"));
    return h("li", { class: "host-question", dataset: { questionId: id, status: question.status } },
      h("p", { class: "q-text" }, question.text),
      h("p", { class: "muted" }, jobTitle(question.job_id)),
      box,
      h("div", { class: "q-actions" }, send));
  }

  function render(force = false) {
    const panel = $("#employer-questions");
    if (!panel) return;
    redraw(panel, state, force, () => panel.replaceChildren(
      h("h2", { id: "employer-questions-h" }, t("employerq.heading")),
      h("p", { class: "muted" }, t("employerq.note")),
      state.questions.length
        ? h("ul", { id: "employer-question-list", class: "question-queue" }, state.questions.map(item))
        : h("p", { class: "muted" }, t("employerq.empty"))));
  }

  return { render: () => render(true), poll };
}
