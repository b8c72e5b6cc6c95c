// Hash routes: links.* build a page's `#/...` address, parseRoute() reads the current one.

import { encName, queryString } from "./api.js";

/** A hash route: `#PATH?QUERY` (empty parameters left out). */
function href(path, params) {
  const text = queryString(params);
  return `#${path}${text ? `?${text}` : ""}`;
}

/** Each page's address. */
export const links = {
  runs: (filters) => href("/", filters),
  run: (name) => href(`/run/${encName(name)}`),
  samples: (name, params) => href(`/run/${encName(name)}/samples`, params),
  sample: (name, id, epoch) => href(`/run/${encName(name)}/sample/${encodeURIComponent(id)}`, { epoch }),
  survey: (name) => href(`/run/${encName(name)}/survey`),
  compare: (a, b) => href("/compare", { a, b }),
};

/** A log name from a route: each segment decoded. */
function decName(text) {
  return text.split("/").map(decodeURIComponent).join("/");
}

/** The current route: {page, name?, id?, params}. */
export function parseRoute() {
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
