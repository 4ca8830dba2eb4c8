"""Tracker behaviour: accuracy, consistency, boost-to-ballistic, crossing objects, clutter, OOSM."""

from __future__ import annotations

import math

import numpy as np
import pytest
import track_scenarios as ts
from scipy.stats import chi2

from tocsin.geo.frames import altitude_fast_m
from tocsin.track.models import ScanInput
from tocsin.track.tracker import Tracker, TrackerConfig

T0 = 1.7e9


def _truth_at(times: np.ndarray, X: np.ndarray, t_unix: float) -> np.ndarray:
    k = int(np.argmin(np.abs(times + T0 - t_unix)))
    assert abs(times[k] + T0 - t_unix) < 1e-6
    return X[k]


def test_single_srbm_one_radar_confirmed_and_accurate() -> None:
    t, X = ts.srbm_truth()
    rad = ts.radar()
    rng = np.random.default_rng(1)
    trk = Tracker({"r1": rad})
    errs = []
    for k in range(len(t)):
        trk.process(ts.scan("r1", T0 + t[k], ts.radar_plots(rad, X[k : k + 1], rng)))
        snap = trk.snapshot()
        if k >= 2:
            assert snap.track_ids == ("T1",), k
        if k >= 20 and snap.t_update_unix_s[0] == T0 + t[k]:
            errs.append(np.linalg.norm(snap.x[0, 0:3] - X[k, 0:3]))
    assert trk.n_tracks() == (0, 1)
    # 1 mrad at 200-400 km is 200-400 m per plot; the filtered track is several times better.
    assert float(np.sqrt(np.mean(np.square(errs)))) < 150.0
    assert float(np.max(errs)) < 600.0


@pytest.mark.slow
def test_position_anees_in_band_midcourse_and_reentry() -> None:
    """Monte Carlo: N runs, truth ln(beta) drawn from the tracker's prior; ANEES (n = 3) in the 95 % band."""
    n_runs = 20
    rng0 = np.random.default_rng(11)
    lnb_mean, lnb_sigma = math.log(5000.0), 0.3
    beta = np.exp(lnb_mean + lnb_sigma * rng0.standard_normal(n_runs))
    s0 = np.repeat(ts.launch_state(32.0, 45.0, 80e3, 2500.0, 40.0, 270.0)[None], n_runs, axis=0)
    t, Xr = ts.fly_batch(s0, 420.0, beta, sample_s=2.0)
    rad = ts.radar()
    cfg = TrackerConfig(lnbeta_prior=(lnb_mean, lnb_sigma))
    nees = np.full((n_runs, len(t)), np.nan)
    for run in range(n_runs):
        rng = np.random.default_rng(100 + run)
        trk = Tracker({"r1": rad}, cfg)
        X = Xr[run]
        for k in range(len(t)):
            if not np.isfinite(X[k, 0]):
                break
            trk.process(ts.scan("r1", T0 + t[k], ts.radar_plots(rad, X[k : k + 1], rng)))
            snap = trk.snapshot()
            if len(snap) == 1 and snap.t_update_unix_s[0] == T0 + t[k]:
                e = snap.x[0, 0:3] - X[k, 0:3]
                nees[run, k] = e @ np.linalg.solve(snap.P[0, 0:3, 0:3], e)
    alt = altitude_fast_m(Xr[:, :, 0:3])
    ok_cols = np.all(np.isfinite(nees), axis=0)
    anees = np.where(ok_cols, np.where(np.isfinite(nees), nees, 0.0).mean(axis=0), np.nan)
    lo, hi = chi2.ppf([0.025, 0.975], 3 * n_runs) / n_runs
    mid = ok_cols & (t > 30.0) & np.all(alt > 100e3, axis=0)
    reentry = ok_cols & (t > 200.0) & np.all(alt < 80e3, axis=0)
    assert mid.sum() > 50 and reentry.sum() > 8
    # Phase-mean ANEES inside the band for both phases. Per step, midcourse is in the band >= 80 % of
    # the time; re-entry is slightly conservative (ANEES ~1.5-2.3, mean ~2.0, measured), so there we
    # only require no overconfident step and >= 40 % of steps in the band.
    # Diagnosis (session 4, re-entry mean ANEES with these seeds 2.03; other seed sets 2.10, 2.26): not
    # the IMM (ballistic mode only: 2.09), not process noise (re-entry q_vel 0.3 -> 0.05: 2.09; all q ~ 0:
    # 2.28), not the integration step (0.25 s: 2.03). Without range rate it is 2.37 (92 % of steps in
    # the band). Per principal axis of P the normalised squared error is [0.97, 0.46, 0.60] with range
    # rate vs [0.83, 0.89, 0.66] without: with Doppler at 0-10 deg elevation one cross-range axis of P
    # is about twice the actual error.
    # Cause (session 8): the process noise itself; this truth has none. A bare EKF on this arc (no IMM,
    # truth-initialised, 150 runs) with range rate and q = 0 is consistent (re-entry ANEES 3.01-3.04, per
    # axis [1.1, 0.9, 1.0]); q_vel = 1e-4 already gives 2.2, q_vel = 0.05 gives 2.04 and [0.87, 0.44,
    # 0.73]. Range rate pins cross-range position through |v_perp| / range only as well as the filter
    # believes it knows the velocity, so inflated velocity noise shows on that axis. In the tracker "all
    # q ~ 0" stayed at 2.28 because the boost mode (entered from the coasting modes at 2e-4/s until
    # session 8) mixed its thrust-driven velocity covariance back in (tests/track/test_process_noise.py).
    # Session 8 values: midcourse mean 2.54 (max 4.14, 87 % in band), re-entry 2.08 (max 2.55, 58 %).
    for name, sel, min_frac in (("midcourse", mid, 0.8), ("reentry", reentry, 0.4)):
        a = anees[sel]
        frac = float(np.mean((a >= lo) & (a <= hi)))
        assert lo <= a.mean() <= hi, (name, a.mean())
        assert frac >= min_frac, (name, frac)
        assert np.all(a <= hi), (name, a.max())


