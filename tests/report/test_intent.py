"""Aimpoint clustering and CEP on hand-made impacts with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import box

from tocsin.eval.truth import ObjectEvent
from tocsin.report.intent import OPEN_GROUND, analyse_intent, dbscan_labels, nominal_cep_m
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.load import build_zone_set

LAT0, LON0 = 33.7857, 42.4411


def _events(xy_m: np.ndarray, cls: str = "srbm-500", radius_m: float = 25.0) -> list[ObjectEvent]:
    lon, lat = local_m_to_lonlat(xy_m[:, 0], xy_m[:, 1], LAT0, LON0)
    return [
        ObjectEvent(f"m{i:02d}", cls, False, 1000.0 + i, float(la), float(lo), radius_m)
        for i, (la, lo) in enumerate(zip(lat, lon, strict=True))
    ]


def _square(e_m: float, n_m: float, half_m: float) -> object:
    lon, lat = local_m_to_lonlat(
        np.array([e_m - half_m, e_m + half_m]), np.array([n_m - half_m, n_m + half_m]), LAT0, LON0
    )
    return box(float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))


def test_dbscan_chains_core_points_and_leaves_noise() -> None:
    pts = np.array([[0, 0], [100, 0], [200, 0], [300, 0], [2000, 0], [2050, 0], [5000, 5000]], dtype=float)
    labels = dbscan_labels(pts, eps_m=120.0, min_samples=2)
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, -1]
    assert dbscan_labels(np.zeros((0, 2)), 100.0, 2).shape == (0,)


def test_two_rings_give_known_clusters_kinds_and_cep() -> None:
    # Two aimpoints 1 km apart, 4 impacts each on a ring of 60 m; one lone impact 3 km away.
    ang = np.radians([0.0, 90.0, 180.0, 270.0])
    ring = 60.0 * np.column_stack([np.cos(ang), np.sin(ang)])
    pts = np.vstack([ring, ring + np.array([1000.0, 0.0]), np.array([[0.0, 3000.0]])])
    zones = build_zone_set(
        ["has-1", "qtr-1"],
        [_square(0, 0, 40), _square(1000, 0, 40)],  # type: ignore[list-item]
        [60.0, 45.0],
        kinds=["aircraft_shelter", "quarters"],
    )
    a = analyse_intent(_events(pts), zones, eps_m=150.0)
    assert a.labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, -1]
    assert len(a.clusters) == 2
    # Cluster centres at the ring centres (the frame is centred on the mean impact).
    for c, (e, n) in zip(a.clusters, [(0.0, 0.0), (1000.0, 0.0)], strict=True):
        lon, lat = local_m_to_lonlat(e, n, LAT0, LON0)
        assert c.centre_lat_deg == pytest.approx(float(lat), abs=1e-6)  # ~0.1 m
        assert c.centre_lon_deg == pytest.approx(float(lon), abs=1e-6)
        assert c.n == 4
        assert c.spread_m == pytest.approx(60.0, abs=0.5)
    assert a.clusters[0].centre_kind == "aircraft_shelter"
    assert a.clusters[1].centre_kind == "quarters"
    # 60 m from a 40 m half-width square: 20 m from the polygon, inside the 25 m danger radius.
    assert a.kind_hit == ["aircraft_shelter"] * 4 + ["quarters"] * 4 + [OPEN_GROUND]
    assert a.group_counts == {"equipment": 4, "personnel": 4, "open": 1}
    # Every clustered miss is 60 m, scaled by sqrt(n / (n - 1)) for the estimated centre.
    expected = 60.0 * math.sqrt(4.0 / 3.0)
    assert a.cep_cluster_m == pytest.approx(expected, abs=0.5)
    assert np.isnan(a.miss_to_cluster_m[-1])
    # Zone-centroid misses: 60 m for the clustered impacts; the lone one is 3 km from has-1.
    assert np.allclose(a.miss_to_zone_m[:8], 60.0, atol=0.5)
    assert a.miss_to_zone_m[8] == pytest.approx(3000.0, abs=2.0)
    assert a.cep_zone_m == pytest.approx(60.0, abs=0.5)
    (acc,) = a.per_class
    assert acc.object_class == "srbm-500" and acc.n == 9
    assert acc.cep_observed_m == pytest.approx(expected, abs=0.5)
    assert acc.cep_nominal_m == nominal_cep_m("srbm-500")[0]
    assert any("equipment and personnel" in f for f in a.findings)


def test_monte_carlo_cep_matches_circular_normal() -> None:
    # CEP of a circular normal with sigma 100 m is 100 * sqrt(2 ln 2) = 117.7 m.
    rng = np.random.default_rng(42)
    pts = rng.normal(0.0, 100.0, (400, 2))
    a = analyse_intent(_events(pts, cls="no-such-class"), None, eps_m=400.0)
    assert len(a.clusters) == 1
    assert a.cep_cluster_m == pytest.approx(100.0 * math.sqrt(2.0 * math.log(2.0)), abs=12.0)
    assert a.per_class[0].cep_nominal_m is None
    assert any("nominal unknown" in f for f in a.findings)


def test_no_impacts() -> None:
    a = analyse_intent([], None)
    assert a.clusters == [] and a.findings == ["No impacts: nothing to analyse."]
    assert math.isnan(a.cep_cluster_m)
