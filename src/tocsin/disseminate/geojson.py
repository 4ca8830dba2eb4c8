"""The current alert picture as an RFC 7946 GeoJSON FeatureCollection.

Zones carry their current level and threats; predicted impacts are drawn as geodesic ellipses at a
chosen probability. RFC 7946 rules kept here: WGS-84 lon,lat order, no ``crs`` member, exterior rings
counter-clockwise and holes clockwise (``shapely.orient_polygons``), closed rings, at most 7 decimals
(~1 cm). Not handled yet: splitting geometries that cross the antimeridian (RFC 7946 section 3.1.9).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import mapping, shape

from tocsin._types import FloatArray

#: Decimals written for degrees: 1e-7 deg is ~1.1 cm on the ground (RFC 7946 section 11.2).
DECIMALS: Final = 7
#: Levels under which people are expected to act (the zone is "active").
ACTIVE_LEVELS: Final = frozenset({"pre_alert", "take_cover"})
#: Semi-axes below this are raised to it, so a perfect estimate still draws a valid polygon.
MIN_SEMI_AXIS_M: Final = 1.0

_GEOD: Final = Geod(ellps="WGS84")


def _round_coords(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(c), DECIMALS) for c in obj]
        return [_round_coords(o) for o in obj]
    return obj


def rfc7946_geometry(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """A GeoJSON geometry with RFC 7946 winding (exterior CCW, holes CW), closed, <= 7 decimals."""
    geom = shapely.orient_polygons(shape(geometry), exterior_cw=False)
    out = dict(mapping(geom))
    return {"type": out["type"], "coordinates": _round_coords(out["coordinates"])}


def chi2_2dof_quantile(p: float) -> float:
    """Squared Mahalanobis radius holding probability ``p`` of a 2-D Gaussian.

    Closed form of the chi-square quantile for 2 degrees of freedom: k² = -2 ln(1 - p)
    (e.g. 5.991 for p = 0.95; ecosystem.md section 3).
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be in (0, 1), got {p}")
    return -2.0 * math.log1p(-p)


def ellipse_axes(cov_en_m2: FloatArray, p: float = 0.95) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Semi-axes (m) and azimuth of the major axis (deg, clockwise from north) of the ``p`` ellipse.

    ``cov_en_m2`` is (2, 2) or (N, 2, 2): east/north covariance in m². Semi-axes are
    sqrt(k² λ) for the eigenvalues λ; the azimuth is atan2(v_e, v_n) of the major eigenvector
    folded into [0, 180) (ecosystem.md section 3). Returns arrays of shape (N,) (N = 1 for one).
    """
    cov = np.asarray(cov_en_m2, dtype=np.float64).reshape(-1, 2, 2)
    cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    lam, vec = np.linalg.eigh(cov)  # ascending eigenvalues
    k2 = chi2_2dof_quantile(p)
    semi_major = np.maximum(np.sqrt(k2 * np.clip(lam[:, 1], 0.0, None)), MIN_SEMI_AXIS_M)
    semi_minor = np.maximum(np.sqrt(k2 * np.clip(lam[:, 0], 0.0, None)), MIN_SEMI_AXIS_M)
    az_deg = np.degrees(np.arctan2(vec[:, 0, 1], vec[:, 1, 1])) % 180.0
    return semi_major, semi_minor, az_deg


def ellipse_rings(
    lat_deg: FloatArray,
    lon_deg: FloatArray,
    cov_en_m2: FloatArray,
    p: float = 0.95,
    n_vertices: int = 72,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Geodesic polygons of the ``p`` probability ellipses around N mean impact points.

    Each vertex of the local east/north ellipse is placed with ``Geod.fwd`` from the centre at its
    bearing and distance, so the shape stays true in metres at any latitude. Inputs: centres (N,) in
    degrees, covariances (N, 2, 2) in m². Returns ``rings`` (N, n_vertices + 1, 2) as closed
    counter-clockwise lon,lat rings in degrees, and ``semi_major_m``, ``semi_minor_m``,
    ``azimuth_deg`` of shape (N,).
    """
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
    lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
    a_m, b_m, az_deg = ellipse_axes(cov_en_m2, p)
    n = lat.shape[0]
    theta = np.linspace(0.0, 2.0 * np.pi, n_vertices, endpoint=False)
    az = np.radians(az_deg)[:, None]
    # Unit vectors in (east, north); the minor axis is the major one turned 90° counter-clockwise,
    # so increasing θ walks the ring counter-clockwise (RFC 7946 exterior winding).
    u_major = np.stack([np.sin(az), np.cos(az)], axis=-1)  # (N, 1, 2)
    u_minor = np.stack([-np.cos(az), np.sin(az)], axis=-1)
    pts = (
        a_m[:, None, None] * np.cos(theta)[None, :, None] * u_major
        + b_m[:, None, None] * np.sin(theta)[None, :, None] * u_minor
    )  # (N, V, 2) east, north in metres
    dist_m = np.hypot(pts[..., 0], pts[..., 1])
    bearing_deg = np.degrees(np.arctan2(pts[..., 0], pts[..., 1]))
    lon_out, lat_out, _ = _GEOD.fwd(
        np.repeat(lon, n_vertices),
        np.repeat(lat, n_vertices),
        bearing_deg.ravel(),
        dist_m.ravel(),
    )
    ring = np.stack(
        [np.asarray(lon_out).reshape(n, n_vertices), np.asarray(lat_out).reshape(n, n_vertices)], axis=-1
    )
    ring = np.concatenate([ring, ring[:, :1, :]], axis=1)
    return ring, a_m, b_m, az_deg


