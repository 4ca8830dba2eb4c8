"""Batch propagation of ballistic states to the ground: the predictor's fast kernel.

Thousands of ECEF states (sigma points, Monte Carlo samples, one per track) are stepped together with
classical RK4 (the force model of :func:`tocsin.physics.dynamics.state_derivative`, fused in
:func:`tocsin.physics._stepping.rk4_rows`), each with its own step size from
:func:`tocsin.physics._stepping.adaptive_dt`: several seconds in near-vacuum, a fraction of the drag
time and of the density scale height in the atmosphere. Objects leave the batch as they land, so the
cost follows the slowest object while the per-step array work shrinks. The ground crossing is found
on the cubic Hermite interpolant of the last step (not a whole step late).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.frames import altitude_fast_m
from tocsin.geo.wgs84 import A_M, GM_M3_S2, J2, OMEGA_RAD_S
from tocsin.physics._stepping import adaptive_dt, crossing_fraction, hermite, rk4_rows

ORBIT_PERIGEE_ALT_M = 150_000.0  # a perigee above this stays out of the ground for hours: not reached


@dataclass(frozen=True)
class GroundImpact:
    """Where and when each state reaches the ground: time (s from the start, NaN if not reached),
    ECEF position (m) and velocity (m/s) at the crossing (NaN if not reached), and the reached flags.
    Shapes (N,), (N, 3), (N, 3), (N,); for a single (6,) input state, (), (3,), (3,), ()."""

    t_s: FloatArray
    pos_ecef_m: FloatArray
    vel_ecef_mps: FloatArray
    reached: BoolArray


def _inertial_checks(r: FloatArray, v: FloatArray, omega: float) -> tuple[BoolArray, BoolArray]:
    """(escaping, orbiting) flags from the osculating two-body orbit of ECEF states."""
    # Inertial velocity of a rotating-frame state: v_i = v + w x r (Vallado, 4th ed., eq. 3-27).
    vi = v + omega * np.stack([-r[:, 1], r[:, 0], np.zeros(len(r))], axis=1)
    rn = np.sqrt(np.einsum("ij,ij->i", r, r))
    v2 = np.einsum("ij,ij->i", vi, vi)
    energy = 0.5 * v2 - GM_M3_S2 / rn
    rdotv = np.einsum("ij,ij->i", r, vi)
    escaping = (energy >= 0.0) & (rdotv >= 0.0)
    # Perigee of the conic: r_p = p / (1 + e), p = h^2 / mu (Vallado eq. 2-57).
    hvec = np.cross(r, vi)
    h2 = np.einsum("ij,ij->i", hvec, hvec)
    with np.errstate(invalid="ignore", divide="ignore"):
        ecc = np.sqrt(np.maximum(1.0 + 2.0 * energy * h2 / GM_M3_S2**2, 0.0))
        r_p = (h2 / GM_M3_S2) / (1.0 + ecc)
    orbiting = (energy < 0.0) & (r_p > A_M + ORBIT_PERIGEE_ALT_M)
    return np.asarray(escaping), np.asarray(orbiting)


def propagate_to_ground(
    state0: FloatArray,
    beta_kg_m2: FloatArray | float,
    *,
    ground_alt_m: FloatArray | float = 0.0,
    max_time_s: float = 3600.0,
    drag: bool = True,
    j2: bool = True,
    rotation: bool = True,
    dt_max_s: float = 10.0,
) -> GroundImpact:
    """Propagate ECEF states [r (m), v (m/s)] (shape (N, 6) or (6,)) until they descend through the
    geodetic height ``ground_alt_m`` (m, scalar or (N,)); ``beta_kg_m2`` is m/(C_D A) (kg/m^2,
    scalar or (N,), ``inf`` for none).

    A state already below the ground level and descending is reported reached at t = 0. Not reached:
    escaping or orbiting states (osculating perigee above 150 km), states still in flight after
    ``max_time_s``, and states that fall below the ground level without ever coming down through it
    (they started below it and never rose above). ``drag``/``j2``/``rotation`` switch the force terms;
    ``dt_max_s`` is the largest step (s), taken in near-vacuum.
    """
    s_in = np.asarray(state0, dtype=np.float64)
    single = s_in.ndim == 1
    state = np.atleast_2d(s_in).copy()
    n = state.shape[0]
    beta = np.broadcast_to(np.asarray(beta_kg_m2, dtype=np.float64), (n,)).copy()
    g_alt = np.broadcast_to(np.asarray(ground_alt_m, dtype=np.float64), (n,)).copy()
    j2_val = J2 if j2 else 0.0
    omega = OMEGA_RAD_S if rotation else 0.0

    t = np.zeros(n)
    t_hit = np.full(n, np.nan)
    pos_hit = np.full((n, 3), np.nan)
    vel_hit = np.full((n, 3), np.nan)
    reached = np.zeros(n, dtype=bool)

    r, v = state[:, :3], state[:, 3:]
    below = altitude_fast_m(r) < g_alt
    at_ground = below & (np.einsum("ij,ij->i", r, v) < 0.0)
    reached[at_ground] = True
    t_hit[at_ground] = 0.0
    pos_hit[at_ground] = r[at_ground]
    vel_hit[at_ground] = v[at_ground]
    escaping, orbiting = _inertial_checks(r, v, omega)
    active = ~at_ground & ~escaping & ~orbiting & np.all(np.isfinite(state), axis=1)

    rows = state.T.copy()
    half_inv_beta = 0.5 / beta
    idx = np.nonzero(active)[0]
    while idx.size:
        s0 = rows[:, idx]
        h = adaptive_dt(s0, beta[idx], drag=drag, dt_max_s=dt_max_s)
        h = np.minimum(h, max_time_s - t[idx])
        s1 = rk4_rows(s0, h, half_inv_beta[idx], j2=j2_val, omega_rad_s=omega, drag=drag)
        t1 = t[idx] + h
        g = g_alt[idx]
        alt0 = altitude_fast_m(s0[:3].T)
        alt1 = altitude_fast_m(s1[:3].T)
        crossed = (alt0 >= g) & (alt1 < g)
        descending = s1[0] * s1[3] + s1[1] * s1[4] + s1[2] * s1[5] < 0.0
        lost = ~crossed & (alt0 < g) & (alt1 < g) & descending
        if crossed.any():
            c = np.nonzero(crossed)[0]
            a0, a1 = s0[:, c].T, s1[:, c].T
            sc = crossing_fraction(a0[:, :3], a0[:, 3:], a1[:, :3], a1[:, 3:], h[c], g[c])
            pc, vc = hermite(a0[:, :3], a0[:, 3:], a1[:, :3], a1[:, 3:], h[c], sc)
            ic = idx[c]
            reached[ic] = True
            t_hit[ic] = t[ic] + sc * h[c]
            pos_hit[ic] = pc
            vel_hit[ic] = vc
        rows[:, idx] = s1
        t[idx] = t1
        # Escape and orbit were ruled out at the start; neither gravity nor drag can create them.
        finished = crossed | lost | (t1 >= max_time_s - 1e-9) | ~np.isfinite(alt1)
        if finished.any():
            active[idx[finished]] = False
            idx = np.nonzero(active)[0]

    if single:
        return GroundImpact(
            t_s=np.asarray(t_hit[0]),
            pos_ecef_m=pos_hit[0],
            vel_ecef_mps=vel_hit[0],
            reached=np.asarray(reached[0]),
        )
    return GroundImpact(t_s=t_hit, pos_ecef_m=pos_hit, vel_ecef_mps=vel_hit, reached=reached)
