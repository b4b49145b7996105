// The site dashboard: date range, filters and interval live in the URL; every number comes from
// the public stats API; every piece of tracker data is drawn as text (see dom.js).

import { PERIODS, intervalsFor, query, resolvePeriod, shared, validDay } from "./api.js";
import { drawChart } from "./chart.js";
import { clear, duration, exact, h, num } from "./dom.js";
import { DIMENSION_LABELS, Panel } from "./panels.js";

const root = document.getElementById("dashboard");
const REFRESH_REALTIME_MS = 15000;
const MAX_FILTERS = 20;

const STATS = [
  { metric: "visitors", label: "Unique visitors", format: num },
  { metric: "visits", label: "Visits", format: num },
  { metric: "pageviews", label: "Pageviews", format: num },
  { metric: "views_per_visit", label: "Views per visit", format: (v) => (v === null || v === undefined ? "–" : v.toFixed(2)) },
  { metric: "bounce_rate", label: "Bounce rate", format: (v) => (v === null || v === undefined ? "–" : `${Math.round(v)}%`), lowerIsBetter: true },
  { metric: "visit_duration", label: "Visit duration", format: duration },
];
const REALTIME_STATS = ["visitors", "visits", "pageviews"];
const SESSION_METRICS = ["bounce_rate", "visit_duration", "views_per_visit"];

// The stats API refuses visit-level metrics under some filters (reference/plausible.md §4.2):
// views per visit with a page filter, all of them with an event name or property filter.
function available(metric, filters) {
  const dims = filters.map((f) => f[1]);
  const eventFiltered = dims.some((d) => d.startsWith("event:") && d !== "event:page" && d !== "event:hostname");
  if (metric === "views_per_visit" && dims.includes("event:page")) return false;
  return !(SESSION_METRICS.includes(metric) && eventFiltered);
}

// The metric the chart shows: the realtime view has only its own few.
function chartMetric(period) {
  return period.realtime && !REALTIME_STATS.includes(state.metric) ? "visitors" : state.metric;
}

// -- state in the URL ---------------------------------------------------------------------------

function readState() {
  const params = new URLSearchParams(window.location.search);
  let filters = [];
  try {
    const raw = JSON.parse(params.get("filters") || "[]");
    if (Array.isArray(raw)) {
      filters = raw
        .filter((f) => Array.isArray(f) && f.length === 3 && typeof f[0] === "string" && typeof f[1] === "string" && Array.isArray(f[2]))
        .slice(0, MAX_FILTERS);
    }
  } catch {
    filters = [];
  }
  const period = PERIODS.some(([key]) => key === params.get("period")) ? params.get("period") : "30d";
  // The custom property shown in the events panel (`props` was its older, comma-separated name).
  const prop = (params.get("prop") || (params.get("props") || "").split(",")[0]).trim().slice(0, 300);
  return {
    period,
    from: validDay(params.get("from")) ? params.get("from") : "",
    to: validDay(params.get("to")) ? params.get("to") : "",
    interval: params.get("interval") || "",
    metric: STATS.some((st) => st.metric === params.get("metric")) ? params.get("metric") : "visitors",
    filters,
    prop,
  };
}

function writeState() {
  const params = new URLSearchParams();
  if (shared) params.set("t", shared);
  else params.set("site", root.dataset.site);
  params.set("period", state.period);
  if (state.period === "custom") {
    params.set("from", state.from);
    params.set("to", state.to);
  }
  if (state.interval) params.set("interval", state.interval);
  if (state.metric !== "visitors") params.set("metric", state.metric);
  if (state.filters.length) params.set("filters", JSON.stringify(state.filters));
  if (state.prop) params.set("prop", state.prop);
  window.history.replaceState(null, "", `${window.location.pathname}?${params}`);
}

const state = readState();
let controller = null;
let refreshTimer = null;
let lastChart = null;

// -- shared query context -------------------------------------------------------------------------

function resolved() {
  return resolvePeriod(state.period, state.from, state.to);
}

const dashboard = {
  queryContext() {
    return { range: resolved().range, filters: state.filters, signal: controller.signal };
  },
  addFilter(op, dimension, value) {
    if (value === null || value === undefined) return;
    const clause = String(value);
    state.filters = state.filters.filter((f) => f[1] !== dimension);
    state.filters.push([op, dimension, [clause]]);
    state.filters = state.filters.slice(-MAX_FILTERS);
    refresh();
  },
  selectedProp() {
    return state.prop;
  },
  selectProp(name) {
    state.prop = name;
    writeState();
  },
};

