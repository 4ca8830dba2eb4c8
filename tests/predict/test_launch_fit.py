"""Unit checks of the launch-point building blocks: boost-model fit on rays and plots, ballistic gate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tocsin.geo.frames import ecef_to_geodetic, geodetic_deg_to_ecef
from tocsin.geo.geodesic import geodesic_distance_m
from tocsin.physics.dynamics import rk4_step
from tocsin.predict.ground import Terrain
from tocsin.predict.launch import (
    BoostData,
    ballistic_consistent,
    boost_measurement_fit,
    boost_model_positions,
)

LAT0, LON0, ALT0 = math.radians(34.1), math.radians(46.5), 1350.0
T_REF = 1_578_436_300.0
# Launch 1.5 km east / 0.8 km north of the reference, 32 s before T_REF, azimuth 255 deg, loft 70 deg.
THETA = np.array([1.5, 0.8, -32.0, math.radians(255.0), math.radians(70.0), 3.0, 1.3, 5.2])
GEO = np.array([geodetic_deg_to_ecef(0.0, 50.0, 35_786e3), geodetic_deg_to_ecef(0.0, 5.0, 35_786e3)])


def _truth_launch() -> tuple[float, float]:
    p = boost_model_positions(THETA[None], np.array([-100.0]), LAT0, LON0, ALT0)[0, 0]
    la, lo, _ = ecef_to_geodetic(p)
    return float(np.degrees(la)), float(np.degrees(lo))


@pytest.mark.slow
def test_boost_fit_recovers_the_launch_from_two_geo_satellites() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(0.0, 40.0, 1.0)  # after T_REF
    pos = boost_model_positions(THETA[None], t, LAT0, LON0, ALT0)[0]
    origin = GEO[np.arange(t.size) % 2]
    u = pos - origin
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    sigma = 20e-6  # rad: 0.7 km at GEO range
    e1 = np.cross(u, [0.0, 0.0, 1.0])
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(u, e1)
    n = rng.standard_normal((t.size, 2)) * sigma
    u = u + n[:, :1] * e1 + n[:, 1:] * e2
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    data = BoostData(
        t + T_REF, origin, u, np.full(t.size, sigma), np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3, 3))
    )
    vel = (pos[1] - pos[0]) / 1.0
    out = boost_measurement_fit(data, pos[0] + 3000.0, vel, T_REF, terrain=Terrain(default_alt_m=ALT0))
    assert out is not None
    (lat, lon, t_l, t_sig, cov), _ = out
    la, lo = _truth_launch()
    err = float(geodesic_distance_m(lat, lon, la, lo))
    assert err < 3.0 * math.sqrt(np.trace(cov)) + 100.0, (err, cov)
    assert err < 1500.0
    assert abs(t_l - (T_REF - 32.0)) < 3.0 * t_sig + 0.5


@pytest.mark.slow
def test_boost_fit_on_radar_plots_is_tight() -> None:
    rng = np.random.default_rng(6)
    t = np.arange(-20.0, 30.0, 1.0)
    pos = boost_model_positions(THETA[None], t, LAT0, LON0, ALT0)[0] + rng.normal(0.0, 30.0, (t.size, 3))
    white = np.repeat(np.eye(3)[None] / 30.0, t.size, axis=0)
    data = BoostData(np.zeros(0), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), t + T_REF, pos, white)
    out = boost_measurement_fit(
        data, pos[0], (pos[1] - pos[0]), T_REF - 20.0, terrain=Terrain(default_alt_m=ALT0)
    )
    assert out is not None
    (lat, lon, t_l, _, _), _ = out
    la, lo = _truth_launch()
    assert float(geodesic_distance_m(lat, lon, la, lo)) < 100.0
    assert abs(t_l - (T_REF - 32.0)) < 1.0


def test_ballistic_gate_passes_an_arc_and_fails_a_thrusting_track() -> None:
    r0 = geodetic_deg_to_ecef(33.3, 43.8, 500.0)
    up = r0 / np.linalg.norm(r0)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east)
    s = np.concatenate([r0, 300.0 * east + 250.0 * up])[None]
    ts, xs = [], []
    for k in range(21):
        ts.append(float(k))
        xs.append(np.concatenate([s[0], [math.log(5000.0)]]))
        s = rk4_step(s, 1.0, 5000.0)
    t = np.array(ts)
    x = np.array(xs)
    P = np.repeat(np.diag([400.0, 400.0, 400.0, 25.0, 25.0, 25.0, 0.1])[None], t.size, axis=0)
    assert ballistic_consistent(t, x, P)
    thrust = x.copy()
    thrust[:, :3] += 0.5 * 30.0 * ((t - t[-1]) ** 2)[:, None] * up  # 30 m/s^2 of thrust
    assert not ballistic_consistent(t, thrust, P)
