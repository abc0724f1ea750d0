// How a job looks: the same facts on the viewer's phone and on the broadcast overlay.
import { h } from "./dom.js";
import { t } from "./i18n.js";

export function jobFacts(job) {
  const facts = [];
  if (job.salary) facts.push(["card.salary", job.salary]);
  if (job.location) facts.push(["card.location", job.location]);
  if (job.openings) facts.push(["card.openings", t("card.openings_n", { n: job.openings })]);
  return h("dl", { class: "facts" },
    facts.map(([label, value]) => h("div", {}, h("dt", {}, t(label)), h("dd", {}, value))));
}

/** One line for screen readers: "New job: employer, title, salary, location". */
export function jobSummary(job) {
  return [job.employer, job.title, job.salary, job.location].filter(Boolean).join("，");
}