def latest_by_zone(decisions: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The last decision per zone from ``alerts.jsonl`` records in issue order."""
    out: dict[str, Mapping[str, Any]] = {}
    for d in decisions:
        out[str(d["zone"])] = d
    return out


def zone_features(zones: Mapping[str, Any], latest: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One feature per zone of the ``zones.geojson`` FeatureCollection ``zones``, with its state.

    Properties: the zone's own (``id``, ``name``, ``shelter_s``...) plus ``level`` (the latest level,
    or ``"none"``), ``active`` (pre_alert or take_cover in force), ``threats``, ``p_impact``,
    ``impact_t_unix_s``, ``level_t_unix_s`` (time of the deciding measurement, Unix s).
    """
    out: list[dict[str, Any]] = []
    for feature in zones.get("features", []):
        props = dict(feature.get("properties") or {})
        zone_id = str(props.get("id", feature.get("id", "")))
        d = latest.get(zone_id)
        level = str(d["level"]) if d else "none"
        props.update(
            {
                "level": level,
                "active": level in ACTIVE_LEVELS,
                "threats": [str(t) for t in (d.get("threats") or [])] if d else [],
                "p_impact": d.get("p_impact") if d else None,
                "impact_t_unix_s": d.get("impact_t_unix_s") if d else None,
                "level_t_unix_s": d.get("t_unix_s") if d else None,
            }
        )
        out.append(
            {
                "type": "Feature",
                "id": zone_id,
                "geometry": rfc7946_geometry(feature["geometry"]),
                "properties": props,
            }
        )
    return out


def ellipse_features(
    predictions: Sequence[Mapping[str, Any]], p: float = 0.95, n_vertices: int = 72
) -> list[dict[str, Any]]:
    """Impact-ellipse features for ``predictions.jsonl`` records (one per record, vectorised).

    Properties: ``kind`` = ``"impact_ellipse"``, ``track``, ``p``, ``semi_major_m``,
    ``semi_minor_m``, ``azimuth_deg``, ``impact_t_unix_s``, ``impact_t_sigma_s``,
    ``center_lat_deg``, ``center_lon_deg``.
    """
    if not predictions:
        return []
    lat = np.array([float(r["impact_lat_deg"]) for r in predictions])
    lon = np.array([float(r["impact_lon_deg"]) for r in predictions])
    cov = np.array([r["impact_cov_en_m2"] for r in predictions], dtype=np.float64)
    rings, a_m, b_m, az_deg = ellipse_rings(lat, lon, cov, p, n_vertices)
    out: list[dict[str, Any]] = []
    for i, r in enumerate(predictions):
        out.append(
            {
                "type": "Feature",
                "id": f"ellipse-{r['track']}",
                "geometry": {"type": "Polygon", "coordinates": [_round_coords(rings[i].tolist())]},
                "properties": {
                    "kind": "impact_ellipse",
                    "track": str(r["track"]),
                    "p": p,
                    "semi_major_m": round(float(a_m[i]), 3),
                    "semi_minor_m": round(float(b_m[i]), 3),
                    "azimuth_deg": round(float(az_deg[i]), 4),
                    "impact_t_unix_s": r.get("impact_t_unix_s"),
                    "impact_t_sigma_s": r.get("impact_t_sigma_s"),
                    "center_lat_deg": round(float(lat[i]), DECIMALS),
                    "center_lon_deg": round(float(lon[i]), DECIMALS),
                },
            }
        )
    return out


def alert_snapshot(
    zones: Mapping[str, Any],
    decisions: Iterable[Mapping[str, Any]] | Mapping[str, Mapping[str, Any]],
    predictions: Sequence[Mapping[str, Any]] = (),
    *,
    p: float = 0.95,
    t_unix_s: float | None = None,
) -> dict[str, Any]:
    """The alert picture: a FeatureCollection of zones (with state) and impact ellipses.

    ``zones`` is the ``zones.geojson`` document; ``decisions`` either ``alerts.jsonl`` records in
    issue order (the last per zone counts) or a mapping zone id -> latest decision; ``predictions``
    the current ``predictions.jsonl`` records to draw (typically the latest per track). ``t_unix_s``
    (Unix s), if given, is added as a foreign member stating the picture's time.
    """
    latest = decisions if isinstance(decisions, Mapping) else latest_by_zone(decisions)
    fc: dict[str, Any] = {"type": "FeatureCollection"}
    if t_unix_s is not None:
        fc["t_unix_s"] = t_unix_s
    fc["features"] = zone_features(zones, latest) + ellipse_features(predictions, p)
    return fc


def dumps_geojson(fc: Mapping[str, Any]) -> str:
    """Serialise compactly and deterministically (no NaN: RFC 8259 JSON only)."""
    return json.dumps(fc, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def write_geojson(path: str | os.PathLike[str], fc: Mapping[str, Any]) -> Path:
    """Write ``fc`` to ``path`` atomically (written aside, then renamed); returns the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(dumps_geojson(fc) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    return out
