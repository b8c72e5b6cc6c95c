// One run (#/run/NAME): counts, metrics with intervals, thresholds, score distributions,
// usage and cost, configuration. Live: redrawn while the run is in progress.

import { api, optional, runUrl } from "../lib/api.js";
import { barChart, intervalBar } from "../lib/charts.js";
import { clear, h, put } from "../lib/dom.js";
import { fmtCost, fmtDate, fmtMetric, fmtNum, fmtTime, fmtValue, isEmpty } from "../lib/format.js";
import { READING_MS } from "../lib/live.js";
import { links } from "../lib/routes.js";
import { badge, compact, details, errorBox, kvTable, pre, section, statusBadge } from "../lib/widgets.js";

/** The run page; polled while the run is live or its rows are still being read. */
export async function renderRun(view, where, ctx, loaded) {
  const name = where.name;
  const body = h("div", {});
  put(view, body);
  const draw = async () => {
    const run = await api(runUrl(name));
    const scores = await optional(api(`${runUrl(name)}/scores`)).catch((exc) => ({ failed: exc }));
    if (!ctx.alive()) return false;
    loaded();
    clear(body);
    put(body, runPage(run, scores));
    // live: poll; the server still reading a big log's rows (distributions partial): soon
    if (run.status === "started") return true;
    return scores && scores.complete === false ? READING_MS : false;
  };
  const again = await draw();
  if (again) ctx.poll(draw, again);
}

