// One sample (#/run/NAME/sample/ID?epoch=N): answer and target, an agent's trajectory
// step by step, transcript, scores (with a grader's metadata), errors, limit, retries, a
// survey's answers, store, usage.

import { ApiError, api, runUrl } from "../lib/api.js";
import { h, put } from "../lib/dom.js";
import { fmtCost, fmtDate, fmtNum, fmtTime, fmtValue, isEmpty } from "../lib/format.js";
import { links } from "../lib/routes.js";
import { badge, compact, details, kvTable, pre, scoreCell, section } from "../lib/widgets.js";

/** The sample page: the epoch asked for (or the first), section by section. */
export async function renderSample(view, where, ctx) {
  const name = where.name;
  const body = await api(`${runUrl(name)}/samples/${encodeURIComponent(where.id)}`);
  if (!ctx.alive()) return;
  const samples = body.samples || [];
  if (!samples.length) throw new ApiError(404, `no sample ${where.id}`);
  const wanted = parseInt(where.params.get("epoch") || "", 10);
  const sample = samples.find((x) => x.epoch === wanted) || samples[0];

  put(
    view,
    titleBar(sample),
    samples.length > 1 ? epochTabs(name, samples, sample) : null,
    answerSection(sample),
    sample.trajectory ? trajectorySection(sample.trajectory) : null,
    transcriptSection(sample),
    scoresSection(sample),
    sample.error ? errorSection(sample) : null,
    sample.limit ? limitSection(sample) : null,
    retriesSection(sample),
    sample.store?.survey ? surveySection(sample.store.survey) : null,
    storeSection(sample),
    usageSection(sample),
  );
}

/** The sample's id and its badges (error, limit, reused, cached). */
function titleBar(sample) {
  return h(
    "div",
    { class: "title" },
    h("h1", {}, "Sample ", h("span", { class: "mono", testid: "sample-id" }, String(sample.id))),
    sample.error ? badge("error", "error") : null,
    sample.limit ? badge(`limit: ${sample.limit.kind}`, "limit") : null,
    sample.reused ? badge("reused", "reused", "reused") : null,
    sample.output?.cached ? badge("cached", "cached", "cached") : null,
    sample.trajectory ? badge(`agent: ${sample.trajectory.end ?? "running"}`, endKind(sample.trajectory.end)) : null,
  );
}

/** Links to the sample's other epochs. */
function epochTabs(name, samples, sample) {
  return h(
    "div",
    { class: "tabs", testid: "epoch-tabs" },
    samples.map((x) =>
      h(
        "a",
        {
          href: links.sample(name, x.id, x.epoch),
          class: x.epoch === sample.epoch ? "tab active" : "tab",
          testid: "epoch-tab",
        },
        `epoch ${x.epoch}`,
      ),
    ),
  );
}

/** The answer (or the completion), the target, epoch, attempt, choices, metadata. */
function answerSection(sample) {
  const target = Array.isArray(sample.target) ? sample.target.join(" | ") : sample.target;
  return section(
    "Answer",
    { testid: "answer-section" },
    kvTable([
      sample.answer !== null && sample.answer !== undefined
        ? ["answer", h("span", { class: "mono pre", testid: "sample-answer" }, fmtValue(sample.answer))]
        : [
            "completion",
            h(
              "span",
              { class: "mono pre", testid: "sample-answer" },
              fmtValue(sample.output?.completion ?? null),
            ),
          ],
      ["target", h("span", { class: "mono pre", testid: "sample-target" }, fmtValue(target ?? null))],
      ["epoch", fmtNum(sample.epoch)],
      ["attempt", fmtNum(sample.attempt)],
      ...(!isEmpty(sample.choices) ? [["choices", sample.choices.join(" | ")]] : []),
      ...(!isEmpty(sample.metadata) ? [["metadata", compact(sample.metadata)]] : []),
    ]),
  );
}

/** How an agent's loop ended, as a badge's colour: an answer (or a reply without tool
 * calls) is fine, running out of turns or into a limit a warning, an error an error. */
function endKind(end) {
  if (end === "submit" || end === "no_tool_calls") return "pass";
  if (end === "tool_error" || end === "error") return "error";
  return "warn";
}

/** What each end means, for the summary's tooltip. */
const ENDS = {
  submit: "the model called submit",
  no_tool_calls: "the model answered without calling a tool",
  max_turns: "the agent used all its turns",
  limit: "a sample limit stopped it (see Limit)",
  tool_error: "a tool failed under tool_errors: fail (see Error)",
  error: "an error ended it (see Error)",
};

