"""The report's pages as matplotlib figures (Agg, no pyplot state): summary, map, timeline, accuracy,
aimpoints. Each builder returns one ``Figure`` of ``PAGE_SIZE_IN``; axes are in km (maps), seconds
after the reference time T0 (timelines) or metres (errors).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse, Patch, Polygon
from shapely.geometry import MultiPolygon
from shapely.geometry import Polygon as ShapelyPolygon

from tocsin._types import FloatArray
from tocsin.eval.scorecard import Figures, Scorecard
from tocsin.geo.frames import ecef_to_geodetic
from tocsin.geo.geodesic import geodesic_distance_m
from tocsin.report.basemap import ATTRIBUTION_SHORT, draw_basemap
from tocsin.report.data_model import ReportData, alert_bars, worst_level
from tocsin.report.intent import IntentAnalysis, kind_group
from tocsin.zones.geometry import local_m_to_lonlat, lonlat_to_local_m

PAGE_SIZE_IN = (12.0, 8.5)
CLUSTER_WIDTHS = (0.06, 0.26, 0.27, 0.19, 0.11, 0.11)
CLASS_WIDTHS = (0.22, 0.08, 0.10, 0.07, 0.10, 0.17, 0.15, 0.08)  # the class column holds "unattributed"
COVER = "#d62728"
PRE = "#f5a623"
NONE = "#c9d1d9"
TRUTH = "#222222"
OUTCOME_COLOUR = {"timely": "#2ca02c", "late": "#ff7f0e", "missed": "#d62728"}
GROUP_COLOUR = {"equipment": "#4c72b0", "personnel": "#8e44ad", "open": "#9ccc65", "other": "#95a5a6"}
TTG_MARKS_S = (240.0, 120.0, 45.0)  # times to go at which predicted ellipses are drawn


def utc(t_unix_s: float) -> str:
    """``YYYY-MM-DD HH:MM:SS UTC`` of a Unix time (s)."""
    return datetime.fromtimestamp(t_unix_s, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_s(x: float) -> str:
    """Seconds for a table: '-' when undefined."""
    return "-" if not math.isfinite(x) else f"{x:.0f} s"


def _page(title: str, subtitle: str = "") -> Figure:
    fig = Figure(figsize=PAGE_SIZE_IN)
    fig.text(0.03, 0.965, title, fontsize=16, fontweight="bold", va="top")
    if subtitle:
        import textwrap

        fig.text(
            0.03, 0.925, "\n".join(textwrap.wrap(subtitle, 165)), fontsize=9.5, color="#444444", va="top"
        )
    return fig


def _frame_xy(lon: FloatArray, lat: FloatArray, lat0: float, lon0: float) -> tuple[FloatArray, FloatArray]:
    x, y = lonlat_to_local_m(lon, lat, lat0, lon0)
    return np.asarray(x) / 1000.0, np.asarray(y) / 1000.0


def _zone_patches(data: ReportData, lat0: float, lon0: float) -> list[tuple[int, Polygon]]:
    out: list[tuple[int, Polygon]] = []
    for i, g in enumerate(data.zones.geoms_lonlat):
        polys = list(g.geoms) if isinstance(g, MultiPolygon) else [g]
        for p in polys:
            assert isinstance(p, ShapelyPolygon)
            ring = np.asarray(p.exterior.coords)
            x, y = _frame_xy(ring[:, 0], ring[:, 1], lat0, lon0)
            out.append((i, Polygon(np.column_stack([x, y]), closed=True)))
    return out


# ------------------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Headline:
    """The numbers in the summary box."""

    objects: int
    failed: int
    impacts: int
    struck_zones: int
    struck_pairs: int
    timely: int
    late: int
    missed: int
    lead_time_median_s: float
    shelter_zone_s: float
    shelter_whole_area_zone_s: float
    false_alerts: int
    episodes: int


def headline(data: ReportData, card: Scorecard, whole_area: Scorecard | None) -> Headline:
    """Summary figures of a run (counts; seconds)."""
    t = card.total
    return Headline(
        objects=len(data.events),
        failed=sum(e.failed for e in data.events),
        impacts=sum(e.has_impact for e in data.events),
        struck_zones=len({p.zone for p in card.pairs}),
        struck_pairs=t.struck_pairs,
        timely=t.timely,
        late=t.late,
        missed=t.missed,
        lead_time_median_s=t.lead_time_median_s,
        shelter_zone_s=t.shelter_zone_s,
        shelter_whole_area_zone_s=whole_area.total.shelter_zone_s if whole_area else math.nan,
        false_alerts=t.false_alerts,
        episodes=t.episodes,
    )


COMPARE_ROWS: list[tuple[str, str]] = [
    ("struck_pairs", "struck (zone, object) pairs"),
    ("timely", "timely"),
    ("late", "late"),
    ("missed", "missed"),
    ("lead_time_median_s", "median lead time"),
    ("lead_time_p10_s", "10th-percentile lead time"),
    ("warning_efficiency_median", "median warning efficiency"),
    ("episodes", "take-cover zone-episodes"),
    ("false_alerts", "false zone alerts"),
    ("over_warning", "over-warning (episodes / pairs)"),
    ("all_clear_delay_median_s", "median all-clear delay"),
    ("shelter_zone_s", "shelter time, zone-hours"),
    ("shelter_person_s", "shelter time, person-hours"),
]


def figure_value(f: Figures, key: str) -> str:
    """One scorecard figure formatted with its unit."""
    v = getattr(f, key)
    if isinstance(v, int):
        return str(v)
    if not math.isfinite(v):
        return "-"
    if key in ("shelter_zone_s", "shelter_person_s"):
        return f"{v / 3600.0:,.1f}"
    if key.endswith("_s"):
        return f"{v:.0f} s"
    return f"{v:.2f}"


def compare_table(cards: Mapping[str, Scorecard]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the side-by-side scorecard table (first column: figure names)."""
    header = ["figure", *cards]
    rows = [[label, *(figure_value(c.total, key) for c in cards.values())] for key, label in COMPARE_ROWS]
    return header, rows


