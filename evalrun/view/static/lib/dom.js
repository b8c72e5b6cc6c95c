// The element builder: h() for HTML, s() for SVG, put() and clear().
//
// Log contents are untrusted: children are always added as text nodes (or as nodes
// built here), attributes with setAttribute; nothing is ever parsed as HTML.

const SVG = "http://www.w3.org/2000/svg";

/** An element: h("a", {href, class, testid, onclick}, child, [children], "text"). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element (attributes set as they are; children as in `h`). */
export function s(tag, attrs, ...children) {
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
export function put(el, ...children) {
  append(el, children);
}

/** Remove every child of `el`. */
export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}
