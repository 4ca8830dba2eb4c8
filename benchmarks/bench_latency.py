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


def _counted(fn: Callable[..., Any], acc: dict[str, float]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(snapshot: Any, *args: Any, **kwargs: Any) -> Any:
        acc["predicted"] += len(snapshot)
        return fn(snapshot, *args, **kwargs)

    return wrapper


def _instrument(engine: Engine, acc: dict[str, float]) -> None:
    """Time each stage of the engine (ms, accumulated into ``acc``) by wrapping its entry points; count
    the tracks predicted (``acc["predicted"]``)."""
    engine.tracker.process = _timed("track", engine.tracker.process, acc)  # type: ignore[method-assign]
    engine.launch.update = _timed("launch", engine.launch.update, acc)  # type: ignore[method-assign]
    engine.threats.evaluate = _timed("zones", engine.threats.evaluate, acc)  # type: ignore[method-assign]
    engine.policy.step = _timed("policy", engine.policy.step, acc)  # type: ignore[method-assign]
    names = vars(engine_core)  # the engine's own reference to predict_impacts
    names["predict_impacts"] = _timed("predict", _counted(names["predict_impacts"], acc), acc)


def measure(scenario: str, seed: int, max_lines: int | None, dump: Path | None = None) -> dict[str, Any]:
    """Simulate ``scenario`` and time the engine per scan (ms), from the busiest part of the attack.

    ``dump``: optional CSV path for one row per scan-releasing line (line, data time, ms, ms per stage).
    """
    with tempfile.TemporaryDirectory() as tmp:
        scen = Path(tmp)
        simulate(scenario, scen, seed=seed)
        sensors, _ = load_sensors_doc(scen / "sensors.json")
        zones, _ = load_zones_doc(scen / "zones.geojson")
        lines = (scen / "measurements.jsonl").read_text().splitlines()
    engine = Engine(sensors, zones)
    acc = dict.fromkeys((*STAGES, "predicted"), 0.0)
    _instrument(engine, acc)
    t_build = time.perf_counter()
    times_ms: list[float] = []
    cpu_ms: list[float] = []  # this thread's CPU time per scan: the work, without waiting for a core
    cycles_ms: list[float] = []
    stage_rows: list[list[float]] = []  # per scan-releasing line: ms in each stage
    where: list[tuple[int, float]] = []  # per scan-releasing line: line number, data time (s)
    n_tracks = 0
    for i, line in enumerate(lines[:max_lines] if max_lines else lines, 1):
        before = dict(acc)
        c0 = time.thread_time()
        t0 = time.perf_counter()
        out = engine.push_line(line, i)
        dt = (time.perf_counter() - t0) * 1e3
        if out.scans:
            times_ms.append(dt)
            cpu_ms.append((time.thread_time() - c0) * 1e3)
            stage_rows.append([acc[k] - before[k] for k in STAGES])
            where.append((i, engine.now_unix_s, int(acc["predicted"] - before["predicted"])))
        if out.cycles:
            cycles_ms.append(dt)
            n_tracks = max(n_tracks, len(engine.last_predictions or ()))
    wall = time.perf_counter() - t_build
    vars(engine_core)["predict_impacts"] = vars(engine_core)["predict_impacts"].__wrapped__.__wrapped__
    a = np.array(times_ms)
    cpu = np.array(cpu_ms)
    c = np.array(cycles_ms) if cycles_ms else np.zeros(1)
    st = np.array(stage_rows).reshape(-1, len(STAGES))
    slow = a >= np.percentile(a, 99)
    if dump is not None:
        rows = ["line,t_unix_s,predicted,ms,cpu_ms," + ",".join(f"{k}_ms" for k in STAGES)]
        for (ln, t, n_pred), ms, c_ms, st_row in zip(where, a, cpu, st, strict=True):
            rows.append(f"{ln},{t:.3f},{n_pred},{ms:.2f},{c_ms:.2f}," + ",".join(f"{v:.2f}" for v in st_row))
        dump.write_text("\n".join(rows) + "\n")
    return {
        "scenario": scenario,
        "zones": len(zones),
        "lines": min(len(lines), max_lines or len(lines)),
        "scans": int(a.size),
        "max_tracks_predicted": n_tracks,
        "scan_to_decision_p50_ms": float(np.percentile(a, 50)),
        "scan_to_decision_p99_ms": float(np.percentile(a, 99)),
        "scan_to_decision_max_ms": float(a.max()),
        # CPU time of the engine's thread per scan: the latency on an idle core (wall time above also
        # counts waiting for a core on a shared machine).
        "scan_cpu_p50_ms": float(np.percentile(cpu, 50)),
        "scan_cpu_p99_ms": float(np.percentile(cpu, 99)),
        "scan_cpu_max_ms": float(cpu.max()),
        "decision_cycle_p50_ms": float(np.percentile(c, 50)),
        "decision_cycle_p99_ms": float(np.percentile(c, 99)),
        "wall_s": wall,
        # Where the time goes: total per stage, and the mean per stage over the slowest 1 % of scans.
        "stage_total_s": {k: round(float(acc[k]) / 1e3, 3) for k in STAGES},
        "tracks_predicted": int(acc["predicted"]),
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
    ap.add_argument(
        "--dump-dir", type=Path, default=None, help="write per-scan timings to DIR/latency-SCENARIO.csv"
    )
    args = ap.parse_args()
    dump_dir: Path | None = args.dump_dir
    if dump_dir is not None:
        dump_dir.mkdir(parents=True, exist_ok=True)
    results = [
        measure(s, args.seed, args.max_lines, dump_dir / f"latency-{s}.csv" if dump_dir else None)
        for s in args.scenarios
    ]
    OUT.mkdir(exist_ok=True)
    (OUT / "latency.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