/** An agent's trajectory: its totals, then a timeline of its steps in order: each model
 * turn (its text, the calls it asked for, tokens, time) and each tool call (arguments,
 * output, its error highlighted, time, what submit submitted). */
function trajectorySection(t) {
  const steps = t.steps || [];
  return section(
    "Trajectory",
    { testid: "trajectory" },
    h(
      "div",
      { class: "traj-summary", testid: "trajectory-summary" },
      summaryItem("turns", fmtNum(t.turns), "trajectory-turns"),
      summaryItem("tool calls", fmtNum(t.tool_calls), "trajectory-calls"),
      summaryItem("tool errors", fmtNum(t.tool_errors), "trajectory-errors", t.tool_errors ? "bad" : null),
      h(
        "span",
        { class: "traj-item" },
        "end ",
        h(
          "span",
          { class: `badge badge-${endKind(t.end)}`, testid: "trajectory-end", title: ENDS[t.end] || "" },
          t.end ?? "–",
        ),
      ),
      summaryItem("answer", t.answer === null || t.answer === undefined ? "–" : t.answer, "trajectory-answer", "mono"),
      summaryItem("time", fmtTime(t.time), "trajectory-time"),
    ),
    steps.length
      ? h("ol", { class: "timeline", testid: "trajectory-steps" }, steps.map(stepBlock))
      : h("p", { class: "muted" }, "No steps."),
  );
}

function summaryItem(label, value, testid, cls) {
  return h("span", { class: "traj-item" }, `${label} `, h("b", { class: cls || null, testid }, value));
}

/** One step of the timeline: a model turn or a tool call's outcome. */
function stepBlock(step) {
  const tool = step.type === "tool";
  const failed = tool && step.error !== null && step.error !== undefined;
  const attrs = {
    class: `step step-${tool ? "tool" : "model"}${failed ? " step-failed" : ""}`,
    testid: "trajectory-step",
    "data-step": step.step,
    "data-type": step.type,
    "data-turn": step.turn,
    "data-name": tool ? step.name : null,
  };
  if (!tool) {
    const u = step.usage || {};
    return h(
      "li",
      attrs,
      h(
        "div",
        { class: "step-head" },
        h("span", { class: "step-no" }, `#${step.step}`),
        h("b", {}, `model · turn ${step.turn}`),
        h("span", { class: "muted small", testid: "step-tokens" }, `${fmtNum(u.total_tokens)} tokens`),
        h("span", { class: "muted small", testid: "step-time" }, fmtTime(step.time)),
        step.stop_reason && !["stop", "tool_calls"].includes(step.stop_reason)
          ? badge(`stop: ${step.stop_reason}`, "warn")
          : null,
        step.cached ? badge("cached", "cached") : null,
      ),
      step.completion
        ? h("pre", { class: "content", testid: "step-completion" }, step.completion)
        : h("p", { class: "muted small", testid: "step-completion" }, "(no text)"),
      (step.tool_calls || []).length
        ? h(
            "ul",
            { class: "calls" },
            step.tool_calls.map((call) =>
              h(
                "li",
                { testid: "step-call", "data-name": call.name },
                "→ ",
                h("b", { class: "mono" }, call.name),
                h("code", { class: "args" }, callArguments(call)),
                h("span", { class: "muted small" }, ` ${call.id}`),
              ),
            ),
          )
        : null,
    );
  }
  return h(
    "li",
    attrs,
    h(
      "div",
      { class: "step-head" },
      h("span", { class: "step-no" }, `#${step.step}`),
      h("b", {}, "tool "),
      h("b", { class: "mono", testid: "step-name" }, step.name),
      h("span", { class: "muted small" }, `turn ${step.turn} · ${step.id}`),
      h("span", { class: "muted small", testid: "step-time" }, fmtTime(step.time)),
      failed ? badge("error", "error") : null,
      step.submitted !== null && step.submitted !== undefined ? badge("submitted", "pass") : null,
    ),
    kvTable([
      ["arguments", h("code", { class: "args", testid: "step-arguments" }, JSON.stringify(step.arguments ?? {}))],
      ...(step.raw_arguments !== null && step.raw_arguments !== undefined
        ? [["raw arguments", h("code", { class: "args", testid: "step-raw-arguments" }, step.raw_arguments)]]
        : []),
      ...(failed ? [["error", h("pre", { class: "block step-error", testid: "step-error" }, step.error)]] : []),
      ...(!failed || (step.output && step.output !== step.error)
        ? [["output", pre(step.output ?? "", { testid: "step-output" })]]
        : []),
      ...(step.submitted !== null && step.submitted !== undefined
        ? [["submitted", h("span", { class: "mono pre", testid: "step-submitted" }, step.submitted)]]
        : []),
    ]),
  );
}