const panels = {};
for (const key of ["pages", "sources", "locations", "devices", "events"]) {
  panels[key] = new Panel(key, document.getElementById(`panel-${key}`), dashboard);
}
if (state.prop) panels.events.active = "props";

// -- controls -------------------------------------------------------------------------------------

const periodSelect = document.getElementById("period");
const intervalSelect = document.getElementById("interval");
const customRange = document.getElementById("custom-range");
const fromInput = document.getElementById("range-from");
const toInput = document.getElementById("range-to");

for (const [key, label] of PERIODS) periodSelect.append(h("option", { value: key }, label));
periodSelect.value = state.period;
periodSelect.addEventListener("change", () => {
  state.period = periodSelect.value;
  if (state.period === "custom") {
    const r = resolvePeriod("30d");
    state.from = state.from || r.range[0];
    state.to = state.to || r.range[1];
  }
  state.interval = "";
  refresh();
});
document.getElementById("range-apply").addEventListener("click", () => {
  if (validDay(fromInput.value) && validDay(toInput.value)) {
    state.from = fromInput.value;
    state.to = toInput.value;
    state.interval = "";
    refresh();
  }
});
intervalSelect.addEventListener("change", () => {
  state.interval = intervalSelect.value;
  writeState();
  loadChart(resolved());
});

function drawFilters() {
  const bar = clear(document.getElementById("filters"));
  for (const [index, [op, dimension, clauses]] of state.filters.entries()) {
    const name = DIMENSION_LABELS[dimension] || dimension.replace(/^(event|visit):(props:)?/, "");
    const verb = op === "is" ? "is" : op.replace("_", " ");
    const text = `${name} ${verb} ${clauses.join(" or ")}`;
    bar.append(
      h(
        "span",
        { class: "chip" },
        h("span", { class: "chip-text", title: text }, text),
        h(
          "button",
          {
            type: "button",
            class: "chip-remove",
            "aria-label": `Remove filter: ${text}`,
            onclick: () => {
              state.filters.splice(index, 1);
              refresh();
            },
          },
          "×",
        ),
      ),
    );
  }
  if (state.filters.length > 1) {
    bar.append(h("button", { type: "button", class: "link", onclick: () => { state.filters = []; refresh(); } }, "Clear all"));
  }
}

// -- top stats and chart -------------------------------------------------------------------------

function change(current, previous, lowerIsBetter) {
  if (previous === null || previous === undefined || current === null || current === undefined) return null;
  if (previous === 0) return null;
  const pct = Math.round(((current - previous) / previous) * 100);
  const good = lowerIsBetter ? pct < 0 : pct > 0;
  const cls = pct === 0 ? "flat" : good ? "up" : "down";
  return h("span", { class: `change ${cls}`, title: `Previous period: ${exact(previous)}` }, `${pct > 0 ? "↑" : pct < 0 ? "↓" : ""}${Math.abs(pct)}%`);
}

async function loadTopStats(period) {
  const box = document.getElementById("top-stats");
  const stats = period.realtime ? STATS.filter((st) => REALTIME_STATS.includes(st.metric)) : STATS;
  const metrics = stats.map((st) => st.metric).filter((m) => available(m, state.filters));
  const base = { metrics, filters: state.filters };
  const [now, before] = await Promise.all([
    query({ ...base, date_range: period.range }, controller.signal),
    period.previous ? query({ ...base, date_range: period.previous }, controller.signal) : null,
  ]);
  const pick = (data) => {
    const row = data && data.results[0] ? data.results[0].metrics : [];
    return Object.fromEntries(metrics.map((m, i) => [m, row[i]]));
  };
  const values = pick(now);
  const previous = pick(before);
  clear(box);
  stats.forEach((st) => {
    const selected = st.metric === chartMetric(period);
    const usable = st.metric in values;
    box.append(
      h(
        "button",
        {
          type: "button",
          class: selected ? "stat selected" : "stat",
          "aria-pressed": selected ? "true" : "false",
          "data-metric": st.metric,
          disabled: usable ? null : true,
          title: usable ? null : "Not available with the current filters",
          onclick: () => {
            state.metric = st.metric;
            writeState();
            for (const el of box.querySelectorAll(".stat")) {
              const on = el.dataset.metric === st.metric;
              el.classList.toggle("selected", on);
              el.setAttribute("aria-pressed", on ? "true" : "false");
            }
            loadChart(resolved());
          },
        },
        h("span", { class: "stat-label" }, period.realtime && st.metric === "visitors" ? "Visitors (30 min)" : st.label),
        h("span", { class: "stat-value", title: exact(values[st.metric]) }, usable ? st.format(values[st.metric]) : "–"),
        period.previous && usable ? change(values[st.metric], previous[st.metric], st.lowerIsBetter) : null,
      ),
    );
  });
}

