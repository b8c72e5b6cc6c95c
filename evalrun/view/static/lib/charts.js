// SVG charts: horizontal bar charts (score distributions, survey answers) and the
// small interval bar of a metric's confidence interval.

import { h, s } from "./dom.js";
import { fmtNum, truncate } from "./format.js";

/** Horizontal bars: one `rect.bar` per [label, count]. */
export function barChart(bins, { width = 420 } = {}) {
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

/** A small picture of an interval on [0, 1] (or on the interval's own range). */
export function intervalBar(ci) {
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
