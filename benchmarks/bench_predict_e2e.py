"""End-to-end impact accuracy and calibration (issue 5): simulator -> tracker -> impact predictor.

Runs :func:`tocsin.eval.predict_e2e.run_e2e` on ``--runs`` seeded SRBM runs (srbm-300/500/800 in turn,
one theatre radar at 1 Hz) and writes ``benchmarks/out/predict_e2e.json``: one row per time to go
(120, 90, 60, 30, 20, 10 s) overall and per class (median / 90 % miss m, median |time error| s, mean
2-D NEES with its chi-square 95 % band, 50/90/95 % ellipse coverage, track state NEES).
``--mach-drag`` flies the truth with a Mach-dependent drag coefficient the tracker does not model
(write it under another ``--name``); ``--drag-noise-along-velocity`` turns on the tracker's
``q_vel_drag_along_velocity`` (session 11). Usage: ``python benchmarks/bench_predict_e2e.py [--runs 300]
[--seed 0] [--mach-drag] [--drag-noise-along-velocity] [--name predict_e2e]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from tocsin.eval.predict_e2e import draw_cases, run_e2e, summarise
from tocsin.track.tracker import TrackerConfig

OUT = Path(__file__).resolve().parent / "out"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mach-drag", action="store_true", help="truth flies Mach-dependent drag")
    ap.add_argument(
        "--drag-noise-along-velocity",
        action="store_true",
        help="tracker's drag-scaled velocity noise along the velocity only (q_vel_drag_along_velocity)",
    )
    ap.add_argument("--name", default="predict_e2e", help="output file stem in benchmarks/out")
    args = ap.parse_args()
    t0 = time.perf_counter()
    cases = draw_cases(args.runs, seed=args.seed)
    tcfg = dataclasses.replace(TrackerConfig(), q_vel_drag_along_velocity=args.drag_noise_along_velocity)
    res = run_e2e(cases, seed=args.seed, mach_drag=args.mach_drag, tracker_config=tcfg)
    cls = np.array([c.class_name for c in cases])
    doc = {
        "runs": args.runs,
        "mach_drag": args.mach_drag,
        "drag_noise_along_velocity": args.drag_noise_along_velocity,
        "seed": args.seed,
        "elapsed_s": round(time.perf_counter() - t0, 1),
        "all": summarise(res),
        "by_class": {c: summarise(res, cls == c) for c in sorted(set(cls.tolist()))},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{args.name}.json"
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    for r in doc["all"]:
        g = {k: r.get(k, float("nan")) for k in ("miss_median_m", "t_err_median_s", "nees_mean")}
        c = [r.get(f"coverage_{p}", float("nan")) for p in (50, 90, 95)]
        print(
            f"t_go {r['t_go_s']:5.0f} s  n {r['n']:4.0f}  miss median {g['miss_median_m']:7.1f} m"
            f"  |dt| {g['t_err_median_s']:5.2f} s  NEES {g['nees_mean']:5.2f}"
            f"  cover 50/90/95 {c[0]:.2f}/{c[1]:.2f}/{c[2]:.2f}"
        )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
