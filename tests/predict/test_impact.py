"""predict_impacts: statuses, determinism, boost spread, output rows (contract), class, launch point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tocsin.geo.frames import ecef_to_enu, ecef_to_geodetic, geodetic_deg_to_ecef
from tocsin.geo.wgs84 import A_M, GM_M3_S2, OMEGA_RAD_S
from tocsin.predict.accuracy import (
    T0_UNIX_S,
    burnout_state,
    fly_truth,
    noisy_snapshot,
    radar_like_cov,
    snapshot_from,
    state_at,
)
from tocsin.predict.classify import UNIFORM_FLOOR, classify
from tocsin.predict.impact import PredictConfig, predict_impacts, prediction_rows
from tocsin.predict.launch import LaunchEstimator, boost_template_fit
from tocsin.predict.types import (
    STATUS_BELOW_GROUND,
    STATUS_BOOSTING,
    STATUS_INVALID,
    STATUS_NO_IMPACT,
    STATUS_OK,
)

CHECKER = Path("/work/shared/tools/check_contract.py")
SRBM = (32.0, 50.0, 25e3, 1700.0, 42.0, 270.0)


def _srbm_snapshot(n: int = 4, t_go: float = 120.0, seed: int = 3) -> tuple[object, float, np.ndarray]:
    tr = fly_truth(burnout_state(*SRBM), 5000.0)
    P = radar_like_cov(30.0, 2.0, 0.2, np.random.default_rng(seed))
    snap, t_imp = noisy_snapshot(tr, t_go, P, n, seed)
    return snap, t_imp, tr.impact_ecef_m


def test_non_impacting_tracks_get_status_and_nan() -> None:
    good = np.concatenate([burnout_state(*SRBM), [np.log(5000.0)]])
    below = np.concatenate([geodetic_deg_to_ecef(10.0, 10.0, -100.0), [0.0, 0.0, -10.0], [8.0]])
    escape = np.concatenate([burnout_state(0.0, 0.0, 300e3, 12_000.0, 60.0, 0.0), [8.0]])
    r = A_M + 500e3
    orbit = np.array([r, 0.0, 0.0, 0.0, np.sqrt(GM_M3_S2 / r) - OMEGA_RAD_S * r, 0.0, 8.0])
    nan_state = good.copy()
    nan_state[0] = np.nan
    P = np.diag([900.0] * 3 + [4.0] * 3 + [0.04])
    bad_P = P.copy()
    bad_P[0, 0] = -1.0
    x = np.stack([good, below, escape, orbit, nan_state, good])
    covs = np.stack([P, P, P, P, P, bad_P])
    pr = predict_impacts(snapshot_from(x, covs, T0_UNIX_S), config=PredictConfig(n_samples=50))
    assert list(pr.status) == [
        STATUS_OK,
        STATUS_BELOW_GROUND,
        STATUS_NO_IMPACT,
        STATUS_NO_IMPACT,
        STATUS_INVALID,
        STATUS_INVALID,
    ]
    assert pr.reason[0] == "" and all(pr.reason[1:])
    assert np.isfinite(pr.impact_lat_deg[0]) and np.isfinite(pr.samples_lat_deg[0]).all()
    for arr in (pr.impact_lat_deg, pr.impact_lon_deg, pr.impact_t_unix_s, pr.impact_t_sigma_s):
        assert np.isnan(arr[1:]).all()
    assert np.isnan(pr.samples_lat_deg[1:]).all() and np.isnan(pr.impact_cov_en_m2[1:]).all()
    rows = prediction_rows(pr)
    assert [r["track"] for r in rows] == ["T0"]


def test_deterministic_and_seeded_per_track() -> None:
    snap, _, _ = _srbm_snapshot()
    a = predict_impacts(snap, config=PredictConfig(n_samples=64))
    b = predict_impacts(snap, config=PredictConfig(n_samples=64))
    assert np.array_equal(a.samples_lat_deg, b.samples_lat_deg)
    assert np.array_equal(a.impact_cov_en_m2, b.impact_cov_en_m2)
    assert not np.array_equal(
        a.samples_lat_deg[0] - a.impact_lat_deg[0], a.samples_lat_deg[1] - a.impact_lat_deg[1]
    )


def test_cloud_matches_summary_and_mc_agrees_with_ut() -> None:
    snap, _, _ = _srbm_snapshot(n=2, t_go=60.0)
    ut = predict_impacts(snap, config=PredictConfig(n_samples=400))
    mc = predict_impacts(snap, config=PredictConfig(method="mc", n_samples=400))
    for i in range(2):
        # Mean points agree within a fraction of the ellipse; spreads within sampling error.
        p_ut = geodetic_deg_to_ecef(ut.impact_lat_deg[i], ut.impact_lon_deg[i], 0.0)
        lat, lon = np.radians(mc.impact_lat_deg[i]), np.radians(mc.impact_lon_deg[i])
        d = ecef_to_enu(p_ut, lat, lon, 0.0)[:2]
        assert np.linalg.norm(d) < 0.3 * np.sqrt(np.trace(mc.impact_cov_en_m2[i]))
        tr_ut, tr_mc = np.trace(ut.impact_cov_en_m2[i]), np.trace(mc.impact_cov_en_m2[i])
        assert 0.75 < tr_ut / tr_mc < 1.33
        assert abs(ut.impact_t_sigma_s[i] / mc.impact_t_sigma_s[i] - 1.0) < 0.25
        # UT cloud is drawn from the UT Gaussian: its sample spread matches the summary.
        e = np.radians(ut.samples_lon_deg[i] - ut.impact_lon_deg[i]) * A_M * np.cos(lat)
        assert abs(np.std(e) / np.sqrt(ut.impact_cov_en_m2[i][0, 0]) - 1.0) < 0.15


def test_boosting_track_spreads_over_feasible_burnouts() -> None:
    # Mid-boost state of a missile: 30 km up, 1.0 km/s, still thrusting at ~25 m/s^2.
    s = burnout_state(32.0, 50.0, 30e3, 1000.0, 50.0, 270.0)
    v_hat = s[3:] / np.linalg.norm(s[3:])
    x = np.concatenate([s, [np.log(5000.0)]])[None]
    P = np.diag([900.0] * 3 + [9.0] * 3 + [0.25])[None]
    snap = snapshot_from(
        x, P, T0_UNIX_S, boost_prob=0.95, boost_accel=(25.0 * v_hat)[None], first_t_unix_s=T0_UNIX_S - 30.0
    )
    boost = predict_impacts(snap, config=PredictConfig(n_samples=200))
    assert boost.status[0] == STATUS_BOOSTING
    ballistic = predict_impacts(snapshot_from(x, P, T0_UNIX_S), config=PredictConfig(n_samples=200))
    lat0, lon0 = np.radians(32.0), np.radians(50.0)
    pts = geodetic_deg_to_ecef(boost.samples_lat_deg[0], boost.samples_lon_deg[0], 0.0)
    rng = np.linalg.norm(ecef_to_enu(pts, lat0, lon0, 0.0)[:, :2], axis=1)
    b_pt = geodetic_deg_to_ecef(ballistic.impact_lat_deg[0], ballistic.impact_lon_deg[0], 0.0)
    r_ballistic = np.linalg.norm(ecef_to_enu(b_pt, lat0, lon0, 0.0)[:2])
    # Never short of the already-committed ballistic range (minus noise), never beyond the longest class.
    assert np.nanmin(rng) > r_ballistic - 20e3
    assert np.nanmax(rng) < 2100e3
    assert np.nanmax(rng) - np.nanmin(rng) > 50e3  # unknown burnout: wide, on purpose
    assert np.sqrt(np.trace(boost.impact_cov_en_m2[0])) > 10 * np.sqrt(
        np.trace(ballistic.impact_cov_en_m2[0])
    )
    assert prediction_rows(boost)[0]["status"] == "boosting"


def test_rows_pass_the_contract_checker(tmp_path: Path) -> None:
    snap, _, _ = _srbm_snapshot()
    est = LaunchEstimator()
    pr = predict_impacts(snap, config=PredictConfig(n_samples=32), launch=est)
    rows = prediction_rows(pr)
    assert len(rows) == len(snap)
    for r in rows:
        for k in (
            "t_unix_s",
            "track",
            "impact_t_unix_s",
            "impact_lat_deg",
            "impact_lon_deg",
            "impact_cov_en_m2",
            "impact_t_sigma_s",
        ):
            assert k in r
    (tmp_path / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    res = subprocess.run(
        [sys.executable, str(CHECKER), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout + res.stderr


def test_classification_never_certain_and_srbm_energy() -> None:
    srbm = burnout_state(*SRBM)
    icbm_like = burnout_state(32.0, 50.0, 200e3, 6500.0, 25.0, 270.0)  # not in the catalogue
    r = np.stack([srbm[:3], icbm_like[:3]])
    v = np.stack([srbm[3:], icbm_like[3:]])
    est = classify(
        r,
        v,
        np.log([5000.0, 20000.0]),
        np.array([0.04, 0.04]),
        np.array([False, False]),
        np.zeros(2),
        np.array([350e3, np.nan]),
    )
    assert est.prob.max() <= 1.0 - UNIFORM_FLOOR + UNIFORM_FLOOR / len(est.class_names) + 1e-12
    np.testing.assert_allclose(est.prob.sum(axis=1), 1.0)
    assert est.class_names[int(np.argmax(est.prob[0]))].startswith("srbm")
    assert est.range_class[0] == "srbm"
    assert est.range_class[1] in ("mrbm", "irbm-plus") and not est.explained[1]
    assert est.class_names[int(np.argmax(est.prob[1]))] == "mrbm-2000"


def test_launch_point_ballistic_rocket_back_extrapolation() -> None:
    # A rocket-like ballistic shot from a known point; the early track is the truth plus a small error.
    lat, lon = 31.5, 34.5
    s0 = burnout_state(lat, lon, 0.0, 600.0, 45.0, 60.0)
    tr = fly_truth(s0, 2800.0)
    est = LaunchEstimator(window_s=15.0)
    rng = np.random.default_rng(7)
    P = radar_like_cov(10.0, 1.0, 0.1, rng)
    out = None
    for k in range(5, 21):
        t_rel, s = state_at(tr, tr.impact_t_s - k)  # k seconds after launch
        x = np.concatenate([s, [np.log(2800.0)]]) + rng.standard_normal(7) @ np.linalg.cholesky(P).T * 0.3
        snap = snapshot_from(x[None], P[None], T0_UNIX_S + t_rel, first_t_unix_s=T0_UNIX_S + 5.0, ids=("R1",))
        out = est.update(snap)
    assert out is not None
    p = geodetic_deg_to_ecef(out.lat_deg[0], out.lon_deg[0], 0.0)
    miss = np.linalg.norm(ecef_to_enu(p, np.radians(lat), np.radians(lon), 0.0)[:2])
    assert miss < 100.0  # metres (algorithms.md 9: rockets/mortars <= 100-200 m)
    assert abs(out.t_unix_s[0] - T0_UNIX_S) < 1.0
    assert np.sqrt(np.trace(out.cov_en_m2[0])) < 500.0


def test_launch_point_boost_template() -> None:
    # Synthetic boost: vertical rise for 8 s then pitch over, thrust/mass growing; 1 Hz positions.
    lat, lon = 34.3, 47.1
    t_launch = T0_UNIX_S
    t = np.arange(12.0, 40.0, 1.0)
    acc = 20.0 * (1.0 + 0.01 * t)
    up = 0.5 * 20.0 * t**2 + 20.0 * 0.01 * t**3 / 6.0
    east = np.where(t > 8.0, -0.5 * 3.0 * (t - 8.0) ** 2, 0.0)
    enu = np.column_stack([east, np.zeros_like(t), up])
    from tocsin.geo.frames import enu_to_ecef

    rng = np.random.default_rng(11)
    pos = enu_to_ecef(enu + rng.normal(0.0, 50.0, enu.shape), np.radians(lat), np.radians(lon), 0.0)
    cov = np.repeat((50.0**2 * np.eye(3))[None], t.size, axis=0)
    res = boost_template_fit(t_launch + t, pos, cov)
    assert res is not None and acc[0] > 0
    la, lo, tl, sig_t, c = res
    p = geodetic_deg_to_ecef(la, lo, 0.0)
    miss = np.linalg.norm(ecef_to_enu(p, np.radians(lat), np.radians(lon), 0.0)[:2])
    assert miss < 1000.0
    assert abs(tl - t_launch) < 3.0
    assert np.isfinite(c).all() and sig_t > 0
    lat_back = ecef_to_geodetic(p)[0]
    assert np.isfinite(lat_back)


def test_tangent_plane_cloud_wrap_matches_exact_geodetic() -> None:
    from tocsin.geo.frames import enu_to_ecef
    from tocsin.predict.impact import tangent_to_geodetic

    rng = np.random.default_rng(5)
    lat0 = np.radians(np.array([[33.0], [-60.0], [5.0]]))
    lon0 = np.radians(np.array([[44.0], [170.0], [-75.0]]))
    h0 = np.array([[0.0], [900.0], [3000.0]])
    en = rng.uniform(-10e3, 10e3, (3, 500, 2))
    lat, lon = tangent_to_geodetic(en[..., 0], en[..., 1], lat0, lon0, h0)
    exact = enu_to_ecef(np.concatenate([en, np.zeros((3, 500, 1))], axis=-1), lat0, lon0, h0)
    got = geodetic_deg_to_ecef(np.degrees(lat), np.degrees(lon), np.broadcast_to(h0, lat.shape))
    # Same point up to the tangent plane's rise above the surface (d^2 / 2R) along the normal:
    # compare horizontally, in the ENU frame of the origin.
    d = ecef_to_enu(got, lat0, lon0, h0)[..., :2] - ecef_to_enu(exact, lat0, lon0, h0)[..., :2]
    assert np.abs(d).max() < 0.15  # metres, at up to 14 km from the mean impact point (third order)


def test_range_class_of_a_falling_missile_follows_its_committed_range() -> None:
    # 8 km up at 700 m/s (after the re-entry drag pulse) the energy range is rocket-like (~83 km);
    # launched 450 km away it is an SRBM.
    r = geodetic_deg_to_ecef(33.8, 42.4, 8e3)[None, :]
    up = geodetic_deg_to_ecef(33.8, 42.4, 9e3) - r[0]
    v = (-up / np.linalg.norm(up) * 700.0)[None, :]  # straight down
    args = (np.log([10000.0]), np.array([0.1]), np.array([False]), np.zeros(1))
    assert classify(r, v, *args, np.array([np.nan])).range_class[0] != "srbm"
    assert classify(r, v, *args, np.array([450e3])).range_class[0] == "srbm"


def test_globe_sized_or_timeless_clouds_become_no_impact_with_a_reason() -> None:
    from tocsin.predict.impact import _reject_unsummarisable
    from tocsin.predict.types import STATUS_NO_IMPACT, STATUS_OK

    t0 = np.full(3, 1000.0)
    status = np.full(3, STATUS_OK)
    reason = ["", "", ""]
    lat, lon = np.array([33.0, -67.4, 33.0]), np.array([42.0, -24.7, 42.0])
    t, ts = np.array([1300.0, 2.3e19, 1300.0]), np.array([5.0, 5.2e19, 5.0])
    cov = np.stack([np.eye(2) * 1e6, np.eye(2) * 1e43, np.eye(2) * 1e14])  # last: 1-sigma 14,000 km
    clouds = [np.zeros((3, 4)) for _ in range(3)]
    _reject_unsummarisable(t0, 3600.0, status, reason, (lat, lon, t, ts, cov, *clouds))
    assert list(status) == [STATUS_OK, STATUS_NO_IMPACT, STATUS_NO_IMPACT]
    assert reason[0] == "" and "not summarisable" in reason[1] and "not summarisable" in reason[2]
    assert np.isnan(t[1:]).all() and np.isnan(lat[1:]).all() and np.isnan(cov[1:]).all()
    assert t[0] == 1300.0 and lat[0] == 33.0 and np.isnan(clouds[0][1:]).all() and not clouds[0][0].any()


def test_radar_update_counts_pass_through_to_the_predictions() -> None:
    # The radar watch (tocsin.zones.watch) needs to know which threats are infrared-only.
    import dataclasses

    snap, _, _ = _srbm_snapshot(n=3)
    known = dataclasses.replace(snap, n_radar=np.array([0, 4, 0], dtype=np.int64))  # type: ignore[type-var]
    p = predict_impacts(known, config=PredictConfig(n_samples=32))
    assert p.radar_updates.tolist() == [0, 4, 0]
    assert p.select(np.array([1, 2])).radar_updates.tolist() == [4, 0]
    unknown = predict_impacts(snap, config=PredictConfig(n_samples=32))  # type: ignore[arg-type]
    assert unknown.radar_updates.tolist() == [-1, -1, -1]
