"""Radar watch (tocsin.zones.watch): geometry of the lead bound, energy speed, reporting radars."""

from __future__ import annotations

import math

import numpy as np
from pyproj import Geod

from tocsin.geo.frames import geodetic_deg_to_ecef
from tocsin.geo.wgs84 import GM_M3_S2, MEAN_RADIUS_M
from tocsin.ingest.sensors import SensorSet, make_ir, make_radar
from tocsin.predict.classify import energy_range_m, energy_speed_mps
from tocsin.zones.synthetic import ring_zone_set
from tocsin.zones.watch import ORBITAL_SPEED_MPS, RadarWatch, WatchConfig

LAT0, LON0 = 32.0, 35.0
GEOD = Geod(ellps="WGS84")


def _radar(rid: str = "r1", lat: float = LAT0, lon: float = LON0, **kw: float) -> object:
    fields = dict(
        lat_deg=lat,
        lon_deg=lon,
        alt_m=0.0,
        sigma_range_m=15.0,
        sigma_az_deg=0.06,
        sigma_el_deg=0.06,
        min_range_m=5000.0,
        max_range_m=1_000_000.0,
        az_min_deg=20.0,
        az_max_deg=140.0,
        el_min_deg=1.0,
        el_max_deg=80.0,
        revisit_s=1.0,
        pd=0.95,
        clutter_per_scan=0.0,
    )
    fields.update(kw)
    return make_radar(rid, **fields)


def _zones(east_m: float = 100e3):  # type: ignore[no-untyped-def]
    # One round zone (500 m radius) east_m east of the radar site.
    return ring_zone_set(np.array([[east_m, 0.0]]), 500.0, centre_lat_deg=LAT0, centre_lon_deg=LON0)


def test_energy_speed_inverts_the_energy_range() -> None:
    # A state on the equator at sea level moving north at v (inertial speed adds the rotation: ECEF
    # velocity chosen so that the inertial speed is v): the energy range maps back to v.
    for v in (1000.0, 2500.0, 4000.0, 6000.0):
        r = np.array([[MEAN_RADIUS_M, 0.0, 0.0]])
        w = np.array([0.0, 0.0, 7.292115e-5])
        v_i = np.array([[0.0, 0.0, v]])
        v_ecef = v_i - np.cross(w, r)
        rng = energy_range_m(r, v_ecef)
        assert math.isclose(float(energy_speed_mps(rng)[0]), v, rel_tol=1e-9)
    assert float(energy_speed_mps(np.array([np.nan]))[0]) == ORBITAL_SPEED_MPS
    assert math.isclose(ORBITAL_SPEED_MPS, math.sqrt(GM_M3_S2 / MEAN_RADIUS_M))


def test_lead_is_the_path_inside_coverage_over_the_speed_less_confirmation() -> None:
    zones = _zones(100e3)
    watch = RadarWatch.build(SensorSet((_radar(),)), zones)  # type: ignore[arg-type]
    # Launch point 2,000 km due east (azimuth ~90 deg, inside the 20-140 deg sector): far enough that
    # the coverage boundary, not the climb (path_fraction of the flight), bounds the path.
    lon_l, lat_l, _ = GEOD.fwd(LON0, LAT0, 90.0, 2_000e3)
    v = 3000.0
    lead, mask = watch.lead_s(np.array([0]), np.array([lat_l]), np.array([lon_l]), np.array([v]))
    # Independent figure: slant distance radar -> zone centre (ECEF chord) plus the zone's half diagonal.
    site = geodetic_deg_to_ecef(LAT0, LON0, 0.0)
    lon_z, lat_z, _ = GEOD.fwd(LON0, LAT0, 90.0, 100e3)
    d = float(np.linalg.norm(geodetic_deg_to_ecef(lat_z, lon_z, 0.0) - site)) + math.hypot(1000.0, 1000.0) / 2
    c = WatchConfig()
    expected = (c.range_fraction * 1_000e3 - d) / (v * c.speed_margin) - c.confirm_s
    assert mask[0] == 1
    assert abs(lead[0] - expected) < 0.2  # s (the zone polygon's bounds differ from the circle by < 10 m)
    assert 230.0 < lead[0] < 250.0


def test_launch_point_inside_coverage_bounds_the_path() -> None:
    zones = _zones(100e3)
    watch = RadarWatch.build(SensorSet((_radar(),)), zones)  # type: ignore[arg-type]
    lon_l, lat_l, _ = GEOD.fwd(LON0, LAT0, 90.0, 400e3)  # 300 km from the zone
    lead, _ = watch.lead_s(np.array([0]), np.array([lat_l]), np.array([lon_l]), np.array([2000.0]))
    d_lz = GEOD.inv(lon_l, lat_l, *GEOD.fwd(LON0, LAT0, 90.0, 100e3)[:2])[2]
    expected = WatchConfig().path_fraction * d_lz / (2000.0 * 1.1) - 20.0
    assert abs(lead[0] - expected) < 0.1