def test_boost_burnout_one_track_modes_and_thrust() -> None:
    t, X = ts.boost_truth(accel_mps2=25.0, t_burn_s=60.0, t_end_s=120.0)
    rad = ts.radar(32.5, 44.0)
    rng = np.random.default_rng(2)
    trk = Tracker({"r1": rad})
    seen_ids = set()
    boost_p = {}
    thrust = {}
    for k in range(len(t)):
        trk.process(ts.scan("r1", T0 + t[k], ts.radar_plots(rad, X[k : k + 1], rng)))
        snap = trk.snapshot()
        seen_ids.update(snap.track_ids)
        if len(snap):
            boost_p[k] = snap.mode_prob[0, 0]
            thrust[k] = np.linalg.norm(snap.boost_accel_mps2[0])
    assert seen_ids == {"T1"}
    assert trk.n_tracks()[1] == 1
    during = np.array([boost_p[k] for k in range(10, 58)])
    assert during.mean() > 0.85 and during.min() > 0.5
    # The thrust estimate absorbs the drag the ln(beta) prior does not explain (~10 % here).
    assert abs(float(np.median([thrust[k] for k in range(20, 58)])) - 25.0) < 6.0
    assert max(boost_p[k] for k in range(75, 120)) < 0.05
    snap = trk.snapshot()
    e = snap.x[0, 0:3] - _truth_at(t, X, snap.t_update_unix_s[0])[0:3]
    assert np.linalg.norm(e) < 150.0


def test_two_crossing_objects_keep_their_ids() -> None:
    """Two SRBMs whose ground tracks cross (closest approach ~1 km at the same time): no swap."""
    s_a = ts.launch_state(32.0, 45.0, 80e3, 2500.0, 40.0, 270.0)
    _, Xa = ts.fly(s_a, 200.0)
    # B flies the mirror route through A's state at t = 100 s, 1 km higher.
    mid = Xa[100].copy()
    from tocsin.geo.frames import ecef_to_geodetic, ecef_vector_to_enu, enu_vector_to_ecef

    lat, lon, _ = ecef_to_geodetic(mid[0:3])
    v_enu = ecef_vector_to_enu(mid[3:6], lat, lon)
    v_b = enu_vector_to_ecef(np.array([v_enu[0] * 0.8, v_enu[0] * 0.6, v_enu[2]]), lat, lon)
    up = mid[0:3] / np.linalg.norm(mid[0:3])
    sb_mid = np.concatenate([mid[0:3] + 1000.0 * up, v_b])
    _, Xb_back = ts.fly(sb_mid, 100.0, dt_s=-0.1)
    _, Xb_fwd = ts.fly(sb_mid, 100.0)
    Xb = np.concatenate([Xb_back[::-1], Xb_fwd[1:]])
    n = min(len(Xa), len(Xb))
    assert np.min(np.linalg.norm(Xa[:n, 0:3] - Xb[:n, 0:3], axis=1)) < 1500.0
    rad = ts.radar(33.5, 41.5, pd=0.95)
    rng = np.random.default_rng(3)
    trk = Tracker({"r1": rad})
    owner: dict[str, set[int]] = {}
    for k in range(n):
        states = np.stack([Xa[k], Xb[k]])
        det = rng.random(2) < rad.pd
        trk.process(ts.scan("r1", T0 + k, ts.radar_plots(rad, states[det], rng)))
        snap = trk.snapshot()
        for i, tid in enumerate(snap.track_ids):
            truth_t = np.stack([Xa, Xb])[:, k]
            d = np.linalg.norm(truth_t[:, 0:3] - snap.x[i, 0:3], axis=1)
            if snap.t_update_unix_s[i] == T0 + k and d.min() < 2000.0:
                owner.setdefault(tid, set()).add(int(np.argmin(d)))
    assert len(owner) == 2, owner
    assert all(len(v) == 1 for v in owner.values()), owner


