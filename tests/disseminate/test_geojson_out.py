"""GeoJSON alert picture: RFC 7946 rules and geodesic impact ellipses."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Point, shape

from tocsin.disseminate.geojson import (
    alert_snapshot,
    chi2_2dof_quantile,
    ellipse_axes,
    ellipse_rings,
    write_geojson,
)

GEOD = Geod(ellps="WGS84")

ZONES: dict[str, Any] = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"id": "z-1", "name": "Hangars", "shelter_s": 60, "population": 40},
            # Clockwise exterior with too many decimals: must come out CCW and rounded.
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [
                        [42.430000001234, 33.78],
                        [42.43, 33.79],
                        [42.45, 33.79],
                        [42.45, 33.78],
                        [42.430000001234, 33.78],
                    ]
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"id": "z-2", "name": "Quarters", "shelter_s": 30},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[42.44, 33.80], [42.45, 33.80], [42.45, 33.81], [42.44, 33.81], [42.44, 33.80]]],
                    [[[42.46, 33.80], [42.465, 33.81], [42.47, 33.80], [42.46, 33.80]]],
                ],
            },
        },
    ],
}

PRED = {
    "t_unix_s": 1578436300.0,
    "track": "T12",
    "impact_t_unix_s": 1578436390.4,
    "impact_lat_deg": 33.7857,
    "impact_lon_deg": 42.4411,
    "impact_cov_en_m2": [[250.0**2, 0.8 * 250.0 * 120.0], [0.8 * 250.0 * 120.0, 120.0**2]],
    "impact_t_sigma_s": 1.5,
}


def _all_coords(coords: Any) -> list[float]:
    if isinstance(coords[0], (int, float)):
        return [float(c) for c in coords]
    return [c for sub in coords for c in _all_coords(sub)]


def test_chi2_quantile_matches_table() -> None:
    assert abs(chi2_2dof_quantile(0.95) - 5.991) < 1e-3
    assert abs(chi2_2dof_quantile(0.3934693402873666) - 1.0) < 1e-12  # 1 - e^-1/2


def test_circle_vertices_lie_at_the_geodesic_radius() -> None:
    sigma_m = 100.0
    rings, a_m, b_m, _ = ellipse_rings(
        np.array([60.0]), np.array([10.0]), np.array([[[sigma_m**2, 0.0], [0.0, sigma_m**2]]]), p=0.95
    )
    r_m = math.sqrt(5.991464547107979) * sigma_m
    assert abs(a_m[0] - r_m) < 1e-9 and abs(b_m[0] - r_m) < 1e-9
    ring = rings[0]
    _, _, dist = GEOD.inv(np.full(len(ring), 10.0), np.full(len(ring), 60.0), ring[:, 0], ring[:, 1])
    assert np.max(np.abs(dist - r_m)) < 1e-3  # 1 mm


def test_ellipse_vertices_sit_on_the_mahalanobis_contour() -> None:
    cov = np.array(PRED["impact_cov_en_m2"])
    p = 0.9
    rings, a_m, b_m, az_deg = ellipse_rings(np.array([33.7857]), np.array([42.4411]), cov[None], p=p)
    ring = rings[0][:-1]
    az, _, dist = GEOD.inv(np.full(len(ring), 42.4411), np.full(len(ring), 33.7857), ring[:, 0], ring[:, 1])
    en = np.stack([dist * np.sin(np.radians(az)), dist * np.cos(np.radians(az))], axis=-1)
    d2 = np.einsum("ni,ij,nj->n", en, np.linalg.inv(cov), en)
    assert np.max(np.abs(d2 / chi2_2dof_quantile(p) - 1.0)) < 1e-6
    # major axis: positive east/north correlation points it between north and east
    assert 0.0 < az_deg[0] < 90.0
    assert a_m[0] > b_m[0]
    # area of the ring (in metres) equals pi a b within 0.5 % (72-gon)
    area_m2 = abs(GEOD.polygon_area_perimeter(ring[:, 0], ring[:, 1])[0])
    assert abs(area_m2 / (math.pi * a_m[0] * b_m[0]) - 1.0) < 5e-3


def test_ellipse_coverage_is_nominal() -> None:
    rng = np.random.default_rng(7)
    cov = np.array(PRED["impact_cov_en_m2"])
    rings, *_ = ellipse_rings(np.array([33.7857]), np.array([42.4411]), cov[None], p=0.95, n_vertices=180)
    samples = rng.multivariate_normal([0.0, 0.0], cov, size=4000)
    lon, lat, _ = GEOD.fwd(
        np.full(4000, 42.4411),
        np.full(4000, 33.7857),
        np.degrees(np.arctan2(samples[:, 0], samples[:, 1])),
        np.hypot(samples[:, 0], samples[:, 1]),
    )
    poly = shapely.Polygon(rings[0])
    inside = shapely.contains_xy(poly, lon, lat).mean()
    assert abs(inside - 0.95) < 0.015


def test_axes_of_a_north_south_ellipse() -> None:
    a_m, b_m, az = ellipse_axes(np.array([[100.0, 0.0], [0.0, 400.0]]), p=0.3934693402873666)
    assert abs(a_m[0] - 20.0) < 1e-9 and abs(b_m[0] - 10.0) < 1e-9
    assert abs(az[0] - 0.0) < 1e-9 or abs(az[0] - 180.0) < 1e-9


def test_snapshot_is_rfc7946(tmp_path: Path) -> None:
    decisions = [
        {"t_unix_s": 1.0, "zone": "z-1", "level": "pre_alert", "threats": ["T12"], "p_impact": 0.2},
        {"t_unix_s": 2.0, "zone": "z-1", "level": "take_cover", "threats": ["T12"], "p_impact": 0.8},
    ]
    fc = alert_snapshot(ZONES, decisions, [PRED], t_unix_s=2.0)
    assert fc["type"] == "FeatureCollection" and "crs" not in fc
    feats = {f["id"]: f for f in fc["features"]}
    assert set(feats) == {"z-1", "z-2", "ellipse-T12"}
    z1 = feats["z-1"]["properties"]
    assert z1["level"] == "take_cover" and z1["active"] and z1["threats"] == ["T12"]
    assert z1["population"] == 40 and z1["p_impact"] == 0.8
    assert feats["z-2"]["properties"]["level"] == "none" and not feats["z-2"]["properties"]["active"]
    ell = feats["ellipse-T12"]["properties"]
    assert ell["semi_major_m"] > ell["semi_minor_m"] > 0 and 0 <= ell["azimuth_deg"] < 180
    for f in fc["features"]:
        geom = shape(f["geometry"])
        polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        for poly in polys:
            assert poly.exterior.is_ccw, f["id"]
            ring = list(poly.exterior.coords)
            assert ring[0] == ring[-1]
        for c in _all_coords(f["geometry"]["coordinates"]):
            assert c == round(c, 7)
        # lon, lat order: Al Asad is at 42 E, 33 N
        lon, lat = shape(f["geometry"]).representative_point().coords[0]
        assert 42 < lon < 43 and 33 < lat < 34
    assert shape(feats["ellipse-T12"]["geometry"]).contains(Point(42.4411, 33.7857))
    out = write_geojson(tmp_path / "picture.geojson", fc)
    assert json.loads(out.read_text(encoding="utf-8")) == fc