def class_table(card: Scorecard) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-class table of one scorecard."""
    header = ["class", "pairs", "timely", "late", "missed", "lead (med.)", "episodes", "false"]
    rows = [
        [
            c,
            str(f.struck_pairs),
            str(f.timely),
            str(f.late),
            str(f.missed),
            fmt_s(f.lead_time_median_s),
            str(f.episodes),
            str(f.false_alerts),
        ]
        for c, f in sorted(card.per_class.items())
    ]
    return header, rows


def _table(
    ax: Axes,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    title: str,
    fontsize: float = 9,
    widths: Sequence[float] | None = None,
    highlight: int | None = None,
) -> None:
    ax.set_axis_off()
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    if not rows:
        ax.text(0.0, 0.9, "(nothing to show)", fontsize=9)
        return
    first = min(0.42, max(0.16, 0.0125 * max(len(str(r[0])) for r in [header, *rows])))
    rest = (1.0 - first) / max(len(header) - 1, 1)
    tab = ax.table(
        cellText=[list(r) for r in rows],
        colLabels=list(header),
        loc="upper left",
        cellLoc="right",
        colWidths=list(widths) if widths else [first] + [rest] * (len(header) - 1),
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(fontsize)
    tab.scale(1.0, 1.25)
    for (r, c), cell in tab.get_celld().items():
        cell.set_edgecolor("#cccccc")
        if r == 0:
            cell.set_facecolor("#e8edf2")
            cell.set_text_props(fontweight="bold")
        if c == 0:
            cell.set_text_props(ha="left")
            cell._loc = "left"  # type: ignore[attr-defined]  # no public per-cell alignment setter
        if c == highlight and r > 0:
            cell.set_facecolor("#fdf1e7")


def summary_page(
    data: ReportData, cards: Mapping[str, Scorecard], head: Headline, notes: Sequence[str]
) -> Figure:
    """Page 1: headline box, tocsin vs baselines, per-class table, notes."""
    t0 = data.t0_unix_s
    fig = _page(f"After-action report: {data.title}", report_subtitle(data))
    fig.text(
        0.03,
        0.012,
        f"Scenario {data.scenario_dir}  |  run {data.run_dir}  |  T0 = first launch = {utc(t0)}",
        fontsize=7,
        color="#777777",
    )
    boxes = [
        ("objects", f"{head.objects}", f"{head.failed} failed, {head.impacts} impacts"),
        ("zones struck", f"{head.struck_zones}", f"{head.struck_pairs} zone-object pairs"),
        ("missed", f"{head.missed}", "no warning in force at impact"),
        ("late", f"{head.late}", "cover < shelter time before impact"),
        ("median lead time", fmt_s(head.lead_time_median_s), "impact - start of take cover"),
    ]
    if math.isfinite(head.shelter_whole_area_zone_s) and head.shelter_whole_area_zone_s > 0:
        ratio = head.shelter_zone_s / head.shelter_whole_area_zone_s
        boxes.append(
            (
                "shelter time",
                f"{head.shelter_zone_s / 3600:.1f} zone-h",
                f"{ratio:.0%} of whole-area ({head.shelter_whole_area_zone_s / 3600:.1f} zone-h)",
            )
        )
    else:
        boxes.append(("shelter time", f"{head.shelter_zone_s / 3600:.1f} zone-h", "whole-area not scored"))
    w = 0.94 / len(boxes)
    for i, (label, big, small) in enumerate(boxes):
        x = 0.03 + i * w
        bad = (label == "missed" and head.missed) or (label == "late" and head.late)
        ax = fig.add_axes((x + 0.004, 0.74, w - 0.008, 0.15))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor("#fdecea" if bad else "#eef3f7")
        for s in ax.spines.values():
            s.set_color("#b0bec5")
        ax.text(0.5, 0.80, label.upper(), ha="center", va="center", fontsize=9, color="#37474f")
        ax.text(
            0.5,
            0.47,
            big,
            ha="center",
            va="center",
            fontsize=20,
            fontweight="bold",
            color=COVER if bad else "#102a43",
        )
        ax.text(0.5, 0.14, small, ha="center", va="center", fontsize=7, color="#455a64")
    header, rows = compare_table(cards)
    _table(
        fig.add_axes((0.03, 0.06, 0.50, 0.62)),
        header,
        rows,
        "Warning scorecard: tocsin vs baselines",
        9,
        highlight=1,
    )
    first = next(iter(cards.values()))
    h2, r2 = class_table(first)
    _table(
        fig.add_axes((0.57, 0.40, 0.40, 0.28)),
        h2,
        r2,
        f"{next(iter(cards))} by object class",
        8.5,
        CLASS_WIDTHS,
    )
    ax = fig.add_axes((0.57, 0.04, 0.40, 0.32))
    ax.set_axis_off()
    ax.set_title("Notes", loc="left", fontsize=11, fontweight="bold")
    ax.text(0.0, 0.97, "\n".join(notes), va="top", fontsize=8, wrap=True, color="#333333", linespacing=1.4)
    return fig


# ----------------------------------------------------------------------------------------------- map


CORE_LINK_M = 3000.0  # zones/impacts closer than this form one target-area panel (a base, a town)
AREA_LINK_M = 30000.0  # ... and closer than this one area (a base with its outskirts)


@dataclass(frozen=True)
class TargetGroup:
    """Zones and true impacts drawn in one target-area panel. ``zones`` index ``data.zones``;
    ``impacts`` index ``data.events``; ``struck``: zones struck in it; centre (lat, lon deg)."""

    zones: tuple[int, ...]
    impacts: tuple[int, ...]
    struck: int
    alerted: int
    lat_deg: float
    lon_deg: float

    @property
    def rank(self) -> tuple[int, int, int, int]:
        """Sort key: most struck zones, then most impacts, then most alerted zones."""
        return (-self.struck, -len(self.impacts), -self.alerted, -len(self.zones))


def struck_zone_ids(data: ReportData) -> set[str]:
    """Zones (ids) struck by a true impact with its danger radius."""
    out: set[str] = set()
    for e in data.events:
        if e.has_impact:
            hit = data.zones.zones_struck(e.impact_lat_deg, e.impact_lon_deg, e.danger_radius_m)[0]
            out.update(data.zones.ids[i] for i in hit)
    return out


def target_groups(data: ReportData, link_m: float = CORE_LINK_M) -> list[TargetGroup]:
    """Zones and true impacts linked by distance (single linkage, ``link_m`` metres, polygon edges),
    best first (``TargetGroup.rank``). Zones hundreds of km apart (a base, a city) end up apart."""
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    zs = data.zones
    imp = [i for i, e in enumerate(data.events) if e.has_impact]
    if imp:
        x, y = zs.project_lonlat(
            np.array([data.events[i].impact_lon_deg for i in imp]),
            np.array([data.events[i].impact_lat_deg for i in imp]),
        )
        pts = shapely.points(np.atleast_1d(x), np.atleast_1d(y))
    else:
        pts = np.empty(0, dtype=object)
    geoms = np.concatenate([np.asarray(zs.geoms_m, dtype=object), np.asarray(pts, dtype=object)])
    n = geoms.size
    if n == 0:
        return []
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="dwithin", distance=link_m)
    _, lab = connected_components(coo_matrix((np.ones(a.size), (a, b)), shape=(n, n)), directed=False)
    struck = struck_zone_ids(data)
    worst = worst_level(data.alerts)
    nz = len(zs)
    out: list[TargetGroup] = []
    for g in sorted(set(lab.tolist())):
        members = np.flatnonzero(lab == g)
        zi = tuple(int(i) for i in members if i < nz)
        ii = tuple(imp[int(i) - nz] for i in members if i >= nz)
        c = shapely.union_all(geoms[members]).envelope.centroid
        lon, lat = local_m_to_lonlat(c.x, c.y, zs.centre_lat_deg, zs.centre_lon_deg)
        out.append(
            TargetGroup(
                zi,
                ii,
                sum(zs.ids[i] in struck for i in zi),
                sum(worst.get(zs.ids[i], 0) > 0 for i in zi),
                float(np.asarray(lat)),
                float(np.asarray(lon)),
            )
        )
    return sorted(out, key=lambda t: t.rank)


def target_panels(data: ReportData) -> tuple[TargetGroup | None, TargetGroup | None, list[TargetGroup]]:
    """(main, secondary, left out): the main panel is the ``CORE_LINK_M`` group with the most struck
    zones; the secondary panel the best ``AREA_LINK_M`` area not holding it, else the main's area when
    that holds more than the main panel; the rest are the core groups in neither panel."""
    cores = target_groups(data, CORE_LINK_M)
    if not cores:
        return None, None, []
    main = cores[0]
    areas = target_groups(data, AREA_LINK_M)
    key = (set(main.zones), set(main.impacts))

    def holds(area: TargetGroup) -> bool:
        return key[0] <= set(area.zones) and key[1] <= set(area.impacts)

    others = [g for g in areas if not holds(g)]
    home = next((g for g in areas if holds(g)), None)
    second: TargetGroup | None = None
    if others:
        second = others[0]
    elif home is not None and (len(home.zones), len(home.impacts)) != (len(main.zones), len(main.impacts)):
        second = home
    shown_z = set(main.zones) | (set(second.zones) if second else set())
    shown_i = set(main.impacts) | (set(second.impacts) if second else set())
    rest = [g for g in cores[1:] if not (set(g.zones) <= shown_z and set(g.impacts) <= shown_i)]
    return main, second, rest


def describe_group(data: ReportData, g: TargetGroup, ref: TargetGroup | None = None) -> str:
    """A short label for a group: its zone ids (or impact objects), with the distance (km) and compass
    bearing from ``ref``'s centre."""
    names = [data.zones.ids[i] for i in g.zones] or [data.events[i].object for i in g.impacts]
    text = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
    if g.impacts and g.zones:
        text += f" ({len(g.impacts)} impact{'s' if len(g.impacts) > 1 else ''})"
    elif g.impacts:
        text = "impact " + text
    if ref is not None:
        x, y = _frame_xy(np.array(g.lon_deg), np.array(g.lat_deg), ref.lat_deg, ref.lon_deg)
        dist = float(np.hypot(x, y))
        # Compass point from the east/north offset (bearing clockwise from north).
        bearing = math.degrees(math.atan2(float(x), float(y))) % 360.0
        point = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")[int((bearing + 22.5) // 45) % 8]
        text += f", {dist:.0f} km {point}"
    return text


