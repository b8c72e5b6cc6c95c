// The runs list (#/?task=&model=&status=&job=): filters, the runs table, ticking two
// runs to compare.

import { api } from "../lib/api.js";
import { h, put } from "../lib/dom.js";
import { fmtDate, fmtMetric } from "../lib/format.js";
import { links } from "../lib/routes.js";
import { badge, statusBadge } from "../lib/widgets.js";

const FILTERS = ["task", "model", "status", "job"];

/** A run's first metric that is not a stderr: {scorer, metric, value}. */
function mainMetric(metrics) {
  for (const [scorer, values] of Object.entries(metrics || {})) {
    for (const [metric, value] of Object.entries(values || {})) {
      if (metric === "stderr") continue;
      return { scorer, metric, value };
    }
  }
  return null;
}

/** The runs list, filtered by the route's task, model, status and job. */
export async function renderRuns(view, where, ctx) {
  const filters = Object.fromEntries(FILTERS.map((k) => [k, where.params.get(k) || ""]));
  const filtered = FILTERS.some((k) => filters[k]);
  const [all, shown] = await Promise.all([api("/api/runs"), filtered ? api("/api/runs", filters) : null]);
  if (!ctx.alive()) return;
  const runs = (shown || all).runs;

  // the filters' choices: the values the runs themselves have
  const selects = FILTERS.map((key) => {
    const values = [
      ...new Set(all.runs.map((r) => r[key]).filter((v) => v !== null && v !== undefined)),
    ].sort();
    if (filters[key] && !values.includes(filters[key])) values.push(filters[key]);
    const select = h(
      "select",
      {
        testid: `filter-${key}`,
        onchange: () => {
          const next = { ...filters, [key]: select.value };
          location.hash = links.runs(next);
        },
      },
      h("option", { value: "" }, `any ${key}`),
      values.map((v) => h("option", { value: v }, v)),
    );
    select.value = filters[key];
    return h("label", { class: "filter" }, `${key} `, select);
  });

  // two runs picked, in the order they were ticked: A then B
  const picked = [];
  const compare = h("button", { testid: "compare-button", disabled: true }, "Compare");
  const pickNote = h("span", { class: "muted", testid: "pick-note" }, "tick two runs to compare them");
  const marks = new Map();
  const refreshPick = () => {
    for (const [name, mark] of marks) {
      const at = picked.indexOf(name);
      mark.textContent = at === 0 ? "A" : at === 1 ? "B" : "";
    }
    compare.disabled = picked.length !== 2;
    pickNote.textContent =
      picked.length === 2
        ? `A: ${picked[0]}  B: ${picked[1]}`
        : picked.length === 1
          ? `A: ${picked[0]} (tick B)`
          : "tick two runs to compare them";
  };
  compare.addEventListener("click", () => {
    if (picked.length === 2) location.hash = links.compare(picked[0], picked[1]);
  });

  const rows = runs.map((run) => {
    const metric = mainMetric(run.metrics);
    const c = run.counts || {};
    const mark = h("span", { class: "pick-mark" });
    marks.set(run.name, mark);
    const box = h("input", {
      type: "checkbox",
      testid: "pick",
      "aria-label": `pick ${run.name}`,
      onchange: () => {
        const at = picked.indexOf(run.name);
        if (box.checked && at < 0) picked.push(run.name);
        if (!box.checked && at >= 0) picked.splice(at, 1);
        while (picked.length > 2) {
          const dropped = picked.shift();
          const other = rows.find((r) => r.dataset.name === dropped);
          if (other) other.querySelector("input").checked = false;
        }
        refreshPick();
      },
    });
    const problems = [];
    if (c.errored) problems.push(h("span", { class: "bad" }, `${c.errored} errored`));
    if (c.limited) problems.push(h("span", { class: "warn" }, `${c.limited} limited`));
    const tr = h(
      "tr",
      { testid: "run-row", "data-name": run.name },
      h("td", { class: "pick" }, box, mark),
      h(
        "td",
        {},
        h("a", { href: links.run(run.name), testid: "run-link" }, run.task),
        run.damaged ? badge("damaged", "error") : null,
      ),
      h("td", {}, run.model),
      h("td", {}, statusBadge(run.status)),
      h(
        "td",
        { class: "num", testid: "run-metric" },
        metric
          ? [
              fmtMetric(metric.value),
              h("span", { class: "muted small" }, ` ${metric.scorer} ${metric.metric}`),
            ]
          : "–",
      ),
      h(
        "td",
        { class: "num", testid: "run-counts" },
        `${c.completed ?? "?"}/${c.total ?? "?"}`,
        problems.length ? [" · ", problems.map((p, i) => [i ? ", " : "", p])] : null,
      ),
      h("td", { class: "nowrap" }, fmtDate(run.created)),
      h("td", { class: "small" }, run.job || "–"),
    );
    return tr;
  });

  put(
    view,
    h("h1", {}, "Runs"),
    h(
      "div",
      { class: "toolbar" },
      selects,
      filtered ? h("a", { href: "#/", testid: "clear-filters" }, "clear filters") : null,
    ),
    h("div", { class: "toolbar" }, compare, pickNote),
    runs.length
      ? h(
          "table",
          { class: "grid", testid: "runs-table" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              ["", "task", "model", "status", "main metric", "samples", "created", "job"].map((t) =>
                h("th", {}, t),
              ),
            ),
          ),
          h("tbody", {}, rows),
        )
      : h(
          "p",
          { class: "muted", testid: "no-runs" },
          filtered ? "No run matches these filters." : "No logs in this folder yet.",
        ),
    h(
      "p",
      { class: "muted small", testid: "runs-count" },
      `${runs.length} run${runs.length === 1 ? "" : "s"}`,
    ),
  );
}
