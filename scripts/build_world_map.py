"""Build src/footfall/dashboard/static/world.json: one SVG path per country, for the dashboard map.

Geometry: the `world-atlas` npm package (Natural Earth 1:110m countries as TopoJSON, public
domain), installed into a temporary folder. ISO numeric ids become alpha-2 codes with `pycountry`.
Projection: Natural Earth. Antarctica is left out (no visitors, a quarter of the height).

    python scripts/build_world_map.py [--version 2.0.2]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pycountry

OUT = Path(__file__).resolve().parents[1] / "src" / "footfall" / "dashboard" / "static" / "world.json"
WIDTH = 1000.0
SKIP = {"AQ"}
# Natural Earth names a few places that have no ISO numeric code; they keep these codes.
BY_NAME = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}


def natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """The Natural Earth projection (Šavrič et al. 2011): a compromise that keeps shapes familiar."""
    lam, phi = math.radians(lon), math.radians(lat)
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * p2 * (0.003971 - 0.001529 * p2)))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return x, -y


def unwrap(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Rings that cross the antimeridian (Russia, Fiji) made continuous, then moved so that most of
    the ring is on the map; the part beyond the edge is clipped by the SVG viewport."""
    out: list[tuple[float, float]] = []
    shift = 0.0
    for lon, lat in points:
        if out and abs(lon + shift - out[-1][0]) > 180:
            shift += 360 if out[-1][0] > lon + shift else -360
        out.append((lon + shift, lat))
    mean = sum(lon for lon, _ in out) / len(out)
    offset = -360 if mean > 180 else 360 if mean < -180 else 0
    return [(lon + offset, lat) for lon, lat in out]


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def code_of(geometry: dict[str, Any]) -> str | None:
    name = geometry.get("properties", {}).get("name", "")
    if name in BY_NAME:
        return BY_NAME[name]
    country = pycountry.countries.get(numeric=str(geometry.get("id", "")).zfill(3))
    return country.alpha_2 if country else None


def build(topology: dict[str, Any]) -> dict[str, Any]:
    arcs = decode_arcs(topology)
    x_scale = WIDTH / (2 * natural_earth(180, 0)[0])
    shapes: dict[str, list[list[tuple[float, float]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = code_of(geometry)
        if code is None or code in SKIP or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for polygon in polygons:
            for indexes in polygon:
                points = unwrap(ring(indexes, arcs))
                shapes.setdefault(code, []).append([natural_earth(lon, lat) for lon, lat in points])
    ys = [y for rings in shapes.values() for r in rings for _, y in r]
    top, bottom = min(ys), max(ys)
    countries = {}
    for code, rings in sorted(shapes.items()):
        parts = []
        for r in rings:
            # Whole units of a 1000-wide map are finer than the panel draws it; relative moves
            # between them keep the file small.
            pts: list[tuple[int, int]] = []
            for x, y in r:
                p = (round(x * x_scale + WIDTH / 2), round((y - top) * x_scale))
                if not pts or pts[-1] != p:
                    pts.append(p)
            if len(pts) >= 3:
                moves = [f"{b[0] - a[0]} {b[1] - a[1]}" for a, b in zip(pts, pts[1:], strict=False)]
                parts.append(f"M{pts[0][0]} {pts[0][1]}l" + " ".join(moves).replace(" -", "-") + "z")
        countries[code] = "".join(parts)
    height = (bottom - top) * x_scale
    return {"viewBox": f"0 0 {WIDTH:.0f} {height:.0f}", "countries": countries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="2.0.2", help="world-atlas version")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", tmp, f"world-atlas@{args.version}"],
            check=True,
            capture_output=True,
        )
        topology = json.loads((Path(tmp) / "node_modules" / "world-atlas" / "countries-110m.json").read_text())
    data = build(topology)
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"{OUT}: {len(data['countries'])} countries, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
