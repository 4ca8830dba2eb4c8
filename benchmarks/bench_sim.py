"""Benchmark of the simulator: ``simulate("salvo-200")`` with all its sensors (target: under 60 s).

Writes ``benchmarks/out/sim.json`` and prints it. Run: ``.venv/bin/python benchmarks/bench_sim.py``.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path

from tocsin.sim.simulate import simulate

TARGET_S = 60.0


def main() -> None:
    stages: dict[str, float] = {}
    t0 = time.perf_counter()

    def progress(stage: str, _frac: float) -> None:
        stages.setdefault(stage, round(time.perf_counter() - t0, 3))

    with tempfile.TemporaryDirectory() as tmp:
        summary = simulate("salvo-200", Path(tmp), seed=0, progress=progress)
        elapsed = time.perf_counter() - t0
        sizes = {p.name: p.stat().st_size for p in sorted(Path(tmp).iterdir())}
    result = {
        "benchmark": "simulate(salvo-200)",
        "elapsed_s": round(elapsed, 3),
        "target_s": TARGET_S,
        "meets_target": elapsed < TARGET_S,
        "stage_start_s": stages,
        "objects": len(summary.objects),
        "failed": sum(o.failed for o in summary.objects),
        "sensors": {
            s.id: {"kind": s.kind, "scans": s.scans, "detections": s.detections, "clutter": s.clutter}
            for s in summary.sensors
        },
        "measurements": summary.n_measurements,
        "truth_samples": summary.n_truth,
        "zones": summary.n_zones,
        "file_bytes": sizes,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    out = Path(__file__).resolve().parent / "out" / "sim.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
