"""Issue 4 bar: tracker memory stays flat over a one-hour stream.

One radar (Pd 0.9, sigma 15 m / 1 mrad, 2 m/s Doppler) scans at 1 Hz for ``--hours`` of stream time.
``--objects`` slots each hold a ballistic midcourse arc that lives ``--life-s`` seconds and is then
replaced by a fresh one (staggered), so the track picture turns over ~12 times an hour: tracks are
born, confirmed and deleted all the time, as in a long alert. ``--clutter`` uniform false plots per
scan. Truth is integrated on the fly (RK4 with drag, 1 s step), nothing is stored.

Every minute of stream time the process's resident set (``/proc/self/statm``) is sampled. Reported:
peak RSS in the first and in the last ten minutes, the least-squares slope of RSS against stream time
after a ten-minute warm-up (MB per hour), ``ru_maxrss``, and seconds per scan.
Usage: ``python benchmarks/bench_track_memory.py [--hours 1] [--objects 60] [--clutter 20]``.
Writes ``benchmarks/out/track_memory.json`` and prints it.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
# ruff: noqa: E402  (numpy must see the thread settings above before it is imported)

import argparse
import gc
import json
import math
import resource
import time
from pathlib import Path

import numpy as np

from bench_track import spawn_midcourse  # run as a script: benchmarks/ is on sys.path
from tocsin.geo.frames import altitude_fast_m
from tocsin.physics.dynamics import rk4_step
from tocsin.track.models import RadarModel, ScanInput, radar_h
from tocsin.track.tracker import Tracker

DEG = math.pi / 180.0
T0 = 1.7e9
OUT = Path(__file__).resolve().parent / "out"
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_mb() -> float:
    """Current resident set size of this process (MB)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * PAGE_MB


def main() -> None:
    """Run the stream and write the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--objects", type=int, default=60)
    ap.add_argument("--clutter", type=int, default=20)
    ap.add_argument("--life-s", type=float, default=300.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    rad = RadarModel(
        "r1", 33.5 * DEG, 41.5 * DEG, 100.0, 15.0, 1e-3, 1e-3, 2.0, pd=0.9,
        clutter_per_scan=float(args.clutter), max_range_m=2.0e6,
    )  # fmt: skip
    trk = Tracker({"r1": rad})
    n = args.objects
    state = spawn_midcourse(n, rng)
    beta = np.full(n, 5000.0)
    age = np.linspace(0.0, args.life_s, n, endpoint=False)  # staggered replacement
    n_scans = round(args.hours * 3600.0)
    samples: list[tuple[float, float]] = []
    busy = 0.0
    n_rows = 0
    for k in range(n_scans):
        gone = (age >= args.life_s) | (altitude_fast_m(state[:, 0:3]) < 20e3)
        if np.any(gone):
            state[gone] = spawn_midcourse(int(gone.sum()), rng)
            age[gone] = 0.0
        det = rng.random(n) < rad.pd
        x = np.zeros((int(det.sum()), 10))
        x[:, 0:6] = state[det]
        z, _ = radar_h(x, rad)
        z = z + rng.standard_normal(z.shape) * np.sqrt(np.diag(rad.R))
        clutter = np.column_stack(
            [
                rng.uniform(50e3, 1500e3, args.clutter),
                rng.uniform(0.0, 2.0 * math.pi, args.clutter),
                rng.uniform(2.0 * DEG, 60.0 * DEG, args.clutter),
                rng.uniform(-3000.0, 3000.0, args.clutter),
            ]
        )
        z = np.concatenate([z, clutter])
        z[:, 1] = np.mod(z[:, 1], 2.0 * math.pi)
        t0 = time.perf_counter()
        trk.process(ScanInput("r1", T0 + k, z))
        n_rows += len(trk.track_rows())
        busy += time.perf_counter() - t0
        state = rk4_step(state, 1.0, beta)
        age += 1.0
        if k % 60 == 0:
            gc.collect()
            samples.append((k / 3600.0, rss_mb()))
    h = np.array([s[0] for s in samples])
    mb = np.array([s[1] for s in samples])
    warm = h >= min(10.0 / 60.0, 0.25 * args.hours)
    slope = float(np.polyfit(h[warm], mb[warm], 1)[0]) if warm.sum() >= 3 else float("nan")
    first = h <= 10.0 / 60.0
    last = h >= h[-1] - 10.0 / 60.0
    tent, conf = trk.n_tracks()
    result = {
        "stream_hours": args.hours,
        "scans": n_scans,
        "objects_at_once": n,
        "object_life_s": args.life_s,
        "clutter_per_scan": args.clutter,
        "track_rows": n_rows,
        "tracks_at_end": {"tentative": tent, "confirmed": conf},
        "rss_peak_first_10min_mb": float(mb[first].max()),
        "rss_peak_last_10min_mb": float(mb[last].max()),
        "rss_slope_mb_per_h": slope,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "s_per_scan": busy / n_scans,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "track_memory.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
