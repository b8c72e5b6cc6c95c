// The survey page's flow drawing: questions top to bottom, order edges straight down,
// skips, jumps, stops, pipes and memory as labelled arcs, and a legend.

import { h, s } from "../lib/dom.js";
import { truncate } from "../lib/format.js";

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
export function flowChart(flow) {
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
