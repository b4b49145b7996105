// The breakdown panels: each tab is one stats API query by one dimension; each row is a button
// that filters the whole dashboard by its value.

import { query } from "./api.js";
import { clear, countryName, exact, flag, h, num } from "./dom.js";
import { drawMap } from "./map.js";

const LIMIT = 10;
const EXPANDED_LIMIT = 100;

export const DIMENSION_LABELS = {
  "event:page": "Page",
  "visit:entry_page": "Entry page",
  "visit:exit_page": "Exit page",
  "visit:channel": "Channel",
  "visit:source": "Source",
  "visit:referrer": "Referrer",
  "visit:utm_source": "UTM source",
  "visit:utm_medium": "UTM medium",
  "visit:utm_campaign": "UTM campaign",
  "visit:utm_content": "UTM content",
  "visit:utm_term": "UTM term",
  "visit:country": "Country",
  "visit:region": "Region",
  "visit:city": "City",
  "visit:browser": "Browser",
  "visit:os": "Operating system",
  "visit:device": "Device",
  "event:name": "Event",
};

function countryLabel(code) {
  const name = countryName(code);
  return name ? `${flag(code)} ${name}` : code;
}

// key, label, dimensions to query, metric columns, how to show a row's label.
const PANELS = {
  pages: [
    { key: "pages", label: "Top pages", dims: ["event:page"], metrics: ["visitors", "pageviews"] },
    { key: "entry", label: "Entry", dims: ["visit:entry_page"], metrics: ["visitors", "visits"] },
    { key: "exit", label: "Exit", dims: ["visit:exit_page"], metrics: ["visitors", "visits"] },
  ],
  sources: [
    { key: "channels", label: "Channels", dims: ["visit:channel"], metrics: ["visitors"] },
    { key: "sources", label: "Sources", dims: ["visit:source"], metrics: ["visitors"] },
    { key: "utm_source", label: "UTM source", dims: ["visit:utm_source"], metrics: ["visitors"], skipUnset: true },
    { key: "utm_medium", label: "Medium", dims: ["visit:utm_medium"], metrics: ["visitors"], skipUnset: true },
    { key: "utm_campaign", label: "Campaign", dims: ["visit:utm_campaign"], metrics: ["visitors"], skipUnset: true },
  ],
  locations: [
    { key: "map", label: "Map", dims: ["visit:country"], metrics: ["visitors"], map: true },
    { key: "countries", label: "Countries", dims: ["visit:country"], metrics: ["visitors"], show: countryLabel },
    { key: "regions", label: "Regions", dims: ["visit:region", "visit:region_name"], metrics: ["visitors"] },
    { key: "cities", label: "Cities", dims: ["visit:city", "visit:country"], metrics: ["visitors"] },
  ],
  devices: [
    { key: "browsers", label: "Browser", dims: ["visit:browser"], metrics: ["visitors"] },
    { key: "os", label: "OS", dims: ["visit:os"], metrics: ["visitors"] },
    { key: "devices", label: "Device", dims: ["visit:device"], metrics: ["visitors"] },
  ],
  events: [
    {
      key: "events",
      label: "Events",
      dims: ["event:name"],
      metrics: ["visitors", "events"],
      extraFilters: [["is_not", "event:name", ["pageview", "engagement"]]],
    },
  ],
};

const METRIC_HEADINGS = { visitors: "Visitors", pageviews: "Views", visits: "Visits", events: "Events" };

// The label shown for a row: regions and cities are queried with a second, descriptive dimension.
function rowLabel(tab, dims) {
  const value = dims[0];
  if (value === "" || value === null || value === undefined) return "(not set)";
  if (tab.show) return tab.show(value);
  if (tab.key === "regions") return dims[1] && dims[1] !== value ? `${dims[1]} (${value})` : value;
  if (tab.key === "cities") return dims[1] ? `${flag(dims[1])} ${value}` : value;
  return String(value);
}

export class Panel {
  constructor(key, element, dashboard) {
    this.key = key;
    this.tabs = [...PANELS[key]];
    this.element = element;
    this.dashboard = dashboard;
    this.active = this.tabs[0].key;
    this.body = element.querySelector(".panel-body");
    this.tabBar = element.querySelector(".tabs");
    this.expanded = false;
  }

