// The breakdown panels: each tab is one stats API query by one dimension; each row is a button
// that filters the whole dashboard by its value.

import { query } from "./api.js";
import { clear, countryName, exact, flag, h, num } from "./dom.js";
import { drawMap } from "./map.js";

const LIMIT = 10;
const EXPANDED_LIMIT = 100;
const PROP_KEYS_LIMIT = 30;

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
    // The property keys seen in the range (the API's `event:props` dimension), as chips; then
    // the values of the chosen one.
    { key: "props", label: "Properties", dims: [], metrics: ["visitors", "events"], props: true },
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
  }

  async load() {
    this.drawTabs();
    const tab = this.tabs.find((t) => t.key === this.active);
    const { range, filters, signal } = this.dashboard.queryContext();
    this.element.setAttribute("aria-busy", "true");
    try {
      if (tab.props) {
        await this.loadProps(tab, range, filters, signal);
        return;
      }
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

  // First the keys, then the breakdown of the chosen key's values (events that carry it).
  async loadProps(tab, range, filters, signal) {
    const keys = await query(
      { metrics: ["visitors"], date_range: range, dimensions: ["event:props"], filters, pagination: { limit: PROP_KEYS_LIMIT } },
      signal,
    );
    // Only keys the API can break down by (`event:props:<key>` takes 1 to 300 characters).
    const seen = keys.results.filter((r) => /^[\s\S]{1,300}$/.test(String(r.dimensions[0])));
    const names = seen.map((r) => String(r.dimensions[0]));
    const wanted = this.dashboard.selectedProp();
    const name = names.includes(wanted) ? wanted : names[0];
    if (name === undefined) {
      clear(this.body).append(h("p", { class: "muted empty" }, "No custom properties in this range."));
      return;
    }
    const dim = `event:props:${name}`;
    const data = await query(
      {
        metrics: tab.metrics,
        date_range: range,
        dimensions: [dim],
        filters: [...filters, ["is_not", dim, ["(none)"]]],
        pagination: { limit: this.expanded ? EXPANDED_LIMIT : LIMIT },
      },
      signal,
    );
    this.drawRows({ ...tab, dims: [dim], propKey: name }, data.results);
    const chips = h("div", { class: "prop-keys", role: "group", "aria-label": "Property" });
    for (const [i, key] of names.entries()) {
      const selected = key === name;
      const visitors = seen[i].metrics[0];
      chips.append(
        h(
          "button",
          {
            type: "button",
            class: "prop-key",
            "aria-pressed": selected ? "true" : "false",
            title: `${key}: ${exact(visitors)} visitor${visitors === 1 ? "" : "s"}`,
            onclick: () => {
              if (selected) return;
              this.dashboard.selectProp(key);
              this.expanded = false;
              this.refocus = true;
              this.load();
            },
          },
          key,
        ),
      );
    }
    this.body.prepend(chips);
    if (this.refocus) {
      // Keep the keyboard where it was: on the chip just chosen, drawn anew.
      this.refocus = false;
      chips.querySelector("[aria-pressed=true]").focus();
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
