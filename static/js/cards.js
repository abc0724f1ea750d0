// How a job looks: the same facts on the viewer's phone, the broadcast overlay and the lists.
import { h } from "./dom.js";
import { t } from "./i18n.js";

/**
 * A job's headcount as people write it: 招10-20人, 招20人以上, 招10人以内, 招若干人, 招8人;
 * English "10-20 openings", "20+ openings", "openings: not given". `short` drops the verb for a
 * place already labelled openings (10-20人, 20+). `job` has `openings` (the low end, null if
 * open) and `openings_max` (the top end, null if open; left out: the same as `openings`, an
 * exact count, as records written before ranges). The one rule for every page; the words are
 * `headcount.*` in static/i18n, the same as liveevent/domain/jobs.py's headcount_text, and
 * tests/data/headcounts.json holds both to it.
 */
export function headcountText(job, { short = false } = {}) {
  const low = job.openings ?? null;
  const high = job.openings_max === undefined ? low : job.openings_max;
  if (low === null && high === null) return t(short ? "headcount.unknown" : "headcount.full_unknown");
  let text;
  if (low === null) text = t("headcount.at_most", { n: high });
  else if (high === null) text = t("headcount.at_least", { n: low });
  else if (low === high) {
    if (low === 1 && !short) return t("headcount.full_one");
    text = t("headcount.exact", { n: low });
  } else text = t("headcount.range", { low, high });
  return short ? text : t("headcount.full", { short: text });
}

export function jobFacts(job) {
  const facts = [];
  if (job.salary) facts.push(["card.salary", job.salary]);
  if (job.location) facts.push(["card.location", job.location]);
  facts.push(["card.openings", headcountText(job, { short: true })]);
  return h("dl", { class: "facts" },
    facts.map(([label, value]) => h("div", {}, h("dt", {}, t(label)), h("dd", {}, value))));
}

/** One line for screen readers: "New job: employer, title, salary, location, headcount". */
export function jobSummary(job) {
  return [job.employer, job.title, job.salary, job.location, headcountText(job)]
    .filter(Boolean).join("，");
}

/**
 * The headcount of several jobs together, as {openings, openings_max} for `headcountText`:
 * the low ends that are known added up (null if none is), the top ends added up (null, open,
 * if any job's is). 8 and 20人以上 make 28人以上; 8 and 10人以内 make 8-18人.
 */
export function totalHeadcount(jobs) {
  let low = null;
  let high = 0;
  let any = false;
  for (const job of jobs) {
    any = true;
    const jobLow = job.openings ?? null;
    const jobHigh = job.openings_max === undefined ? jobLow : job.openings_max;
    if (jobLow !== null) low = (low ?? 0) + jobLow;
    high = high === null || jobHigh === null ? null : high + jobHigh;
  }
  return { openings: low, openings_max: any ? high : null };
}