  // Custom-event props: one tab per property key the owner asked for (kept in the URL).
  setPropKeys(keys) {
    if (this.key !== "events") return;
    this.tabs = [...PANELS.events];
    for (const k of keys) {
      this.tabs.push({ key: `prop:${k}`, label: k, dims: [`event:props:${k}`], metrics: ["visitors", "events"], propKey: k });
    }
    if (!this.tabs.some((t) => t.key === this.active)) this.active = this.tabs[0].key;
  }

  drawTabs() {
    clear(this.tabBar);
    for (const tab of this.tabs) {
      const selected = tab.key === this.active;
      this.tabBar.append(
        h(
          "button",
          {
            type: "button",
            role: "tab",
            class: selected ? "tab active" : "tab",
            "aria-selected": selected ? "true" : "false",
            onclick: () => {
              this.active = tab.key;
              this.expanded = false;
              this.load();
            },
          },
          tab.label,
        ),
      );
    }
    if (this.key === "events") {
      const input = h("input", { class: "prop-input", placeholder: "+ property", "aria-label": "Show a property", maxlength: 64 });
      const form = h("form", { class: "prop-form", onsubmit: (event) => {
        event.preventDefault();
        const name = input.value.trim();
        if (name) this.dashboard.addPropKey(name);
      } }, input);
      this.tabBar.append(form);
    }
  }

  async load() {
    this.drawTabs();
    const tab = this.tabs.find((t) => t.key === this.active);
    const { range, filters, signal } = this.dashboard.queryContext();
    this.element.setAttribute("aria-busy", "true");
    try {
      const body = {
        metrics: tab.metrics,
        date_range: range,
        dimensions: tab.dims,
        filters: [...filters, ...(tab.extraFilters || [])],
        pagination: { limit: tab.map ? 250 : this.expanded ? EXPANDED_LIMIT : LIMIT },
      };
      const data = await query(body, signal);
      let rows = data.results;
      if (tab.skipUnset) rows = rows.filter((r) => r.dimensions[0] !== "(not set)" && r.dimensions[0] !== "");
      if (tab.map) await this.drawMapTab(tab, rows);
      else this.drawRows(tab, rows);
    } catch (error) {
      if (error.name === "AbortError") return;
      clear(this.body).append(h("p", { class: "error" }, error.message));
    } finally {
      this.element.setAttribute("aria-busy", "false");
    }
  }

  drawMapTab(tab, rows) {
    clear(this.body);
    const values = new Map(rows.map((r) => [r.dimensions[0], r.metrics[0]]));
    return drawMap(this.body, values, {
      label: (code) => countryLabel(code),
      onSelect: (code) => this.dashboard.addFilter("is", "visit:country", code),
    });
  }

  drawRows(tab, rows) {
    clear(this.body);
    if (!rows.length) {
      this.body.append(h("p", { class: "muted empty" }, "No data yet."));
      return;
    }
    const max = Math.max(...rows.map((r) => r.metrics[0] || 0), 1);
    const dim = tab.dims[0];
    const head = h(
      "div",
      { class: "list-head" },
      h("span", {}, tab.propKey ? `${tab.propKey} value` : DIMENSION_LABELS[dim] || tab.label),
      h("span", { class: "cols" }, ...tab.metrics.map((m) => h("span", {}, METRIC_HEADINGS[m] || m))),
    );
    const list = h("ol", { class: "list" });
    for (const row of rows) {
      const value = row.dimensions[0];
      const label = rowLabel(tab, row.dimensions);
      const bar = h("span", { class: "bar" });
      bar.style.width = `${Math.max(1, (100 * (row.metrics[0] || 0)) / max)}%`;
      list.append(
        h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "row",
              title: `Filter by ${label}`,
              onclick: () => this.dashboard.addFilter("is", dim, value),
            },
            bar,
            h("span", { class: "label" }, label),
            h("span", { class: "cols" }, ...row.metrics.map((m) => h("span", { title: exact(m) }, num(m)))),
          ),
        ),
      );
    }
    this.body.append(head, list);
    if (this.expanded || rows.length >= LIMIT) {
      const toggle = () => {
        this.expanded = !this.expanded;
        this.load();
      };
      this.body.append(
        h("button", { type: "button", class: "link more", "aria-expanded": String(this.expanded), onclick: toggle },
          this.expanded ? "Show fewer" : `Show up to ${EXPANDED_LIMIT}`),
      );
    }
  }
}
