"""Plot-to-decision latency of the warning chain (issue 6): p50/p99 wall time per processed scan.

For each scenario: simulate it, then feed its measurements line by line to the engine and time every
line that releases a scan (tracking, prediction, zone evaluation and alert policy of that scan).
Writes ``benchmarks/out/latency.json``. Usage:
``python benchmarks/bench_latency.py [--scenarios salvo-200 national] [--max-lines N] [--seed 1]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.engine.core import Engine
from tocsin.sim.simulate import simulate

OUT = Path(__file__).resolve().parent / "out"


def measure(scenario: str, seed: int, max_lines: int | None) -> dict[str, float | int | str]:
    """Simulate ``scenario`` and time the engine per scan (ms), from the busiest part of the attack."""
    with tempfile.TemporaryDirectory() as tmp:
        scen = Path(tmp)
        simulate(scenario, scen, seed=seed)
        sensors, _ = load_sensors_doc(scen / "sensors.json")
        zones, _ = load_zones_doc(scen / "zones.geojson")
        lines = (scen / "measurements.jsonl").read_text().splitlines()
    engine = Engine(sensors, zones)
    t_build = time.perf_counter()
    times_ms: list[float] = []
    cycles_ms: list[float] = []
    n_tracks = 0
    for i, line in enumerate(lines[:max_lines] if max_lines else lines, 1):
        t0 = time.perf_counter()
        out = engine.push_line(line, i)
        dt = (time.perf_counter() - t0) * 1e3
        if out.scans:
            times_ms.append(dt)
        if out.cycles:
            cycles_ms.append(dt)
            n_tracks = max(n_tracks, len(engine.last_predictions or ()))
    wall = time.perf_counter() - t_build
    a = np.array(times_ms)
    c = np.array(cycles_ms) if cycles_ms else np.zeros(1)
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
