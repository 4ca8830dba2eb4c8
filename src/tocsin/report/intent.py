"""Aimpoint and intent analysis of the true impacts: where were they aimed, at what, and how accurately.

Method (all distances in a local azimuthal-equidistant frame centred on the mean impact, metres):

1. **Aimpoints.** DBSCAN (Ester et al., KDD 1996) on the impact points with radius ``eps_m`` and
   ``min_samples``: a cluster is a group of impacts likely aimed at one point; its centre (the mean) is
   the estimated aimpoint. Impacts in no cluster are single-shot aimpoints (label -1).
2. **What was hit.** Each impact is related to the zone kinds (``kind`` in ``zones.geojson``) of the
   zones within the object's danger radius (the nearest one wins); none means open ground. Kinds are
   grouped into *equipment* (aircraft, hangars, flight line, fuel, ...), *personnel* (quarters, HQ,
   dining, town) and *other*.
3. **Accuracy.** The radial miss of each clustered impact from its cluster centre, scaled by
   sqrt(n / (n - 1)) because the centre is estimated from the same n points (each coordinate's sample
   variance about the sample mean is biased by (n - 1) / n); the median radial miss estimates the CEP
   (by definition the radius holding half the impacts). A second estimate takes the centroid of the
   zone each impact struck (or the nearest zone) as the aimpoint. Both are compared with the class's
   nominal CEP from ``tocsin.physics.catalogue`` (itself an assumption: no credible public CEP exists for
   most classes, domain.md §1.2); an unknown class is reported as unknown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from tocsin._types import FloatArray, IntArray
from tocsin.eval.truth import ObjectEvent
from tocsin.zones.geometry import local_m_to_lonlat, lonlat_to_local_m
from tocsin.zones.load import ZoneSet

DEFAULT_EPS_M = 300.0
DEFAULT_MIN_SAMPLES = 2
OPEN_GROUND = "open ground"

EQUIPMENT_KINDS = frozenset(
    {
        "aircraft_shelter",
        "hangar",
        "flight_line",
        "runway",
        "taxiway",
        "apron",
        "fuel",
        "ammunition",
        "maintenance",
        "radar",
        "helipad",
        "warehouse",
        "control_tower",
    }
)
PERSONNEL_KINDS = frozenset({"quarters", "headquarters", "dining", "town", "hospital", "office", "barracks"})


def kind_group(kind: str) -> str:
    """``equipment``, ``personnel``, ``open`` or ``other`` for a zone kind (or ``OPEN_GROUND``)."""
    if kind in (OPEN_GROUND, "open"):
        return "open"
    if kind in EQUIPMENT_KINDS:
        return "equipment"
    if kind in PERSONNEL_KINDS:
        return "personnel"
    return "other"


def dbscan_labels(xy_m: FloatArray, eps_m: float, min_samples: int) -> IntArray:
    """DBSCAN cluster labels (0, 1, ...; -1 = noise) of points ``xy_m`` (N, 2) in metres.

    Ester, Kriegel, Sander, Xu (KDD 1996): a core point has at least ``min_samples`` points (itself
    included) within ``eps_m``; clusters are the core points' connected eps-neighbourhoods. Labels are
    numbered in order of each cluster's first point, so the result is deterministic. O(N²) memory: meant
    for the tens to hundreds of impacts of a salvo.
    """
    xy = np.asarray(xy_m, dtype=np.float64).reshape(-1, 2)
    n = xy.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    if n == 0:
        return labels
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    near = d <= eps_m
    core = near.sum(axis=1) >= min_samples
    label = 0
    for i in range(n):
        if labels[i] != -1 or not core[i]:
            continue
        labels[i] = label
        stack = [i]
        while stack:
            j = stack.pop()
            if not core[j]:
                continue
            for k in np.flatnonzero(near[j] & (labels == -1)):
                labels[k] = label
                stack.append(int(k))
        label += 1
    return labels


@dataclass(frozen=True)
class AimpointCluster:
    """One aimpoint: ``n`` impacts around a centre (degrees); ``kinds`` counts the zone kinds hit."""

    label: int
    n: int
    centre_lat_deg: float
    centre_lon_deg: float
    spread_m: float  # largest distance of a member from the centre
    objects: list[str]
    kinds: dict[str, int]
    centre_kind: str  # kind of the zone at (or nearest within eps) the centre, else open ground


@dataclass(frozen=True)
class ClassAccuracy:
    """Accuracy implied for one object class: ``n`` impacts, observed and nominal CEP (m; None unknown)."""

    object_class: str
    n: int
    cep_observed_m: float
    cep_nominal_m: float | None
    nominal_note: str


@dataclass(frozen=True)
class IntentAnalysis:
    """Result of :func:`analyse_intent`; per-impact arrays are aligned with ``objects``."""

    objects: list[str]
    classes: list[str]
    lat_deg: FloatArray
    lon_deg: FloatArray
    x_m: FloatArray  # local aeqd frame, centre (centre_lat_deg, centre_lon_deg)
    y_m: FloatArray
    centre_lat_deg: float
    centre_lon_deg: float
    labels: IntArray
    clusters: list[AimpointCluster]
    zone_hit: list[str | None]
    kind_hit: list[str]
    miss_to_cluster_m: FloatArray  # NaN for single-shot aimpoints; bias-corrected, see module doc
    miss_to_zone_m: FloatArray  # to the centroid of the zone struck or nearest; NaN without zones
    cep_cluster_m: float  # median of miss_to_cluster_m (NaN if no cluster)
    cep_zone_m: float
    per_class: list[ClassAccuracy]
    kind_counts: dict[str, int]
    group_counts: dict[str, int]
    eps_m: float
    findings: list[str] = field(default_factory=list)


def nominal_cep_m(object_class: str) -> tuple[float | None, str]:
    """Nominal CEP (m) of a class from the catalogue and a note on its source; (None, why) if unknown."""
    try:
        from tocsin.physics.catalogue import UnknownClassError, get_class
    except ImportError:  # pragma: no cover - the catalogue ships with tocsin
        return None, "catalogue unavailable"
    try:
        c = get_class(object_class)
    except UnknownClassError:
        return None, "class not in catalogue"
    cep = float(c.cep_m)
    note = "assumed" if "?" in getattr(c, "confidence", "") else "catalogue"
    return (cep if math.isfinite(cep) and cep > 0 else None), note


def _median(values: FloatArray) -> float:
    v = values[np.isfinite(values)]
    return float(np.median(v)) if v.size else math.nan


def analyse_intent(
    events: Sequence[ObjectEvent],
    zones: ZoneSet | None = None,
    *,
    eps_m: float = DEFAULT_EPS_M,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> IntentAnalysis:
    """Cluster the true impacts of ``events`` into aimpoints, relate them to zone kinds, estimate CEP (m).

    Objects with no known impact are left out. ``eps_m`` is the DBSCAN radius in metres (default 300 m,
    about 2-3 nominal CEPs of a guided SRBM, so one aimpoint's impacts chain together while aimpoints a
    few hundred metres apart stay separate); ``min_samples`` counts the point itself.
    """
    hit = [e for e in events if e.has_impact]
    objects = [e.object for e in hit]
    classes = [e.object_class for e in hit]
    lat = np.array([e.impact_lat_deg for e in hit], dtype=np.float64)
    lon = np.array([e.impact_lon_deg for e in hit], dtype=np.float64)
    radius = np.array([e.danger_radius_m for e in hit], dtype=np.float64)
    n = len(hit)
    lat0 = float(lat.mean()) if n else 0.0
    lon0 = float(lon.mean()) if n else 0.0
    x, y = lonlat_to_local_m(lon, lat, lat0, lon0)
    x, y = np.atleast_1d(x), np.atleast_1d(y)
    xy = np.column_stack([x, y]) if n else np.zeros((0, 2))
    labels = dbscan_labels(xy, eps_m, min_samples)

    # What each impact hit: the nearest zone within the danger radius, in the zones' own frame.
    zone_hit: list[str | None] = [None] * n
    kind_hit = [OPEN_GROUND] * n
    miss_zone = np.full(n, np.nan)
    centroids = np.zeros((0, 2))
    zx = zy = np.zeros(0)
    if zones is not None and len(zones) and n:
        zx, zy = zones.project_lonlat(lon, lat)
        zx, zy = np.atleast_1d(zx), np.atleast_1d(zy)
        pts = shapely.points(zx, zy)
        dist = shapely.distance(pts[:, None], zones.geoms_m[None, :])  # (n, Z) m
        cen = shapely.centroid(zones.geoms_m)
        centroids = np.column_stack([shapely.get_x(cen), shapely.get_y(cen)])
        for i in range(n):
            j = int(np.argmin(dist[i]))
            if dist[i, j] <= radius[i]:
                zone_hit[i] = zones.ids[j]
                kind_hit[i] = zones.kind[j] or "unspecified"
            # Aimpoint assumed at the centroid of the zone struck, else of the nearest zone.
            miss_zone[i] = float(np.hypot(zx[i] - centroids[j, 0], zy[i] - centroids[j, 1]))

    miss_cluster = np.full(n, np.nan)
    clusters: list[AimpointCluster] = []
    for lab in range(int(labels.max()) + 1 if n else 0):
        idx = np.flatnonzero(labels == lab)
        m = idx.size
        cx, cy = float(x[idx].mean()), float(y[idx].mean())
        r = np.hypot(x[idx] - cx, y[idx] - cy)
        miss_cluster[idx] = r * math.sqrt(m / (m - 1)) if m > 1 else np.nan
        clat_a, clon_a = local_m_to_lonlat(cx, cy, lat0, lon0)[::-1]
        kinds: dict[str, int] = {}
        for i in idx.tolist():
            kinds[kind_hit[i]] = kinds.get(kind_hit[i], 0) + 1
        centre_kind = OPEN_GROUND
        if zones is not None and len(zones):
            czx, czy = zones.project_lonlat(float(clon_a), float(clat_a))
            dc = shapely.distance(shapely.points(float(czx), float(czy)), zones.geoms_m)
            j = int(np.argmin(dc))
            if dc[j] <= eps_m:
                centre_kind = zones.kind[j] or "unspecified"
        clusters.append(
            AimpointCluster(
                label=lab,
                n=m,
                centre_lat_deg=float(clat_a),
                centre_lon_deg=float(clon_a),
                spread_m=float(r.max()),
                objects=[objects[i] for i in idx.tolist()],
                kinds=kinds,
                centre_kind=centre_kind,
            )
        )

    per_class: list[ClassAccuracy] = []
    for cls in sorted(set(classes)):
        sel = np.array([c == cls for c in classes])
        obs = _median(miss_cluster[sel])
        if not math.isfinite(obs):
            obs = _median(miss_zone[sel])
        nominal, note = nominal_cep_m(cls)
        per_class.append(ClassAccuracy(cls, int(sel.sum()), obs, nominal, note))

    kind_counts: dict[str, int] = {}
    group_counts: dict[str, int] = {}
    for k in kind_hit:
        kind_counts[k] = kind_counts.get(k, 0) + 1
        g = kind_group(k)
        group_counts[g] = group_counts.get(g, 0) + 1

    result = IntentAnalysis(
        objects=objects,
        classes=classes,
        lat_deg=lat,
        lon_deg=lon,
        x_m=x,
        y_m=y,
        centre_lat_deg=lat0,
        centre_lon_deg=lon0,
        labels=labels,
        clusters=clusters,
        zone_hit=zone_hit,
        kind_hit=kind_hit,
        miss_to_cluster_m=miss_cluster,
        miss_to_zone_m=miss_zone,
        cep_cluster_m=_median(miss_cluster),
        cep_zone_m=_median(miss_zone),
        per_class=per_class,
        kind_counts=dict(sorted(kind_counts.items(), key=lambda kv: (-kv[1], kv[0]))),
        group_counts=group_counts,
        eps_m=eps_m,
    )
    result.findings.extend(_findings(result))
    return result


def _findings(a: IntentAnalysis) -> list[str]:
    n = len(a.objects)
    if n == 0:
        return ["No impacts: nothing to analyse."]
    singles = int(np.sum(a.labels == -1))
    out = [
        f"{n} impacts form {len(a.clusters)} aimpoint cluster(s) (DBSCAN, {a.eps_m:.0f} m)"
        + (f" and {singles} single-shot aimpoint(s)." if singles else ".")
    ]
    g = a.group_counts
    parts = [
        f"{g[k]} on {label}"
        for k, label in (
            ("equipment", "equipment (aircraft, hangars, flight line)"),
            ("personnel", "personnel areas (quarters, HQ, town)"),
            ("other", "other zones"),
            ("open", "open ground"),
        )
        if g.get(k)
    ]
    out.append("Impacts: " + ", ".join(parts) + ".")
    kinds = ", ".join(f"{k} {v}" for k, v in a.kind_counts.items())
    out.append(f"By zone kind: {kinds}.")
    if g.get("equipment", 0) and g.get("personnel", 0):
        out.append(
            "Aimpoints include both equipment and personnel areas: the pattern does not support an "
            "intent to avoid people."
        )
    elif g.get("equipment", 0) > n / 2:
        out.append(
            "Most impacts fell on equipment areas: the pattern fits an attack on aircraft and facilities."
        )
    elif g.get("open", 0) > n / 2:
        out.append("Most impacts fell on open ground: either poor accuracy or aimpoints chosen to miss.")
    if math.isfinite(a.cep_cluster_m):
        out.append(f"Implied CEP about clustered aimpoints: {a.cep_cluster_m:.0f} m (median radial miss).")
    if math.isfinite(a.cep_zone_m):
        out.append(f"Implied CEP taking zone centroids as aimpoints: {a.cep_zone_m:.0f} m.")
    for c in a.per_class:
        nominal = f"{c.cep_nominal_m:.0f} m ({c.nominal_note})" if c.cep_nominal_m is not None else "unknown"
        obs = f"{c.cep_observed_m:.0f} m" if math.isfinite(c.cep_observed_m) else "not measurable"
        out.append(f"Class {c.object_class}: {c.n} impact(s), observed CEP {obs} vs nominal {nominal}.")
    return out
