// evalrun view: the browser front-end of the read-only log viewer.
//
// One page, hash routes (so a single URL serves it all):
//   #/?task=&model=&status=&job=           runs list
//   #/run/NAME                              one run
//   #/run/NAME/samples?offset=&sort=&where=&failed=&errors=
//   #/run/NAME/sample/ID?epoch=N            one sample
//   #/run/NAME/survey                       a survey's answers and flow
//   #/compare?a=NAME&b=NAME                 two runs compared
//
// Log contents are untrusted: every piece of data goes into the page as text
// (createElement / textContent), never as HTML.

const PAGE = 50;
const POLL_MS = 1500;
// while the server reads a big log's rows (`complete: false`), ask again this soon
const READING_MS = 400;
const SVG = "http://www.w3.org/2000/svg";

// ---------------------------------------------------------------- DOM helpers

/** An element: h("a", {href, class, testid, onclick}, child, [children], "text"). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element (attributes set as they are; children as in `h`). */
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "testid") el.setAttribute("data-testid", value);
    else if (key === "class") el.setAttribute("class", value);
    else if (key === "checked" || key === "disabled" || key === "value" || key === "open") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Append children (nodes, text, nested arrays; null and false left out). */
function put(el, ...children) {
  append(el, children);
}

function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

// ---------------------------------------------------------------- formatting

function fmtNum(x, digits = 3) {
  if (x === null || x === undefined) return "–";
  if (typeof x !== "number") return String(x);
  if (Number.isInteger(x)) return x.toLocaleString("en");
  if (Math.abs(x) >= 1000) return x.toLocaleString("en", { maximumFractionDigits: 1 });
  return x.toFixed(digits);
}

/** A metric's value: three decimals, whole numbers too (1.000, not 1). */
function fmtMetric(x) {
  if (typeof x !== "number") return fmtNum(x);
  return Math.abs(x) >= 1000 ? fmtNum(x) : x.toFixed(3);
}

function fmtP(p) {
  if (p === null || p === undefined) return "–";
  if (p === 0) return "0";
  if (p < 0.001) return p.toExponential(1);
  return p.toPrecision(3);
}

function fmtTime(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 0)} ms`;
  if (seconds < 120) return `${seconds.toFixed(2)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function fmtDate(text) {
  if (!text) return "–";
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return String(text);
  return date
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$|Z$/, " UTC");
}

function fmtCost(cost) {
  if (cost === null || cost === undefined) return "–";
  return `$${cost.toFixed(cost > 0 && cost < 0.01 ? 6 : 4)}`;
}