def report_subtitle(data: ReportData) -> str:
    """One line under the report's title: first launch (UTC), objects, zones, sensors."""
    n = len(data.events)
    failed = sum(e.failed for e in data.events)
    when = f"first launch {utc(data.t0_unix_s)}" if data.launch else f"T0 {utc(data.t0_unix_s)}"
    parts = [when, f"{n} object{'s' if n != 1 else ''}" + (f" ({failed} failed)" if failed else "")]
    parts.append(f"{len(data.zones)} zones")
    if data.sensor_labels:
        parts.append("sensors: " + ", ".join(data.sensor_labels))
    return "  |  ".join(parts)


def _extent(xs: FloatArray, ys: FloatArray, pad: float, minimum: float) -> tuple[float, float, float, float]:
    x0, x1 = float(np.nanmin(xs)), float(np.nanmax(xs))
    y0, y1 = float(np.nanmin(ys)), float(np.nanmax(ys))
    half = max(x1 - x0, y1 - y0, minimum) / 2 * (1 + pad)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    return cx - half, cx + half, cy - half, cy + half


def _fit(ax: Axes, ext: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Grow an extent so that, at equal scale on both axes, it fills the axes box."""
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    w_in, h_in = fig.get_size_inches()
    pos = ax.get_position()
    box = (pos.width * w_in) / (pos.height * h_in)
    x0, x1, y0, y1 = ext
    cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
    if w / h < box:
        w = h * box
    else:
        h = w / box
    return cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2


def target_frame(data: ReportData, group: TargetGroup | None = None) -> tuple[float, float]:
    """Centre (lat, lon deg) of a target-area map: the group's centre, else the zone set's centre."""
    if group is not None:
        return group.lat_deg, group.lon_deg
    return data.zones.centre_lat_deg, data.zones.centre_lon_deg


def group_extent_km(
    data: ReportData,
    group: TargetGroup | None,
    lat0: float,
    lon0: float,
    pad: float = 0.15,
    minimum_km: float = 2.0,
) -> tuple[float, float, float, float]:
    """Square extent (km, frame at lat0/lon0) around a group's zones and impacts (all zones if None)."""
    zi = set(range(len(data.zones))) if group is None else set(group.zones)
    ii = [i for i, e in enumerate(data.events) if e.has_impact] if group is None else list(group.impacts)
    bx: list[float] = []
    by: list[float] = []
    for i, p in _zone_patches(data, lat0, lon0):
        if i in zi:
            xy = p.get_xy()
            bx += [float(xy[:, 0].min()), float(xy[:, 0].max())]
            by += [float(xy[:, 1].min()), float(xy[:, 1].max())]
    if ii:
        x, y = _frame_xy(
            np.array([data.events[i].impact_lon_deg for i in ii]),
            np.array([data.events[i].impact_lat_deg for i in ii]),
            lat0,
            lon0,
        )
        r = max(data.events[i].danger_radius_m for i in ii) / 1000.0
        bx += [*(np.atleast_1d(x) - r).tolist(), *(np.atleast_1d(x) + r).tolist()]
        by += [*(np.atleast_1d(y) - r).tolist(), *(np.atleast_1d(y) + r).tolist()]
    if not bx:
        bx, by = [0.0], [0.0]
    return _extent(np.array(bx), np.array(by), pad, minimum_km)


def _select_predictions(data: ReportData) -> list[tuple[str, float, int]]:
    """(track, time to go s, row) of the predictions nearest each ``TTG_MARKS_S`` per track."""
    out: list[tuple[str, float, int]] = []
    for k, p in data.predictions.items():
        if not p.t_unix_s.size:
            continue
        ttg = p.impact_t_unix_s - p.t_unix_s
        for mark in TTG_MARKS_S:
            j = int(np.argmin(np.abs(ttg - mark)))
            if abs(ttg[j] - mark) <= 0.25 * mark:
                out.append((k, mark, j))
    return out


def target_legend_handles(ellipses: bool = True) -> list[Artist]:
    """Legend entries of ``draw_target_area``."""
    handles: list[Artist] = [
        Patch(facecolor=COVER, alpha=0.75, label="zone: take cover"),
        Patch(facecolor=PRE, alpha=0.75, label="zone: pre-alert only"),
        Patch(facecolor=NONE, alpha=0.75, label="zone: no alert"),
        Patch(facecolor="none", edgecolor="black", linewidth=1.8, label="zone struck"),
        Line2D([], [], marker="X", color=TRUTH, linestyle="none", label="true impact (+ danger radius)"),
    ]
    if ellipses:
        label = "95 % predicted impact, {:.0f} s to go"
        handles += [
            Line2D([], [], color="#555555", linestyle=":", label=label.format(TTG_MARKS_S[0])),
            Line2D([], [], color="#555555", linestyle="--", label=label.format(TTG_MARKS_S[1])),
            Line2D([], [], color="#555555", linestyle="-", label=label.format(TTG_MARKS_S[2])),
        ]
    return handles


class _Placer:
    """Greedy label placement in page points: a label goes to the first candidate offset whose box
    overlaps no label placed before; labels with no free spot are dropped."""

    def __init__(self, ax: Axes) -> None:
        self.ax = ax
        self.km_per_pt = _km_per_pt(ax)
        self.boxes: list[tuple[float, float, float, float]] = []

    def place(
        self, x_km: float, y_km: float, text: str, fontsize: float, offsets: Sequence[tuple[float, float]]
    ) -> tuple[float, float] | None:
        """Offset (pt) for ``text`` at (x, y) km, left-bottom anchored, or None if every spot is taken."""
        w = 0.62 * fontsize * len(text)  # DejaVu Sans averages ~0.6 em per character
        h = 1.25 * fontsize
        x0, y0 = x_km / self.km_per_pt, y_km / self.km_per_pt
        for dx, dy in offsets:
            b = (x0 + dx, y0 + dy, x0 + dx + w, y0 + dy + h)
            if all(b[2] <= o[0] or b[0] >= o[2] or b[3] <= o[1] or b[1] >= o[3] for o in self.boxes):
                self.boxes.append(b)
                return dx, dy
        return None


def _label_zones(
    ax: Axes, data: ReportData, patches: Sequence[tuple[int, Polygon]], fontsize: float, placer: _Placer
) -> None:
    """Zone ids at (or beside) the zone's centre, for zones inside the axes at least a few points wide."""
    km_per_pt = placer.km_per_pt
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    done: set[int] = set()
    for i, p in sorted(patches, key=lambda ip: -float(np.ptp(ip[1].get_xy()[:, 0]))):
        if i in done:
            continue
        xy = p.get_xy()
        cx, cy = float(xy[:, 0].mean()), float(xy[:, 1].mean())
        if not (x0 <= cx <= x1 and y0 <= cy <= y1):
            continue
        if max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1])) < 4 * km_per_pt:
            continue
        done.add(i)
        name = data.zones.ids[i]
        w = 0.62 * fontsize * len(name)
        h = 1.25 * fontsize
        offsets = [(-w / 2, -h / 2), (-w / 2, h * 0.7), (-w / 2, -h * 1.7), (6.0, -h / 2), (-w - 6.0, -h / 2)]
        off = placer.place(cx, cy, name, fontsize, offsets)
        if off is None:
            continue
        ax.annotate(
            name,
            (cx, cy),
            xytext=off,
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=fontsize,
            color="#0b3d91",
            fontstyle="italic",
            zorder=7,
            annotation_clip=True,
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "alpha": 0.6, "linewidth": 0},
        )


