"""Unit checks of the launch-point building blocks: boost-model fit on rays and plots, ballistic gate."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

import tocsin.predict.launch as launch_mod
from tocsin.geo.frames import ecef_to_geodetic, geodetic_deg_to_ecef
from tocsin.geo.geodesic import geodesic_distance_m
from tocsin.physics.dynamics import rk4_step
from tocsin.predict.ground import Terrain
from tocsin.predict.launch import (
    BoostData,
    LaunchEstimator,
    LaunchSensor,
    ballistic_consistent,
    boost_measurement_fit,
    boost_model_positions,
)
from tocsin.track.types import MODE_NAMES, TrackSnapshot

LAT0, LON0, ALT0 = math.radians(34.1), math.radians(46.5), 1350.0
T_REF = 1_578_436_300.0
# Launch 1.5 km east / 0.8 km north of the reference, 32 s before T_REF, azimuth 255 deg, loft 70 deg.
THETA = np.array([1.5, 0.8, -32.0, math.radians(255.0), math.radians(70.0), 3.0, 1.3, 5.2, 0.0])
GEO = np.array([geodetic_deg_to_ecef(0.0, 50.0, 35_786e3), geodetic_deg_to_ecef(0.0, 5.0, 35_786e3)])


def _truth_launch() -> tuple[float, float]:
    p = boost_model_positions(THETA[None], np.array([-100.0]), LAT0, LON0, ALT0)[0, 0]
    la, lo, _ = ecef_to_geodetic(p)
    return float(np.degrees(la)), float(np.degrees(lo))


@pytest.mark.slow
def test_boost_fit_recovers_the_launch_from_two_geo_satellites() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 40.0, 1.0)  # after T_REF
    pos = boost_model_positions(THETA[None], t, LAT0, LON0, ALT0)[0]
    origin = GEO[np.arange(t.size) % 2]
    u = pos - origin
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    sigma = 20e-6  # rad: 0.7 km at GEO range
    e1 = np.cross(u, [0.0, 0.0, 1.0])
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(u, e1)
    n = rng.standard_normal((t.size, 2)) * sigma
    u = u + n[:, :1] * e1 + n[:, 1:] * e2
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    data = BoostData(
        t + T_REF, origin, u, np.full(t.size, sigma), np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3, 3))
    )
    vel = (pos[1] - pos[0]) / 1.0
    out = boost_measurement_fit(data, pos[0] + 3000.0, vel, T_REF, terrain=Terrain(default_alt_m=ALT0))
    assert out is not None
    (lat, lon, t_l, t_sig, cov), _ = out
    la, lo = _truth_launch()
    err = float(geodesic_distance_m(lat, lon, la, lo))
    assert err < 3.0 * math.sqrt(np.trace(cov)) + 100.0, (err, cov)
    assert err < 1500.0
    assert abs(t_l - (T_REF - 32.0)) < 3.0 * t_sig + 0.5


@pytest.mark.slow
def test_boost_fit_on_radar_plots_is_tight() -> None:
    rng = np.random.default_rng(6)
    t = np.arange(-20.0, 30.0, 1.0)
    pos = boost_model_positions(THETA[None], t, LAT0, LON0, ALT0)[0] + rng.normal(0.0, 30.0, (t.size, 3))
    white = np.repeat(np.eye(3)[None] / 30.0, t.size, axis=0)
    data = BoostData(np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), t + T_REF, pos, white)
    out = boost_measurement_fit(
        data, pos[0], (pos[1] - pos[0]), T_REF - 20.0, terrain=Terrain(default_alt_m=ALT0)
    )
    assert out is not None
    (lat, lon, t_l, _, _), _ = out
    la, lo = _truth_launch()
    assert float(geodesic_distance_m(lat, lon, la, lo)) < 100.0
    assert abs(t_l - (T_REF - 32.0)) < 1.0


@pytest.mark.slow
def test_boost_fit_finds_a_pad_above_the_terrain_model() -> None:
    """No DEM at the launch site: the theatre constant is 1,300 m below the pad. Radar plots of the
    boost pin the pad height (the fitted offset) and the launch; infrared lines of sight cannot, so
    the reported launch-time and position sigmas must hold the error instead."""
    rng = np.random.default_rng(6)
    t = np.arange(-20.0, 30.0, 1.0)
    pos = boost_model_positions(THETA[None], t, LAT0, LON0, ALT0)[0] + rng.normal(0.0, 30.0, (t.size, 3))
    white = np.repeat(np.eye(3)[None] / 30.0, t.size, axis=0)
    data = BoostData(np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), t + T_REF, pos, white)
    low = Terrain(default_alt_m=ALT0 - 1300.0)
    out = boost_measurement_fit(data, pos[0], (pos[1] - pos[0]), T_REF - 20.0, terrain=low)
    assert out is not None
    (lat, lon, t_l, _, _), theta = out
    la, lo = _truth_launch()
    assert float(geodesic_distance_m(lat, lon, la, lo)) < 100.0
    assert abs(t_l - (T_REF - 32.0)) < 1.0
    assert abs(theta[8] * 1000.0 - 1300.0) < 100.0  # the pad height above the model (m)


def test_terrain_height_sigma_is_the_box_or_the_default() -> None:
    terrain = Terrain(default_alt_m=0.0, boxes=((34.0, 34.2, 46.4, 46.6, 1350.0),))
    s = terrain.height_sigma_m(np.array([34.1, 10.0]), np.array([46.5, 10.0]))
    assert s.tolist() == [terrain.box_sigma_m, terrain.default_sigma_m]


def test_ballistic_gate_passes_an_arc_and_fails_a_thrusting_track() -> None:
    r0 = geodetic_deg_to_ecef(33.3, 43.8, 500.0)
    up = r0 / np.linalg.norm(r0)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    s = np.concatenate([r0, 300.0 * east + 250.0 * up])[None]
    ts, xs = [], []
    for k in range(21):
        ts.append(float(k))
        xs.append(np.concatenate([s[0], [math.log(5000.0)]]))
        s = rk4_step(s, 1.0, 5000.0)
    t = np.array(ts)
    x = np.array(xs)
    P = np.repeat(np.diag([400.0, 400.0, 400.0, 25.0, 25.0, 25.0, 0.1])[None], t.size, axis=0)
    assert ballistic_consistent(t, x, P)
    thrust = x.copy()
    thrust[:, :3] += 0.5 * 30.0 * ((t - t[-1]) ** 2)[:, None] * up  # 30 m/s^2 of thrust
    assert not ballistic_consistent(t, thrust, P)


@pytest.mark.slow
def test_multi_start_fits_spread_over_updates_give_the_same_estimates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two boosting infrared tracks: at most one least-squares run per update, and every published
    estimate is bit for bit the fit run at once on the data its job began with."""
    rng = np.random.default_rng(7)
    sigma = 20e-6
    thetas = [THETA, THETA + np.array([2.0, -1.0, 3.0, 0.3, 0.05, 0.0, 0.0, 0.0, 0.0])]
    sensors = {f"geo{k}": LaunchSensor(kind="ir", pos_ecef_m=GEO[k], sigma_los_rad=sigma) for k in (0, 1)}
    est = LaunchEstimator(terrain=Terrain(default_alt_m=ALT0), sensors=sensors)
    runs: list[int] = []
    real_run = launch_mod.boost_fit_run

    def counting_run(*args: object) -> object:
        runs[-1] += 1
        return real_run(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(launch_mod, "boost_fit_run", counting_run)
    began: list[tuple[str, launch_mod._FitJob, np.ndarray | None]] = []
    real_estimate = LaunchEstimator._estimate

    def recording_estimate(
        self: LaunchEstimator, h: launch_mod._History, final: bool = False, tid: str | None = None
    ) -> object:
        got = real_estimate(self, h, final=final, tid=tid)
        if isinstance(got, launch_mod._FitJob):
            began.append((next(k for k, v in self.tracks.items() if v is h), got, h.theta))
        return got

    monkeypatch.setattr(LaunchEstimator, "_estimate", recording_estimate)
    published: dict[str, list[tuple[float, ...]]] = {"T1": [], "T2": []}
    first = T_REF - 20.0
    for t in np.arange(first, first + 66.0, 1.0):
        pos = np.stack([boost_model_positions(th[None], np.array([t, t + 0.01]) - T_REF, LAT0, LON0, ALT0)[0]
                        for th in thetas])  # fmt: skip
        for k, name in enumerate(sensors):
            u = pos[:, 0] - GEO[k] + rng.normal(0.0, 300.0, (2, 3))
            u /= np.linalg.norm(u, axis=1, keepdims=True)
            est.observe(SimpleNamespace(sensor=name, t_unix_s=t, los_ecef=u))  # type: ignore[arg-type]
        x = np.zeros((2, 7))
        x[:, :3] = pos[:, 0]
        x[:, 3:6] = (pos[:, 1] - pos[:, 0]) / 0.01
        snap = TrackSnapshot(
            t_unix_s=float(t),
            track_ids=("T1", "T2"),
            t_update_unix_s=np.full(2, t),
            x=x,
            P=np.repeat(np.diag([1e4, 1e4, 1e4, 100.0, 100.0, 100.0, 1.0])[None], 2, axis=0),
            mode_prob=np.tile([1.0, 0.0, 0.0], (2, 1))[:, : len(MODE_NAMES)],
            boost_accel_mps2=np.zeros((2, 3)),
            first_t_unix_s=np.full(2, first),
            n_updates=np.full(2, int(t - first) + 1),
        )
        runs.append(0)
        out = est.update(snap)
        for i, tid in enumerate(snap.track_ids):
            row = (float(out.lat_deg[i]), float(out.lon_deg[i]), float(out.t_unix_s[i]))
            if np.isfinite(row[0]) and (not published[tid] or published[tid][-1] != row):
                published[tid].append(row)
    assert max(runs) == 1
    assert any(len(j.frame.starts) > 1 for _, j, _ in began)  # multi-start fits were spread
    for tid in ("T1", "T2"):
        done = [(j, warm) for name, j, warm in began if name == tid and j.next_start == len(j.frame.starts)]
        assert len(done) >= 3
        for job, warm in done:
            once = boost_measurement_fit(
                job.data,
                job.x[0, :3],
                job.x[0, 3:6],
                float(job.t[0]),
                terrain=est.terrain,
                warm=warm,
                multi_start=len(job.frame.starts) > 1 and warm is not None,
            )
            assert once is not None
            assert (once[0][0], once[0][1], once[0][2]) in published[tid]


def _ray_rows(t: np.ndarray, sensor: float, floor_m: float = 12_000.0, revisit_s: float = 2.0) -> np.ndarray:
    rows = np.zeros((t.size, launch_mod._ROW))
    rows[:, 0] = t
    rows[:, 9] = floor_m
    rows[:, 10] = revisit_s
    rows[:, 11] = sensor
    return rows


def test_lines_of_sight_no_other_satellite_corroborates_are_dropped() -> None:
    """Satellite A reports from 35 s, satellite B (same 12 km floor, 2 s revisit) only from 42 s: A's lines
    of sight before 42 - 2 revisits - 0.5 s belong to another object and go; radar plots (kind 1) and a
    single satellite's rays are never touched; sensors that start together keep everything."""
    a = _ray_rows(np.arange(35.0, 60.0, 2.0), 0.0)
    b = _ray_rows(np.arange(42.3, 60.0, 2.0), 1.0)
    plot = np.zeros((1, launch_mod._ROW))
    plot[0, 0], plot[0, 1] = 30.0, 1.0
    mm = np.concatenate([a, b, plot])
    keep = launch_mod._corroborated(mm)
    dropped = mm[~keep]
    assert np.all(dropped[:, 11] == 0.0) and np.all(dropped[:, 1] == 0.0)
    np.testing.assert_array_equal(dropped[:, 0], [35.0, 37.0])
    assert keep[-1]  # the radar plot
    assert launch_mod._corroborated(a).all()
    together = np.concatenate([a, _ray_rows(np.arange(36.3, 60.0, 2.0), 1.0)])
    assert launch_mod._corroborated(together).all()


def test_a_measurement_two_tracks_took_serves_only_the_nearer() -> None:
    """Two tracks 3 km apart and a line of sight through the first: both gates take it, the first (smaller
    distance) owns it, and only the first fits it; unshared rows stay with their track."""
    ir = LaunchSensor(kind="ir", pos_ecef_m=GEO[0], sigma_los_rad=20e-6, revisit_s=1.0)
    est = LaunchEstimator(terrain=Terrain(default_alt_m=ALT0), sensors={"geo0": ir})
    p1 = geodetic_deg_to_ecef(33.0, 44.0, 30e3)
    p2 = p1 + np.array([3000.0, 0.0, 0.0])
    for k, tid in enumerate(("T1", "T2")):
        h = launch_mod._History()
        h.t, h.x = [T_REF], [np.concatenate([(p1, p2)[k], np.zeros(4)])]
        h.P, h.acc = [np.eye(7) * 1e6], [np.zeros(3)]
        est.tracks[tid] = h
    for p in (p1, p2 + np.array([0.0, 0.0, 500.0])):
        u = (p - GEO[0]) / np.linalg.norm(p - GEO[0])
        est.observe(SimpleNamespace(sensor="geo0", t_unix_s=T_REF, los_ecef=u[None]))  # type: ignore[arg-type]
    assert est._associate("T1", est.tracks["T1"], T_REF, T_REF + 0.5)
    assert est._associate("T2", est.tracks["T2"], T_REF, T_REF + 0.5)
    m1, m2 = np.array(est.tracks["T1"].meas), np.array(est.tracks["T2"].meas)
    assert m1.shape[0] == 1 and m2.shape[0] == 1 and m1[0, 20] == 0.0  # one ray per scan: the nearest
    # T2's gate (1 km sigma) takes the ray through p1 too when it is the only one it sees.
    est2 = LaunchEstimator(terrain=Terrain(default_alt_m=ALT0), sensors={"geo0": ir})
    est2.tracks = {k: launch_mod._History(t=list(v.t), x=list(v.x), P=list(v.P), acc=list(v.acc))
                   for k, v in est.tracks.items()}  # fmt: skip
    u = (p1 - GEO[0]) / np.linalg.norm(p1 - GEO[0])
    est2.observe(SimpleNamespace(sensor="geo0", t_unix_s=T_REF, los_ecef=u[None]))  # type: ignore[arg-type]
    assert est2._associate("T2", est2.tracks["T2"], T_REF, T_REF + 0.5)
    assert est2._associate("T1", est2.tracks["T1"], T_REF, T_REF + 0.5)
    shared2 = np.array(est2.tracks["T2"].meas)
    assert est2._own_rows("T1", np.array(est2.tracks["T1"].meas)).all()
    assert not est2._own_rows("T2", shared2).any()
    assert est._own_rows("T2", m2).all()