function fmtValue(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return fmtNum(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function truncate(text, n) {
  if (text === null || text === undefined) return "";
  const t = String(text);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

function isEmpty(value) {
  if (value === null || value === undefined || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

function badge(text, kind, testid) {
  return h("span", { class: `badge badge-${kind || String(text).replace(/\s+/g, "-")}`, testid }, text);
}

function statusBadge(status) {
  return badge(status, status, "status");
}

/** A key/value table of `entries` ([key, value] pairs; values are nodes or text). */
function kvTable(entries, attrs) {
  return h(
    "table",
    { class: "kv", ...attrs },
    h(
      "tbody",
      {},
      entries.map(([key, value]) => h("tr", {}, h("th", {}, key), h("td", {}, value))),
    ),
  );
}

function pre(text, attrs) {
  return h(
    "pre",
    { class: "block", ...attrs },
    typeof text === "string" ? text : JSON.stringify(text, null, 2),
  );
}

function section(title, attrs, ...children) {
  return h("section", { class: "card", ...attrs }, h("h2", {}, title), children);
}

/** <details> that keeps its open state across the re-renders of live refresh. */
const openDetails = new Set();
function details(key, summary, ...children) {
  const el = h("details", { open: openDetails.has(key) }, h("summary", {}, summary), children);
  el.addEventListener("toggle", () => (el.open ? openDetails.add(key) : openDetails.delete(key)));
  return el;
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET a JSON endpoint; a non-2xx answer throws ApiError with the body's `error`. */
async function api(path, params) {
  let url = path;
  if (params) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "" && value !== false) query.set(key, value);
    }
    const text = query.toString();
    if (text) url += `?${text}`;
  }
  let response;
  try {
    response = await fetch(url, { cache: "no-store", headers: { Accept: "application/json" } });
  } catch (exc) {
    throw new ApiError(0, `cannot reach the viewer: ${exc.message}`);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message =
      body && typeof body.error === "string" ? body.error : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return body;
}

/** A log name in a URL: each `/`-separated segment encoded. */
function encName(name) {
  return name.split("/").map(encodeURIComponent).join("/");
}

const runUrl = (name) => `/api/runs/${encName(name)}`;

// ---------------------------------------------------------------- routes

function href(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "" && value !== false) query.set(key, value);
  }
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

const links = {
  runs: (filters) => href("/", filters),
  run: (name) => href(`/run/${encName(name)}`),
  samples: (name, params) => href(`/run/${encName(name)}/samples`, params),
  sample: (name, id, epoch) => href(`/run/${encName(name)}/sample/${encodeURIComponent(id)}`, { epoch }),
  survey: (name) => href(`/run/${encName(name)}/survey`),
  compare: (a, b) => href("/compare", { a, b }),
};

function decName(text) {
  return text.split("/").map(decodeURIComponent).join("/");
}

/** The current route: {page, name?, id?, params}. */
function parseRoute() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const at = hash.indexOf("?");
  const path = at < 0 ? hash : hash.slice(0, at);
  const params = new URLSearchParams(at < 0 ? "" : hash.slice(at + 1));
  if (path === "/" || path === "") return { page: "runs", params };
  if (path === "/compare") return { page: "compare", params };
  if (path.startsWith("/run/")) {
    const rest = path.slice("/run/".length);
    let m = rest.match(/^(.+)\/sample\/([^/]+)$/);
    if (m) return { page: "sample", name: decName(m[1]), id: decodeURIComponent(m[2]), params };
    m = rest.match(/^(.+)\/samples$/);
    if (m) return { page: "samples", name: decName(m[1]), params };
    m = rest.match(/^(.+)\/survey$/);
    if (m) return { page: "survey", name: decName(m[1]), params };
    return { page: "run", name: decName(rest), params };
  }
  return { page: "missing", params };
}

/** Each render gets a context: is it still the current route (or has the user moved on)? */
let generation = 0;

function context() {
  const mine = ++generation;
  return {
    alive: () => mine === generation,
    /** Call `fn` while this route is current and `fn` answers true (again in POLL_MS) or
     * a number (again in that many ms); `first`: the wait before the first call. */
    poll(fn, first = POLL_MS) {
      const tick = async () => {
        if (mine !== generation) return;
        let again = false;
        try {
          again = await fn();
        } catch {
          again = true; // a failed poll (a log mid-write) tries again
        }
        if (again && mine === generation) setTimeout(tick, typeof again === "number" ? again : POLL_MS);
      };
      setTimeout(tick, typeof first === "number" ? first : POLL_MS);
    },
  };
}

const root = () => document.getElementById("app");

const PAGES = {
  runs: renderRuns,
  run: renderRun,
  samples: renderSamples,
  sample: renderSample,
  survey: renderSurvey,
  compare: renderCompare,
  missing: async (view) => {
    put(
      view,
      h("p", { class: "error", testid: "error" }, "No such page."),
      h("a", { href: "#/" }, "All runs"),
    );
  },
};

async function route() {
  const ctx = context();
  let where;
  try {
    where = parseRoute();
  } catch {
    where = { page: "missing", params: new URLSearchParams() }; // a malformed %-escape
  }
  const view = h("div", { class: "page", testid: `page-${where.page}` });
  const what = where.page === "sample" ? `sample ${where.id}` : where.page;
  document.title = `${where.name ? `${what} · ${where.name}` : what} – evalrun view`;
  const app = root();
  clear(app);
  put(app, nav(where), view);
  put(view, h("p", { class: "loading", testid: "loading" }, "Loading…"));
  try {
    const loading = view.firstChild;
    await PAGES[where.page](view, where, ctx, () => loading.remove());
    if (ctx.alive() && loading.isConnected) loading.remove();
  } catch (exc) {
    if (!ctx.alive()) return;
    clear(view);
    put(view, errorBox(exc));
  }
}

function errorBox(exc) {
  return h(
    "div",
    { class: "error-box", testid: "error" },
    h("strong", {}, exc instanceof ApiError && exc.status ? `Error ${exc.status}: ` : "Error: "),
    exc.message,
  );
}

function nav(where) {
  const crumbs = [h("a", { href: "#/", class: "brand" }, "evalrun view")];
  if (where.name) {
    crumbs.push(
      " / ",
      h("a", { href: links.run(where.name), class: "mono", testid: "crumb-run" }, where.name),
    );
    if (where.page === "samples" || where.page === "sample") {
      crumbs.push(" / ", h("a", { href: links.samples(where.name) }, "samples"));
    }
    if (where.page === "sample") crumbs.push(" / ", h("span", { class: "mono" }, where.id));
    if (where.page === "survey") crumbs.push(" / survey");
  }
  if (where.page === "compare") crumbs.push(" / compare");
  return h("nav", { class: "top" }, crumbs);
}

// ---------------------------------------------------------------- runs list

const FILTERS = ["task", "model", "status", "job"];

function mainMetric(metrics) {
  for (const [scorer, values] of Object.entries(metrics || {})) {
    for (const [metric, value] of Object.entries(values || {})) {
      if (metric === "stderr") continue;
      return { scorer, metric, value };
    }
  }
  return null;
}

async function renderRuns(view, where, ctx) {
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

// ---------------------------------------------------------------- one run

async function optional(promise) {
  try {
    return await promise;
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) return null;
    throw exc;
  }
}

async function renderRun(view, where, ctx, loaded) {
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

function compact(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "object") {
    if (isEmpty(value)) return "–";
    if (!Array.isArray(value)) {
      return h(
        "span",
        { class: "mono small" },
        Object.entries(value)
          .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : v}`)
          .join("  "),
      );
    }
    return h(
      "span",
      { class: "mono small" },
      value.map((v) => (typeof v === "object" ? JSON.stringify(v) : v)).join(", "),
    );
  }
  return h("span", { class: "mono small" }, String(value));
}

/** A small picture of an interval on [0, 1] (or on the interval's own range). */
function intervalBar(ci) {
  const lo = Math.min(0, ci.low);
  const hi = Math.max(1, ci.high);
  const x = (v) => 4 + ((v - lo) / (hi - lo || 1)) * 112;
  return s(
    "svg",
    { class: "interval", width: 120, height: 14, viewBox: "0 0 120 14", role: "img" },
    s("title", {}, `${fmtNum(ci.low)} to ${fmtNum(ci.high)}`),
    s("line", { x1: 4, x2: 116, y1: 7, y2: 7, class: "axis" }),
    s("line", { x1: x(ci.low), x2: x(ci.high), y1: 7, y2: 7, class: "range" }),
    s("circle", { cx: x(ci.value), cy: 7, r: 3, class: "point" }),
  );
}

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

/** Horizontal bars: one `rect.bar` per [label, count]. */
function barChart(bins, { width = 420 } = {}) {
  if (!bins.length) return h("p", { class: "muted small" }, "nothing to chart");
  const labelW = Math.min(180, Math.max(40, ...bins.map(([l]) => String(l).length * 7 + 8)));
  const row = 22;
  const max = Math.max(1, ...bins.map(([, n]) => n));
  const barMax = width - labelW - 50;
  const height = bins.length * row + 4;
  return s(
    "svg",
    { class: "bars", width, height, viewBox: `0 0 ${width} ${height}`, role: "img" },
    bins.map(([label, count], i) => {
      const y = i * row + 2;
      const w = count ? Math.max(2, (count / max) * barMax) : 0;
      return s(
        "g",
        { class: "bin", "data-label": label, "data-count": count },
        s("text", { x: labelW - 6, y: y + 14, class: "label", "text-anchor": "end" }, truncate(label, 26)),
        s(
          "rect",
          { x: labelW, y: y + 2, width: w, height: row - 6, class: "bar", rx: 2 },
          s("title", {}, `${label}: ${count}`),
        ),
        s("text", { x: labelW + w + 5, y: y + 14, class: "count" }, fmtNum(count)),
      );
    }),
  );
}

// ---------------------------------------------------------------- samples

const SORTABLE = new Set(["id", "epoch", "tokens", "time"]);

async function renderSamples(view, where, ctx, loaded) {
  const name = where.name;
  const p = where.params;
  const state = {
    offset: Math.max(0, parseInt(p.get("offset") || "0", 10) || 0),
    sort: p.get("sort") || "",
    where: p.get("where") || "",
    failed: p.get("failed") === "1",
    errors: p.get("errors") === "1",
    // rows a page: PAGE unless the route asks for another (1 to 1000, the server's most)
    limit: Math.min(1000, Math.max(1, parseInt(p.get("limit") || "", 10) || PAGE)),
  };
  const go = (changes) => {
    const next = { ...state, ...changes };
    location.hash = links.samples(name, {
      offset: next.offset || null,
      sort: next.sort || null,
      where: next.where || null,
      failed: next.failed ? 1 : null,
      errors: next.errors ? 1 : null,
      limit: next.limit !== PAGE ? next.limit : null,
    });
  };

  const whereBox = h("input", {
    type: "text",
    class: "mono",
    testid: "where-input",
    placeholder: "where, e.g. score.match == 'I' and tokens > 30",
    value: state.where,
    size: 50,
  });
  const whereForm = h(
    "form",
    {
      class: "where",
      onsubmit: (event) => {
        event.preventDefault();
        go({ where: whereBox.value.trim(), offset: 0 });
      },
    },
    whereBox,
    h("button", { type: "submit", testid: "where-apply" }, "Apply"),
    state.where
      ? h("button", { type: "button", onclick: () => go({ where: "", offset: 0 }) }, "Clear")
      : null,
  );
  const whereError = h("div", { class: "error small", testid: "where-error", hidden: true });
  const check = (key, label) =>
    h(
      "label",
      { class: "check" },
      h("input", {
        type: "checkbox",
        testid: `${key}-only`,
        checked: state[key],
        onchange: (e) => go({ [key]: e.target.checked, offset: 0 }),
      }),
      ` ${label}`,
    );

  const title = h("div", { class: "title" }, h("h1", {}, "Samples"));
  const info = h("span", { testid: "rows-info", class: "rows-info" });
  const prev = h(
    "button",
    { testid: "prev", onclick: () => go({ offset: Math.max(0, state.offset - state.limit) }) },
    "← prev",
  );
  const next = h(
    "button",
    { testid: "next", onclick: () => go({ offset: state.offset + state.limit }) },
    "next →",
  );
  const table = h("div", { class: "table-wrap" });
  put(
    view,
    title,
    h("p", { class: "mono small muted" }, name),
    h("div", { class: "toolbar" }, check("failed", "failed only"), check("errors", "errors only"), whereForm),
    whereError,
    h("div", { class: "toolbar pager" }, prev, next, info),
    table,
  );

  const draw = async () => {
    const [run, page] = await Promise.all([
      api(runUrl(name)),
      api(`${runUrl(name)}/samples`, {
        offset: state.offset,
        limit: state.limit,
        sort: state.sort,
        where: state.where,
        failed: state.failed ? 1 : null,
        errors: state.errors ? 1 : null,
      }).catch((exc) => {
        if (exc instanceof ApiError && exc.status === 400) return { badQuery: exc.message };
        throw exc;
      }),
    ]);
    if (!ctx.alive()) return false;
    loaded();
    clear(title);
    const live = run.status === "started" || Boolean(page.live);
    // a big log the server has not read to its end yet: the rows read so far, more soon
    const reading = page.complete === false;
    put(
      title,
      h("h1", {}, "Samples of ", h("a", { href: links.run(name) }, run.header?.task || name)),
      statusBadge(run.status),
      live ? badge("live", "live", "live") : null,
      reading ? badge(`reading the log: ${fmtNum(page.indexed ?? 0)} rows so far`, "live", "reading") : null,
    );
    const again = live ? true : reading ? READING_MS : false;
    if (page.badQuery) {
      whereError.hidden = false;
      whereError.textContent = page.badQuery;
      info.textContent = "no rows";
      prev.disabled = next.disabled = true;
      clear(table);
      return again;
    }
    whereError.hidden = true;
    whereError.textContent = "";
    const rows = page.rows || [];
    const total = page.total ?? rows.length;
    const sofar = live || reading ? " so far" : "";
    info.textContent = rows.length
      ? `rows ${state.offset + 1}–${state.offset + rows.length} of ${total}${sofar}`
      : `rows 0 of ${total}${sofar}`;
    prev.disabled = state.offset === 0;
    next.disabled = state.offset + rows.length >= total;
    clear(table);
    put(table, samplesTable(name, page, state, go));
    return again;
  };
  const again = await draw();
  if (again) ctx.poll(draw, again);
}

function samplesTable(name, page, state, go) {
  const scorers = page.scorers || [];
  const NUMERIC = new Set(["epoch", "tokens", "time"]);
  const header = (label, key) => {
    if (!key) return h("th", {}, label);
    const now = state.sort === key ? " ▲" : state.sort === `-${key}` ? " ▼" : "";
    return h(
      "th",
      {
        class: NUMERIC.has(key) ? "sortable num" : "sortable",
        testid: `sort-${key}`,
        title: "sort",
        onclick: () => go({ sort: state.sort === key ? `-${key}` : key, offset: 0 }),
      },
      label,
      now,
    );
  };
  const rows = (page.rows || []).map((row) => {
    const open = () => (location.hash = links.sample(name, row.id, row.epoch));
    return h(
      "tr",
      {
        class: `clickable ${row.error ? "row-error" : ""}`,
        testid: "sample-row",
        "data-id": row.id,
        onclick: open,
      },
      h(
        "td",
        { class: "mono" },
        h("a", { href: links.sample(name, row.id, row.epoch), testid: "sample-link" }, String(row.id)),
      ),
      h("td", { class: "num" }, row.epoch),
      scorers.map((scorer) => h("td", { class: "score" }, scoreCell(row.scores ? row.scores[scorer] : null))),
      h("td", { class: "answer mono", title: row.answer ?? "" }, truncate(row.answer, 60)),
      h(
        "td",
        {},
        row.error ? badge(row.error, "error", null) : "",
        row.error_message
          ? h(
              "span",
              { class: "small muted", title: row.error_message },
              ` ${truncate(row.error_message, 40)}`,
            )
          : null,
      ),
      h("td", {}, row.limit ? badge(row.limit, "limit") : ""),
      h("td", { class: "num", testid: "cell-tokens" }, fmtNum(row.tokens)),
      h("td", { class: "num nowrap", testid: "cell-time" }, fmtTime(row.time)),
      h(
        "td",
        {},
        row.cached ? badge("cached", "cached") : null,
        row.reused ? badge("reused", "reused") : null,
      ),
    );
  });
  return h(
    "table",
    { class: "grid samples", testid: "samples-table" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        header("id", "id"),
        header("epoch", "epoch"),
        scorers.map((sc) => header(sc, `score.${sc}`)),
        header("answer"),
        header("error"),
        header("limit"),
        header("tokens", "tokens"),
        header("time", "time"),
        header(""),
      ),
    ),
    h("tbody", {}, rows),
  );
}

function scoreCell(value) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "–");
  if (value === "C") return badge("C", "pass");
  if (value === "I") return badge("I", "fail");
  return fmtValue(value);
}

// ---------------------------------------------------------------- one sample

async function renderSample(view, where, ctx) {
  const name = where.name;
  const body = await api(`${runUrl(name)}/samples/${encodeURIComponent(where.id)}`);
  if (!ctx.alive()) return;
  const samples = body.samples || [];
  if (!samples.length) throw new ApiError(404, `no sample ${where.id}`);
  const wanted = parseInt(where.params.get("epoch") || "", 10);
  const sample = samples.find((x) => x.epoch === wanted) || samples[0];

  put(
    view,
    h(
      "div",
      { class: "title" },
      h("h1", {}, "Sample ", h("span", { class: "mono", testid: "sample-id" }, String(sample.id))),
      sample.error ? badge("error", "error") : null,
      sample.limit ? badge(`limit: ${sample.limit.kind}`, "limit") : null,
      sample.reused ? badge("reused", "reused", "reused") : null,
      sample.output?.cached ? badge("cached", "cached", "cached") : null,
    ),
  );
  if (samples.length > 1) {
    put(
      view,
      h(
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
      ),
    );
  }

  const target = Array.isArray(sample.target) ? sample.target.join(" | ") : sample.target;
  put(
    view,
    section(
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
    ),
  );

  // the transcript
  put(
    view,
    section(
      "Transcript",
      { testid: "transcript" },
      (sample.messages || []).length
        ? (sample.messages || []).map((m) =>
            h(
              "div",
              { class: `msg role-${m.role}`, testid: "message", "data-role": m.role },
              h("div", { class: "role" }, m.role, m.name ? ` (${m.name})` : ""),
              h("pre", { class: "content" }, messageText(m.content)),
              m.tool_calls ? pre(m.tool_calls) : null,
            ),
          )
        : h("p", { class: "muted" }, "No messages."),
    ),
  );

  // scores
  const scoreEntries = Object.entries(sample.scores || {});
  put(
    view,
    section(
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
    ),
  );

  // errors, limit, retries
  if (sample.error) {
    put(
      view,
      section(
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
      ),
    );
  }
  if (sample.limit) {
    const l = sample.limit;
    put(
      view,
      section(
        "Limit",
        { testid: "sample-limit" },
        kvTable([
          ["kind", l.kind],
          ["limit", fmtValue(l.limit)],
          ["used", fmtValue(l.used)],
          ["message", l.message || "–"],
        ]),
      ),
    );
  }
  // the model calls' retries: the output's retry log, or (no output: the call failed) the
  // sample's own record of them
  const retryLog = !isEmpty(sample.output?.retry_log) ? sample.output.retry_log : sample.retries || [];
  if (!isEmpty(sample.errors) || retryLog.length) {
    put(
      view,
      section(
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
                  h(
                    "tr",
                    {},
                    h("th", {}, "#"),
                    h("th", {}, "error"),
                    h("th", {}, "wait before the next try"),
                  ),
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
      ),
    );
  }

  // a survey's answers
  const survey = sample.store?.survey;
  if (survey) {
    const answers = Object.entries(survey.answers || {});
    put(
      view,
      section(
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
      ),
    );
  }
  const otherStore = Object.fromEntries(Object.entries(sample.store || {}).filter(([k]) => k !== "survey"));
  if (!isEmpty(otherStore)) put(view, section("Store", {}, pre(otherStore)));

  // usage and time
  const u = sample.usage || {};
  const o = sample.output || {};
  put(
    view,
    section(
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
    ),
  );
}

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

// ---------------------------------------------------------------- survey

async function renderSurvey(view, where, ctx) {
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

/** An arc's label: its kind, then what the rule says (once: "skip if x" not "skip: skip if x"). */
function edgeLabel(e) {
  const label = e.label || "";
  if (!label || label === e.kind) return e.kind;
  return truncate(label.startsWith(e.kind) ? label : `${e.kind}: ${label}`, 40);
}

const EDGE_STYLE = {
  order: { side: 0, dash: null },
  skip: { side: 1, dash: "6 4" },
  jump: { side: 1, dash: "6 4" },
  stop: { side: 1, dash: "2 3" },
  pipes: { side: -1, dash: "2 3" },
  memory: { side: -1, dash: "6 4" },
};

/** A node's label: its first line (the question's name), then the rest smaller. */
function nodeText(label, x, yMid) {
  const [first, ...rest] = label.split("\n");
  const second = rest.join(" ");
  if (!second) return s("text", { x, y: yMid + 4, "text-anchor": "middle" }, truncate(first, 24));
  return s(
    "text",
    { x, y: yMid - 2, "text-anchor": "middle" },
    s("tspan", { class: "node-name" }, truncate(first, 24)),
    s("tspan", { x, dy: 12, class: "node-type" }, truncate(second, 28)),
  );
}

/** The flow: nodes top to bottom, order edges straight down, the others as labelled arcs. */
function flowChart(flow) {
  const nodes = flow.nodes || [];
  const edges = flow.edges || [];
  const boxW = 170;
  const boxH = 34;
  const gap = 26;
  const rowH = boxH + gap;
  const left = 210;
  const width = left + boxW + 300;
  const height = nodes.length * rowH + 10;
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const yMid = (i) => 8 + i * rowH + boxH / 2;
  const lanes = { 1: 0, "-1": 0 };

  const marker = (id, cls) =>
    s(
      "marker",
      {
        id,
        viewBox: "0 0 10 10",
        refX: 9,
        refY: 5,
        markerWidth: 7,
        markerHeight: 7,
        orient: "auto-start-reverse",
      },
      s("path", { d: "M0,0 L10,5 L0,10 z", class: cls }),
    );

  const drawn = edges.map((e) => {
    const from = index.get(e.source);
    const to = index.get(e.target);
    if (from === undefined || to === undefined) return null;
    const style = EDGE_STYLE[e.kind] || { side: 1, dash: "4 4" };
    const cls = `edge edge-${e.kind}`;
    const attrs = { class: cls, "data-kind": e.kind, "data-source": e.source, "data-target": e.target };
    if (style.side === 0 && to === from + 1) {
      const x = left + boxW / 2;
      return s(
        "g",
        attrs,
        s("path", {
          d: `M${x},${yMid(from) + boxH / 2} L${x},${yMid(to) - boxH / 2}`,
          class: "line",
          "marker-end": "url(#arrow)",
        }),
        e.label
          ? s("text", { x: x + 6, y: (yMid(from) + yMid(to)) / 2 + 4, class: "edge-label" }, e.label)
          : null,
      );
    }
    const side = style.side === 0 ? 1 : style.side;
    const lane = lanes[side]++;
    const x0 = side > 0 ? left + boxW : left;
    const reach = 30 + Math.abs(to - from) * 6 + (lane % 6) * 14;
    const cx = x0 + side * reach * 1.35;
    const y0 = yMid(from) + (to > from ? 4 : -4);
    const y1 = yMid(to) + (to > from ? -4 : 4);
    const d = `M${x0},${y0} C${cx},${y0} ${cx},${y1} ${x0},${y1}`;
    const labelX = x0 + side * reach + (side > 0 ? 4 : -4);
    const labelY = (y0 + y1) / 2 + 4;
    return s(
      "g",
      attrs,
      s("path", { d, class: "line", "stroke-dasharray": style.dash || null, "marker-end": "url(#arrow)" }),
      s(
        "text",
        { x: labelX, y: labelY, class: "edge-label", "text-anchor": side > 0 ? "start" : "end" },
        edgeLabel(e),
      ),
    );
  });

  const boxes = nodes.map((n, i) =>
    s(
      "g",
      { class: `node node-${n.kind}`, "data-id": n.id, testid: "flow-node" },
      n.kind === "question"
        ? s("rect", { x: left, y: 8 + i * rowH, width: boxW, height: boxH, rx: 4 })
        : s("rect", { x: left + 35, y: 8 + i * rowH, width: boxW - 70, height: boxH, rx: boxH / 2 }),
      nodeText(String(n.label ?? n.id), left + boxW / 2, 8 + i * rowH + boxH / 2),
      s("title", {}, n.label ?? n.id),
    ),
  );

  return h(
    "div",
    { class: "flow", testid: "flow" },
    s(
      "svg",
      { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", class: "flow-svg" },
      s("defs", {}, marker("arrow", "arrowhead")),
      drawn,
      boxes,
    ),
    h(
      "div",
      { class: "legend small" },
      Object.entries(EDGE_STYLE).map(([kind, st]) =>
        h(
          "span",
          { class: "legend-item" },
          s(
            "svg",
            { width: 34, height: 10 },
            s("line", {
              x1: 2,
              x2: 32,
              y1: 5,
              y2: 5,
              class: `legend-line edge-${kind}`,
              "stroke-dasharray": st.dash,
            }),
          ),
          ` ${kind}`,
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------- compare

async function renderCompare(view, where, ctx) {
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
  const idList = (ids, testid) =>
    ids && ids.length
      ? h(
          "ul",
          { class: "ids", testid },
          ids.map((id) =>
            h("li", {}, h("a", { href: links.sample(b, id), class: "mono", testid: "id-link" }, String(id))),
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
        idList(sc.regressions, "regressions"),
        h("h3", {}, `Improvements (${(sc.improvements || []).length})`),
        idList(sc.improvements, "improvements"),
      ),
    ),
    section(
      "Unpaired",
      { testid: "unpaired" },
      h("h3", {}, `Samples only in A (${(data.only_a || []).length})`),
      data.only_a?.length
        ? h(
            "ul",
            { class: "ids", testid: "only-a" },
            data.only_a.map((id) =>
              h("li", {}, h("a", { href: links.sample(a, id), class: "mono" }, String(id))),
            ),
          )
        : h("p", { class: "muted small", testid: "only-a" }, "none"),
      h("h3", {}, `Samples only in B (${(data.only_b || []).length})`),
      idList(data.only_b, "only-b"),
      !isEmpty(data.scorers_only_a)
        ? h("p", {}, `Scorers only in A: ${data.scorers_only_a.map((x) => x.scorer ?? x).join(", ")}`)
        : null,
      !isEmpty(data.scorers_only_b)
        ? h("p", {}, `Scorers only in B: ${data.scorers_only_b.map((x) => x.scorer ?? x).join(", ")}`)
        : null,
    ),
  );
}

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

// ---------------------------------------------------------------- start

window.addEventListener("hashchange", route);
route();