/** The run page's content: a list of nodes from /api/runs/NAME and its /scores. */
function runPage(run, scores) {
  const header = run.header || {};
  const name = run.name;
  const live = run.status === "started";
  const out = [];
  out.push(
    h(
      "div",
      { class: "title" },
      h("h1", { testid: "run-task" }, header.task || "?"),
      statusBadge(run.status),
      live ? badge("live", "live", "live") : null,
      run.survey ? badge("survey", "survey") : null,
    ),
    h("p", { class: "mono small muted", testid: "run-name" }, name),
    h(
      "p",
      { class: "links" },
      h("a", { href: links.samples(name), testid: "samples-link" }, "Samples →"),
      run.survey
        ? h("a", { href: links.survey(name), testid: "survey-link" }, "Survey answers and flow →")
        : null,
    ),
  );
  if (run.error) {
    out.push(
      h(
        "div",
        { class: "error-box", testid: "run-error" },
        h("strong", {}, "Run error: "),
        run.error.message,
        run.error.traceback ? pre(run.error.traceback) : null,
      ),
    );
  }
  if (run.damage)
    out.push(h("div", { class: "warn-box", testid: "run-damage" }, `Damaged log: ${fmtValue(run.damage)}`));

  // counts and progress
  const c = run.counts || {};
  out.push(
    section(
      "Samples",
      { testid: "run-counts" },
      h(
        "div",
        { class: "stats" },
        [
          ["total", c.total],
          ["completed", c.completed],
          ["scored", c.scored],
          ["errored", c.errored],
          ["limited", c.limited],
          ["reused", c.reused],
          ["cached", c.cached],
        ].map(([k, v]) =>
          h(
            "div",
            { class: `stat ${k === "errored" && v ? "bad" : ""}`, testid: `count-${k}` },
            h("b", {}, fmtNum(v ?? 0)),
            h("span", {}, k),
          ),
        ),
      ),
      live
        ? h(
            "p",
            { class: "muted", testid: "samples-done" },
            `${run.samples_done ?? 0} samples written so far`,
          )
        : null,
    ),
  );

  // metrics with intervals
  const results = run.results;
  const intervals = run.intervals || {};
  if (results) {
    const rows = [];
    for (const score of results.scores || []) {
      const interval = intervals[score.scorer] || intervals[`${score.scorer}/${score.reducer}`];
      for (const [metric, value] of Object.entries(score.metrics || {})) {
        const ci = interval && interval.metric === metric ? interval : null;
        rows.push(
          h(
            "tr",
            { testid: "metric-row", "data-scorer": score.scorer, "data-metric": metric },
            h("td", {}, score.scorer),
            h("td", {}, score.reducer || "–"),
            h("td", {}, metric),
            h("td", { class: "num", testid: "metric-value" }, fmtMetric(value)),
            h(
              "td",
              { class: "num", testid: "metric-interval" },
              ci
                ? [
                    `[${fmtMetric(ci.low)}, ${fmtMetric(ci.high)}]`,
                    h("span", { class: "muted small" }, ` ${Math.round((ci.confidence || 0.95) * 100)}%`),
                  ]
                : "",
            ),
            h("td", {}, ci ? intervalBar(ci) : null),
            h("td", { class: "num" }, fmtNum(score.samples)),
          ),
        );
      }
    }
    out.push(
      section(
        "Metrics",
        { testid: "metrics" },
        h(
          "table",
          { class: "grid" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["scorer", "reducer", "metric", "value", "interval", "", "samples"].map((t) => h("th", {}, t)),
            ),
          ),
          h("tbody", {}, rows),
        ),
      ),
    );
    const thresholds = results.thresholds || [];
    out.push(
      section(
        "Thresholds",
        { testid: "thresholds" },
        thresholds.length
          ? h(
              "table",
              { class: "grid" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  ["metric", "threshold", "value", "status"].map((t) => h("th", {}, t)),
                ),
              ),
              h(
                "tbody",
                {},
                thresholds.map((t) =>
                  h(
                    "tr",
                    { testid: "threshold-row" },
                    h("td", {}, t.metric),
                    h("td", { class: "num" }, `≥ ${fmtMetric(t.threshold)}`),
                    h("td", { class: "num", testid: "threshold-value" }, fmtMetric(t.value)),
                    h("td", {}, badge(t.status || (t.passed ? "pass" : "fail"), null, "threshold-status")),
                  ),
                ),
              ),
            )
          : h("p", { class: "muted" }, "No thresholds."),
      ),
    );
  } else {
    out.push(
      section(
        "Metrics",
        { testid: "metrics" },
        h(
          "p",
          { class: "muted" },
          live ? "Not scored yet: the run is in progress." : "No results in this log.",
        ),
      ),
    );
  }

  // score distributions
  out.push(section("Score distribution", { testid: "distributions" }, distributions(scores)));

  // usage and cost
  const stats = run.stats;
  if (stats) {
    const u = stats.usage || {};
    out.push(
      section(
        "Usage and cost",
        { testid: "usage" },
        kvTable([
          ["input tokens", fmtNum(u.input_tokens)],
          ["output tokens", fmtNum(u.output_tokens)],
          ["reasoning tokens", fmtNum(u.reasoning_tokens)],
          ["total tokens", h("span", { testid: "total-tokens" }, fmtNum(u.total_tokens))],
          ["model calls", fmtNum(u.calls)],
          ["cost", h("span", { testid: "cost" }, fmtCost(stats.cost ?? u.cost))],
          ...(u.unpriced ? [["unpriced calls", fmtNum(u.unpriced)]] : []),
          ["started", fmtDate(stats.started_at)],
          ["completed", fmtDate(stats.completed_at)],
          ["duration", fmtTime(stats.duration)],
        ]),
      ),
    );
  }

  // configuration
  const config = [
    ["task", header.task],
    ["task file", h("span", { class: "mono" }, header.task_file || "–")],
    ["model", h("span", { testid: "run-model" }, header.model || "–")],
    ["model args", compact(header.model_args)],
    ["epochs", fmtNum(header.epochs)],
    ["samples", fmtNum(header.samples)],
    ["created", fmtDate(header.created)],
    ["job", header.job || "–"],
  ];
  if (!isEmpty(header.tags)) config.push(["tags", header.tags.join(", ")]);
  if (header.retry_of) config.push(["retry of", h("span", { class: "mono" }, header.retry_of)]);
  if (header.rescored_from)
    config.push(["rescored from", h("span", { class: "mono" }, header.rescored_from)]);
  if (header.evalrun_version) config.push(["evalrun", header.evalrun_version]);
  const runConfig = Object.entries(header.run_config || {}).filter(([, v]) => !isEmpty(v));
  out.push(
    section(
      "Configuration",
      { testid: "config" },
      kvTable(config),
      h("h3", {}, "Run config"),
      runConfig.length
        ? h(
            "table",
            { class: "kv compact", testid: "run-config" },
            h(
              "tbody",
              {},
              pairs(runConfig).map((pair) =>
                h(
                  "tr",
                  {},
                  pair.map(([k, v]) => [h("th", {}, k), h("td", {}, compact(v))]),
                ),
              ),
            ),
          )
        : h("p", { class: "muted" }, "Defaults only."),
      details("task-spec", "Task spec", pre(header.task_spec || {}, { testid: "task-spec" })),
    ),
  );
  return out;
}

/** [[a, b], [c, d], ...]: a compact two-column layout of many short entries. */
function pairs(entries) {
  const out = [];
  for (let i = 0; i < entries.length; i += 2) out.push(entries.slice(i, i + 2));
  return out;
}

/** One bar chart a scorer, from /scores (null: the viewer has no such endpoint). */
function distributions(scores) {
  if (scores === null)
    return h(
      "p",
      { class: "muted", testid: "no-distribution" },
      "No score distribution from this viewer (no /scores endpoint).",
    );
  if (scores && scores.failed) return errorBox(scores.failed);
  const entries = Object.entries(scores.scorers || {});
  if (!entries.length) return h("p", { class: "muted" }, "No scores yet.");
  return h(
    "div",
    { class: "charts" },
    entries.map(([scorer, dist]) =>
      h(
        "figure",
        { class: "chart", testid: "score-chart", "data-scorer": scorer },
        h(
          "figcaption",
          {},
          h("b", {}, scorer),
          h("span", { class: "muted small" }, ` ${dist.kind}, ${fmtNum(dist.count)} scores`),
        ),
        barChart((dist.bins || []).map((b) => [b.label, b.count])),
      ),
    ),
  );
}
