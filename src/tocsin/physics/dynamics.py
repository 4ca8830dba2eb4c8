"""Point-mass equations of motion in the rotating WGS-84 ECEF frame, vectorised over objects.

    a = g_J2(r) - 2 w x v - w x (w x r) + a_drag + a_thrust
    g_J2: Vallado, Fundamentals of Astrodynamics, 4th ed., eq. 8-30 (zonal J2 only)
    a_drag = -rho(h) |v| v / (2 beta), beta = m / (C_D A) in kg/m^2, v = ECEF (air-relative, no wind)

States are arrays ``(N, 6)`` = [r (m), v (m/s)]; all kernels also take a single ``(6,)`` state.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tocsin._types import FloatArray
from tocsin.geo.frames import altitude_fast_m
from tocsin.geo.wgs84 import A_M, GM_M3_S2, J2, OMEGA_RAD_S
from tocsin.physics.atmosphere import density_kg_m3

# A thrust law: (t_s, state (N, 6)) -> acceleration (N, 3) in m/s^2, ECEF.
ThrustLaw = Callable[[float, FloatArray], FloatArray]


def gravity_j2_ecef(r_m: FloatArray, j2: float = J2) -> FloatArray:
    """Gravitational acceleration (m/s^2) with the J2 zonal term at ECEF positions (m), shape (..., 3)."""
    r = np.asarray(r_m, dtype=np.float64)
    r2 = np.einsum("...i,...i->...", r, r)
    rn = np.sqrt(r2)
    u2 = r[..., 2] ** 2 / r2
    k = 1.5 * j2 * (A_M * A_M) / r2
    c = -GM_M3_S2 / (r2 * rn)
    gx = c * r[..., 0] * (1.0 + k * (1.0 - 5.0 * u2))
    gy = c * r[..., 1] * (1.0 + k * (1.0 - 5.0 * u2))
    gz = c * r[..., 2] * (1.0 + k * (3.0 - 5.0 * u2))
    return np.stack([gx, gy, gz], axis=-1)


def rotation_terms_ecef(r_m: FloatArray, v_mps: FloatArray, omega_rad_s: float = OMEGA_RAD_S) -> FloatArray:
    """Coriolis plus centrifugal acceleration (m/s^2) in the rotating frame, w along +z."""
    r = np.asarray(r_m, dtype=np.float64)
    v = np.asarray(v_mps, dtype=np.float64)
    w2 = omega_rad_s * omega_rad_s
    ax = w2 * r[..., 0] + 2.0 * omega_rad_s * v[..., 1]
    ay = w2 * r[..., 1] - 2.0 * omega_rad_s * v[..., 0]
    az = np.zeros_like(ax)
    return np.stack([ax, ay, az], axis=-1)


def drag_ecef(r_m: FloatArray, v_mps: FloatArray, beta_kg_m2: FloatArray | float) -> FloatArray:
    """Drag acceleration (m/s^2) for ballistic coefficient beta = m/(C_D A) (kg/m^2); inf means none."""
    v = np.asarray(v_mps, dtype=np.float64)
    rho = density_kg_m3(altitude_fast_m(r_m))
    speed = np.sqrt(np.einsum("...i,...i->...", v, v))
    coef = -rho * speed / (2.0 * np.asarray(beta_kg_m2, dtype=np.float64))
    return np.asarray(coef[..., None] * v, dtype=np.float64)


def accel_ecef(
    r_m: FloatArray,
    v_mps: FloatArray,
    beta_kg_m2: FloatArray | float = np.inf,
    *,
    j2: float = J2,
    omega_rad_s: float = OMEGA_RAD_S,
    drag: bool = True,
) -> FloatArray:
    """Total ballistic acceleration (m/s^2): J2 gravity, rotation terms and (optionally) drag."""
    a = gravity_j2_ecef(r_m, j2) + rotation_terms_ecef(r_m, v_mps, omega_rad_s)
    if drag:
        a = a + drag_ecef(r_m, v_mps, beta_kg_m2)
    return a


def state_derivative(
    state: FloatArray,
    beta_kg_m2: FloatArray | float = np.inf,
    thrust_mps2: FloatArray | None = None,
    *,
    j2: float = J2,
    omega_rad_s: float = OMEGA_RAD_S,
    drag: bool = True,
) -> FloatArray:
    """d/dt of states [r, v] (shape (..., 6)) under :func:`accel_ecef` plus an optional thrust (m/s^2)."""
    s = np.asarray(state, dtype=np.float64)
    r = s[..., :3]
    v = s[..., 3:6]
    a = accel_ecef(r, v, beta_kg_m2, j2=j2, omega_rad_s=omega_rad_s, drag=drag)
    if thrust_mps2 is not None:
        a = a + thrust_mps2
    return np.concatenate([v, a], axis=-1)


def rk4_step(
    state: FloatArray,
    dt_s: float | FloatArray,
    beta_kg_m2: FloatArray | float = np.inf,
    *,
    j2: float = J2,
    omega_rad_s: float = OMEGA_RAD_S,
    drag: bool = True,
    thrust: ThrustLaw | None = None,
    t_s: float = 0.0,
) -> FloatArray:
    """One classical Runge-Kutta 4 step (Butcher 2008, eq. 235a) of size dt_s (s) for all states.

    ``dt_s`` may be an array (one step size per object, shape (N,)), which lets a batch land
    different objects on a common surface by shortening each one's last step.
    """
    dt = np.asarray(dt_s, dtype=np.float64)
    h = dt[..., None] if dt.ndim else dt

    def f(tt: float, s: FloatArray) -> FloatArray:
        acc = thrust(tt, s) if thrust is not None else None
        return state_derivative(s, beta_kg_m2, acc, j2=j2, omega_rad_s=omega_rad_s, drag=drag)

    t_half = t_s + 0.5 * float(np.max(dt)) if dt.ndim else t_s + 0.5 * float(dt)
    t_full = t_s + float(np.max(dt)) if dt.ndim else t_s + float(dt)
    k1 = f(t_s, state)
    k2 = f(t_half, state + 0.5 * h * k1)
    k3 = f(t_half, state + 0.5 * h * k2)
    k4 = f(t_full, state + h * k3)
    return np.asarray(state + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4), dtype=np.float64)
