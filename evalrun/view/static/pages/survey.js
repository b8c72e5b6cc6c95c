// A survey's answers and flow (#/run/NAME/survey): one card per question with its
// tallies and charts, beside the flow drawing (survey-flow.js).

import { ApiError, api, runUrl } from "../lib/api.js";
import { barChart } from "../lib/charts.js";
import { h, put } from "../lib/dom.js";
import { fmtNum, fmtValue } from "../lib/format.js";
import { kvTable, section } from "../lib/widgets.js";
import { flowChart } from "./survey-flow.js";

/** The survey page: the question cards beside the flow (a log that is no survey: a note). */
export async function renderSurvey(view, where, ctx) {
  const name = where.name;
  let survey;
  try {
    survey = await api(`${runUrl(name)}/survey`);
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) {
      put(
        view,
        h("h1", {}, "Survey"),
        h("p", { class: "muted", testid: "no-survey" }, exc.message || "Not a survey's log."),
      );
      return;
    }
    throw exc;
  }
  if (!ctx.alive()) return;
  const questions = survey.questions || [];
  put(
    view,
    h(
      "div",
      { class: "title" },
      h("h1", {}, "Survey"),
      h("span", { class: "muted" }, `${questions.length} questions`),
    ),
    h("p", { class: "mono small muted" }, name),
    h(
      "div",
      { class: "survey" },
      h("div", { class: "questions" }, questions.map(questionCard)),
      section(
        "Flow",
        { testid: "flow-section", class: "card flow-card" },
        flowChart(survey.flow || { nodes: [], edges: [] }),
      ),
    ),
  );
}

/** A question's card: its tallies and the chart or figures of its answers. */
function questionCard(q) {
  const a = q.answers || {};
  const tallies = ["valid", "invalid", "skipped", "missing"].map((k) =>
    h("span", { class: `tally tally-${k}`, testid: `q-${k}` }, `${k} `, h("b", {}, fmtNum(a[k] ?? 0))),
  );
  let chart = null;
  if (a.numbers) {
    const n = a.numbers;
    chart = kvTable(
      Object.entries(n).map(([k, v]) => [k, fmtValue(v)]),
      { testid: "q-numbers" },
    );
  } else if (a.counts) {
    chart = barChart(orderedCounts(a.counts, q.options));
  } else if (a.first) {
    chart = [h("p", { class: "small muted" }, "ranked first"), barChart(orderedCounts(a.first, q.options))];
    if (a.mean_rank)
      chart.push(
        h("p", { class: "small muted" }, "mean rank"),
        kvTable(Object.entries(a.mean_rank).map(([k, v]) => [k, fmtValue(v)])),
      );
  }
  const extra = [];
  if (a.items) extra.push(nested("items", a.items, q.options));
  if (a.keys) extra.push(nested(q.type === "matrix" ? "items" : "keys", a.keys, q.options));
  if (!chart && !extra.length && q.summary === "text")
    chart = h("p", { class: "muted small" }, "free text: see the samples");
  return h(
    "section",
    { class: "card question", testid: "question", "data-name": q.name },
    h(
      "h2",
      {},
      h("span", { class: "mono", testid: "question-name" }, q.name),
      " ",
      h(
        "span",
        { class: "muted small" },
        `${q.type}${q.summary && q.summary !== q.type ? ` · ${q.summary}` : ""}`,
      ),
    ),
    q.text ? h("p", { class: "qtext" }, q.text) : null,
    h("div", { class: "tallies" }, tallies),
    chart,
    extra,
  );
}

/** [[option, count], ...] in the question's option order, others after. */
function orderedCounts(counts, options) {
  const keys = Object.keys(counts);
  const order = Array.isArray(options)
    ? [...options.filter((o) => o in counts), ...keys.filter((k) => !options.includes(k))]
    : keys;
  return order.map((k) => [k, counts[k]]);
}

/** A matrix's items or a mapping's keys: each a small chart or its figures. */
function nested(label, entries, options) {
  return h(
    "div",
    { class: "nested" },
    Object.entries(entries).map(([key, value]) => {
      let body;
      if (
        value &&
        typeof value === "object" &&
        Object.values(value).every((v) => typeof v === "number") &&
        !("mean" in value)
      ) {
        body = barChart(orderedCounts(value, options), { width: 360 });
      } else {
        body = kvTable(Object.entries(value || {}).map(([k, v]) => [k, fmtValue(v)]));
      }
      return h(
        "div",
        { class: "nested-item" },
        h("h4", {}, `${label.slice(0, -1)}: `, h("span", { class: "mono" }, key)),
        body,
      );
    }),
  );
}
