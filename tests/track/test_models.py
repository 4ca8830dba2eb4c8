"""Measurement models: analytic Jacobians against central differences, conversions, triangulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tocsin.geo.frames import geodetic_to_ecef
from tocsin.track.filter import _jacobian, propagate
from tocsin.track.models import (
    NX,
    IrModel,
    RadarModel,
    ir_project,
    ir_residual,
    los_basis,
    radar_h,
    radar_residual,
    radar_to_ecef,
    triangulate_los,
    triangulation_cov,
)

DEG = math.pi / 180.0


def _states(rng: np.random.Generator, n: int) -> np.ndarray:
    site = geodetic_to_ecef(32.0 * DEG, 44.0 * DEG, 0.0)
    x = np.zeros((n, NX))
    x[:, 0:3] = site * (1.0 + rng.uniform(0.005, 0.05, (n, 1))) + rng.normal(0, 2e5, (n, 3))
    x[:, 3:6] = rng.normal(0, 2000.0, (n, 3))
    x[:, 6] = math.log(3000.0) + rng.normal(0, 0.3, n)
    x[:, 7:10] = rng.normal(0, 10.0, (n, 3))
    return x


def _radar(doppler: bool) -> RadarModel:
    return RadarModel("r", 33.0 * DEG, 43.0 * DEG, 300.0, 15.0, 1e-3, 1e-3, 2.0 if doppler else None)


@pytest.mark.parametrize("doppler", [False, True])
def test_radar_jacobian_matches_central_difference(doppler: bool) -> None:
    rng = np.random.default_rng(3)
    rad = _radar(doppler)
    x = _states(rng, 20)
    _, H = radar_h(x, rad)
    steps = np.array([1.0, 1.0, 1.0, 0.01, 0.01, 0.01, 1e-3, 1e-3, 1e-3, 1e-3])
    for k in range(NX):
        dx = np.zeros(NX)
        dx[k] = steps[k]
        zp, _ = radar_h(x + dx, rad)
        zm, _ = radar_h(x - dx, rad)
        fd = radar_residual(zp, zm) / (2.0 * steps[k])
        assert np.allclose(H[:, :, k], fd, rtol=1e-5, atol=1e-11), k


def test_ir_jacobian_matches_central_difference() -> None:
    rng = np.random.default_rng(4)
    ir = IrModel("ir", geodetic_to_ecef(0.0, 40.0 * DEG, 35786e3), 50e-6)
    x = _states(rng, 20)
    d = x[:, 0:3] - ir.pos_ecef_m
    axis = d / np.linalg.norm(d, axis=1, keepdims=True)
    basis = los_basis(axis)
    _, H = ir_residual(x, ir, axis)
    for k in range(NX):
        dx = np.zeros(NX)
        dx[k] = 10.0
        fd = (
            ir_project(x + dx, ir.pos_ecef_m, basis, axis) - ir_project(x - dx, ir.pos_ecef_m, basis, axis)
        ) / 20.0
        assert np.allclose(H[:, :, k], fd, rtol=1e-6, atol=1e-15), k


def test_ir_residual_is_small_angle() -> None:
    """A LOS rotated by 1 mrad about a perpendicular axis gives a residual of norm 1 mrad."""
    rng = np.random.default_rng(5)
    ir = IrModel("ir", geodetic_to_ecef(0.0, 40.0 * DEG, 35786e3), 50e-6)
    x = _states(rng, 5)
    d = x[:, 0:3] - ir.pos_ecef_m
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    e = los_basis(u)[:, 0, :]
    um = np.cos(1e-3) * u + np.sin(1e-3) * e
    y, _ = ir_residual(x, ir, um)
    assert np.allclose(np.linalg.norm(y, axis=1), math.tan(1e-3), rtol=1e-9)


def test_dynamics_jacobian_matches_central_difference() -> None:
    rng = np.random.default_rng(6)
    x = _states(rng, 10)
    x[:, 0:3] *= (6378137.0 + 40e3) / np.linalg.norm(x[:, 0:3], axis=1, keepdims=True)  # in the atmosphere
    A = _jacobian(x)
    from tocsin.physics.dynamics import accel_ecef

    def f(s: np.ndarray) -> np.ndarray:
        a = accel_ecef(s[:, 0:3], s[:, 3:6], np.exp(s[:, 6])) + s[:, 7:10]
        return np.concatenate([s[:, 3:6], a], axis=1)

    steps = np.array([1.0, 1.0, 1.0, 0.01, 0.01, 0.01, 1e-4, 1e-4, 1e-4, 1e-4])
    for k in range(NX):
        dx = np.zeros(NX)
        dx[k] = steps[k]
        fd = (f(x + dx) - f(x - dx)) / (2.0 * steps[k])
        # J2 is left out of the analytic gravity gradient: tolerance 2e-3 of the gradient (~1.5e-6 /s^2).
        assert np.allclose(A[:, 0:6, k], fd, rtol=1e-3, atol=5e-9), k


def test_radar_plot_conversion_round_trip() -> None:
    rng = np.random.default_rng(7)
    rad = _radar(False)
    x = _states(rng, 10)
    zhat, _ = radar_h(x, rad)
    pos, cov = radar_to_ecef(zhat, rad)
    assert np.max(np.linalg.norm(pos - x[:, 0:3], axis=1)) < 1e-6
    # Range direction variance equals sigma_range^2.
    d = pos - rad.site_ecef_m
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    assert np.allclose(np.einsum("bi,bij,bj->b", u, cov, u), 15.0**2, rtol=1e-6)


def test_triangulation_recovers_point_and_taff_accuracy() -> None:
    p1 = geodetic_to_ecef(0.0, 10.0 * DEG, 35786e3)
    p2 = geodetic_to_ecef(0.0, 70.0 * DEG, 35786e3)
    target = geodetic_to_ecef(32.0 * DEG, 45.0 * DEG, 100e3)[None, :]
    u1 = (target - p1) / np.linalg.norm(target - p1)
    u2 = (target - p2) / np.linalg.norm(target - p2)
    mid, miss, _, _ = triangulate_los(p1[None], u1, p2[None], u2)
    assert np.linalg.norm(mid - target) < 1e-3 and miss[0] < 1e-3
    cov = triangulation_cov(mid, np.stack([p1, p2])[None], np.array([[87e-6, 87e-6]]))
    worst = math.sqrt(np.linalg.eigvalsh(cov[0])[-1])
    # algorithms.md 3.4: GEO pair, sigma 87 µrad -> a few km / sin(theta); the cross-LOS floor is R sigma.
    rng_m = float(np.linalg.norm(target - p1))
    assert 87e-6 * rng_m / math.sqrt(2) < worst < 10e3


def test_propagate_matches_rk4_truth_and_keeps_covariance_symmetric() -> None:
    from tocsin.physics.dynamics import rk4_step

    s = np.concatenate([geodetic_to_ecef(32 * DEG, 45 * DEG, 100e3), [1500.0, -800.0, 1200.0]])
    x = np.zeros((1, NX))
    x[0, 0:6] = s
    x[0, 6] = math.log(5000.0)
    P = np.eye(NX)[None] * 100.0
    one = np.ones(1)
    xp, Pp = propagate(x, P, np.array([3.0]), one, one * 1e-4, one, max_step_s=1.0)
    ref = s[None]
    for _ in range(60):
        ref = rk4_step(ref, 0.05, 5000.0)
    assert np.linalg.norm(xp[0, 0:3] - ref[0, 0:3]) < 0.01
    assert np.allclose(Pp, np.swapaxes(Pp, 1, 2))
    assert np.all(np.linalg.eigvalsh(Pp[0]) > 0)
