"""Benchmark: zone threat evaluation (threats x zones) and one alert policy step.

Zones: 40-vertex jittered disks (radius 0.36 x spacing) on a square grid, 1.5 km spacing for 2,000
zones, 1.5 km for 10,000 (a national-scale 150 km square). Threats: mean impacts uniform over the
zone area, sample clouds of S = 1,000 samples (the predictor's Monte Carlo size, algorithms.md 9),
sigma mixed 50 m / 300 m / 1 km / 20 km (boosting), danger radius 50 / 150 / 250 m.
Cold = first call (builds the buffered grids, once per radius); warm = steady state per step.
Run: .venv/bin/python benchmarks/bench_zones.py  -> benchmarks/out/zones.json
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from tocsin.alert.policy import AlertPolicy
from tocsin.zones.synthetic import gaussian_predictions, ring_zone_set
from tocsin.zones.threat import ThreatEvaluator

T0 = 1_700_000_000.0


def case(n_zones: int, n_threats: int, n_samples: int, repeats: int = 7) -> dict[str, float | int]:
    rng = np.random.default_rng(n_zones + n_threats)
    k = int(np.ceil(np.sqrt(n_zones)))
    spacing = 1500.0
    gx, gy = np.meshgrid(np.arange(k) * spacing, np.arange(k) * spacing)
    centres = (np.column_stack([gx.ravel(), gy.ravel()]) - k * spacing / 2)[:n_zones]
    zones = ring_zone_set(centres, 0.36 * spacing, jitter=0.15, seed=1)
    half = k * spacing / 2
    sig = rng.choice([50.0, 300.0, 1000.0, 20_000.0], n_threats, p=[0.3, 0.3, 0.3, 0.1])
    pred = gaussian_predictions(
        T0,
        [f"T{i}" for i in range(n_threats)],
        rng.uniform(-half, half, (n_threats, 2)),
        T0 + rng.uniform(30.0, 300.0, n_threats),
        np.einsum("n,ij->nij", sig**2, np.eye(2)),
        n_samples=n_samples,
        danger_radius_m=rng.choice([50.0, 150.0, 250.0], n_threats),
        seed=2,
    )
    ev = ThreatEvaluator(zones)
    t = time.perf_counter()
    e = ev.evaluate(pred)
    cold = time.perf_counter() - t
    warm = []
    warm_cpu = []
    for _ in range(repeats):
        t = time.perf_counter()
        c = time.process_time()
        e = ev.evaluate(pred)
        warm.append(time.perf_counter() - t)
        warm_cpu.append(time.process_time() - c)
    pol = AlertPolicy(zones)
    steps = []
    for j in range(repeats):
        t = time.perf_counter()
        pol.step(T0 + j, e)
        steps.append(time.perf_counter() - t)
    return {
        "zones": n_zones,
        "threats": n_threats,
        "samples_per_threat": n_samples,
        "pairs": int(e.pair_p.size),
        "cold_ms": round(cold * 1e3, 1),
        "warm_min_ms": round(min(warm) * 1e3, 1),
        "warm_median_ms": round(statistics.median(warm) * 1e3, 1),
        # CPU time of this process (the machine is shared: wall time includes waiting for a core).
        "warm_cpu_min_ms": round(min(warm_cpu) * 1e3, 1),
        "warm_cpu_median_ms": round(statistics.median(warm_cpu) * 1e3, 1),
        "region_pairs": int(e.region_zone.size),
        "policy_step_median_ms": round(statistics.median(steps) * 1e3, 2),
    }


def main() -> None:
    results = {
        "machine": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cases": [
            case(2000, 200, 1000),
            case(10_000, 500, 1000),
            case(2000, 200, 500),
            case(10_000, 500, 500),
        ],
        "targets_ms": {"2000x200": 100.0, "10000x500": 1000.0},
    }
    out = Path(__file__).parent / "out" / "zones.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
