"""Launch-point accuracy through the simulator and the tracker (test helper, not a test module).

A scenario is simulated with a fixed seed; its measurements go through the ingest scan assembler and
the tracker exactly as in the engine, with the :class:`LaunchEstimator` fed every infrared scan and
updated with the track picture once per second of data time (the engine's decision cycle). Each
track is matched to the true object nearest to its first position; an object's error is that of
the last launch estimate of its earliest matched track (the launch estimate is final once the
early window is complete).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tocsin.cli.files import load_sensors_doc
from tocsin.engine.core import scan_to_input
from tocsin.engine.sensors import launch_sensors, track_models
from tocsin.eval.truth import load_truth
from tocsin.geo.frames import ecef_to_enu, geodetic_to_ecef
from tocsin.geo.geodesic import geodesic_distance_m
from tocsin.ingest.stream import ScanAssembler
from tocsin.predict.ground import Terrain
from tocsin.predict.launch import LaunchEstimator
from tocsin.sim.scenario import load_scenario
from tocsin.sim.simulate import simulate
from tocsin.track.tracker import Tracker

#: A track is matched to the nearest true object when that object is within this distance (m).
MATCH_RADIUS_M = 50_000.0


@dataclass(frozen=True)
class _Launch:
    object: str
    class_name: str
    launch_t_unix_s: float
    launch_lat_deg: float
    launch_lon_deg: float


@dataclass(frozen=True)
class LaunchErrors:
    """Per object: class, horizontal launch-point error (m) and launch-time error (s); NaN = none."""

    objects: tuple[str, ...]
    classes: tuple[str, ...]
    error_m: np.ndarray
    dt_s: np.ndarray
    sigma_m: np.ndarray  # sqrt of the trace of the reported east/north covariance (m)
    # Reported launch-time sigma (s) and the truth's squared Mahalanobis distance in the east/north
    # covariance (chi-square, 2 dof, when calibrated); NaN where none.
    t_sigma_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    d2: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def median_error_m(self) -> float:
        """Median horizontal error (m) over the objects that got an estimate."""
        ok = np.isfinite(self.error_m)
        return float(np.median(self.error_m[ok])) if ok.any() else math.inf


def site_terrain(scenario: str | Path, half_width_deg: float = 0.15) -> Terrain:
    """A terrain model standing in for a DEM: each launch site's height within +-half_width of it."""
    sites = load_scenario(scenario).scenario.sites
    boxes = tuple(
        (
            s.lat_deg - half_width_deg,
            s.lat_deg + half_width_deg,
            s.lon_deg - half_width_deg,
            s.lon_deg + half_width_deg,
            s.alt_m,
        )
        for s in sites
    )
    return Terrain(default_alt_m=0.0, boxes=boxes)


def run_launch_study(
    scenario: str | Path,
    out_dir: Path,
    seed: int,
    *,
    terrain: Terrain | None = None,
    max_after_launch_s: float = 200.0,
) -> LaunchErrors:
    """Simulate ``scenario`` with ``seed`` in ``out_dir`` and measure every object's launch estimate."""
    simulate(scenario, out_dir, seed=seed)
    sensors, _ = load_sensors_doc(out_dir / "sensors.json")
    doc = json.loads((out_dir / "events.json").read_text(encoding="utf-8"))
    events = [
        _Launch(o["object"], o["class"], *(float(o["launch"][k]) for k in ("t_unix_s", "lat_deg", "lon_deg")))
        for o in doc["objects"]
    ]
    truth = load_truth(out_dir / "truth.jsonl")
    t_stop = max(e.launch_t_unix_s for e in events) + max_after_launch_s
    assembler = ScanAssembler(sensors, 5.0, "-", eager=True)
    tracker = Tracker(track_models(sensors))
    est = LaunchEstimator(terrain=terrain or site_terrain(scenario), sensors=launch_sensors(sensors))
    last: dict[str, tuple[float, float, float, float, float, np.ndarray]] = {}
    first_pos: dict[str, tuple[float, np.ndarray]] = {}
    t_cycle = -math.inf

    def cycle() -> None:
        snap = tracker.snapshot()
        res = est.update(snap)
        for i, tid in enumerate(snap.track_ids):
            if tid not in first_pos:
                first_pos[tid] = (float(snap.t_update_unix_s[i]), snap.x[i, :3].copy())
            if np.isfinite(res.lat_deg[i]):
                sig = math.sqrt(max(float(np.trace(res.cov_en_m2[i])), 0.0))
                last[tid] = (
                    float(res.lat_deg[i]),
                    float(res.lon_deg[i]),
                    float(res.t_unix_s[i]),
                    sig,
                    float(res.t_sigma_s[i]),
                    res.cov_en_m2[i].copy(),
                )

    with (out_dir / "measurements.jsonl").open(encoding="utf-8") as f:
        for number, text in enumerate(f, start=1):
            scans, _ = assembler.push_line(text, number)
            for scan in scans:
                est.observe(scan)
                tracker.process(scan_to_input(scan))
            now = assembler.newest_unix_s
            if scans and now - t_cycle >= 1.0:
                cycle()
                t_cycle = now
            if now > t_stop:
                break
    for scan in assembler.flush():
        est.observe(scan)
        tracker.process(scan_to_input(scan))
    cycle()

    names = [e.object for e in events]
    index = {o: k for k, o in enumerate(truth.objects)}
    best: dict[str, tuple[float, str]] = {}  # object -> (first time, track)
    for tid, (t0, p0) in first_pos.items():
        if tid not in last:
            continue
        which = np.array([index[o] for o in names if o in index])
        pos, ok = truth.positions_at(t0, which)
        d = np.where(ok, np.linalg.norm(pos - p0, axis=1), np.inf)
        k = int(np.argmin(d))
        if d[k] > MATCH_RADIUS_M:
            continue
        obj = truth.objects[int(which[k])]
        if obj not in best or t0 < best[obj][0]:
            best[obj] = (t0, tid)
    err = np.full(len(events), np.nan)
    dt = np.full(len(events), np.nan)
    sig = np.full(len(events), np.nan)
    t_sig = np.full(len(events), np.nan)
    d2 = np.full(len(events), np.nan)
    for k, e in enumerate(events):
        if e.object not in best:
            continue
        la, lo, tl, s, ts, cov = last[best[e.object][1]]
        err[k] = float(geodesic_distance_m(la, lo, e.launch_lat_deg, e.launch_lon_deg))
        dt[k] = tl - e.launch_t_unix_s
        sig[k] = s
        t_sig[k] = ts
        truth_en = ecef_to_enu(
            geodetic_to_ecef(math.radians(e.launch_lat_deg), math.radians(e.launch_lon_deg), 0.0)[None],
            math.radians(la),
            math.radians(lo),
            0.0,
        )[0, :2]
        if np.isfinite(cov).all() and np.linalg.det(cov) > 0.0:
            d2[k] = float(truth_en @ np.linalg.solve(cov, truth_en))
    return LaunchErrors(tuple(names), tuple(e.class_name for e in events), err, dt, sig, t_sig, d2)
