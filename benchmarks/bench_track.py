"""Tracker benchmark: seconds per scan and GOSPA for 25/50/100/200 ballistic targets in clutter.

One radar (Pd 0.9, sigma 15 m / 1 mrad, no Doppler), scans at 1 Hz, clutter N/4 plots per scan
(50 at 200 targets), uniform in range/az/el. tocsin runs its full pipeline (initiation included, from
an empty picture). When Stone Soup 1.9.1 is installed, a GNN + EKF tracker built as its tutorials show
(CV model in the radar's ENU frame, ``CartesianToElevationBearingRange``, ``DistanceHypothesiser``
with Mahalanobis gating, ``GNNWith2DAssignment``, ``MultiMeasurementInitiator``,
``UpdateTimeStepsDeleter``) runs on the same measurements.

GOSPA: p = 2, alpha = 2, c = 2 km, on confirmed tracks' positions at each scan time, averaged over
scans from the 10th on (runs shorter than 11 scans: the last scan only). Timing: wall-clock per
``process`` call (one core; numpy threads pinned to 1), skipping the first 5 scans (runs shorter
than 6 scans: all but the last are skipped).

Usage: python benchmarks/bench_track.py [--sizes 25 50 100 200] [--scans 30] [--no-stonesoup]
Writes benchmarks/out/track.json and prints it.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
# ruff: noqa: E402  (numpy must see the thread settings above before it is imported)

import argparse
import json
import math
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from tocsin.eval.gospa import gospa
from tocsin.geo.frames import enu_vector_to_ecef, geodetic_to_ecef
from tocsin.physics.dynamics import rk4_step
from tocsin.track.models import RadarModel, ScanInput, radar_h
from tocsin.track.tracker import Tracker

DEG = math.pi / 180.0
T0 = 1.7e9
C_GOSPA_M = 2000.0
WARMUP_SCANS = 5  # timing skips these (imports, caches, the empty picture filling up)
GOSPA_FROM_SCAN = 10  # GOSPA from here on (initiation needs a few scans)


def skips(n_scans: int) -> tuple[int, int]:
    """(timing, GOSPA) start scans for a run of n_scans; short runs keep at least one scan of each."""
    return min(WARMUP_SCANS, max(n_scans - 1, 0)), min(GOSPA_FROM_SCAN, max(n_scans - 1, 0))


def spawn_midcourse(n: int, rng: np.random.Generator) -> np.ndarray:
    """n fresh midcourse states (n, 6), ECEF m and m/s: 80-150 km up, 2-3 km/s, climbing, heading west."""
    lat = rng.uniform(30.5, 34.5, n) * DEG
    lon = rng.uniform(45.0, 48.0, n) * DEG
    r = geodetic_to_ecef(lat, lon, rng.uniform(80e3, 150e3, n))
    speed = rng.uniform(2000.0, 3000.0, n)
    gam = rng.uniform(30.0, 45.0, n) * DEG
    head = rng.uniform(250.0, 290.0, n) * DEG
    v_enu = np.stack(
        [speed * np.cos(gam) * np.sin(head), speed * np.cos(gam) * np.cos(head), speed * np.sin(gam)], axis=-1
    )
    return np.concatenate([r, enu_vector_to_ecef(v_enu, lat, lon)], axis=1)


def make_scenario(n: int, n_scans: int, seed: int = 0) -> dict[str, Any]:
    """Truth (n, n_scans, 6) of midcourse arcs and the radar scans (list of (M, 3) arrays)."""
    rng = np.random.default_rng(seed)
    s = spawn_midcourse(n, rng)
    beta = np.exp(rng.normal(math.log(5000.0), 0.3, n))
    truth = np.empty((n, n_scans, 6))
    for k in range(n_scans):
        truth[:, k] = s
        for _ in range(4):
            s = rk4_step(s, 0.25, beta)
    radar = RadarModel(
        "r1",
        33.5 * DEG,
        41.5 * DEG,
        100.0,
        15.0,
        1e-3,
        1e-3,
        None,
        pd=0.9,
        clutter_per_scan=n / 4.0,
        min_range_m=50e3,
        max_range_m=1.2e6,
        el_min_rad=0.0,
        el_max_rad=70 * DEG,
    )
    n_clutter = n // 4
    scans = []
    for k in range(n_scans):
        det = rng.random(n) < radar.pd
        x = np.zeros((int(det.sum()), 10))
        x[:, 0:6] = truth[det, k]
        zhat, _ = radar_h(x, radar)
        z = zhat + rng.standard_normal(zhat.shape) * np.sqrt(np.diag(radar.R))
        clutter = np.column_stack(
            [
                rng.uniform(100e3, 900e3, n_clutter),
                rng.uniform(0, 2 * math.pi, n_clutter),
                rng.uniform(2 * DEG, 60 * DEG, n_clutter),
            ]
        )
        z = np.concatenate([z, clutter])
        z[:, 1] = np.mod(z[:, 1], 2 * math.pi)
        scans.append(z[rng.permutation(z.shape[0])])
    return {"truth": truth, "scans": scans, "radar": radar}


def run_tocsin(sc: dict[str, Any]) -> dict[str, float]:
    radar: RadarModel = sc["radar"]
    trk = Tracker({"r1": radar})
    t_skip, g_skip = skips(len(sc["scans"]))
    times, g = [], []
    for k, z in enumerate(sc["scans"]):
        t0 = time.perf_counter()
        trk.process(ScanInput("r1", T0 + k, z))
        times.append(time.perf_counter() - t0)
        _, x, _ = trk.current_states()
        if k >= g_skip:
            g.append(gospa(sc["truth"][:, k, 0:3], x[:, 0:3], C_GOSPA_M).gospa)
    tt = np.asarray(times[t_skip:])
    return {
        "s_per_scan_mean": float(tt.mean()),
        "s_per_scan_median": float(np.median(tt)),
        "s_per_scan_max": float(tt.max()),
        "gospa_mean_m": float(np.mean(g)),
        "n_confirmed_end": len(trk.snapshot()),
    }


def run_stonesoup(sc: dict[str, Any]) -> dict[str, float] | None:
    try:
        from datetime import datetime, timedelta

        from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
        from stonesoup.deleter.time import UpdateTimeStepsDeleter
        from stonesoup.hypothesiser.distance import DistanceHypothesiser
        from stonesoup.initiator.simple import MultiMeasurementInitiator
        from stonesoup.measures import Mahalanobis
        from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
        from stonesoup.models.transition.linear import CombinedLinearGaussianTransitionModel, ConstantVelocity
        from stonesoup.predictor.kalman import ExtendedKalmanPredictor
        from stonesoup.tracker.simple import MultiTargetTracker
        from stonesoup.types.detection import Detection
        from stonesoup.types.state import GaussianState
        from stonesoup.updater.kalman import ExtendedKalmanUpdater
    except ImportError:
        return None
    radar: RadarModel = sc["radar"]
    rot = radar.rot_enu
    origin = radar.site_ecef_m
    # Local ENU Cartesian frame at the radar: Stone Soup's bearing is counter-clockwise from east.
    transition = CombinedLinearGaussianTransitionModel([ConstantVelocity(25.0)] * 3)
    mm = CartesianToElevationBearingRange(
        ndim_state=6,
        mapping=(0, 2, 4),
        noise_covar=np.diag([radar.sigma_el_rad**2, radar.sigma_az_rad**2, radar.sigma_range_m**2]),
    )
    predictor = ExtendedKalmanPredictor(transition)
    updater = ExtendedKalmanUpdater(mm)
    hypothesiser = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(), missed_distance=5.0)
    associator = GNNWith2DAssignment(hypothesiser)
    deleter = UpdateTimeStepsDeleter(5)
    prior = GaussianState(np.zeros((6, 1)), np.diag([0.0, 3000.0**2, 0.0, 3000.0**2, 0.0, 3000.0**2]))
    init_assoc = GNNWith2DAssignment(
        DistanceHypothesiser(predictor, updater, measure=Mahalanobis(), missed_distance=5.0)
    )
    initiator = MultiMeasurementInitiator(
        prior, UpdateTimeStepsDeleter(2), init_assoc, updater, mm, min_points=3
    )
    start = datetime(2026, 1, 1)
    frames = []
    for k, z in enumerate(sc["scans"]):
        ts = start + timedelta(seconds=k)
        dets = {
            Detection(np.array([[el], [0.5 * math.pi - az], [rg]]), timestamp=ts, measurement_model=mm)
            for rg, az, el in z[:, 0:3]
        }
        frames.append((ts, dets))
    tracker = MultiTargetTracker(
        initiator=initiator, deleter=deleter, detector=frames, data_associator=associator, updater=updater
    )
    t_skip, g_skip = skips(len(frames))
    times, g = [], []
    it = iter(tracker)
    for k in range(len(frames)):
        t0 = time.perf_counter()
        _, tracks = next(it)
        times.append(time.perf_counter() - t0)
        if k >= g_skip:
            est = np.array([np.asarray(tr.state_vector, dtype=float)[[0, 2, 4], 0] for tr in tracks]).reshape(
                -1, 3
            )
            truth_enu = (sc["truth"][:, k, 0:3] - origin) @ rot.T
            g.append(gospa(truth_enu, est, C_GOSPA_M).gospa)
    tt = np.asarray(times[t_skip:])
    return {
        "s_per_scan_mean": float(tt.mean()),
        "s_per_scan_median": float(np.median(tt)),
        "s_per_scan_max": float(tt.max()),
        "gospa_mean_m": float(np.mean(g)),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100, 200])
    ap.add_argument("--scans", type=int, default=30)
    ap.add_argument("--no-stonesoup", action="store_true")
    args = ap.parse_args()
    results: dict[str, Any] = {
        "description": __doc__.strip().splitlines()[0],
        "machine": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "load_avg_1min": os.getloadavg()[0],
        },
        "scans": args.scans,
        "gospa_c_m": C_GOSPA_M,
        "cases": [],
    }
    for n in args.sizes:
        sc = make_scenario(n, args.scans, seed=n)
        case: dict[str, Any] = {"targets": n, "clutter_per_scan": n // 4, "tocsin": run_tocsin(sc)}
        if not args.no_stonesoup:
            ss = run_stonesoup(sc)
            if ss is not None:
                case["stonesoup_gnn_ekf"] = ss
                case["speedup"] = ss["s_per_scan_mean"] / case["tocsin"]["s_per_scan_mean"]
        results["cases"].append(case)
        print(json.dumps(case))
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "track.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
