"""Plot-to-decision latency of the warning chain (issue 6): p50/p99 wall time per processed scan.

For each scenario: simulate it, then feed its measurements line by line to the engine and time every
line that releases a scan (tracking, prediction, zone evaluation and alert policy of that scan).
Writes ``benchmarks/out/latency.json``. Usage:
``python benchmarks/bench_latency.py [--scenarios salvo-200 national] [--max-lines N] [--seed 1]``
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tocsin.engine.core as engine_core
from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.engine.core import Engine
from tocsin.sim.simulate import simulate

OUT = Path(__file__).resolve().parent / "out"


STAGES = ("track", "launch", "predict", "zones", "policy")


def _timed(stage: str, fn: Callable[..., Any], acc: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            acc[stage] += (time.perf_counter() - t0) * 1e3

    return wrapper


def _instrument(engine: Engine, acc: dict[str, float]) -> None:
    """Time each stage of the engine (ms, accumulated into ``acc``) by wrapping its entry points."""
    engine.tracker.process = _timed("track", engine.tracker.process, acc)  # type: ignore[method-assign]
    engine.launch.update = _timed("launch", engine.launch.update, acc)  # type: ignore[method-assign]
    engine.threats.evaluate = _timed("zones", engine.threats.evaluate, acc)  # type: ignore[method-assign]
    engine.policy.step = _timed("policy", engine.policy.step, acc)  # type: ignore[method-assign]
    names = vars(engine_core)  # the engine's own reference to predict_impacts
    names["predict_impacts"] = _timed("predict", names["predict_impacts"], acc)


def measure(scenario: str, seed: int, max_lines: int | None) -> dict[str, Any]:
    """Simulate ``scenario`` and time the engine per scan (ms), from the busiest part of the attack."""
    with tempfile.TemporaryDirectory() as tmp:
        scen = Path(tmp)
        simulate(scenario, scen, seed=seed)
        sensors, _ = load_sensors_doc(scen / "sensors.json")
        zones, _ = load_zones_doc(scen / "zones.geojson")
        lines = (scen / "measurements.jsonl").read_text().splitlines()
    engine = Engine(sensors, zones)
    acc = dict.fromkeys(STAGES, 0.0)
    _instrument(engine, acc)
    t_build = time.perf_counter()
    times_ms: list[float] = []
    cycles_ms: list[float] = []
    stage_rows: list[list[float]] = []  # per scan-releasing line: ms in each stage
    n_tracks = 0
    for i, line in enumerate(lines[:max_lines] if max_lines else lines, 1):
        before = dict(acc)
        t0 = time.perf_counter()
        out = engine.push_line(line, i)
        dt = (time.perf_counter() - t0) * 1e3
        if out.scans:
            times_ms.append(dt)
            stage_rows.append([acc[k] - before[k] for k in STAGES])
        if out.cycles:
            cycles_ms.append(dt)
            n_tracks = max(n_tracks, len(engine.last_predictions or ()))
    wall = time.perf_counter() - t_build
    vars(engine_core)["predict_impacts"] = vars(engine_core)["predict_impacts"].__wrapped__
    a = np.array(times_ms)
    c = np.array(cycles_ms) if cycles_ms else np.zeros(1)
    st = np.array(stage_rows).reshape(-1, len(STAGES))
    slow = a >= np.percentile(a, 99)
    return {
        "scenario": scenario,
        "zones": len(zones),
        "lines": min(len(lines), max_lines or len(lines)),
        "scans": int(a.size),
        "max_tracks_predicted": n_tracks,
        "scan_to_decision_p50_ms": float(np.percentile(a, 50)),
        "scan_to_decision_p99_ms": float(np.percentile(a, 99)),
        "scan_to_decision_max_ms": float(a.max()),
        "decision_cycle_p50_ms": float(np.percentile(c, 50)),
        "decision_cycle_p99_ms": float(np.percentile(c, 99)),
        "wall_s": wall,
        # Where the time goes: total per stage, and the mean per stage over the slowest 1 % of scans.
        "stage_total_s": {k: round(float(v) / 1e3, 3) for k, v in acc.items()},
        "stage_mean_ms_in_slowest_1pct": {
            k: round(float(v), 1) for k, v in zip(STAGES, st[slow].mean(axis=0), strict=True)
        },
    }


def main() -> None:
    """Run the latency benchmark and write its figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenarios", nargs="+", default=["salvo-200", "national"])
    ap.add_argument("--max-lines", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    results = [measure(s, args.seed, args.max_lines) for s in args.scenarios]
    OUT.mkdir(exist_ok=True)
    (OUT / "latency.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