/** A requested call's arguments as one line of JSON (as the model wrote them, when they
 * were not a JSON object). */
function callArguments(call) {
  if (call.raw_arguments !== null && call.raw_arguments !== undefined) return call.raw_arguments;
  return JSON.stringify(call.arguments ?? {});
}

/** The transcript: each message with its role (behind a click when a trajectory above
 * shows the same turns step by step). */
function transcriptSection(sample) {
  const messages = sample.messages || [];
  const shown = messages.length
    ? messages.map((m) =>
        h(
          "div",
          { class: `msg role-${m.role}`, testid: "message", "data-role": m.role },
          h("div", { class: "role" }, m.role, m.name ? ` (${m.name})` : ""),
          h("pre", { class: "content" }, messageText(m.content)),
          m.tool_calls ? pre(m.tool_calls) : null,
        ),
      )
    : h("p", { class: "muted" }, "No messages.");
  return section(
    "Transcript",
    { testid: "transcript" },
    sample.trajectory && messages.length
      ? details("transcript", `the ${messages.length} messages, as the model read them`, shown)
      : shown,
  );
}

/** Each scorer's value, answer, explanation and metadata. */
function scoresSection(sample) {
  const scoreEntries = Object.entries(sample.scores || {});
  return section(
    "Scores",
    { testid: "scores" },
    scoreEntries.length
      ? scoreEntries.map(([scorer, sc]) =>
          h(
            "div",
            { class: "score-block", testid: "score", "data-scorer": scorer },
            h("h3", {}, scorer, " ", scoreCell(sc?.value)),
            kvTable([
              ["value", h("span", { class: "mono", testid: "score-value" }, fmtValue(sc?.value))],
              ["answer", h("span", { class: "mono pre" }, fmtValue(sc?.answer ?? null))],
              ["explanation", h("span", { class: "pre" }, fmtValue(sc?.explanation ?? null))],
            ]),
            !isEmpty(sc?.metadata) ? metadataBlock(sc.metadata) : null,
          ),
        )
      : h("p", { class: "muted" }, "Not scored."),
  );
}

/** The sample's error and its traceback. */
function errorSection(sample) {
  return section(
    "Error",
    { testid: "sample-error" },
    h(
      "p",
      { class: "error" },
      sample.error.kind ? badge(sample.error.kind, "error") : null,
      " ",
      sample.error.message,
    ),
    sample.error.traceback ? pre(sample.error.traceback, { testid: "traceback" }) : null,
  );
}

/** The limit the sample hit. */
function limitSection(sample) {
  const l = sample.limit;
  return section(
    "Limit",
    { testid: "sample-limit" },
    kvTable([
      ["kind", l.kind],
      ["limit", fmtValue(l.limit)],
      ["used", fmtValue(l.used)],
      ["message", l.message || "–"],
    ]),
  );
}

/** Earlier attempts' errors and the model calls' retries (null: none). */
function retriesSection(sample) {
  // the model calls' retries: the output's retry log, or (no output: the call failed) the
  // sample's own record of them
  const retryLog = !isEmpty(sample.output?.retry_log) ? sample.output.retry_log : sample.retries || [];
  if (isEmpty(sample.errors) && !retryLog.length) return null;
  return section(
    "Retries and earlier attempts",
    { testid: "retries" },
    !isEmpty(sample.errors)
      ? [
          h("h3", {}, "Earlier attempts' errors"),
          sample.errors.map((e, i) =>
            h(
              "div",
              { class: "attempt", testid: "earlier-error" },
              h("p", {}, `attempt ${i + 1}: `, e?.message ?? fmtValue(e)),
              e?.traceback ? details(`tb-${i}`, "traceback", pre(e.traceback)) : null,
            ),
          ),
        ]
      : null,
    retryLog.length
      ? [
          h("h3", {}, "Model call retries"),
          h(
            "table",
            { class: "grid" },
            h(
              "thead",
              {},
              h("tr", {}, h("th", {}, "#"), h("th", {}, "error"), h("th", {}, "wait before the next try")),
            ),
            h(
              "tbody",
              {},
              retryLog.map((r, i) =>
                h(
                  "tr",
                  { testid: "retry-row" },
                  h("td", {}, i + 1),
                  h("td", {}, typeof r === "object" && r !== null ? fmtValue(r.error ?? r) : fmtValue(r)),
                  h("td", {}, r?.wait === null || r?.wait === undefined ? "gave up" : fmtTime(r.wait)),
                ),
              ),
            ),
          ),
        ]
      : null,
  );
}