def test_many_objects_in_clutter_all_confirmed_few_false() -> None:
    """20 objects, Pd 0.9, 20 clutter plots per scan: every object seen >= 10 scans is confirmed."""
    n_obj = 20
    rng = np.random.default_rng(4)
    s0 = np.stack(
        [
            ts.launch_state(31.0 + 0.1 * i, 45.0 + 0.05 * i, 80e3, 2300.0 + 20 * i, 40.0, 270.0 - i)
            for i in range(n_obj)
        ]
    )
    t, Xr = ts.fly_batch(s0, 120.0, np.full(n_obj, 5000.0))
    rad = ts.radar(33.5, 41.5, pd=0.9, clutter_per_scan=20.0)
    trk = Tracker({"r1": rad})
    n_seen = np.zeros(n_obj, dtype=int)
    false_confirmed = 0
    confirmed_total = 0
    for k in range(len(t)):
        det = rng.random(n_obj) < rad.pd
        n_seen += det
        z = np.concatenate([ts.radar_plots(rad, Xr[det, k], rng), ts.radar_clutter(rad, 20, rng)])
        trk.process(ts.scan("r1", T0 + t[k], z))
        snap = trk.snapshot()
        for i in range(len(snap)):
            confirmed_total += 1
            truth_k = Xr[:, round(float(snap.t_update_unix_s[i]) - T0)]
            if np.min(np.linalg.norm(truth_k[:, 0:3] - snap.x[i, 0:3], axis=1)) > 3000.0:
                false_confirmed += 1
    snap = trk.snapshot()
    k_upd = np.round(snap.t_update_unix_s - T0).astype(int)
    for j in np.flatnonzero(n_seen >= 10):
        d = np.linalg.norm(snap.x[:, 0:3] - Xr[j, k_upd, 0:3], axis=1)
        assert d.min() < 1000.0, j
    assert len(snap) == n_obj
    assert false_confirmed <= 0.01 * confirmed_total


def _salvo_scans(n_scans: int = 40) -> tuple[list[ScanInput], dict[str, object]]:
    rng = np.random.default_rng(5)
    s0 = np.stack([ts.launch_state(31.5 + 0.2 * i, 45.0, 80e3, 2400.0, 40.0, 270.0) for i in range(5)])
    t, Xr = ts.fly_batch(s0, float(n_scans), np.full(5, 5000.0))
    r1 = ts.radar(33.5, 41.5, pd=0.9, clutter_per_scan=5.0)
    r2 = ts.radar(30.0, 42.0, pd=0.9, clutter_per_scan=5.0)
    r2 = type(r2)(
        "r2", r2.site_lat_rad, r2.site_lon_rad, 50.0, 20.0, 1.5e-3, 1.5e-3, None, 0.9, 5.0, max_range_m=2e6
    )
    scans = []
    for k in range(n_scans):
        for rad, dt in ((r1, 0.0), (r2, 0.5)):
            if k + dt >= n_scans:
                continue
            Xk = Xr[:, k] if dt == 0.0 else 0.5 * (Xr[:, k] + Xr[:, k + 1])
            det = rng.random(5) < 0.9
            z = np.concatenate([ts.radar_plots(rad, Xk[det], rng), ts.radar_clutter(rad, 5, rng)])
            scans.append(ScanInput(rad.sensor_id, T0 + t[k] + dt, z[:, : rad.meas_dim]))
    return scans, {"r1": r1, "r2": r2}


