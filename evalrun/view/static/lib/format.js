// Formatting: numbers, metrics, p-values, times, dates, costs and any value as short text.

export function fmtNum(x, digits = 3) {
  if (x === null || x === undefined) return "–";
  if (typeof x !== "number") return String(x);
  if (Number.isInteger(x)) return x.toLocaleString("en");
  if (Math.abs(x) >= 1000) return x.toLocaleString("en", { maximumFractionDigits: 1 });
  return x.toFixed(digits);
}

/** A metric's value: three decimals, whole numbers too (1.000, not 1). */
export function fmtMetric(x) {
  if (typeof x !== "number") return fmtNum(x);
  return Math.abs(x) >= 1000 ? fmtNum(x) : x.toFixed(3);
}

export function fmtP(p) {
  if (p === null || p === undefined) return "–";
  if (p === 0) return "0";
  if (p < 0.001) return p.toExponential(1);
  return p.toPrecision(3);
}

export function fmtTime(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 0)} ms`;
  if (seconds < 120) return `${seconds.toFixed(2)} s`;
  return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

export function fmtDate(text) {
  if (!text) return "–";
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return String(text);
  return date
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$|Z$/, " UTC");
}

export function fmtCost(cost) {
  if (cost === null || cost === undefined) return "–";
  return `$${cost.toFixed(cost > 0 && cost < 0.01 ? 6 : 4)}`;
}

export function fmtValue(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") return fmtNum(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export function truncate(text, n) {
  if (text === null || text === undefined) return "";
  const t = String(text);
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
}

export function isEmpty(value) {
  if (value === null || value === undefined || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}
