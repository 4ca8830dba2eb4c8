"""Sensor models: geometry, noise, Pd, clutter, Earth blockage, order and determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tocsin.geo.frames import aer_to_ecef, ecef_to_aer, geodetic_deg_to_ecef, geodetic_to_ecef
from tocsin.geo.los import ray_ellipsoid_intersection
from tocsin.physics.dynamics import rk4_step
from tocsin.sim.sensors import (
    IrModel,
    RadarModel,
    active_pairs,
    ir_detect,
    perturb_los,
    radar_detect,
    scan_schedule,
)
from tocsin.sim.truth import TrajectoryBank

LAT = math.radians(33.0)
LON = math.radians(44.0)
GEO_R_M = 42164.0e3


def radar(**kw: object) -> RadarModel:
    base: dict[str, object] = dict(
        id="r1",
        lat_rad=LAT,
        lon_rad=LON,
        alt_m=100.0,
        sigma_range_m=15.0,
        sigma_az_rad=math.radians(0.06),
        sigma_el_rad=math.radians(0.06),
        sigma_range_rate_mps=2.0,
        min_range_m=5000.0,
        max_range_m=1.0e6,
        az_min_rad=0.0,
        az_width_rad=2 * math.pi,
        el_min_rad=math.radians(1.0),
        el_max_rad=math.radians(80.0),
        revisit_s=1.0,
        pd=1.0,
        clutter_per_scan=0.0,
    )
    base.update(kw)
    return RadarModel(**base)  # type: ignore[arg-type]


def at_aer(az_deg: float, el_deg: float, r_m: float, n: int = 1) -> np.ndarray:
    p = aer_to_ecef(math.radians(az_deg), math.radians(el_deg), r_m, LAT, LON, 100.0)
    return np.repeat(p[None, :], n, axis=0)


def one_scan(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return np.array([1000.0]), np.array([0]), np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64)


def test_radar_noise_matches_sigmas() -> None:
    n = 20000
    pos = at_aer(45.0, 20.0, 300e3, n)
    vel = np.zeros_like(pos)
    t, k, ps, po = one_scan(n)
    d = radar_detect(radar(), t, k, ps, po, pos, vel, np.random.default_rng(1))
    assert len(d) == n
    r, az, el, rr = d.values.T
    assert abs(np.mean(r) - 300e3) < 0.5  # unbiased to 0.5 m (3.3 sigma of the mean is 0.35 m)
    assert np.std(r) == pytest.approx(15.0, rel=0.03)
    assert np.std(az) == pytest.approx(0.06, rel=0.03)
    assert np.std(el) == pytest.approx(0.06, rel=0.03)
    assert np.std(rr) == pytest.approx(2.0, rel=0.03)
    assert abs(np.mean(az) - 45.0) < 0.002 and abs(np.mean(el) - 20.0) < 0.002


def test_range_rate_is_negative_for_an_incoming_object() -> None:
    pos = at_aer(90.0, 10.0, 200e3)
    toward = geodetic_to_ecef(LAT, LON, 100.0) - pos[0]
    vel = (1500.0 * toward / np.linalg.norm(toward))[None, :]
    t, k, ps, po = one_scan(1)
    d = radar_detect(radar(sigma_range_rate_mps=1e-6), t, k, ps, po, pos, vel, np.random.default_rng(0))
    assert d.values[0, 3] == pytest.approx(-1500.0, abs=0.01)


def test_radar_without_doppler_reports_nan_range_rate() -> None:
    t, k, ps, po = one_scan(1)
    d = radar_detect(
        radar(sigma_range_rate_mps=None),
        t,
        k,
        ps,
        po,
        at_aer(10, 10, 1e5),
        np.zeros((1, 3)),
        np.random.default_rng(0),
    )
    assert np.isnan(d.values[0, 3])


def test_azimuth_sector_wrapping_through_north() -> None:
    r = radar(az_min_rad=math.radians(300.0), az_width_rad=math.radians(120.0))  # 300 -> 60 via north
    azs = [299.0, 301.0, 359.0, 0.5, 59.0, 61.0, 180.0]
    pos = np.concatenate([at_aer(a, 10.0, 100e3) for a in azs])
    t, k, ps, po = one_scan(len(azs))
    d = radar_detect(r, t, k, ps, po, pos, np.zeros_like(pos), np.random.default_rng(0))
    assert sorted(d.obj.tolist()) == [1, 2, 3, 4]


def test_elevation_band_and_range_limits() -> None:
    cases = [(10.0, 0.5, 1e5), (10.0, 85.0, 1e5), (10.0, 10.0, 4e3), (10.0, 10.0, 1.1e6), (10.0, 10.0, 5e5)]
    pos = np.concatenate([at_aer(a, e, r) for a, e, r in cases])
    t, k, ps, po = one_scan(len(cases))
    d = radar_detect(radar(max_range_m=2e6), t, k, ps, po, pos, np.zeros_like(pos), np.random.default_rng(0))
    assert sorted(d.obj.tolist()) == [3, 4]
    d2 = radar_detect(radar(), t, k, ps, po, pos, np.zeros_like(pos), np.random.default_rng(0))
    assert d2.obj.tolist() == [4]


def test_earth_blocks_an_object_below_the_horizon() -> None:
    # 10 km up, 600 km away: the radar horizon for a 10 km target is ~ sqrt(2 R h) = 357 km.
    far = geodetic_to_ecef(LAT, LON + 600e3 / (6371e3 * math.cos(LAT)), 10e3)
    near = geodetic_to_ecef(LAT, LON + 200e3 / (6371e3 * math.cos(LAT)), 10e3)
    pos = np.stack([far, near])
    r = radar(el_min_rad=math.radians(-10.0), max_range_m=2e6)
    t, k, ps, po = one_scan(2)
    d = radar_detect(r, t, k, ps, po, pos, np.zeros_like(pos), np.random.default_rng(0))
    assert d.obj.tolist() == [1]


def test_pd_fraction_and_clutter_statistics() -> None:
    n_scans, n_obj = 2000, 3
    t, k = scan_schedule(1.0, 0.0, n_scans - 1.0)
    ps = np.repeat(np.arange(n_scans), n_obj)
    po = np.tile(np.arange(n_obj), n_scans)
    pos = np.tile(np.concatenate([at_aer(a, 15.0, 2e5) for a in (40.0, 80.0, 120.0)]), (n_scans, 1))
    r = radar(pd=0.8, clutter_per_scan=4.0, az_min_rad=math.radians(20.0), az_width_rad=math.radians(120.0))
    d = radar_detect(r, t, k, ps, po, pos, np.zeros_like(pos), np.random.default_rng(3))
    real = d.obj >= 0
    assert np.count_nonzero(real) / (n_scans * n_obj) == pytest.approx(0.8, abs=0.02)
    assert d.n_clutter / n_scans == pytest.approx(4.0, abs=0.15)
    c = d.values[~real]
    assert np.all((c[:, 0] >= 5000.0) & (c[:, 0] <= 1e6))
    assert np.all((c[:, 1] >= 20.0) & (c[:, 1] <= 140.0))
    assert np.all((c[:, 2] >= 1.0) & (c[:, 2] <= 80.0))
    assert np.all(np.abs(c[:, 3]) <= 3000.0)
    # Clutter is spread uniformly: each half of the range interval holds about half of it.
    assert np.mean(c[:, 0] < 502500.0) == pytest.approx(0.5, abs=0.03)


def test_detections_grouped_by_scan_in_time_order_with_mixed_order_inside() -> None:
    n_scans = 300
    t, k = scan_schedule(0.5, 100.0, 100.0 + 0.5 * (n_scans - 1))
    ps = np.arange(n_scans)
    po = np.zeros(n_scans, dtype=np.int64)
    pos = np.tile(at_aer(60.0, 20.0, 1e5), (n_scans, 1))
    d = radar_detect(
        radar(clutter_per_scan=3.0), t, k, ps, po, pos, np.zeros_like(pos), np.random.default_rng(5)
    )
    assert np.all(np.diff(d.t_unix_s) >= 0) and np.all(np.diff(d.scan) >= 0)
    assert np.array_equal(d.t_unix_s, t[d.scan])
    first_in_scan = np.r_[True, d.scan[1:] != d.scan[:-1]]
    real_first = np.mean(d.obj[first_in_scan] >= 0)
    assert 0.1 < real_first < 0.6  # with ~4 detections a scan the real one leads ~1/4 of the time


def test_same_seed_same_detections_other_seed_differs() -> None:
    t, k = scan_schedule(1.0, 0.0, 50.0)
    ps, po = np.arange(51), np.zeros(51, dtype=np.int64)
    pos = np.tile(at_aer(60.0, 20.0, 1e5), (51, 1))
    run = [
        radar_detect(
            radar(clutter_per_scan=2.0, pd=0.9),
            t,
            k,
            ps,
            po,
            pos,
            np.zeros_like(pos),
            np.random.default_rng(s),
        )
        for s in (7, 7, 8)
    ]
    assert np.array_equal(run[0].values, run[1].values, equal_nan=True)
    assert np.array_equal(run[0].obj, run[1].obj)
    assert not (len(run[0]) == len(run[2]) and np.array_equal(run[0].values, run[2].values))


def test_scan_schedule_and_active_pairs() -> None:
    t, k = scan_schedule(2.0, 1000.0, 1010.0, offset_s=0.5)
    assert t.tolist() == [1000.5, 1002.5, 1004.5, 1006.5, 1008.5] and k.tolist() == [0, 1, 2, 3, 4]
    begin = np.array([1001.0, 999.0, 1009.0, 1003.0])
    end = np.array([1005.0, 1000.0, 1020.0, 1004.5])
    si, oi = active_pairs(t, begin, end)
    brute = [(s, o) for o in range(4) for s in range(5) if begin[o] <= t[s] <= end[o]]
    assert list(zip(si.tolist(), oi.tolist(), strict=True)) == brute


def geo_ir(lon_deg: float, **kw: object) -> IrModel:
    lon = math.radians(lon_deg)
    base: dict[str, object] = dict(
        id="g1",
        pos_ecef_m=(GEO_R_M * math.cos(lon), GEO_R_M * math.sin(lon), 0.0),
        sigma_los_rad=math.radians(0.005),
        revisit_s=2.0,
        pd=1.0,
        clutter_per_scan=0.0,
        min_target_alt_m=12000.0,
    )
    base.update(kw)
    return IrModel(**base)  # type: ignore[arg-type]


def test_ir_los_noise_hot_altitude_and_earth_blockage() -> None:
    n = 5000
    target = geodetic_deg_to_ecef(34.0, 46.0, 40e3)
    low = geodetic_deg_to_ecef(34.0, 46.0, 5e3)
    pos = np.vstack([np.repeat(target[None], n, 0), low[None], target[None]])
    hot = np.ones(n + 2, dtype=bool)
    hot[-1] = False
    t, k = np.array([0.0]), np.array([0])
    ps, po = np.zeros(n + 2, dtype=np.int64), np.arange(n + 2)
    ir = geo_ir(50.0)
    d = ir_detect(ir, t, k, ps, po, pos, hot, np.random.default_rng(2))
    assert sorted(d.obj.tolist()) == list(range(n))  # the low and the cold objects are unseen
    u_true = (target - np.array(ir.pos_ecef_m)) / np.linalg.norm(target - np.array(ir.pos_ecef_m))
    ang = np.arccos(np.clip(d.values @ u_true, -1, 1))
    # Two transverse axes of sigma each: the angle is Rayleigh with mean sigma*sqrt(pi/2).
    assert np.mean(ang) == pytest.approx(math.radians(0.005) * math.sqrt(math.pi / 2), rel=0.03)
    assert np.allclose(np.linalg.norm(d.values, axis=1), 1.0, atol=2e-9)
    # The same target from a satellite over the Americas is behind the Earth.
    d2 = ir_detect(geo_ir(-100.0), t, k, ps, po, pos, hot, np.random.default_rng(2))
    assert len(d2) == 0


def test_ir_clutter_points_at_the_earth_disc_or_the_staring_cone() -> None:
    t, k = scan_schedule(2.0, 0.0, 3998.0)
    none = np.zeros(0, dtype=np.int64)
    ir = geo_ir(50.0, clutter_per_scan=0.5)
    d = ir_detect(ir, t, k, none, none, np.zeros((0, 3)), np.zeros(0, dtype=bool), np.random.default_rng(4))
    assert d.n_clutter == len(d) and d.n_clutter / len(t) == pytest.approx(0.5, abs=0.05)
    _, hit = ray_ellipsoid_intersection(np.broadcast_to(np.array(ir.pos_ecef_m), d.values.shape), d.values)
    assert hit.all()
    # A staring sensor aimed at the theatre with a 3 degree half-angle.
    aim = geodetic_deg_to_ecef(33.0, 44.0, 0.0)
    stare = geo_ir(
        50.0, clutter_per_scan=0.5, boresight_ecef_m=tuple(aim), fov_half_angle_rad=math.radians(3)
    )
    d = ir_detect(
        stare, t, k, none, none, np.zeros((0, 3)), np.zeros(0, dtype=bool), np.random.default_rng(4)
    )
    axis, half = stare.cone()
    assert np.all(d.values @ axis >= math.cos(half) - 1e-9)


def test_perturb_los_keeps_unit_norm_and_zero_sigma_is_identity() -> None:
    u = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.6, 0.8, 0.0]])
    assert np.allclose(perturb_los(u, 0.0, np.random.default_rng(0)), u)
    w = perturb_los(u, 0.01, np.random.default_rng(0))
    assert np.allclose(np.linalg.norm(w, axis=1), 1.0)


def ballistic(dt: float, t_end: float) -> tuple[np.ndarray, np.ndarray]:
    """A 1.7 km/s, 45 degree shot from 33N 44E heading east, integrated with RK4 + drag."""
    p0 = geodetic_to_ecef(LAT, LON, 20e3)
    v_enu = np.array([1700 * math.cos(math.radians(45)), 0.0, 1700 * math.sin(math.radians(45))])
    rot = np.array(
        [
            [-math.sin(LON), math.cos(LON), 0.0],
            [-math.sin(LAT) * math.cos(LON), -math.sin(LAT) * math.sin(LON), math.cos(LAT)],
            [math.cos(LAT) * math.cos(LON), math.cos(LAT) * math.sin(LON), math.sin(LAT)],
        ]
    )
    x = np.concatenate([p0, rot.T @ v_enu])
    out = [x]
    for _ in range(round(t_end / dt)):
        x = rk4_step(x, dt, 5000.0)
        out.append(x)
    return np.arange(len(out)) * dt, np.array(out)


def test_trajectory_bank_hermite_interpolation_is_centimetre_accurate() -> None:
    t_fine, x_fine = ballistic(0.05, 60.0)
    step = 10  # 0.5 s samples
    t_s, x_s = t_fine[::step], x_fine[::step]
    bank = TrajectoryBank.from_arrays(
        [t_s + 1e9, t_s + 1e9 + 3.0],
        [x_s[:, :3], x_s[:, :3]],
        [x_s[:, 3:], x_s[:, 3:]],
        [np.zeros(len(t_s), dtype=np.int64)] * 2,
    )
    q = np.arange(3, len(t_fine) - 3, 7)
    pos, vel, _ = bank.interpolate(np.zeros(len(q), dtype=np.int64), t_fine[q] + 1e9)
    assert np.max(np.linalg.norm(pos - x_fine[q, :3], axis=1)) < 0.02
    assert np.max(np.linalg.norm(vel - x_fine[q, 3:], axis=1)) < 0.05
    pos1, _, _ = bank.interpolate(np.ones(len(q), dtype=np.int64), t_fine[q] + 1e9 + 3.0)
    assert np.allclose(pos1, pos, atol=1e-6)
    end, _, _ = bank.interpolate(np.array([0]), np.array([t_s[-1] + 1e9]))
    assert np.allclose(end[0], x_s[-1, :3], atol=1e-6)


def test_radar_sees_a_simulated_ballistic_arc() -> None:
    t_s, x_s = ballistic(0.5, 200.0)
    t_s = t_s + 1e9
    bank = TrajectoryBank.from_arrays([t_s], [x_s[:, :3]], [x_s[:, 3:]], [np.ones(len(t_s), dtype=np.int64)])
    r = radar(revisit_s=1.0)
    t, k = scan_schedule(r.revisit_s, 1e9, 1e9 + 200.0)
    ps, po = active_pairs(t, bank.t_first, bank.t_last)
    pos, vel, _ = bank.interpolate(po, t[ps])
    d = radar_detect(r, t, k, ps, po, pos, vel, np.random.default_rng(0))
    _, _, rng_m = ecef_to_aer(pos[d.scan], LAT, LON, 100.0)
    assert len(d) > 150
    assert np.max(np.abs(d.values[:, 0] - rng_m)) < 6 * 15.0