def draw_target_area(
    ax: Axes,
    data: ReportData,
    group: TargetGroup | None = None,
    *,
    ellipses: bool = True,
    legend: bool = True,
    labels: bool = True,
    fontsize: float = 7.0,
) -> None:
    """Zones by worst alert level, predicted 95 % ellipses, true impacts with danger radii (km axes),
    framed on ``group`` (all zones and impacts when None)."""
    lat0, lon0 = target_frame(data, group)
    worst = worst_level(data.alerts)
    struck = struck_zone_ids(data)
    patches = _zone_patches(data, lat0, lon0)
    colours = [{2: COVER, 1: PRE}.get(worst.get(data.zones.ids[i], 0), NONE) for i, _ in patches]
    ax.add_collection(
        PatchCollection(
            [p for _, p in patches],
            facecolors=colours,
            edgecolors="#37474f",
            linewidths=0.6,
            alpha=0.75,
            zorder=2,
        )
    )
    hit_patches = [p for i, p in _zone_patches(data, lat0, lon0) if data.zones.ids[i] in struck]
    if hit_patches:
        ax.add_collection(
            PatchCollection(hit_patches, facecolors="none", edgecolors="black", linewidths=1.8, zorder=3)
        )
    ext = _fit(ax, group_extent_km(data, group, lat0, lon0))
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    imp = [e for e in data.events if e.has_impact]
    ix, iy = _frame_xy(
        np.array([e.impact_lon_deg for e in imp]), np.array([e.impact_lat_deg for e in imp]), lat0, lon0
    )
    ix, iy = np.atleast_1d(ix), np.atleast_1d(iy)
    cmap = matplotlib.colormaps["tab10"]
    if ellipses:
        tracks = sorted(data.predictions)
        for k, mark, j in _select_predictions(data):
            pr = data.predictions[k]
            major, minor, angle = pr.ellipse95_m()
            xa, ya = _frame_xy(pr.impact_lon_deg[j : j + 1], pr.impact_lat_deg[j : j + 1], lat0, lon0)
            x, y = float(xa[0]), float(ya[0])
            c = cmap(tracks.index(k) % 10)
            style = {240.0: ":", 120.0: "--", 45.0: "-"}.get(mark, "-")
            ax.add_patch(
                Ellipse(
                    (x, y),
                    2 * major[j] / 1000,
                    2 * minor[j] / 1000,
                    angle=math.degrees(angle[j]),
                    fill=False,
                    edgecolor=c,
                    linestyle=style,
                    linewidth=1.1,
                    zorder=4,
                    alpha=0.3 if mark == max(TTG_MARKS_S) else 0.9,
                )
            )
            ax.plot(x, y, marker=".", color=c, markersize=3, zorder=4)
    for e, x, y in zip(imp, ix, iy, strict=True):
        ax.add_patch(plt_circle(float(x), float(y), e.danger_radius_m / 1000))
        ax.plot(x, y, marker="X", color=TRUTH, markersize=7, markeredgecolor="white", zorder=6)
    ax.set_aspect("equal")
    placer = _Placer(ax)
    _label_impacts(ax, [e.object for e in imp], ix, iy, fontsize, placer)
    ax.set_xlabel(f"east of {_latlon(lat0, lon0)} (km)")
    ax.set_ylabel("north (km)")
    ax.grid(True, color="#e0e0e0", linewidth=0.5)
    if labels:
        _label_zones(ax, data, patches, fontsize, placer)
    if legend:
        ax.legend(handles=target_legend_handles(ellipses), loc="upper left", fontsize=7, framealpha=0.9)