def _snap_equal(a: Tracker, b: Tracker) -> None:
    sa, sb = a.snapshot(), b.snapshot()
    assert sa.track_ids == sb.track_ids
    assert np.array_equal(sa.x, sb.x) and np.array_equal(sa.P, sb.P)
    assert np.array_equal(sa.mode_prob, sb.mode_prob)


def test_deterministic_and_out_of_sequence_equals_in_order() -> None:
    scans, sensors = _salvo_scans()
    a = Tracker(sensors)  # type: ignore[arg-type]
    b = Tracker(sensors)  # type: ignore[arg-type]
    c = Tracker(sensors)  # type: ignore[arg-type]
    for s in scans:
        a.process(s)
        b.process(s)
    _snap_equal(a, b)
    assert len(a.snapshot()) == 5
    # Deliver every r2 scan 3.2 s late and shuffle detections inside scans.
    rng = np.random.default_rng(9)
    late = [s for s in scans if s.sensor_id == "r2"]
    order: list[ScanInput] = []
    for s in scans:
        if s.sensor_id == "r1":
            order.append(s)
            for s2 in [x for x in late if s.t_unix_s - 3.2 <= x.t_unix_s < s.t_unix_s - 2.2]:
                order.append(ScanInput(s2.sensor_id, s2.t_unix_s, s2.z[rng.permutation(s2.z.shape[0])]))
    done = {s.t_unix_s for s in order if s.sensor_id == "r2"}
    order += [s for s in late if s.t_unix_s not in done]
    assert len(order) == len(scans)
    for s in order:
        c.process(s)
    _snap_equal(a, c)
    assert c.counters["too_late"] == 0


def test_bad_input_counted_and_skipped() -> None:
    scans, sensors = _salvo_scans(20)
    a = Tracker(sensors)  # type: ignore[arg-type]
    b = Tracker(sensors)  # type: ignore[arg-type]
    for s in scans:
        a.process(s)
        b.process(s)
        b.process(ScanInput("nope", s.t_unix_s, s.z))
    b.process(ScanInput("r1", float("nan"), scans[0].z))
    b.process(ScanInput("r1", scans[-1].t_unix_s - 30.0, scans[0].z))
    b.process(ScanInput("r1", scans[-1].t_unix_s, np.zeros((2, 5))))
    bad = np.array([[np.nan, 1.0, 0.3], [-5.0, 1.0, 0.3], [4e5, 1.0, 2.0]])
    b.process(ScanInput("r2", scans[-1].t_unix_s + 0.01, bad))
    a.process(ScanInput("r2", scans[-1].t_unix_s + 0.01, np.zeros((0, 3))))
    assert b.counters["unknown_sensor"] == len(scans)
    assert b.counters["bad_time"] == 1 and b.counters["too_late"] == 1 and b.counters["bad_shape"] == 1
    assert b.counters["bad_detection"] == 3
    _snap_equal(a, b)


def test_state_round_trip_and_rows_contract(tmp_path: object) -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    scans, sensors = _salvo_scans(30)
    a = Tracker(sensors)  # type: ignore[arg-type]
    rows = []
    for s in scans[:40]:
        a.process(s)
        rows += a.track_rows()
    b = Tracker(sensors)  # type: ignore[arg-type]
    b.set_state(a.get_state())
    _snap_equal(a, b)
    for s in scans[40:]:
        a.process(s)
        b.process(s)
        rows += a.track_rows()
        assert a.track_rows() == b.track_rows()
    _snap_equal(a, b)
    assert rows and all(r["track"].startswith("T") for r in rows)
    out = Path(str(tmp_path))
    (out / "tracks.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    checker = Path("/work/shared/tools/check_contract.py")
    if not checker.exists():
        checker = Path(__file__).resolve().parents[3] / "shared" / "tools" / "check_contract.py"
    res = subprocess.run(
        [sys.executable, str(checker), str(out)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout


def test_jpda_option_tracks_the_salvo() -> None:
    scans, sensors = _salvo_scans(30)
    trk = Tracker(sensors, TrackerConfig(association="jpda"))  # type: ignore[arg-type]
    for s in scans:
        trk.process(s)
    assert len(trk.snapshot()) == 5
    assert trk.counters["numerical_reject"] == 0
