"""Benchmark: impact prediction with uncertainty per update cycle, versus threats and samples.

Writes benchmarks/out/predict.json and prints it. Target (algorithms.md 9 / brief): 200 threats per
cycle under 50 ms on one core. Each case reports the best of a few runs as wall time (``ms``) and as
this process's CPU time (``cpu_ms``): on a shared machine the CPU time is the figure that compares.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from tocsin.predict.accuracy import burnout_state, fly_truth, noisy_snapshot, radar_like_cov
from tocsin.predict.iip import kepler_iip
from tocsin.predict.impact import PredictConfig, predict_impacts

OUT = Path(__file__).resolve().parent / "out" / "predict.json"


def _best_ms(fn: object, repeat: int = 3) -> tuple[float, float]:
    """Best wall and best CPU time (ms) of ``repeat`` calls."""
    best = cpu = np.inf
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    return 1e3 * best, 1e3 * cpu


def main() -> None:
    tr = fly_truth(burnout_state(32.0, 50.0, 25e3, 1700.0, 42.0, 270.0), 5000.0)
    P = radar_like_cov(30.0, 2.0, 0.2, np.random.default_rng(0))
    res: dict[str, object] = {"scenario": "SRBM 1.7 km/s burnout, ~260 s flight", "cases": []}
    cases: list[dict[str, float | str]] = []
    for t_go in (120.0, 30.0):
        for n in (50, 100, 200):
            for method, s in (("ut", 200), ("ut", 1000), ("mc", 100)):
                snap, _ = noisy_snapshot(tr, t_go, P, n, 1)
                cfg = PredictConfig(method=method, n_samples=s)  # type: ignore[arg-type]
                ms, cpu = _best_ms(lambda snap=snap, cfg=cfg: predict_impacts(snap, config=cfg))
                cases.append(
                    {
                        "t_go_s": t_go,
                        "threats": n,
                        "method": method,
                        "samples": s,
                        "ms": round(ms, 1),
                        "cpu_ms": round(cpu, 1),
                    }
                )
                print(cases[-1])
    res["cases"] = cases
    rng = np.random.default_rng(0)
    s0 = burnout_state(32.0, 50.0, 25e3, 1700.0, 42.0, 270.0)
    states = s0 + rng.normal(0.0, 5.0, (100_000, 6))
    res["kepler_iip_100k_states_ms"] = round(_best_ms(lambda: kepler_iip(states[:, :3], states[:, 3:]))[0], 1)
    print("kepler_iip 100k:", res["kepler_iip_100k_states_ms"], "ms")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
