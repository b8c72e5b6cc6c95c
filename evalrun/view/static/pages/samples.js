// A run's samples (#/run/NAME/samples?offset=&sort=&where=&failed=&errors=&limit=):
// filters, the `where` box, paging, the sortable table. Live: redrawn while the run is
// in progress or the server is still reading the log.

import { ApiError, api, runUrl } from "../lib/api.js";
import { clear, h, put } from "../lib/dom.js";
import { fmtNum, fmtTime, truncate } from "../lib/format.js";
import { READING_MS } from "../lib/live.js";
import { links } from "../lib/routes.js";
import { badge, scoreCell, statusBadge } from "../lib/widgets.js";

const PAGE = 50;

/** The samples page: the toolbar drawn once, the title, pager and table redrawn by each poll. */
export async function renderSamples(view, where, ctx, loaded) {
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

/** The table of one page of rows; a column header click sorts, a row click opens the sample. */
function samplesTable(name, page, state, go) {
  const scorers = page.scorers || [];
  const NUMERIC = new Set(["epoch", "tokens", "time", "turns"]);
  // an agent's rows: its turns and why its loop ended (other logs' tables as they were)
  const agents = (page.rows || []).some((row) => row.turns !== undefined && row.turns !== null);
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
      agents ? h("td", { class: "num", testid: "cell-turns" }, fmtNum(row.turns ?? null)) : null,
      agents ? h("td", { class: "mono small", testid: "cell-end" }, row.end ?? "–") : null,
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
        agents ? header("turns", "turns") : null,
        agents ? header("end") : null,
        header("tokens", "tokens"),
        header("time", "time"),
        header(""),
      ),
    ),
    h("tbody", {}, rows),
  );
}
