"""Kepler IIP against an independent solve_ivp vacuum integration (point mass, rotating frame)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from tocsin.geo.frames import ecef_to_geodetic, geodetic_deg_to_ecef
from tocsin.geo.wgs84 import A_M, GM_M3_S2, OMEGA_RAD_S
from tocsin.predict.accuracy import burnout_state
from tocsin.predict.iip import IIP_BELOW_GROUND, IIP_NO_INTERSECTION, IIP_NOT_ELLIPTIC, IIP_OK, kepler_iip


def _vacuum(t: float, y: np.ndarray) -> np.ndarray:
    r, v = y[:3], y[3:]
    w = OMEGA_RAD_S
    a = -GM_M3_S2 * r / np.linalg.norm(r) ** 3 + np.array(
        [w * w * r[0] + 2 * w * v[1], w * w * r[1] - 2 * w * v[0], 0]
    )
    return np.concatenate([v, a])


def _reference(state: np.ndarray, ground_alt_m: float) -> tuple[float, np.ndarray]:
    def hit(t: float, y: np.ndarray) -> float:
        return float(ecef_to_geodetic(y[:3])[2]) - ground_alt_m

    hit.terminal = True  # type: ignore[attr-defined]
    hit.direction = -1  # type: ignore[attr-defined]
    sol = solve_ivp(_vacuum, (0, 6000), state, events=hit, rtol=1e-12, atol=1e-6, method="DOP853")
    return float(sol.t_events[0][0]), sol.y_events[0][0]


CASES = [
    (32.0, 50.0, 80e3, 1700.0, 42.0, 270.0, 0.0),
    (32.0, 50.0, 25e3, 2500.0, 40.0, 30.0, 0.0),
    (-20.0, 140.0, 60e3, 3200.0, 38.0, 180.0, 500.0),
    (60.0, 10.0, 100e3, 6000.0, 30.0, 90.0, 1200.0),
    (5.0, -70.0, 5e3, 300.0, 60.0, 10.0, 2000.0),
]


@pytest.mark.parametrize("case", CASES)
def test_kepler_iip_matches_vacuum_integration(case: tuple[float, ...]) -> None:
    s = burnout_state(*case[:6])
    t_ref, y_ref = _reference(s, case[6])
    res = kepler_iip(s[:3], s[3:], ground_alt_m=case[6])
    assert res.status[0] == IIP_OK
    assert abs(res.tof_s[0] - t_ref) < 1e-3
    assert np.linalg.norm(res.pos_ecef_m[0] - y_ref[:3]) < 1.0  # metres
    assert np.linalg.norm(res.vel_ecef_mps[0] - y_ref[3:]) < 0.01
    lat, lon, _ = ecef_to_geodetic(y_ref[:3])
    assert abs(res.lat_rad[0] - lat) * A_M < 1.0
    assert abs(res.lon_rad[0] - lon) * A_M < 1.0
    assert res.iterations[0] <= 5


def test_failure_codes_and_vectorisation() -> None:
    ok = burnout_state(32.0, 50.0, 80e3, 1700.0, 42.0, 270.0)
    below = np.concatenate([geodetic_deg_to_ecef(10.0, 10.0, -50.0), [0.0, 0.0, 100.0]])
    escape = burnout_state(0.0, 0.0, 200e3, 12_000.0, 80.0, 0.0)
    r_orbit = A_M + 400e3
    v_circ = np.sqrt(GM_M3_S2 / r_orbit) - OMEGA_RAD_S * r_orbit  # circular, expressed in ECEF
    orbit = np.array([r_orbit, 0.0, 0.0, 0.0, v_circ, 0.0])
    nan = np.full(6, np.nan)
    states = np.stack([ok, below, escape, orbit, nan])
    res = kepler_iip(states[:, :3], states[:, 3:])
    assert list(res.status) == [
        IIP_OK,
        IIP_BELOW_GROUND,
        IIP_NOT_ELLIPTIC,
        IIP_NO_INTERSECTION,
        IIP_NOT_ELLIPTIC,
    ]
    assert np.isfinite(res.lat_rad[0])
    assert np.isnan(res.lat_rad[1:]).all() and np.isnan(res.tof_s[1:]).all()
    single = kepler_iip(ok[:3], ok[3:])
    assert single.lat_rad[0] == res.lat_rad[0]