def _latlon(lat_deg: float, lon_deg: float) -> str:
    """``33.786 N 42.441 E`` (degrees)."""
    ns = "N" if lat_deg >= 0 else "S"
    ew = "E" if lon_deg >= 0 else "W"
    return f"{abs(lat_deg):.3f} {ns} {abs(lon_deg):.3f} {ew}"


def _km_per_pt(ax: Axes) -> float:
    """Axis-x kilometres per typographic point on the page."""
    x0, x1 = ax.get_xlim()
    fig = ax.get_figure(root=True)
    assert isinstance(fig, Figure)
    return float((x1 - x0) / (ax.get_position().width * fig.get_size_inches()[0] * 72.0))


def _label_impacts(
    ax: Axes, names: Sequence[str], x: FloatArray, y: FloatArray, fontsize: float, placer: _Placer
) -> None:
    """Object names beside their impacts; impacts closer than ~14 points share one label."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    near = 14 * placer.km_per_pt
    inside = [i for i in range(len(names)) if x0 <= x[i] <= x1 and y0 <= y[i] <= y1]
    groups: list[list[int]] = []
    for i in sorted(inside, key=lambda k: names[k]):
        for g in groups:
            if math.hypot(x[i] - x[g[0]], y[i] - y[g[0]]) < near:
                g.append(i)
                break
        else:
            groups.append([i])
    for g in groups:
        text = ", ".join(names[i] for i in g)
        w = 0.62 * fontsize * len(text)
        h = 1.25 * fontsize
        px, py = float(np.mean(x[g])), float(np.mean(y[g]))
        offsets = [(5.0, 3.0), (5.0, -h - 3.0), (-w - 5.0, 3.0), (-w - 5.0, -h - 3.0), (5.0, 3.0 + h)]
        off = placer.place(px, py, text, fontsize, offsets) or offsets[0]
        ax.annotate(
            text,
            (px, py),
            xytext=off,
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=fontsize,
            fontweight="bold",
            zorder=8,
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "alpha": 0.7, "linewidth": 0},
        )


def plt_circle(x_km: float, y_km: float, r_km: float) -> Ellipse:
    """A thin circle (km) for a danger radius."""
    return Ellipse(
        (x_km, y_km), 2 * r_km, 2 * r_km, fill=False, edgecolor=TRUTH, linewidth=0.7, linestyle="-", zorder=5
    )


def map_page(data: ReportData) -> Figure:
    """Page 2: theatre (launches, tracks, sensors, borders) and target areas (zones, ellipses, impacts):
    the main panel on the zones and impacts with the most struck zones (``target_panels``), a second
    panel on the next target area when there is one."""
    main, second, rest = target_panels(data)
    areas = target_groups(data, AREA_LINK_M)
    where = "Right: the target area with the most struck zones"
    if second is not None:
        where += f"; lower left: the next one, {describe_group(data, second, main).split(', ')[-1]} from it"
    fig = _page(
        "Map: launches, tracks, predicted and true impacts",
        "Local azimuthal-equidistant frames (pyproj aeqd), km. Upper left: theatre. "
        + where
        + ". "
        + ATTRIBUTION_SHORT
        + ".",
    )
    if rest:
        note = "Outside the target panels: " + "; ".join(describe_group(data, g, main) for g in rest[:4])
        note += f" +{len(rest) - 4} more" if len(rest) > 4 else ""
        fig.text(0.50, 0.118, note + ".", fontsize=7.5, color="#444444")
    top = 0.85
    ax = fig.add_axes(
        (0.06, 0.40, 0.37, top - 0.40) if second is not None else (0.06, 0.20, 0.37, top - 0.20)
    )
    lats: list[float] = [g.lat_deg for g in areas] or [data.zones.centre_lat_deg]
    lons: list[float] = [g.lon_deg for g in areas] or [data.zones.centre_lon_deg]
    for _, la, lo in data.launch.values():
        lats.append(la)
        lons.append(lo)
    for _, la, lo in data.radars:
        lats.append(la)
        lons.append(lo)
    lat0 = float(np.mean([min(lats), max(lats)]))
    lon0 = float(np.mean([min(lons), max(lons)]))
    px, py = _frame_xy(np.array(lons), np.array(lats), lat0, lon0)
    ext = _fit(ax, _extent(np.atleast_1d(px), np.atleast_1d(py), 0.25, 100.0))
    draw_basemap(ax, lat0, lon0, 1000.0 * max(ext[1] - ext[0], ext[3] - ext[2]) / 2)
    cmap = matplotlib.colormaps["tab10"]
    if data.truth is not None:
        for i in range(len(data.truth.objects)):
            n = int(data.truth.count[i])
            tla, tlo, _ = ecef_to_geodetic(data.truth.pos_ecef_m[i, :n])
            x, y = _frame_xy(np.degrees(tlo), np.degrees(tla), lat0, lon0)
            ax.plot(x, y, color="#7f8c8d", linewidth=0.8, linestyle=":", zorder=3)
    for j, (k, tr) in enumerate(sorted(data.tracks.items())):
        gla, glo, _ = tr.geodetic_deg()
        x, y = _frame_xy(glo, gla, lat0, lon0)
        ax.plot(x, y, color=cmap(j % 10), linewidth=1.4, zorder=4)
        if len(data.tracks) <= 6:  # more labels pile up on the launch area
            ax.annotate(
                k, (x[0], y[0]), xytext=(-4, 4), textcoords="offset points", fontsize=6.5, color=cmap(j % 10)
            )
    seen: set[tuple[float, float]] = set()
    for _, la, lo in data.launch.values():
        if (la, lo) in seen:
            continue
        seen.add((la, lo))
        x, y = _frame_xy(np.array(lo), np.array(la), lat0, lon0)
        ax.plot(x, y, marker="^", color="#c0392b", markersize=9, markeredgecolor="black", zorder=6)
    for p in data.predictions.values():
        ok = np.isfinite(p.launch_lat_deg)
        if ok.any():
            x, y = _frame_xy(p.launch_lon_deg[ok][-1:], p.launch_lat_deg[ok][-1:], lat0, lon0)
            ax.plot(x, y, marker="^", color="none", markeredgecolor="#c0392b", markersize=7, zorder=6)
    for name, la, lo in data.radars:
        x, y = _frame_xy(np.array(lo), np.array(la), lat0, lon0)
        ax.plot(x, y, marker="s", color="#1f77b4", markersize=7, markeredgecolor="black", zorder=6)
        ax.annotate(
            name, (float(x), float(y)), xytext=(-7, -11), textcoords="offset points", fontsize=7, ha="right"
        )
    zx, zy = _frame_xy(np.array(lons[: max(len(areas), 1)]), np.array(lats[: max(len(areas), 1)]), lat0, lon0)
    ax.plot(
        zx,
        zy,
        marker="*",
        color="#f1c40f",
        markersize=13,
        markeredgecolor="black",
        linestyle="none",
        zorder=6,
    )
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    ax.set_aspect("equal")
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    ax.set_title("Theatre", loc="left", fontsize=11, fontweight="bold")
    theatre: list[Artist] = [
        Line2D(
            [],
            [],
            marker="^",
            color="#c0392b",
            markeredgecolor="black",
            linestyle="none",
            label="true launch point",
        ),
        Line2D(
            [],
            [],
            marker="^",
            color="none",
            markeredgecolor="#c0392b",
            linestyle="none",
            label="estimated launch point",
        ),
        Line2D([], [], color="#7f8c8d", linestyle=":", label="true ground track"),
        Line2D([], [], color=cmap(0), label="track (tocsin)"),
        Line2D([], [], marker="s", color="#1f77b4", markeredgecolor="black", linestyle="none", label="radar"),
        Line2D(
            [],
            [],
            marker="*",
            color="#f1c40f",
            markeredgecolor="black",
            linestyle="none",
            label="defended area",
        ),
    ]
    ax2 = fig.add_axes((0.50, 0.20, 0.47, top - 0.20))
    draw_target_area(ax2, data, main, legend=False, fontsize=7.5)
    ax2.set_title(
        "Target area"
        + (f": {len(main.zones)} zones, {len(main.impacts)} impacts" if main else "")
        + " (zones by worst alert level)",
        loc="left",
        fontsize=10.5,
        fontweight="bold",
    )
    if second is not None:
        ax3 = fig.add_axes((0.06, 0.06, 0.37, 0.26))
        draw_target_area(ax3, data, second, legend=False, ellipses=True, fontsize=6.5)
        ax3.set_title(
            f"Next target area: {describe_group(data, second)}", loc="left", fontsize=9, fontweight="bold"
        )
        ax3.tick_params(labelsize=7)
        ax3.xaxis.label.set_fontsize(8)
        ax3.yaxis.label.set_fontsize(8)
    fig.legend(
        handles=[*theatre, *target_legend_handles()],
        loc="lower left",
        bbox_to_anchor=(0.50, 0.005),
        ncols=3,
        fontsize=7.5,
        frameon=False,
    )
    return fig


# ------------------------------------------------------------------------------------------ timeline


MAX_TIMELINE_ZONES = 60


def timeline_page(data: ReportData, card: Scorecard) -> Figure:
    """Page 3: every alerted or struck zone's pre-alert and take-cover bars against impact times."""
    d = card.delay_s
    t0 = data.t0_unix_s
    fig = _page(
        "Timeline: zone alerts against impacts",
        f"Effective times (issue + {d:g} s dissemination delay), seconds after T0 = {utc(t0)}. "
        "Bars: pre-alert (amber), take cover (red). Markers: impacts striking the zone, by outcome.",
    )
    bars = alert_bars(data.alerts, d)
    zones = sorted({b.zone for b in bars} | {p.zone for p in card.pairs})
    idx = data.zones.index
    zones.sort(key=lambda z: (data.zones.kind[idx[z]] or "~", z) if z in idx else ("~", z))
    shown = zones[:MAX_TIMELINE_ZONES]
    row = {z: i for i, z in enumerate(shown)}
    ax = fig.add_axes((0.16, 0.13, 0.80, 0.73))
    impacts = [e.impact_t_unix_s - t0 for e in data.events if e.has_impact]
    t_end = max([*impacts, *(b.start_s - t0 for b in bars), 0.0]) + 120.0
    for x in impacts:
        ax.axvline(x, color="#b0b0b0", linewidth=0.6, zorder=1)
    for b in bars:
        if b.zone not in row:
            continue
        end = (b.end_s if math.isfinite(b.end_s) else t0 + t_end) - t0
        h = 0.75 if b.level == "take_cover" else 0.45
        ax.barh(
            row[b.zone],
            end - (b.start_s - t0),
            left=b.start_s - t0,
            height=h,
            color=COVER if b.level == "take_cover" else PRE,
            alpha=0.9,
            zorder=2,
        )
    for p in card.pairs:
        if p.zone in row:
            ax.plot(
                p.impact_t_unix_s - t0,
                row[p.zone],
                marker="D" if p.outcome != "missed" else "X",
                color=OUTCOME_COLOUR[p.outcome],
                markeredgecolor="black",
                markersize=7,
                zorder=4,
            )
    labels = [f"{z} ({data.zones.kind[idx[z]] or '-'})" if z in idx else z for z in shown]
    ax.set_yticks(range(len(shown)), labels, fontsize=7 if len(shown) > 25 else 8)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xlim(left=min([0.0, *(b.start_s - t0 for b in bars)]) - 20.0, right=t_end)
    ax.set_xlabel(f"time after T0 (s); T0 = {utc(t0)}")
    ax.grid(True, axis="x", color="#e6e6e6", linewidth=0.5)
    handles = [
        Patch(color=PRE, label="pre-alert"),
        Patch(color=COVER, label="take cover"),
        Line2D([], [], color="#b0b0b0", label="impact time (any object)"),
        *(
            Line2D(
                [],
                [],
                marker="D" if k != "missed" else "X",
                color=c,
                markeredgecolor="black",
                linestyle="none",
                label=f"struck: {k}",
            )
            for k, c in OUTCOME_COLOUR.items()
        ),
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.07), ncols=6, fontsize=8, frameon=False
    )
    if len(zones) > len(shown):
        ax.set_title(f"first {len(shown)} of {len(zones)} zones shown", fontsize=8, loc="right")
    return fig


