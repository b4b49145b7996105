// A hand-written SVG time chart: one metric as an area, hover and arrow-key readout.

import { clear, h, s } from "./dom.js";

const HEIGHT = 240;
const PAD = { top: 16, right: 16, bottom: 28, left: 48 };

function niceMax(value) {
  if (value <= 0) return 4;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

// For counts: four whole-number steps (a realtime minute has a visitor or two, not 0.25 of one).
function wholeMax(value) {
  const quarter = Math.max(value / 4, 1);
  const scale = 10 ** Math.floor(Math.log10(quarter));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (m * scale >= quarter && Number.isInteger(m * scale)) return 4 * m * scale;
  }
  return 40 * scale;
}

function shortLabel(label, interval) {
  if (interval === "hour" || interval === "minute") return label.slice(11, 16);
  if (interval === "month") {
    const d = new Date(`${label.slice(0, 7)}-01T00:00:00Z`);
    return d.toLocaleDateString("en", { month: "short", year: "2-digit", timeZone: "UTC" });
  }
  const d = new Date(`${label.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? label : d.toLocaleDateString("en", { day: "numeric", month: "short", timeZone: "UTC" });
}

function longLabel(label, interval) {
  if (interval === "hour" || interval === "minute") return label.slice(0, 16).replace("T", " ");
  if (interval === "week") return `Week of ${shortLabel(label, "day")}`;
  return shortLabel(label, interval === "month" ? "month" : "day");
}

// points: [{label, value}], format: value -> text.
export function drawChart(container, points, { interval, metricLabel, format, whole = false }) {
  clear(container);
  if (!points.length) {
    container.append(h("p", { class: "muted chart-empty" }, "No data for this range."));
    return;
  }
  const width = Math.max(container.clientWidth || 600, 280);
  const innerW = width - PAD.left - PAD.right;
  const innerH = HEIGHT - PAD.top - PAD.bottom;
  const top = Math.max(...points.map((p) => p.value || 0));
  const max = whole ? wholeMax(top) : niceMax(top);
  const x = (i) => PAD.left + (points.length === 1 ? innerW / 2 : (i * innerW) / (points.length - 1));
  const y = (v) => PAD.top + innerH - ((v || 0) / max) * innerH;

  const svg = s("svg", {
    viewBox: `0 0 ${width} ${HEIGHT}`,
    width,
    height: HEIGHT,
    class: "chart-svg",
    role: "img",
    "aria-label": `${metricLabel} over time`,
  });
  const gradient = s(
    "linearGradient",
    { id: "chart-fill", x1: 0, x2: 0, y1: 0, y2: 1 },
    s("stop", { offset: "0%", class: "fill-top" }),
    s("stop", { offset: "100%", class: "fill-bottom" }),
  );
  svg.append(s("defs", {}, gradient));

  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    svg.append(s("line", { x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(s("text", { x: PAD.left - 8, y: y(v) + 4, class: "axis", "text-anchor": "end" }, format(v)));
  }
  const labelEvery = Math.max(1, Math.ceil(points.length / Math.max(2, Math.floor(innerW / 70))));
  points.forEach((p, i) => {
    if (i % labelEvery === 0 || (points.length <= 2 && i === points.length - 1)) {
      svg.append(s("text", { x: x(i), y: HEIGHT - 8, class: "axis", "text-anchor": "middle" }, shortLabel(p.label, interval)));
    }
  });

  const line = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join("");
  const base = y(0).toFixed(1);
  svg.append(s("path", { d: `${line}L${x(points.length - 1).toFixed(1)},${base}L${x(0).toFixed(1)},${base}Z`, class: "area" }));
  svg.append(s("path", { d: line, class: "line" }));
  if (points.length <= 60) points.forEach((p, i) => svg.append(s("circle", { cx: x(i), cy: y(p.value), r: 2.5, class: "dot" })));

  const cursor = s("line", { y1: PAD.top, y2: PAD.top + innerH, class: "cursor", visibility: "hidden" });
  const marker = s("circle", { r: 5, class: "marker", visibility: "hidden" });
  svg.append(cursor, marker);

  const tip = h("div", { class: "chart-tip", hidden: true });
  const wrap = h("div", { class: "chart-wrap", tabindex: 0, "aria-label": `${metricLabel} chart; use arrow keys to read values` }, svg, tip);
  let current = -1;

  function show(i) {
    current = Math.max(0, Math.min(points.length - 1, i));
    const p = points[current];
    cursor.setAttribute("x1", x(current));
    cursor.setAttribute("x2", x(current));
    cursor.setAttribute("visibility", "visible");
    marker.setAttribute("cx", x(current));
    marker.setAttribute("cy", y(p.value));
    marker.setAttribute("visibility", "visible");
    clear(tip).append(h("strong", {}, longLabel(p.label, interval)), h("span", {}, `${metricLabel}: ${format(p.value)}`));
    tip.hidden = false;
    const left = Math.min(Math.max(x(current) - 70, 0), width - 150);
    tip.style.left = `${left}px`;
  }
  function hide() {
    cursor.setAttribute("visibility", "hidden");
    marker.setAttribute("visibility", "hidden");
    tip.hidden = true;
  }
  svg.addEventListener("mousemove", (event) => {
    const box = svg.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * width;
    const step = points.length > 1 ? innerW / (points.length - 1) : innerW;
    show(Math.round((px - PAD.left) / step));
  });
  svg.addEventListener("mouseleave", hide);
  wrap.addEventListener("blur", hide);
  wrap.addEventListener("keydown", (event) => {
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      event.preventDefault();
      show(current < 0 ? points.length - 1 : current + (event.key === "ArrowRight" ? 1 : -1));
    } else if (event.key === "Escape") hide();
  });
  container.append(wrap);
}
