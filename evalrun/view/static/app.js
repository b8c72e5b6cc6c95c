// evalrun view: the browser front-end of the read-only log viewer.
//
// One page, hash routes (so a single URL serves it all), each page's code in pages/:
//   #/?task=&model=&status=&job=           runs list                     pages/runs.js
//   #/run/NAME                              one run                       pages/run.js
//   #/run/NAME/samples?offset=&sort=&where=&failed=&errors=               pages/samples.js
//   #/run/NAME/sample/ID?epoch=N            one sample                    pages/sample.js
//   #/run/NAME/survey                       a survey's answers and flow   pages/survey.js
//   #/compare?a=NAME&b=NAME                 two runs compared             pages/compare.js
//
// Shared code, in lib/: dom.js (the h() element builder), format.js (numbers, times,
// dates), widgets.js (badges, tables, cards, the error box), api.js (fetching the JSON
// API), routes.js (page addresses), live.js (live refresh), charts.js (SVG bar charts).
//
// Log contents are untrusted: every piece of data goes into the page as text
// (createElement / textContent), never as HTML.
//
// This file is the entry point only: the router (a hash route → its page's render
// function), the top navigation, and boot.

import { clear, h, put } from "./lib/dom.js";
import { context } from "./lib/live.js";
import { links, parseRoute } from "./lib/routes.js";
import { errorBox } from "./lib/widgets.js";
import { renderCompare } from "./pages/compare.js";
import { renderRun } from "./pages/run.js";
import { renderRuns } from "./pages/runs.js";
import { renderSample } from "./pages/sample.js";
import { renderSamples } from "./pages/samples.js";
import { renderSurvey } from "./pages/survey.js";

const root = () => document.getElementById("app");

/** Each route's page: render(view, where, ctx, loaded) fills `view`. */
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

/** Draw the current route's page (on load and on each hash change); a failure shows as an error box. */
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

/** The breadcrumbs at the top: evalrun view / run / samples / sample. */
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

window.addEventListener("hashchange", route);
route();
