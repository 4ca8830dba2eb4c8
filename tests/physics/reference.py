"""Independent reference integrator: scipy ``solve_ivp`` (DOP853, rtol 1e-10) with a terminal event.

Shared by the physics tests and ``benchmarks/bench_physics.py``; it calls the same force model
(:func:`tocsin.physics.dynamics.state_derivative`) one state at a time, so any difference measures the
integrator and the ground-crossing search, not the physics.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp

from tocsin._types import FloatArray
from tocsin.geo.frames import altitude_fast_m
from tocsin.geo.wgs84 import J2, OMEGA_RAD_S
from tocsin.physics.dynamics import state_derivative


def reference_impact(
    state0: FloatArray,
    beta_kg_m2: float,
    *,
    ground_alt_m: float = 0.0,
    drag: bool = True,
    j2: bool = True,
    rotation: bool = True,
    max_time_s: float = 3600.0,
    rtol: float = 1e-10,
    beta_of: Callable[[float, float], float] | None = None,
) -> tuple[float, FloatArray]:
    """(time s, state (6,)) where one state descends through ``ground_alt_m``. ``beta_of(alt_m,
    speed_mps)``, when given, replaces the constant beta (a drag coefficient that changes in flight)."""
    j2_val = J2 if j2 else 0.0
    om = OMEGA_RAD_S if rotation else 0.0

    def rhs(_t: float, y: FloatArray) -> FloatArray:
        beta = beta_kg_m2
        if beta_of is not None:
            beta = beta_of(float(altitude_fast_m(y[:3])), float(np.linalg.norm(y[3:])))
        return state_derivative(y, beta, j2=j2_val, omega_rad_s=om, drag=drag)

    def ground(_t: float, y: FloatArray) -> float:
        return float(altitude_fast_m(y[:3])) - ground_alt_m

    ground.terminal = True  # type: ignore[attr-defined]
    ground.direction = -1  # type: ignore[attr-defined]
    sol = solve_ivp(
        rhs,
        (0.0, max_time_s),
        np.asarray(state0, float),
        method="DOP853",
        rtol=rtol,
        atol=1e-6,
        events=ground,
    )
    if not sol.t_events[0].size:
        raise RuntimeError("reference trajectory did not reach the ground")
    return float(sol.t_events[0][0]), np.asarray(sol.y_events[0][0], dtype=np.float64)
