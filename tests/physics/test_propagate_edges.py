"""propagate_to_ground edge cases: orbits, escapes, already down, scalar input, per-object arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tocsin.physics.propagate as propagate_mod
from tocsin.geo import ecef_to_geodetic
from tocsin.geo.wgs84 import A_M, GM_M3_S2, OMEGA_RAD_S
from tocsin.physics.propagate import propagate_to_ground


def _state(alt_m: float, speed_mps: float, gamma_deg: float) -> np.ndarray:
    """ECEF state over (0 N, 0 E) heading north with flight-path angle gamma."""
    r = np.array([A_M + alt_m, 0.0, 0.0])
    g = math.radians(gamma_deg)
    return np.concatenate([r, speed_mps * np.array([math.sin(g), 0.0, math.cos(g)])])


def test_orbits_and_escapes_are_not_reached() -> None:
    r = A_M + 400e3
    v_circ = math.sqrt(GM_M3_S2 / r)
    # Inertially circular polar orbit: the ECEF velocity is v_i - w x r, and w x r = (0, w r, 0) here.
    orbit = np.array([r, 0.0, 0.0, 0.0, -OMEGA_RAD_S * r, v_circ])
    escape = _state(400e3, 12_000.0, 10.0)
    falling = _state(50e3, 2000.0, -40.0)
    hit = propagate_to_ground(np.stack([orbit, escape, falling]), 5000.0, max_time_s=7200.0)
    np.testing.assert_array_equal(hit.reached, [False, False, True])
    assert np.isnan(hit.t_s[:2]).all() and np.isnan(hit.pos_ecef_m[:2]).all()
    assert 10.0 < hit.t_s[2] < 60.0


def test_already_down_and_scalar_input() -> None:
    below = _state(-5.0, 300.0, -30.0)
    hit = propagate_to_ground(below, 3000.0)
    assert hit.t_s.shape == () and hit.pos_ecef_m.shape == (3,) and bool(hit.reached)
    assert float(hit.t_s) == 0.0
    # Starts below a raised ground level and never climbs above it: not reached.
    weak = _state(100.0, 50.0, 80.0)
    assert not bool(propagate_to_ground(weak, 3000.0, ground_alt_m=1000.0).reached)


def test_per_object_ground_and_beta_arrays() -> None:
    s = np.stack([_state(80e3, 2500.0, -20.0)] * 3)
    hit = propagate_to_ground(s, np.array([1e3, 3e3, 1e4]), ground_alt_m=np.array([0.0, 500.0, 1000.0]))
    assert hit.reached.all()
    _, _, h = ecef_to_geodetic(hit.pos_ecef_m)
    np.testing.assert_allclose(h, [0.0, 500.0, 1000.0], atol=0.01)
    # Lower beta: more drag, later impact.
    assert hit.t_s[0] > hit.t_s[1] > hit.t_s[2]
    one = propagate_to_ground(s[1], 3e3, ground_alt_m=500.0)
    assert np.linalg.norm(one.pos_ecef_m - hit.pos_ecef_m[1]) < 1e-6


def test_backward_row_diverging_under_reversed_drag_stops_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backward in time drag feeds energy in: a low, descending (forward) rocket state climbs in
    reverse and its speed blows up within ~20 s. It is not reached, and it is dropped when it passes
    escape speed instead of crawling at the minimum step for all of max_time_s (was 24 s of CPU)."""
    steps = [0]
    real_rk4 = propagate_mod._rk4

    def counting_rk4(*args: object, **kwargs: object) -> np.ndarray:
        steps[0] += 1
        return real_rk4(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(propagate_mod, "_rk4", counting_rk4)
    diverging = _state(445.0, 616.0, -8.0)  # backward: climbs, speed blowing up (national seed 1)
    launch_arc = _state(3000.0, 600.0, 60.0)  # backward: back down to its launch point
    hit = propagate_to_ground(np.stack([diverging, launch_arc]), 5200.0, backward=True, max_time_s=900.0)
    np.testing.assert_array_equal(hit.reached, [False, True])
    assert -60.0 < hit.t_s[1] < 0.0
    assert steps[0] < 5000
