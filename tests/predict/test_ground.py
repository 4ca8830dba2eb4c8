"""Accurate propagation (J2, rotation, drag) against solve_ivp on the physics equations of motion."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from tocsin.geo.frames import ecef_to_geodetic
from tocsin.physics.dynamics import state_derivative
from tocsin.predict.accuracy import burnout_state
from tocsin.predict.ground import Terrain, propagate_batch_to_ground


def _reference(state: np.ndarray, beta: float, ground_alt_m: float) -> tuple[float, np.ndarray]:
    def hit(t: float, y: np.ndarray) -> float:
        return float(ecef_to_geodetic(y[:3])[2]) - ground_alt_m

    hit.terminal = True  # type: ignore[attr-defined]
    hit.direction = -1  # type: ignore[attr-defined]
    sol = solve_ivp(
        lambda t, y: state_derivative(y, beta),
        (0, 4000),
        state,
        events=hit,
        rtol=1e-11,
        atol=1e-6,
        method="DOP853",
    )
    return float(sol.t_events[0][0]), sol.y_events[0][0]


@pytest.mark.parametrize(
    ("case", "beta", "h_g"),
    [
        ((32.0, 50.0, 25e3, 1700.0, 42.0, 270.0), 3000.0, 0.0),
        ((32.0, 50.0, 80e3, 3200.0, 38.0, 270.0), 10000.0, 800.0),
        ((31.0, 35.0, 2e3, 600.0, 45.0, 90.0), 2800.0, 300.0),
    ],
)
def test_batch_propagation_matches_solve_ivp(case: tuple[float, ...], beta: float, h_g: float) -> None:
    s = burnout_state(*case)
    t_ref, y_ref = _reference(s, beta, h_g)
    # Batch of identical states with different terrain heights: each lands on its own.
    hit = propagate_batch_to_ground(np.stack([s, s]), beta, ground_alt_m=np.array([h_g, h_g + 500.0]))
    assert hit.reached.all()
    # 0.05 s: far below the 1 s decision cycle; the step rule trades it for 1.5x fewer RK4 steps.
    assert abs(hit.t_s[0] - t_ref) < 0.05
    assert np.linalg.norm(hit.pos_ecef_m[0] - y_ref[:3]) < 3.0  # metres
    assert hit.t_s[1] < hit.t_s[0]
    assert abs(ecef_to_geodetic(hit.pos_ecef_m[1])[2] - (h_g + 500.0)) < 0.5


def test_backward_propagation_returns_to_start() -> None:
    s = burnout_state(32.0, 50.0, 1e3, 800.0, 50.0, 0.0)
    fwd = propagate_batch_to_ground(s, 3000.0, ground_alt_m=0.0)
    # From a point 20 s before impact back to the launch height of 1 km.
    t_ref, _y_ref = _reference(s, 3000.0, 0.0)
    mid = solve_ivp(
        lambda t, y: state_derivative(y, 3000.0), (0, t_ref - 20.0), s, rtol=1e-11, atol=1e-6, method="DOP853"
    ).y[:, -1]
    back = propagate_batch_to_ground(mid, 3000.0, ground_alt_m=1e3, backward=True)
    assert back.reached[0]
    assert abs(back.t_s[0] + (t_ref - 20.0)) < 0.05
    assert np.linalg.norm(back.pos_ecef_m[0] - s[:3]) < 5.0
    assert fwd.reached[0]


def test_no_ground_within_max_time_and_terrain_boxes() -> None:
    up = burnout_state(0.0, 0.0, 300e3, 7800.0, 0.0, 90.0)  # near-orbital: stays up for 100 s
    hit = propagate_batch_to_ground(up, np.inf, max_time_s=100.0)
    assert not hit.reached[0] and np.isnan(hit.t_s[0])
    terrain = Terrain(default_alt_m=10.0, boxes=((30.0, 32.0, 40.0, 45.0, 900.0),))
    h = terrain.height_m(np.array([31.0, 33.0]), np.array([42.0, 42.0]))
    assert list(h) == [900.0, 10.0]