async function loadChart(period) {
  const chart = document.getElementById("chart");
  const title = document.getElementById("chart-title");
  const options = intervalsFor(period);
  intervalSelect.hidden = options.length < 2;
  if (!options.includes(state.interval)) state.interval = options[0];
  clear(intervalSelect);
  for (const option of options) intervalSelect.append(h("option", { value: option }, `By ${option}`));
  intervalSelect.value = state.interval;
  if (!available(state.metric, state.filters)) state.metric = "visitors";
  const stat = STATS.find((st) => st.metric === chartMetric(period));
  title.textContent = period.realtime
    ? `${stat.label} per minute, last 30 minutes (refreshed every 15 seconds)`
    : `${stat.label} by ${state.interval}`;
  // Views per visit has no time breakdown in the API; it is pageviews over visits per bucket.
  const ratio = stat.metric === "views_per_visit";
  chart.setAttribute("aria-busy", "true");
  const data = await query(
    {
      metrics: ratio ? ["pageviews", "visits"] : [stat.metric],
      date_range: period.range,
      dimensions: [`time:${state.interval}`],
      filters: state.filters,
      include: { time_labels: true },
    },
    controller.signal,
  ).finally(() => chart.setAttribute("aria-busy", "false"));
  const value = (m) => (ratio ? (m[1] ? Math.round((100 * m[0]) / m[1]) / 100 : 0) : m[0]);
  const byLabel = new Map(data.results.map((r) => [String(r.dimensions[0]), value(r.metrics)]));
  const labels = (data.meta && data.meta.time_labels) || [...byLabel.keys()];
  const points = labels.map((label) => ({ label: String(label), value: byLabel.get(String(label)) ?? 0 }));
  const whole = ["visitors", "visits", "pageviews"].includes(stat.metric);
  lastChart = [points, { interval: state.interval, metricLabel: stat.label, format: stat.format, whole }];
  drawChart(chart, ...lastChart);
}

async function loadLiveBadge() {
  const badge = document.getElementById("live-visitors");
  const end = new Date();
  const start = new Date(end.getTime() - 5 * 60000);
  try {
    const data = await query({ metrics: ["visitors"], date_range: [start.toISOString(), end.toISOString()] }, controller.signal);
    const n = data.results[0] ? data.results[0].metrics[0] : 0;
    badge.textContent = `${exact(n)} current visitor${n === 1 ? "" : "s"}`;
    badge.hidden = false;
  } catch {
    badge.hidden = true;
  }
}

// -- orchestration -------------------------------------------------------------------------------

function showError(error) {
  if (error.name === "AbortError") return;
  const box = document.getElementById("top-stats");
  clear(box).append(h("p", { class: "error", role: "alert" }, error.message));
}

async function refresh() {
  if (controller) controller.abort();
  controller = new AbortController();
  clearTimeout(refreshTimer);
  writeState();
  drawFilters();
  const period = resolved();
  customRange.hidden = state.period !== "custom";
  if (state.period === "custom") {
    fromInput.value = period.range[0];
    toInput.value = period.range[1];
  }
  root.dataset.loaded = "";
  const mine = controller;
  const jobs = [
    loadTopStats(period).catch(showError),
    loadChart(period).catch(showError),
    loadLiveBadge(),
    ...Object.values(panels).map((p) => p.load()),
  ];
  await Promise.all(jobs);
  if (mine !== controller) return;
  // Tests and the benchmark wait for this: every panel has drawn its data.
  root.dataset.loaded = String(Date.now());
  if (period.realtime) refreshTimer = setTimeout(refresh, REFRESH_REALTIME_MS);
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => lastChart && drawChart(document.getElementById("chart"), ...lastChart), 150);
});

refresh();
