// DOM building for data a tracker sent: text only ever goes through text nodes and attribute
// values, never parsed as markup, so a page title like "<img onerror=...>" stays text.

const SVG_NS = "http://www.w3.org/2000/svg";

function put(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.setAttribute("class", value);
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  return el;
}

export function h(tag, attrs = {}, ...children) {
  const el = put(document.createElement(tag), attrs);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function s(tag, attrs = {}, ...children) {
  const el = put(document.createElementNS(SVG_NS, tag), attrs);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en");

export function num(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "–";
  return Math.abs(n) >= 10000 ? compact.format(n) : whole.format(Math.round(n * 100) / 100);
}

export function exact(n) {
  return n === null || n === undefined ? "–" : whole.format(n);
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${sec}s`;
  return `${sec}s`;
}

const regionNames = typeof Intl.DisplayNames === "function" ? new Intl.DisplayNames(["en"], { type: "region" }) : null;

export function countryName(code) {
  if (typeof code !== "string" || !/^[A-Z]{2}$/.test(code)) return null;
  try {
    return regionNames ? regionNames.of(code) : code;
  } catch {
    return code;
  }
}

export function flag(code) {
  if (typeof code !== "string" || !/^[A-Z]{2}$/.test(code)) return "";
  return String.fromCodePoint(...[...code].map((c) => 0x1f1a5 + c.charCodeAt(0)));
}
