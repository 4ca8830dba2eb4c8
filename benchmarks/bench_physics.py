"""Physics speed and accuracy: fly, propagate_to_ground, aim_many.

Run: ``.venv/bin/python benchmarks/bench_physics.py``; writes ``benchmarks/out/physics.json``.

- fly: 200 MRBMs (mrbm-1300, 100 s burn at 0.05 s steps) launch to ground, all sensors' truth.
- propagate_to_ground: 3,000 SRBM states (srbm-800 and srbm-300 flights, every state after burnout,
  so a mix of midcourse and re-entry) with beta 3,000 kg/m^2; accuracy against scipy solve_ivp
  (DOP853, rtol 1e-10) on 100 of them, in metres at impact.
- aim_many: 16 srbm-800 shots from Kermanshah at Al Asad with CEP dispersion (calibration cold, then warm).
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from physics.reference import reference_impact
from tocsin.physics import aim as aim_mod
from tocsin.physics.aim import aim_many, apply_cep
from tocsin.physics.flight import FlightPlan, fly
from tocsin.physics.propagate import propagate_to_ground


def main() -> dict[str, Any]:
    out: dict[str, Any] = {}
    rng = np.random.default_rng(1)
    plans = [
        FlightPlan(
            "mrbm-1300",
            34.3,
            47.1,
            1300.0,
            10.0 * i,
            float(rng.uniform(240, 280)),
            math.radians(float(rng.uniform(76, 84))),
        )
        for i in range(200)
    ]
    t0 = time.perf_counter()
    trs = fly(plans, ground_alt_m=0.0)
    out["fly_200_mrbm_s"] = time.perf_counter() - t0
    out["fly_200_mrbm_samples"] = int(sum(len(t.t_unix_s) for t in trs))

    seed = [
        FlightPlan("srbm-800", 34.3, 47.1, 1300.0, 0.0, 255.0, math.radians(float(x)))
        for x in np.linspace(72, 84, 8)
    ]
    seed += [
        FlightPlan("srbm-300", 34.3, 47.1, 1300.0, 0.0, 255.0, math.radians(float(x)))
        for x in np.linspace(68, 84, 8)
    ]
    states = np.concatenate(
        [
            np.concatenate([t.pos_ecef_m, t.vel_ecef_mps], axis=1)[~t.thrusting][:-2]
            for t in fly(seed, sample_dt_s=0.5)
        ]
    )
    states = states[rng.choice(len(states), 3000, replace=False)]
    t0 = time.perf_counter()
    hit = propagate_to_ground(states, 3000.0)
    out["propagate_3000_srbm_states_s"] = time.perf_counter() - t0
    out["propagate_reached"] = int(hit.reached.sum())
    errs = []
    for k in rng.choice(3000, 100, replace=False):
        _, s_ref = reference_impact(states[k], 3000.0)
        errs.append(float(np.linalg.norm(hit.pos_ecef_m[k] - s_ref[:3])))
    out["propagate_vs_solve_ivp_max_m"] = max(errs)
    out["propagate_vs_solve_ivp_median_m"] = float(np.median(errs))

    aim_mod._CALIBRATIONS.clear()
    lat, lon = apply_cep(np.random.default_rng(2), np.full(16, 33.7857), np.full(16, 42.4411), 500.0)
    for label in ("cold", "warm"):
        t0 = time.perf_counter()
        aim_many(["srbm-800"] * 16, 34.314, 47.065, 1300.0, lat, lon, 188.0)
        out[f"aim_many_16_srbm_{label}_s"] = time.perf_counter() - t0

    path = Path(__file__).resolve().parent / "out" / "physics.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")
    for key, value in out.items():
        print(f"{key:36s} {value:.4g}" if isinstance(value, float) else f"{key:36s} {value}")
    return out


if __name__ == "__main__":
    main()
