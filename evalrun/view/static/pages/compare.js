// Two runs compared (#/compare?a=NAME&b=NAME): per scorer A, B, the difference, its
// interval and test, the 2x2 cells, regressions and improvements, unpaired samples.

import { api } from "../lib/api.js";
import { h, put } from "../lib/dom.js";
import { fmtMetric, fmtNum, fmtP, isEmpty } from "../lib/format.js";
import { links } from "../lib/routes.js";
import { badge, kvTable, section, statusBadge } from "../lib/widgets.js";

/** The compare page: /api/compare's answer for runs A and B. */
export async function renderCompare(view, where, ctx) {
  const a = where.params.get("a");
  const b = where.params.get("b");
  put(view, h("h1", {}, "Compare two runs"));
  if (!a || !b) {
    put(
      view,
      h("p", { class: "error", testid: "compare-error" }, "Pick two runs on the runs list (A and B)."),
    );
    return;
  }
  let data;
  try {
    data = await api("/api/compare", { a, b });
  } catch (exc) {
    if (!ctx.alive()) return;
    put(
      view,
      h(
        "div",
        { class: "error-box", testid: "compare-error" },
        exc.status === 404 && /Not Found/.test(exc.message)
          ? "This viewer cannot compare runs (no /api/compare endpoint)."
          : exc.message,
      ),
      h("p", {}, h("a", { href: links.run(a) }, "run A"), " · ", h("a", { href: links.run(b) }, "run B")),
    );
    return;
  }
  if (!ctx.alive()) return;
  const runRow = (label, name, info) =>
    h(
      "tr",
      { testid: `compare-run-${label.toLowerCase()}` },
      h("th", {}, label),
      h("td", { class: "mono small" }, h("a", { href: links.run(name) }, name)),
      h("td", {}, info.task),
      h("td", {}, info.model),
      h("td", {}, statusBadge(info.status)),
      h("td", {}, info.reducer ?? "–"),
      h("td", { class: "num" }, fmtNum(info.epochs)),
      h("td", { class: "num" }, fmtNum(info.samples)),
    );
  const verdictOf = (sc) => {
    if (!sc.test) return badge("not tested", "muted", "verdict");
    if (sc.significant && sc.worse) return badge("B significantly worse", "fail", "verdict");
    if (sc.significant && sc.better) return badge("B significantly better", "pass", "verdict");
    if (sc.significant) return badge("significant", "warn", "verdict");
    return badge("no significant difference", "muted", "verdict");
  };
  // sample ids, each a link to the sample in `run` (A or B)
  const idList = (run, ids, testid) =>
    ids && ids.length
      ? h(
          "ul",
          { class: "ids", testid },
          ids.map((id) =>
            h(
              "li",
              {},
              h("a", { href: links.sample(run, id), class: "mono", testid: "id-link" }, String(id)),
            ),
          ),
        )
      : h("p", { class: "muted small", testid }, "none");
  put(
    view,
    h(
      "p",
      { class: data.regressed ? "error" : "muted", testid: "compare-summary" },
      data.regressed
        ? "B regressed: it is significantly worse on some scorer."
        : "No significant regression in B.",
      ` ${fmtNum(data.paired)} paired samples, alpha ${data.alpha}, ${Math.round((data.confidence ?? 0.95) * 100)}% intervals.`,
    ),
    h(
      "table",
      { class: "grid", testid: "compare-runs" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["", "log", "task", "model", "status", "reducer", "epochs", "samples"].map((t) => h("th", {}, t)),
        ),
      ),
      h("tbody", {}, runRow("A", a, data.a || {}), runRow("B", b, data.b || {})),
    ),
    (data.scorers || []).map((sc) =>
      section(
        `${sc.scorer} (${sc.metric})`,
        { testid: "compare-scorer", "data-scorer": sc.scorer },
        h(
          "div",
          { class: "compare-grid" },
          kvTable([
            ["A", h("span", { testid: "value-a" }, fmtMetric(sc.a))],
            ["B", h("span", { testid: "value-b" }, fmtMetric(sc.b))],
            [
              "B − A",
              h(
                "span",
                { testid: "difference" },
                `${sc.difference > 0 ? "+" : ""}${fmtMetric(sc.difference)}`,
              ),
            ],
            [
              "interval",
              h("span", { testid: "interval" }, `[${fmtMetric(sc.ci_low)}, ${fmtMetric(sc.ci_high)}]`),
            ],
            ["test", h("span", { testid: "test" }, sc.test || "–")],
            ["p-value", h("span", { testid: "p-value" }, fmtP(sc.p_value))],
            ["paired", fmtNum(sc.paired)],
            ["verdict", verdictOf(sc)],
          ]),
          sc.cells ? cellsTable(sc.cells) : null,
        ),
        h("h3", {}, `Regressions (${(sc.regressions || []).length}): right in A, wrong in B`),
        idList(b, sc.regressions, "regressions"),
        h("h3", {}, `Improvements (${(sc.improvements || []).length})`),
        idList(b, sc.improvements, "improvements"),
      ),
    ),
    section(
      "Unpaired",
      { testid: "unpaired" },
      h("h3", {}, `Samples only in A (${(data.only_a || []).length})`),
      idList(a, data.only_a, "only-a"),
      h("h3", {}, `Samples only in B (${(data.only_b || []).length})`),
      idList(b, data.only_b, "only-b"),
      !isEmpty(data.scorers_only_a)
        ? h("p", {}, `Scorers only in A: ${data.scorers_only_a.map((x) => x.scorer ?? x).join(", ")}`)
        : null,
      !isEmpty(data.scorers_only_b)
        ? h("p", {}, `Scorers only in B: ${data.scorers_only_b.map((x) => x.scorer ?? x).join(", ")}`)
        : null,
    ),
  );
}

/** The 2x2 table: right/wrong in A against right/wrong in B. */
function cellsTable(cells) {
  return h(
    "table",
    { class: "grid cells", testid: "cells" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", {}, "B correct"), h("th", {}, "B wrong"))),
    h(
      "tbody",
      {},
      h(
        "tr",
        {},
        h("th", {}, "A correct"),
        h("td", { class: "num", testid: "cell-both-correct" }, fmtNum(cells.both_correct)),
        h("td", { class: "num bad", testid: "cell-a-only" }, fmtNum(cells.a_only)),
      ),
      h(
        "tr",
        {},
        h("th", {}, "A wrong"),
        h("td", { class: "num good", testid: "cell-b-only" }, fmtNum(cells.b_only)),
        h("td", { class: "num", testid: "cell-both-incorrect" }, fmtNum(cells.both_incorrect)),
      ),
    ),
  );
}
