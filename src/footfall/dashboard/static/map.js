// A tile-less world choropleth: country outlines from static/world.json (generated at build
// time by scripts/build_world_map.py), shaded by visitors.

import { clear, exact, h, s } from "./dom.js";

let world = null;

async function loadWorld() {
  if (!world) {
    world = fetch("/static/world.json").then((r) => {
      if (!r.ok) throw new Error("The world map could not be loaded.");
      return r.json();
    });
  }
  return world;
}

export async function drawMap(container, values, { label, onSelect }) {
  const placeholder = h("p", { class: "muted" }, "Loading map…");
  container.append(placeholder);
  let data;
  try {
    data = await loadWorld();
  } catch (error) {
    clear(container).append(h("p", { class: "error" }, error.message));
    return;
  }
  placeholder.remove();
  const max = Math.max(1, ...values.values());
  const svg = s("svg", { viewBox: data.viewBox, class: "map", role: "img", "aria-label": "Visitors by country" });
  const tip = h("div", { class: "map-tip", hidden: true });
  for (const [code, d] of Object.entries(data.countries)) {
    const count = values.get(code) || 0;
    // Square-root scale: one big country should not wash out everything else.
    const level = count ? Math.max(1, Math.ceil(Math.sqrt(count / max) * 5)) : 0;
    const path = s("path", { d, class: `country l${level}` });
    if (count) {
      path.setAttribute("tabindex", "0");
      path.setAttribute("role", "button");
      path.setAttribute("aria-label", `${label(code)}: ${exact(count)} visitors`);
      const showTip = () => {
        clear(tip).append(h("strong", {}, label(code)), h("span", {}, `${exact(count)} visitors`));
        tip.hidden = false;
      };
      path.addEventListener("mouseenter", showTip);
      path.addEventListener("focus", showTip);
      path.addEventListener("mouseleave", () => (tip.hidden = true));
      path.addEventListener("click", () => onSelect(code));
      path.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          onSelect(code);
        }
      });
    }
    svg.append(path);
  }
  container.append(h("div", { class: "map-wrap" }, svg, tip));
}
