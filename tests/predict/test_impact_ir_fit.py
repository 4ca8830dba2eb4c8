"""IR-only impact prediction from the boost fit's coasting state (issue 5 / issue 7).

Unit checks of the covariance intersection and of the fit's burnout/coasting states, and an end-to-end
check through the simulator and the tracker: SRBMs seen only by two GEO infrared satellites
(``scenarios/launch-ir.yaml``, the sensors of al-asad-2020-ir), seeds 1 and 2. After the plume is lost
(the track coasts), each track's first prediction with a fit state is made twice, with the fit state
fused in and with the filter state alone. Bars: the fused 95 % ellipse is at least 1.5 times narrower
(median semi-major) and the true impact lies inside it for >= 80 % of the fused tracks (nominal 95 %,
about ten tracks).
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest
from launch_harness import site_terrain

from tocsin.cli.files import load_sensors_doc
from tocsin.engine.core import scan_to_input
from tocsin.engine.sensors import launch_sensors, track_models
from tocsin.eval.truth import load_truth
from tocsin.geo.frames import ecef_to_enu, geodetic_to_ecef
from tocsin.ingest.stream import ScanAssembler
from tocsin.predict.impact import (
    CHI2_2DOF_95,
    PredictConfig,
    covariance_intersection,
    ellipse_axes,
    predict_impacts,
)
from tocsin.predict.launch import (
    BoostFitFrame,
    BoostFitState,
    LaunchEstimator,
    boost_fit_states,
    boost_model_states,
)
from tocsin.sim.simulate import simulate
from tocsin.track.tracker import Tracker

SCENARIO = Path(__file__).resolve().parent / "scenarios" / "launch-ir.yaml"
LAT0, LON0, ALT0 = math.radians(34.1), math.radians(46.5), 1350.0
# Launch 1 km E 2 km N, 40 s before t_ref, az 250 deg, loft 70 deg, a0 25 m/s^2, q 0.014/s, burn 50 s.
THETA = np.array([1.0, 2.0, -40.0, math.radians(250.0), math.radians(70.0), 2.5, 1.4, 5.0, 0.0])
FRAME = BoostFitFrame(LAT0, LON0, ALT0, 1000.0, (THETA,))


def test_covariance_intersection_is_consistent_and_picks_the_tighter() -> None:
    rng = np.random.default_rng(3)
    A = rng.normal(size=(6, 6))
    Pa = A @ A.T + np.eye(6)
    Pb = 400.0 * Pa  # much looser: CI keeps (about) the tighter estimate
    xa, xb = rng.normal(size=6), rng.normal(size=6) * 20.0
    x, P, w = covariance_intersection(xa, Pa, xb, Pb)
    assert w == 1.0 and np.allclose(x, xa) and np.allclose(P, Pa)
    # Complementary estimates (each tight where the other is loose): the fused determinant is below
    # both, and never below that of the naive independent fusion (no double counting).
    Pc = np.diag([1.0, 1.0, 1.0, 100.0, 100.0, 100.0])
    Pd = np.diag([100.0, 100.0, 100.0, 1.0, 1.0, 1.0])
    _, P3, w3 = covariance_intersection(xa, Pc, xb, Pd)
    assert 0.0 < w3 < 1.0
    assert np.linalg.det(P3) < min(np.linalg.det(Pc), np.linalg.det(Pd))
    naive = np.linalg.inv(np.linalg.inv(Pc) + np.linalg.inv(Pd))
    assert np.all(np.linalg.eigvalsh(P3 - naive) > -1e-9)
    # Equal inputs: the same estimate back; deterministic bytes.
    x2, P2, _ = covariance_intersection(xa, Pa, xa, Pa)
    assert np.allclose(x2, xa) and np.allclose(P2, Pa)
    assert covariance_intersection(xa, Pa, xb, Pb)[1].tobytes() == P.tobytes()


def test_fit_states_burnout_and_coast() -> None:
    cov = np.diag([0.2, 0.2, 1.0, 1e-3, 1e-3, 0.05, 0.03, 0.1, 0.05]) ** 2
    t_bo = FRAME.t_ref_unix_s + THETA[2] + THETA[7] * 10.0  # launch + burn time
    # A fit whose data end 20 s after burnout: the burnout is measured, the coast state is given.
    fit = BoostFitState(FRAME, THETA, cov, t_bo + 20.0)
    fs = boost_fit_states(fit, t_bo + 25.0)
    assert abs(fs.burnout[0] - t_bo) < 1e-6
    p, v, _ = boost_model_states(THETA[None], np.array([25.0 + t_bo - 1000.0]), LAT0, LON0, ALT0)
    assert np.allclose(fs.coast_state, np.concatenate([p[0, 0], v[0, 0]]))
    # Burnout time sigma: the burn time (0.1 x 10 s = 1 s) and launch time (1 s) sigmas.
    assert 1.2 < math.sqrt(fs.burnout_cov[0, 0]) < 1.6
    assert np.all(np.linalg.eigvalsh(fs.coast_cov) > 0.0)
    # Data ending at the burnout: the burn time is not measured, no coast state...
    assert np.isnan(boost_fit_states(BoostFitState(FRAME, THETA, cov, t_bo), t_bo + 25.0).coast_state).all()
    # ...unless the thrust is known to have ended by then (the plume's last sighting): burn times cut.
    cut = boost_fit_states(
        BoostFitState(FRAME, THETA, cov, t_bo - 5.0), t_bo + 25.0, burnout_by_unix_s=t_bo - 5.0
    )
    assert np.isfinite(cut.coast_state).all()
    assert abs(cut.burnout[0] - (t_bo - 5.0)) < 1e-6
    # A state asked for before the thrust ended: none.
    assert np.isnan(boost_fit_states(fit, t_bo - 10.0).coast_state).all()


def _study(tmp: Path, seed: int) -> list[tuple[float, float, float, float]]:
    """Per coasting track with a fit state: (fused semi-major m, filter-only semi-major m, fused and
    filter-only squared Mahalanobis distance of the true impact)."""
    out = tmp / f"s{seed}"
    simulate(SCENARIO, out, seed=seed)
    sensors, _ = load_sensors_doc(out / "sensors.json")
    truth = load_truth(out / "truth.jsonl")
    impacts = {
        o["object"]: o["impact"]
        for o in json.loads((out / "events.json").read_text())["objects"]
        if o.get("impact") is not None
    }
    assembler = ScanAssembler(sensors, 5.0, "-", eager=True)
    tracker = Tracker(track_models(sensors))
    est = LaunchEstimator(terrain=site_terrain(SCENARIO), sensors=launch_sensors(sensors))
    cfg = PredictConfig(terrain=site_terrain(SCENARIO))
    done: set[str] = set()
    rows: list[tuple[float, float, float, float]] = []
    names = np.arange(len(truth.objects))

    def cycle() -> None:
        snap = tracker.snapshot()
        le = est.update(snap)
        assert le.fit_state_pos_ecef_m is not None
        pick = [
            i
            for i, tid in enumerate(snap.track_ids)
            if tid not in done and np.isfinite(le.fit_state_pos_ecef_m[i]).all()
        ]
        if not pick:
            return
        idx = np.array(pick)
        sub, le_sub = snap.select(idx), le.select(idx)
        fused = predict_impacts(sub, config=cfg, launch_estimates=le_sub)
        plain = predict_impacts(
            sub, config=cfg, launch_estimates=dataclasses.replace(le_sub, fit_state_cov=None)
        )
        for k, i in enumerate(pick):
            done.add(snap.track_ids[i])
            t0 = float(snap.t_update_unix_s[i])
            pos, ok = truth.positions_at(t0, names)
            j = int(np.argmin(np.where(ok, np.linalg.norm(pos - snap.x[i, :3], axis=1), np.inf)))
            imp = impacts.get(truth.objects[j])
            if imp is None:
                continue
            d2 = []
            for p in (fused, plain):
                la, lo = math.radians(p.impact_lat_deg[k]), math.radians(p.impact_lon_deg[k])
                e = ecef_to_enu(
                    geodetic_to_ecef(math.radians(imp["lat_deg"]), math.radians(imp["lon_deg"]), 0.0),
                    la,
                    lo,
                    0.0,
                )[:2]
                d2.append(float(e @ np.linalg.solve(p.impact_cov_en_m2[k], e)))
            a_f = float(ellipse_axes(fused.impact_cov_en_m2[k : k + 1])[0][0])
            a_p = float(ellipse_axes(plain.impact_cov_en_m2[k : k + 1])[0][0])
            rows.append((a_f, a_p, d2[0], d2[1]))

    t_cycle = -math.inf
    with (out / "measurements.jsonl").open(encoding="utf-8") as f:
        for number, text in enumerate(f, start=1):
            scans, _ = assembler.push_line(text, number)
            for scan in scans:
                est.observe(scan)
                tracker.process(scan_to_input(scan))
            now = assembler.newest_unix_s
            if scans and now - t_cycle >= 1.0:
                cycle()
                t_cycle = now
    return rows


@pytest.mark.slow
def test_ir_only_impact_from_the_boost_fit_is_narrower_and_covers_the_truth(tmp_path: Path) -> None:
    rows = np.array([r for seed in (1, 2) for r in _study(tmp_path, seed)])
    fused = rows[:, 0] < 0.99 * rows[:, 1]
    assert fused.sum() >= 4, rows
    ratio = rows[fused, 1] / rows[fused, 0]
    assert float(np.median(ratio)) >= 1.5, np.round(rows / 1000.0, 1)
    inside = rows[fused, 2] <= CHI2_2DOF_95
    assert inside.mean() >= 0.8, np.round(rows, 1)