def test_no_watch_outside_sector_range_or_without_launch_point() -> None:
    zones = _zones(100e3)
    watch = RadarWatch.build(SensorSet((_radar(),)), zones)  # type: ignore[arg-type]
    west = GEOD.fwd(LON0, LAT0, 270.0, 1_200e3)
    lead, mask = watch.lead_s(np.array([0]), np.array([west[1]]), np.array([west[0]]), np.array([3000.0]))
    assert np.isnan(lead[0]) and mask[0] == 0  # arrives from behind the radar's sector
    lead, mask = watch.lead_s(np.array([0]), np.array([np.nan]), np.array([np.nan]), np.array([3000.0]))
    assert np.isnan(lead[0]) and mask[0] == 0  # direction unknown
    far = RadarWatch.build(SensorSet((_radar(max_range_m=90e3),)), zones)  # type: ignore[arg-type]
    east = GEOD.fwd(LON0, LAT0, 90.0, 1_200e3)
    lead, mask = far.lead_s(np.array([0]), np.array([east[1]]), np.array([east[0]]), np.array([3000.0]))
    assert np.isnan(lead[0]) and mask[0] == 0  # zone beyond the radar's reach
    # An infrared sensor watches nothing.
    ir = make_ir("ir1", pos_ecef_m=[4.2e7, 0.0, 0.0], sigma_los_deg=0.005, revisit_s=2.0, pd=0.9)
    assert RadarWatch.build(SensorSet((ir,)), zones).radar_ids == ()


def test_two_radars_the_smaller_lead_and_both_bits() -> None:
    zones = _zones(100e3)
    near = _radar("near")
    far = _radar("far", lat=LAT0, lon=LON0 - 2.0)  # ~190 km west: the zone is farther from it
    watch = RadarWatch.build(SensorSet((near, far)), zones)  # type: ignore[arg-type]
    east = GEOD.fwd(LON0, LAT0, 90.0, 1_500e3)
    lead, mask = watch.lead_s(np.array([0]), np.array([east[1]]), np.array([east[0]]), np.array([3000.0]))
    only_near = RadarWatch.build(SensorSet((near,)), zones)  # type: ignore[arg-type]
    lead_near, _ = only_near.lead_s(
        np.array([0]), np.array([east[1]]), np.array([east[0]]), np.array([3000.0])
    )
    assert mask[0] == 0b11
    assert lead[0] < lead_near[0]  # the far radar sees the object later: its lead bounds the pair


def test_reporting_radars_mask() -> None:
    zones = _zones()
    watch = RadarWatch.build(SensorSet((_radar("a"), _radar("b", revisit_s=6.0))), zones)  # type: ignore[arg-type]
    t = 1_000.0
    assert watch.alive_mask(np.array([t - 1.0, t - 17.0]), t) == 0b11  # b: 3 revisits of 6 s = 18 s
    assert watch.alive_mask(np.array([t - 11.0, t - 19.0]), t) == 0  # a: older than the 10 s floor
    assert watch.alive_mask(np.array([np.nan, t]), t) == 0b10
    assert watch.mask_of({"b", "zz"}) == 0b10 and watch.all_mask() == 0b11


def test_threat_eval_carries_infrared_only_and_watch_through_select_split_concat() -> None:
    import dataclasses

    from tocsin.zones.synthetic import gaussian_predictions
    from tocsin.zones.threat import ThreatEval, ThreatEvaluator

    zones = _zones(100e3)
    watch = RadarWatch.build(SensorSet((_radar(),)), zones)  # type: ignore[arg-type]
    east = GEOD.fwd(LON0, LAT0, 90.0, 1_300e3)
    cov = np.diag([60e3**2, 30e3**2])
    pred = gaussian_predictions(
        0.0, ["A", "B"], np.array([[100e3, 0.0], [100e3, 0.0]]), np.array([300.0, 300.0]), cov, n_samples=100
    )
    pred = dataclasses.replace(
        pred,
        launch_lat_deg=np.array([east[1], np.nan]),
        launch_lon_deg=np.array([east[0], np.nan]),
        energy_range_m=np.array([1_300e3, 1_300e3]),
        radar_updates=np.array([0, 3]),
    )
    ev = ThreatEvaluator(zones, watch=watch).evaluate(pred)
    assert ev.ir_only_mask().tolist() == [True, False]
    lead = ev.watch_lead()
    assert np.isfinite(lead[ev.region_threat == 0]).all() and np.isnan(lead[ev.region_threat == 1]).all()
    parts = ev.split()
    again = ThreatEval.concat(parts, 0.0)
    assert again.ir_only_mask().tolist() == [True, False]
    assert np.array_equal(again.watch_lead(), lead, equal_nan=True)
    assert ev.select(np.array([1])).ir_only_mask().tolist() == [False]
    # Without a watch every pair is unwatched.
    plain = ThreatEvaluator(zones).evaluate(pred)
    assert np.isnan(plain.watch_lead()).all() and (plain.watch_mask() == 0).all()


def test_a_high_lowest_elevation_shortens_the_reach() -> None:
    from tocsin.zones.watch import visible_range_m

    # Independent check of the 4/3-Earth root: at that slant range the object is at 100 km.
    r = visible_range_m(100e3, math.radians(5.0))
    ke = 4.0 / 3.0 * MEAN_RADIUS_M
    assert abs(r * math.sin(math.radians(5.0)) + r * r / (2.0 * ke) - 100e3) < 1e-6
    assert 740e3 < r < 780e3  # ~758 km: below the 950 km of 0.95 x max_range
    zones = _zones(100e3)
    low = RadarWatch.build(SensorSet((_radar(el_min_deg=1.0),)), zones)  # type: ignore[arg-type]
    high = RadarWatch.build(SensorSet((_radar(el_min_deg=5.0),)), zones)  # type: ignore[arg-type]
    assert abs((low.reach_m[0, 0] - high.reach_m[0, 0]) - (950e3 - r)) < 1.0
