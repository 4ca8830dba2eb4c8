"""Boost-mode thrust growth of a constant-thrust motor (``filter._rocket_growth``, ``TrackerConfig.
boost_exhaust_speed_mps``): closed form, Jacobian, and a prediction that keeps up with the motor; the thrust
cut-off hazard (``filter.thrust_cutoff_noise``, ``TrackerConfig.boost_cutoff_rate_per_s``)."""

from __future__ import annotations

import math

import numpy as np

from tocsin.geo.frames import enu_vector_to_ecef, geodetic_to_ecef
from tocsin.physics.dynamics import rk4_step
from tocsin.track.filter import _rocket_growth, ekf_update, propagate, thrust_cutoff_noise
from tocsin.track.models import NX

DEG = math.pi / 180.0
# mrbm-1300 (physics/catalogue.py): 354 kN for 100 s, 17,410 kg at ignition, 14,000 kg of propellant.
F_N, M0_KG, MDOT_KG_S = 354e3, 17410.0, 140.0
V_E = F_N / MDOT_KG_S  # exhaust speed 2,529 m/s


def test_rocket_growth_is_the_constant_thrust_motor_closed_form() -> None:
    d = np.array([[0.6, 0.0, 0.8]])
    a0 = d * F_N / M0_KG
    for h in (0.5, 1.0, 10.0, 60.0):
        a, _ = _rocket_growth(a0, np.array([h]), V_E, 150.0)
        assert np.allclose(a, d * F_N / (M0_KG - MDOT_KG_S * h), rtol=1e-12)
    # No growth beyond the cap (a motor never burns to zero mass) and none without thrust.
    a, J = _rocket_growth(np.vstack([a0, np.zeros((1, 3))]), np.array([120.0, 1.0]), V_E, 150.0)
    assert np.isclose(np.linalg.norm(a[0]), 150.0)
    assert np.all(a[1] == 0.0) and np.all(J[1] == 0.0)


def test_rocket_growth_jacobian_matches_central_difference() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(0.0, 20.0, (8, 3))
    _, J = _rocket_growth(a, np.ones(8), V_E, 150.0)

    def rate(x: np.ndarray) -> np.ndarray:
        return np.linalg.norm(x, axis=1, keepdims=True) * x / V_E

    for k in range(3):
        dx = np.zeros(3)
        dx[k] = 1e-4
        fd = (rate(a + dx) - rate(a - dx)) / 2e-4
        assert np.allclose(J[:, :, k], fd, rtol=1e-6, atol=1e-9), k


def test_boost_prediction_keeps_up_with_a_constant_thrust_motor() -> None:
    # 20 s of a motor 60 s into its burn (acceleration 40 -> 54 m/s^2), predicted from the true state
    # and acceleration: a held thrust (the plain random walk's mean) falls ~970 m behind; the
    # growing one stays within ~1 m (mid-step thrust per 1 s sub-step).
    lat, lon = 33.9 * DEG, 46.5 * DEG
    d = enu_vector_to_ecef(np.array([-0.5, -0.1, 0.86]), lat, lon)
    d /= np.linalg.norm(d)
    t0 = 60.0

    def thrust(t: float, s: np.ndarray) -> np.ndarray:
        return np.broadcast_to(d * F_N / (M0_KG - MDOT_KG_S * (t0 + t)), s[..., 0:3].shape)

    s = np.concatenate([geodetic_to_ecef(lat, lon, 40e3), 1500.0 * d])[None]
    truth = s.copy()
    for k in range(400):
        truth = rk4_step(truth, 0.05, 1e9, thrust=thrust, t_s=0.05 * k)
    x = np.zeros((1, NX))
    x[0, 0:6] = s[0]
    x[0, 6] = math.log(1e9)
    x[0, 7:10] = thrust(0.0, s)[0]
    P = np.eye(NX)[None]
    one = np.ones(1)
    held, _ = propagate(x, P, np.array([20.0]), one, one * 1e-6, one)
    grown, _ = propagate(x, P, np.array([20.0]), one, one * 1e-6, one, exhaust_speed_mps=V_E)
    assert np.linalg.norm(held[0, 0:3] - truth[0, 0:3]) > 900.0
    assert np.linalg.norm(grown[0, 0:3] - truth[0, 0:3]) < 5.0


def test_cutoff_noise_is_along_the_thrust_and_zero_without_thrust() -> None:
    a = np.array([[30.0, 40.0, 0.0], [0.0, 0.0, 0.0]])
    Q = thrust_cutoff_noise(np.array([2.0, 2.0]), a, 0.02)
    assert np.allclose(Q[0, 7:10, 7:10], 0.02 * 2.0 * np.outer(a[0], a[0]))
    assert np.all(Q[1] == 0.0)
    assert np.all(np.linalg.eigvalsh(Q[0]) > -1e-9)
    assert np.allclose(Q[0], Q[0].T)


def test_cutoff_noise_lets_the_filter_follow_a_motor_that_stops() -> None:
    # A motor at 40 m/s^2 (growing, v_e 2,400 m/s in the filter) stops at t = 0; 20 position fixes at
    # 1 km sigma (noise-free, deterministic) follow. With the thrust random walk alone the estimate
    # keeps ~19 m/s^2 and the track runs ~900 m ahead of the coasting body; with a cut-off hazard of
    # 0.02/s the estimate falls under 6 m/s^2 and the track stays within ~200 m.
    lat, lon = 33.9 * DEG, 46.5 * DEG
    d = enu_vector_to_ecef(np.array([-0.5, -0.1, 0.86]), lat, lon)
    d /= np.linalg.norm(d)
    s = np.concatenate([geodetic_to_ecef(lat, lon, 40e3), 1500.0 * d])[None]
    x0 = np.zeros((1, NX))
    x0[0, 0:6] = s[0]
    x0[0, 6] = math.log(1e9)
    x0[0, 7:10] = 40.0 * d
    P0 = np.diag([1e6] * 3 + [1e4] * 3 + [1e-6] + [25.0] * 3)[None]
    H = np.zeros((1, 3, NX))
    H[0, :, 0:3] = np.eye(3)
    R = np.eye(3) * 1000.0**2
    one = np.ones(1)
    out = {}
    for rate in (None, 0.02):
        x, P, truth = x0.copy(), P0.copy(), s.copy()
        for _ in range(20):
            truth = rk4_step(truth, 1.0, 1e9)
            x, P = propagate(
                x, P, one, one * 1e-2, one * 1e-6, one * 4.0, exhaust_speed_mps=2400.0, cutoff_rate_per_s=rate
            )
            x, P, _, _ = ekf_update(x, P, truth[:, 0:3] - x[:, 0:3], H, R)
        out[rate] = (np.linalg.norm(x[0, 7:10]), np.linalg.norm(x[0, 0:3] - truth[0, 0:3]))
    assert out[None][0] > 15.0 and out[None][1] > 700.0
    assert out[0.02][0] < 6.0 and out[0.02][1] < 250.0
