"""Offline base map: Natural Earth land and borders (shipped in ``data/``) in a local aeqd frame.

The map file ``data/ne_50m_borders.json`` is made by ``data/build_borders.py`` from world-atlas 2.0.2
(Natural Earth 4.1.0, 1:50m, public domain). Nothing is fetched at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from tocsin._types import FloatArray
from tocsin.zones.geometry import lonlat_to_local_m

ATTRIBUTION_SHORT = "Borders: Natural Earth 1:50m (public domain)"

LAND_COLOUR = "#f2efe6"
SEA_COLOUR = "#dde9f2"
COAST_COLOUR = "#8a9aa6"
BORDER_COLOUR = "#9b8c7a"


@dataclass(frozen=True)
class Borders:
    """Land polygons (each a list of (n, 2) lon/lat degree rings, exterior first) and border lines."""

    land: list[list[FloatArray]]
    borders: list[FloatArray]
    attribution: str


def _decode(flat: list[int], scale: FloatArray, translate: FloatArray) -> FloatArray:
    # Delta-encoded quantised positions (TopoJSON specification §2.1.3): running sum, then scale.
    q = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0)
    return np.asarray(q * scale + translate, dtype=np.float64)


@lru_cache(maxsize=1)
def load_borders() -> Borders:
    """Read the shipped Natural Earth map (lon/lat degrees); cached, ~0.2 s the first time."""
    text = resources.files("tocsin.report").joinpath("data/ne_50m_borders.json").read_text(encoding="utf-8")
    doc: dict[str, Any] = json.loads(text)
    scale = np.asarray(doc["scale"], dtype=np.float64)
    translate = np.asarray(doc["translate"], dtype=np.float64)
    land = [[_decode(r, scale, translate) for r in poly] for poly in doc["land"]]
    borders = [_decode(b, scale, translate) for b in doc["borders"]]
    return Borders(land, borders, str(doc["attribution"]))


def _near(ring: FloatArray, box: tuple[float, float, float, float]) -> bool:
    lon0, lat0, lon1, lat1 = box
    return bool(
        ring[:, 0].max() >= lon0
        and ring[:, 0].min() <= lon1
        and ring[:, 1].max() >= lat0
        and ring[:, 1].min() <= lat1
    )


def draw_basemap(
    ax: Axes,
    lat0_deg: float,
    lon0_deg: float,
    half_width_m: float,
    *,
    zorder: float = 0.0,
) -> None:
    """Draw sea, land, coastlines and borders on ``ax`` in the aeqd frame centred at (lat0, lon0).

    Axes units are kilometres east/north of the centre; only features within about ``half_width_m``
    metres are drawn (selected by a lon/lat box around the centre, so far-side rings never wrap).
    """
    b = load_borders()
    # Degrees of latitude/longitude spanned by the view, generously (1 degree of latitude ~ 111 km).
    dlat = 1.5 * half_width_m / 111_000.0 + 0.5
    dlon = dlat / max(np.cos(np.radians(min(abs(lat0_deg) + dlat, 89.0))), 0.05)
    box = (lon0_deg - dlon, lat0_deg - dlat, lon0_deg + dlon, lat0_deg + dlat)
    ax.set_facecolor(SEA_COLOUR)

    def project(ring: FloatArray) -> FloatArray:
        x, y = lonlat_to_local_m(ring[:, 0], ring[:, 1], lat0_deg, lon0_deg)
        return np.column_stack([x, y]) / 1000.0

    verts: list[FloatArray] = []
    codes: list[np.ndarray[Any, np.dtype[np.uint8]]] = []
    coast: list[FloatArray] = []
    for poly in b.land:
        if not _near(poly[0], box):
            continue
        for ring in poly:
            xy = project(ring)
            verts.append(xy)
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            codes.append(c)
            coast.append(xy)
    if verts:
        path = MplPath(np.concatenate(verts), np.concatenate(codes))
        ax.add_patch(PathPatch(path, facecolor=LAND_COLOUR, edgecolor="none", zorder=zorder))
        ax.add_collection(LineCollection(coast, colors=COAST_COLOUR, linewidths=0.6, zorder=zorder + 0.1))
    lines = [project(line) for line in b.borders if _near(line, box)]
    if lines:
        ax.add_collection(
            LineCollection(lines, colors=BORDER_COLOUR, linewidths=0.8, linestyles="--", zorder=zorder + 0.1)
        )