/** A survey's answers, one row a question, and the rest of its store. */
function surveySection(survey) {
  const answers = Object.entries(survey.answers || {});
  return section(
    "Survey answers",
    { testid: "survey-answers" },
    h(
      "table",
      { class: "grid" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["question", "status", "answer", "comment", "attempts", "tokens"].map((t) => h("th", {}, t)),
        ),
      ),
      h(
        "tbody",
        {},
        answers.map(([q, a]) =>
          h(
            "tr",
            { testid: "survey-answer", "data-question": q },
            h("td", { class: "mono" }, q),
            h(
              "td",
              {},
              badge(
                a?.status ?? "?",
                a?.status === "valid" ? "pass" : a?.status === "invalid" ? "fail" : "muted",
              ),
            ),
            h(
              "td",
              { class: "mono pre" },
              fmtValue(a?.answer ?? null),
              a?.reason ? h("div", { class: "small error" }, a.reason) : null,
            ),
            h("td", { class: "pre" }, a?.comment ?? ""),
            h("td", { class: "num" }, fmtNum(a?.attempts)),
            h("td", { class: "num" }, fmtNum(a?.tokens)),
          ),
        ),
      ),
    ),
    Object.keys(survey).length > 1
      ? details(
          "survey-store",
          "the rest of the survey's store",
          pre(Object.fromEntries(Object.entries(survey).filter(([k]) => k !== "answers"))),
        )
      : null,
  );
}

/** The sample's store but a survey's (null: nothing else in it). */
function storeSection(sample) {
  const otherStore = Object.fromEntries(Object.entries(sample.store || {}).filter(([k]) => k !== "survey"));
  return isEmpty(otherStore) ? null : section("Store", {}, pre(otherStore));
}

/** Tokens, calls, cost, times, the model and its stop reason. */
function usageSection(sample) {
  const u = sample.usage || {};
  const o = sample.output || {};
  return section(
    "Usage and time",
    { testid: "sample-usage" },
    kvTable([
      [
        "tokens",
        `${fmtNum(u.total_tokens)} (${fmtNum(u.input_tokens)} in, ${fmtNum(u.output_tokens)} out${u.reasoning_tokens ? `, ${fmtNum(u.reasoning_tokens)} reasoning` : ""})`,
      ],
      ["calls", fmtNum(u.calls)],
      ["cost", fmtCost(u.cost)],
      ["total time", fmtTime(sample.total_time)],
      ["model time", fmtTime(o.time)],
      ["model", o.model || "–"],
      ["stop reason", o.stop_reason || "–"],
      ["started", sample.started_at ? fmtDate(new Date(sample.started_at * 1000).toISOString()) : "–"],
      ["reused", sample.reused ? "yes (from an earlier run)" : "no"],
      ["cached", o.cached ? "yes" : "no"],
    ]),
  );
}

/** A message's content as text (a list of parts: each part's text, one a line). */
function messageText(content) {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === "string" ? part : (part?.text ?? JSON.stringify(part))))
      .join("\n");
  }
  return JSON.stringify(content, null, 2);
}

/** A score's metadata: long text (a grader's prompt and reply, at any depth, e.g.
 * `grader.prompt`) shown whole with its whitespace, the short values as a table. */
function metadataBlock(metadata) {
  const long = [];
  const short = [];
  const walk = (value, path) => {
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
    } else if (typeof value === "string" && (value.length > 60 || value.includes("\n"))) {
      long.push([path, value]);
    } else {
      short.push([path, fmtValue(value)]);
    }
  };
  walk(metadata, "");
  return h(
    "div",
    { class: "metadata", testid: "score-metadata" },
    short.length ? kvTable(short.map(([k, v]) => [k, h("span", { class: "mono" }, v)])) : null,
    long.map(([key, value]) => [
      h("h4", {}, key),
      pre(value, { testid: "score-meta-text", "data-key": key }),
    ]),
  );
}