# ------------------------------------------------------------------------------------------ accuracy


@dataclass(frozen=True)
class ErrorSeries:
    """Prediction errors of one track against its associated object: time to go (s), horizontal miss
    (m), 95 % semi-major axis (m), impact-time error (s), inside-the-95 %-ellipse flags."""

    track: str
    object: str
    ttg_s: FloatArray
    miss_m: FloatArray
    semi_major95_m: FloatArray
    dt_s: FloatArray
    inside95: np.ndarray


def prediction_errors(data: ReportData) -> list[ErrorSeries]:
    """Predicted vs true impact for every track associated with an object that has an impact."""
    ev = data.event_by_object
    out: list[ErrorSeries] = []
    for k in sorted(data.predictions):
        obj = data.track_object.get(k)
        if obj is None or obj not in ev or not ev[obj].has_impact:
            continue
        e = ev[obj]
        p = data.predictions[k]
        miss = geodesic_distance_m(p.impact_lat_deg, p.impact_lon_deg, e.impact_lat_deg, e.impact_lon_deg)
        # Prediction -> truth vector in east/north metres, in the frame at the true impact (one
        # projection per object; the axes differ from those at the mean point by ~1e-4 rad per km).
        px, py = lonlat_to_local_m(p.impact_lon_deg, p.impact_lat_deg, e.impact_lat_deg, e.impact_lon_deg)
        v = -np.stack([np.atleast_1d(px), np.atleast_1d(py)], axis=1)
        try:
            sol = np.linalg.solve(p.impact_cov_en_m2, v[..., None])[..., 0]
            m2 = np.einsum("ni,ni->n", v, sol)
        except np.linalg.LinAlgError:
            m2 = np.full(v.shape[0], np.inf)
        major, _, _ = p.ellipse95_m()
        out.append(
            ErrorSeries(
                k,
                obj,
                e.impact_t_unix_s - p.t_unix_s,
                miss,
                major,
                p.impact_t_unix_s - e.impact_t_unix_s,
                m2 <= 5.991,
            )
        )
    return out


