"""Regenerate ``ne_50m_borders.json`` from the world-atlas 2.0.2 TopoJSON (Natural Earth 4.1.0, 1:50m).

Usage (once, by a maintainer; the report itself never touches the network)::

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    python src/tocsin/report/data/build_borders.py /tmp/package/countries-50m.json

The output keeps the TopoJSON quantisation (integer grid, delta-encoded) but resolves the topology into
what a map needs and nothing else:

- ``land``: polygons (lists of closed rings; first ring exterior, the rest holes) from the ``land``
  object, for the land fill and the coastline;
- ``borders``: the arcs of ``countries`` that are not coastline, each drawn once (land borders).

Each ring or line is a flat list ``[x0, y0, dx1, dy1, ...]`` in grid units; ``lon = x * scale[0] +
translate[0]`` (degrees), likewise for lat, after a running sum (TopoJSON specification §2.1.3).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ATTRIBUTION = (
    "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com (public domain). "
    "Admin 0 countries 1:50m, version 4.1.0, via world-atlas 2.0.2 (ISC, Mike Bostock)."
)


def _absolute(arc: list[list[int]]) -> list[tuple[int, int]]:
    # TopoJSON quantised arcs are delta-encoded positions (spec §2.1.3).
    x = y = 0
    out = []
    for dx, dy in arc:
        x += dx
        y += dy
        out.append((x, y))
    return out


def _ring(arc_refs: list[int], arcs: list[list[tuple[int, int]]]) -> list[tuple[int, int]]:
    # A negative index ~i means arc i reversed; consecutive arcs share their end point (spec §2.2).
    pts: list[tuple[int, int]] = []
    for ref in arc_refs:
        a = arcs[ref] if ref >= 0 else arcs[~ref][::-1]
        pts.extend(a if not pts else a[1:])
    return pts


def _delta(pts: list[tuple[int, int]]) -> list[int]:
    flat: list[int] = []
    px = py = 0
    for x, y in pts:
        flat += [x - px, y - py]
        px, py = x, y
    return flat


def _polygons(geom: dict[str, object]) -> list[list[list[int]]]:
    kind = geom["type"]
    arcs_field = geom.get("arcs", [])
    if kind == "Polygon":
        return [arcs_field]  # type: ignore[list-item]
    if kind == "MultiPolygon":
        return [list(p) for p in arcs_field]  # type: ignore[attr-defined]
    if kind == "GeometryCollection":
        out: list[list[list[int]]] = []
        for g in geom["geometries"]:  # type: ignore[attr-defined]
            out += _polygons(g)
        return out
    return []


def build(topo_path: Path, out_path: Path) -> dict[str, int]:
    """Convert a world-atlas TopoJSON file into the compact map file; returns counts for the log."""
    topo = json.loads(topo_path.read_text())
    arcs = [_absolute(a) for a in topo["arcs"]]
    land_polys = _polygons(topo["objects"]["land"])
    land = [[_delta(_ring(r, arcs)) for r in poly] for poly in land_polys]
    coast_arcs = {ref if ref >= 0 else ~ref for poly in land_polys for ring in poly for ref in ring}
    used: set[int] = set()
    for poly in _polygons(topo["objects"]["countries"]):
        for ring in poly:
            used |= {ref if ref >= 0 else ~ref for ref in ring}
    borders = [_delta(arcs[i]) for i in sorted(used - coast_arcs)]
    doc = {
        "attribution": ATTRIBUTION,
        "source": "world-atlas@2.0.2/countries-50m.json",
        "scale": topo["transform"]["scale"],
        "translate": topo["transform"]["translate"],
        "land": land,
        "borders": borders,
    }
    out_path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    return {"land_polygons": len(land), "border_lines": len(borders), "bytes": out_path.stat().st_size}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build_borders.py PATH/countries-50m.json")
    print(build(Path(sys.argv[1]), Path(__file__).with_name("ne_50m_borders.json")))
