// Small building blocks shared by the pages: badges, key/value tables, <pre> blocks,
// cards, <details> that stay open across live refresh, compact values, score cells,
// the error box.

import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { fmtValue, isEmpty } from "./format.js";

/** A small coloured label; `kind` picks its colour (the text's own by default). */
export function badge(text, kind, testid) {
  return h("span", { class: `badge badge-${kind || String(text).replace(/\s+/g, "-")}`, testid }, text);
}

/** A run's status as a badge (testid `status`). */
export function statusBadge(status) {
  return badge(status, status, "status");
}

/** A key/value table of `entries` ([key, value] pairs; values are nodes or text). */
export function kvTable(entries, attrs) {
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

/** A <pre> block: text as it is, anything else as indented JSON. */
export function pre(text, attrs) {
  return h(
    "pre",
    { class: "block", ...attrs },
    typeof text === "string" ? text : JSON.stringify(text, null, 2),
  );
}

/** A card with a title. */
export function section(title, attrs, ...children) {
  return h("section", { class: "card", ...attrs }, h("h2", {}, title), children);
}

/** <details> that keeps its open state across the re-renders of live refresh. */
const openDetails = new Set();
export function details(key, summary, ...children) {
  const el = h("details", { open: openDetails.has(key) }, h("summary", {}, summary), children);
  el.addEventListener("toggle", () => (el.open ? openDetails.add(key) : openDetails.delete(key)));
  return el;
}

/** A value in one short line: an object as `k=v  k=v`, a list as `a, b`. */
export function compact(value) {
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

/** A sample's score: C and I as pass/fail badges, anything else as text. */
export function scoreCell(value) {
  if (value === null || value === undefined) return h("span", { class: "muted" }, "–");
  if (value === "C") return badge("C", "pass");
  if (value === "I") return badge("I", "fail");
  return fmtValue(value);
}

/** An error (an ApiError with its HTTP status) as the page's error box. */
export function errorBox(exc) {
  return h(
    "div",
    { class: "error-box", testid: "error" },
    h("strong", {}, exc instanceof ApiError && exc.status ? `Error ${exc.status}: ` : "Error: "),
    exc.message,
  );
}