#: Time-to-go bins (s) of the accuracy table, centred on the accuracy bars' marks: 30 s in 20-40, 60 s in
#: 50-70, 120 s in 90-150.
TTG_BINS_S = (0.0, 10.0, 20.0, 40.0, 50.0, 70.0, 90.0, 150.0, 240.0, 360.0, 600.0)


def accuracy_table(errs: Sequence[ErrorSeries]) -> tuple[list[str], list[list[str]]]:
    """Prediction error against time to go, pooled over tracks, one row per ``TTG_BINS_S`` bin.

    Per bin: number of predictions, median and 90th-percentile horizontal miss (m), median absolute
    impact-time error (s) and the share of true impacts inside the predicted 95 % ellipse.
    """
    header = ["time to go", "predictions", "median miss", "90 % miss", "median |time error|", "inside 95 %"]
    if not errs:
        return header, []
    ttg = np.concatenate([e.ttg_s for e in errs])
    miss = np.concatenate([e.miss_m for e in errs])
    dt = np.abs(np.concatenate([e.dt_s for e in errs]))
    inside = np.concatenate([np.asarray(e.inside95, dtype=bool) for e in errs])
    rows: list[list[str]] = []
    for lo, hi in itertools.pairwise(TTG_BINS_S):
        sel = (ttg >= lo) & (ttg < hi) & np.isfinite(miss)
        n = int(sel.sum())
        if n == 0:
            continue
        rows.append(
            [
                f"{lo:.0f}-{hi:.0f} s",
                str(n),
                f"{np.median(miss[sel]):.0f} m",
                f"{np.percentile(miss[sel], 90):.0f} m",
                f"{np.nanmedian(dt[sel]):.1f} s" if np.isfinite(dt[sel]).any() else "-",
                f"{inside[sel].mean():.0%}",
            ]
        )
    return header, rows


def accuracy_page(data: ReportData) -> Figure:
    """Page 4: predicted impact miss and impact-time error against time to go, per track."""
    errs = prediction_errors(data)
    n = sum(e.ttg_s.size for e in errs)
    inside = sum(int(e.inside95.sum()) for e in errs)
    cover = f"{inside / n:.0%} of {n} predictions had the true impact inside their 95 % ellipse" if n else ""
    fig = _page(
        "Impact prediction accuracy against time to go",
        "Each track is associated with the truth object nearest to it (mean distance over its states). "
        + cover
        + ".",
    )
    ax = fig.add_axes((0.07, 0.18, 0.54, 0.69))
    ax2 = fig.add_axes((0.69, 0.18, 0.28, 0.69))
    cmap = matplotlib.colormaps["tab10"]
    for i, e in enumerate(errs):
        c = cmap(i % 10)
        ax.plot(e.ttg_s, np.maximum(e.miss_m, 1.0), color=c, linewidth=1.4, label=f"{e.track} -> {e.object}")
        ax.plot(e.ttg_s, e.semi_major95_m, color=c, linewidth=0.9, linestyle="--")
        ax2.plot(e.ttg_s, e.dt_s, color=c, linewidth=1.2)
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax2.invert_xaxis()
    ax.set_xlabel("time to go before the true impact (s)")
    ax.set_ylabel("horizontal miss of the predicted impact point (m)")
    ax.set_title("Miss distance (solid) and 95 % ellipse semi-major axis (dashed)", loc="left", fontsize=10)
    ax.grid(True, which="both", color="#e6e6e6", linewidth=0.5)
    if errs:
        fig.legend(
            *ax.get_legend_handles_labels(),
            loc="lower left",
            bbox_to_anchor=(0.07, 0.005),
            ncols=7,
            fontsize=7.5,
            frameon=False,
            title="track -> truth object",
            title_fontsize=7.5,
        )
    else:
        ax.text(
            0.5,
            0.5,
            "no prediction could be associated with a true impact",
            transform=ax.transAxes,
            ha="center",
        )
    ax2.axhline(0.0, color="#888888", linewidth=0.8)
    # Early fits are off by minutes, late ones by seconds: a linear scale would hide the late ones.
    ax2.set_yscale("symlog", linthresh=10.0)
    ax2.set_xlabel("time to go (s)")
    ax2.set_ylabel("predicted - true impact time (s; linear within ±10 s)")
    ax2.set_title("Impact time error", loc="left", fontsize=10)
    ax2.grid(True, color="#e6e6e6", linewidth=0.5)
    return fig


