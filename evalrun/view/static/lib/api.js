// The JSON API: api() GETs an endpoint and throws ApiError with the body's `error`;
// the URLs of a run's endpoints.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** `params` as a query string (no `?`); null, undefined, "" and false left out. */
export function queryString(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== null && value !== undefined && value !== "" && value !== false) query.set(key, value);
  }
  return query.toString();
}

/** GET a JSON endpoint; a non-2xx answer throws ApiError with the body's `error`. */
export async function api(path, params) {
  const query = queryString(params);
  const url = query ? `${path}?${query}` : path;
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
export function encName(name) {
  return name.split("/").map(encodeURIComponent).join("/");
}

/** A run's endpoint: /api/runs/NAME (then /samples, /scores, /survey...). */
export const runUrl = (name) => `/api/runs/${encName(name)}`;

/** `promise`'s answer, or null if it is a 404. */
export async function optional(promise) {
  try {
    return await promise;
  } catch (exc) {
    if (exc instanceof ApiError && exc.status === 404) return null;
    throw exc;
  }
}