# --------------------------------------------------------------------------------------------- intent


def intent_page(data: ReportData, a: IntentAnalysis) -> Figure:
    """Page 5: aimpoint clusters on the zones (coloured by kind group), findings and cluster table."""
    fig = _page(
        "Aimpoint and intent analysis",
        f"True impacts clustered with DBSCAN ({a.eps_m:.0f} m); zones coloured by what they hold. "
        "CEP = median radial miss; nominal CEPs from the class catalogue (assumed figures).",
    )
    main, _, _ = target_panels(data)
    ax = fig.add_axes((0.07, 0.20, 0.46, 0.68))
    lat0, lon0 = target_frame(data, main)
    patches = _zone_patches(data, lat0, lon0)
    colours = [GROUP_COLOUR[kind_group(data.zones.kind[i] or "other")] for i, _ in patches]
    ax.add_collection(
        PatchCollection(
            [p for _, p in patches], facecolors=colours, edgecolors="#37474f", linewidths=0.5, alpha=0.55
        )
    )
    ext = _fit(ax, group_extent_km(data, main, lat0, lon0, 0.15, 1.0))
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    ax.set_aspect("equal")
    ix, iy = _frame_xy(a.lon_deg, a.lat_deg, lat0, lon0)
    ix, iy = np.atleast_1d(ix), np.atleast_1d(iy)
    cmap = matplotlib.colormaps["Dark2"]
    for lab in sorted(set(a.labels.tolist())):
        sel = a.labels == lab
        c = "#000000" if lab < 0 else cmap(lab % 8)
        ax.plot(
            ix[sel],
            iy[sel],
            marker="X" if lab >= 0 else "o",
            linestyle="none",
            color=c,
            markersize=8,
            markeredgecolor="white",
            zorder=5,
            label="single-shot impact" if lab < 0 else f"cluster {lab + 1}",
        )
    for cl in a.clusters:
        x, y = _frame_xy(np.array(cl.centre_lon_deg), np.array(cl.centre_lat_deg), lat0, lon0)
        ax.plot(x, y, marker="+", color="black", markersize=14, mew=1.6, zorder=6)
        nominal = next(
            (
                c.cep_nominal_m
                for c in a.per_class
                if c.object_class in {a.classes[a.objects.index(o)] for o in cl.objects}
            ),
            None,
        )
        if nominal:
            ax.add_patch(
                Ellipse(
                    (float(x), float(y)),
                    2 * nominal / 1000,
                    2 * nominal / 1000,
                    fill=False,
                    edgecolor="black",
                    linestyle="--",
                    linewidth=0.8,
                    zorder=6,
                )
            )
    placer = _Placer(ax)
    _label_impacts(ax, list(a.objects), ix, iy, 7.0, placer)
    _label_zones(ax, data, patches, 7.0, placer)
    out = (ix < ext[0]) | (ix > ext[1]) | (iy < ext[2]) | (iy > ext[3])
    off = [o for o, f in zip(a.objects, out.tolist(), strict=True) if f]
    ax.set_title(
        "Target area with the most struck zones"
        + (f"; not in view: {', '.join(off[:5])}{' ...' if len(off) > 5 else ''}" if off else ""),
        loc="left",
        fontsize=10,
        fontweight="bold",
    )
    ax.set_xlabel(f"east of {_latlon(lat0, lon0)} (km)")
    ax.set_ylabel("north (km)")
    ax.grid(True, color="#e0e0e0", linewidth=0.5)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(facecolor=c, alpha=0.55, label=f"zones: {g}") for g, c in GROUP_COLOUR.items()]
    handles += [
        Line2D(
            [], [], marker="+", color="black", linestyle="none", markersize=10, label="estimated aimpoint"
        ),
        Line2D([], [], color="black", linestyle="--", label="nominal CEP of the class"),
    ]
    fig.legend(
        handles=handles, loc="lower left", bbox_to_anchor=(0.07, 0.005), ncols=4, fontsize=7.5, frameon=False
    )

    tx = fig.add_axes((0.57, 0.45, 0.41, 0.43))
    tx.set_axis_off()
    tx.set_title("Findings", loc="left", fontsize=11, fontweight="bold")
    import textwrap

    lines: list[str] = []
    for f in a.findings:
        lines += textwrap.wrap(f, 78, initial_indent="- ", subsequent_indent="  ")
    tx.text(0.0, 0.98, "\n".join(lines), va="top", fontsize=8.5, linespacing=1.45)
    header, rows = cluster_table(a)
    _table(fig.add_axes((0.57, 0.05, 0.41, 0.34)), header, rows, "Aimpoint clusters", 8, CLUSTER_WIDTHS)
    return fig


def cluster_table(a: IntentAnalysis) -> tuple[list[str], list[list[str]]]:
    """Header and rows describing each aimpoint cluster."""
    header = ["#", "objects", "aimpoint (lat, lon)", "zone there", "spread", "CEP"]
    rows = []
    for c in a.clusters:
        idx = [a.objects.index(o) for o in c.objects]
        cep = float(np.nanmedian(a.miss_to_cluster_m[idx])) if c.n > 1 else math.nan
        names = ", ".join(c.objects) if len(c.objects) <= 3 else f"{', '.join(c.objects[:3])} +{c.n - 3}"
        rows.append(
            [
                str(c.label + 1),
                names,
                f"{c.centre_lat_deg:.5f}, {c.centre_lon_deg:.5f}",
                c.centre_kind,
                f"{c.spread_m:.0f} m",
                f"{cep:.0f} m" if math.isfinite(cep) else "-",
            ]
        )
    return header, rows
