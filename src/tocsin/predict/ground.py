"""Accurate path: propagate ECEF states with J2, Earth rotation and drag to the terrain, vectorised.

The physics package owns the reference propagator (``tocsin.physics.propagate.propagate_to_ground``);
this module adds what prediction needs on top of it, all batched over every sample of every track:
per-object terrain heights, per-object step sizes (long steps in vacuum, short ones in the air), a
thrust phase of per-object length for boost samples, and backward propagation for launch points.
The integrator is the shared :func:`tocsin.physics.dynamics.rk4_step`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.frames import altitude_fast_m, ecef_to_geodetic
from tocsin.geo.wgs84 import J2, OMEGA_RAD_S
from tocsin.physics.atmosphere import density_kg_m3
from tocsin.physics.dynamics import gravity_j2_ecef

# Step control: a fraction of the shortest time scale among drag (v / a_drag) and density change
# along the path (scale height / |v_up|), clipped. RK4 local error goes as dt^5, so 0.2 of the
# time scale keeps the impact within ~1 m of a 1e-11-tolerance DOP853 integration (tests).
_DT_MAX_S = 8.0
_DT_MIN_S = 0.1
_STEP_FRACTION = 0.2
_SCALE_HEIGHT_M = 7000.0

# ln(rho) tabulated every 100 m from the physics atmosphere (US76): np.interp on a table costs a tenth
# of the layer formulas, and the linear-interpolation error in rho is < (dh / H)^2 / 8 = 3e-5.
_ALT_GRID_M = np.arange(-2000.0, 1_200_000.0 + 1.0, 100.0)
_LN_RHO_GRID = np.log(density_kg_m3(_ALT_GRID_M))


@dataclass(frozen=True)
class Terrain:
    """Ground height model for impact: a constant, overridden inside lat/lon boxes (e.g. per zone).

    ``boxes`` rows are (lat_min_deg, lat_max_deg, lon_min_deg, lon_max_deg, alt_m); the last box that
    contains a point wins.
    """

    default_alt_m: float = 0.0
    boxes: tuple[tuple[float, float, float, float, float], ...] = field(default_factory=tuple)

    def height_m(self, lat_deg: FloatArray, lon_deg: FloatArray) -> FloatArray:
        """Terrain height (m above the ellipsoid) at geodetic points (deg); NaN points get the default."""
        lat = np.asarray(lat_deg, dtype=np.float64)
        lon = np.asarray(lon_deg, dtype=np.float64)
        h = np.full(lat.shape, self.default_alt_m)
        for la0, la1, lo0, lo1, alt in self.boxes:
            inside = (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)
            h = np.where(inside, alt, h)
        return h


@dataclass(frozen=True)
class GroundHit:
    """Where N propagated states reach their terrain height; NaN where ``reached`` is False."""

    t_s: FloatArray  # (N,) time from the start state to the crossing (negative when backward)
    pos_ecef_m: FloatArray  # (N, 3)
    vel_ecef_mps: FloatArray  # (N, 3)
    reached: BoolArray  # (N,)


def _density(alt_m: FloatArray) -> FloatArray:
    return np.asarray(np.exp(np.interp(alt_m, _ALT_GRID_M, _LN_RHO_GRID)), dtype=np.float64)


def _deriv(
    s: FloatArray, inv2beta: FloatArray, thrust_mps2: FloatArray | None, j2: float, omega: float
) -> FloatArray:
    """d/dt [r, v] in the rotating frame (same model as ``physics.dynamics.state_derivative``)."""
    r = s[:, :3]
    v = s[:, 3:]
    a = gravity_j2_ecef(r, j2)
    # Centrifugal and Coriolis terms, w along +z (Vallado eq. 3-?; dynamics.rotation_terms_ecef).
    w2 = omega * omega
    a[:, 0] += w2 * r[:, 0] + 2.0 * omega * v[:, 1]
    a[:, 1] += w2 * r[:, 1] - 2.0 * omega * v[:, 0]
    speed = np.sqrt(np.einsum("ij,ij->i", v, v))
    # a_drag = -rho |v| v / (2 beta) (algorithms.md section 2).
    a -= (_density(altitude_fast_m(r)) * speed * inv2beta)[:, None] * v
    if thrust_mps2 is not None:
        a += thrust_mps2
    out = np.empty_like(s)
    out[:, :3] = v
    out[:, 3:] = a
    return out


def _rk4(
    s: FloatArray,
    dt: FloatArray,
    inv2beta: FloatArray,
    j2: float,
    omega: float,
    thrust_acc: FloatArray | None = None,
) -> FloatArray:
    """Classical RK4 (Butcher 2008, eq. 235a) with one step size per object; thrust (N,) along v."""

    def f(x: FloatArray) -> FloatArray:
        th = None
        if thrust_acc is not None:
            v = x[:, 3:]
            th = thrust_acc[:, None] * v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-3)
        return _deriv(x, inv2beta, th, j2, omega)

    h = dt[:, None]
    k1 = f(s)
    k2 = f(s + 0.5 * h * k1)
    k3 = f(s + 0.5 * h * k2)
    k4 = f(s + h * k3)
    return np.asarray(s + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4), dtype=np.float64)


def _step_size(s: FloatArray, alt_m: FloatArray, inv2beta: FloatArray) -> FloatArray:
    v = s[:, 3:]
    speed = np.sqrt(np.einsum("ij,ij->i", v, v))
    a_drag = _density(alt_m) * speed * speed * inv2beta
    v_up = np.abs(np.einsum("ij,ij->i", v, s[:, :3])) / np.linalg.norm(s[:, :3], axis=1)
    with np.errstate(divide="ignore"):
        tau = np.minimum(speed / a_drag, np.where(a_drag * 1e3 > 9.8, _SCALE_HEIGHT_M / v_up, np.inf))
    return np.asarray(np.clip(_STEP_FRACTION * tau, _DT_MIN_S, _DT_MAX_S), dtype=np.float64)


def propagate_batch_to_ground(
    state0: FloatArray,
    beta_kg_m2: FloatArray | float,
    *,
    ground_alt_m: FloatArray | float = 0.0,
    max_time_s: float = 3600.0,
    backward: bool = False,
    drag: bool = True,
    j2: bool = True,
    rotation: bool = True,
    refine_steps: int = 3,
    thrust_mps2: FloatArray | None = None,
    burn_s: FloatArray | None = None,
    burn_steps: int = 12,
) -> GroundHit:
    """Propagate ECEF states (N, 6) (m, m/s) until each descends through its ground height (m).

    ``beta_kg_m2`` is a scalar or (N,) ballistic coefficient (kg/m^2; inf for none). With ``backward``
    the states are integrated back in time (launch points); the time returned is then negative.
    Optionally each object first burns for ``burn_s`` (N,) seconds under a constant thrust
    acceleration ``thrust_mps2`` (N,) (m/s^2) along its velocity (a gravity turn: a warning system
    knows no steering program), in ``burn_steps`` RK4 steps of its own length.
    The crossing is located by secant steps on altitude from the last state above ground. States that
    stay up for ``max_time_s`` (s) are returned with ``reached`` False.
    """
    # Sigma points or samples far in a tail can leave the domain (escape, re-enter steeply with a tiny
    # beta) and overflow; they are dropped as not reached by the finiteness checks below, so numpy's
    # overflow/invalid warnings are expected here, not signs of a bug.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _propagate(
            state0,
            beta_kg_m2,
            ground_alt_m,
            max_time_s,
            backward,
            drag,
            j2,
            rotation,
            refine_steps,
            thrust_mps2,
            burn_s,
            burn_steps,
        )


def _propagate(
    state0: FloatArray,
    beta_kg_m2: FloatArray | float,
    ground_alt_m: FloatArray | float,
    max_time_s: float,
    backward: bool,
    drag: bool,
    j2: bool,
    rotation: bool,
    refine_steps: int,
    thrust_mps2: FloatArray | None,
    burn_s: FloatArray | None,
    burn_steps: int,
) -> GroundHit:
    s = np.atleast_2d(np.asarray(state0, dtype=np.float64)).copy()
    n = s.shape[0]
    beta = np.broadcast_to(np.asarray(beta_kg_m2, dtype=np.float64), (n,))
    inv2beta = 0.5 / beta if drag else np.zeros(n)
    h_g = np.broadcast_to(np.asarray(ground_alt_m, dtype=np.float64), (n,)).copy()
    j2v = J2 if j2 else 0.0
    om = OMEGA_RAD_S if rotation else 0.0
    sign = -1.0 if backward else 1.0
    t = np.zeros(n)
    if thrust_mps2 is not None and burn_s is not None:
        acc = np.broadcast_to(np.asarray(thrust_mps2, dtype=np.float64), (n,))
        burn = np.maximum(np.broadcast_to(np.asarray(burn_s, dtype=np.float64), (n,)), 0.0)
        for _ in range(burn_steps):
            s = _rk4(s, burn / burn_steps, inv2beta, j2v, om, acc)
        t = burn.copy()
    out_t = np.full(n, np.nan)
    out_s = np.full((n, 6), np.nan)
    alt = altitude_fast_m(s[:, :3])
    alive = np.isfinite(s).all(axis=1) & np.isfinite(inv2beta) & (alt > h_g)
    idx = np.nonzero(alive)[0]
    while idx.size:
        si = s[idx]
        ai = alt[idx] - h_g[idx]
        ib = inv2beta[idx]
        dt = _step_size(si, alt[idx], ib)
        # Do not step far past the ground: cap by the straight-line time to it (x1.5 margin).
        vz = np.einsum("ij,ij->i", si[:, 3:], si[:, :3]) / np.linalg.norm(si[:, :3], axis=1)
        descent = -sign * vz
        with np.errstate(divide="ignore"):
            t_ground = np.where(descent > 1.0, ai / descent, np.inf)
        dt = np.minimum(dt, np.maximum(1.5 * t_ground, 0.05))
        nxt = _rk4(si, sign * dt, ib, j2v, om)
        alt_n = altitude_fast_m(nxt[:, :3])
        crossed = alt_n <= h_g[idx]
        if crossed.any():
            # Secant (regula falsi) on height above ground versus step length from the last state above.
            c = np.nonzero(crossed)[0]
            gi = idx[c]
            s_c = si[c]
            lo, hi = np.zeros(c.size), dt[c]
            f_lo, f_hi = ai[c], alt_n[c] - h_g[gi]
            best = nxt[c]
            tau = hi
            for _ in range(refine_steps):
                tau = lo + (hi - lo) * f_lo / (f_lo - f_hi)
                best = _rk4(s_c, sign * tau, ib[c], j2v, om)
                f = altitude_fast_m(best[:, :3]) - h_g[gi]
                above = f > 0.0
                lo = np.where(above, tau, lo)
                f_lo = np.where(above, f, f_lo)
                hi = np.where(above, hi, tau)
                f_hi = np.where(above, f_hi, f)
            out_t[gi] = t[gi] + sign * tau
            out_s[gi] = best
        keep = ~crossed
        idx_k = idx[keep]
        s[idx_k] = nxt[keep]
        alt[idx_k] = alt_n[keep]
        t[idx_k] += sign * dt[keep]
        ok = np.isfinite(nxt[keep]).all(axis=1) & (np.abs(t[idx_k]) < max_time_s)
        idx = idx_k[ok]
    reached = np.isfinite(out_t)
    return GroundHit(t_s=out_t, pos_ecef_m=out_s[:, :3], vel_ecef_mps=out_s[:, 3:], reached=reached)


def ground_impacts(
    state0: FloatArray,
    beta_kg_m2: FloatArray | float,
    *,
    ground_alt_m: FloatArray | float = 0.0,
    max_time_s: float = 3600.0,
    use_physics: bool = False,
) -> GroundHit:
    """Accurate impact of ECEF states (N, 6): J2, rotation and drag with beta (kg/m^2) to the terrain (m).

    With ``use_physics`` (and a scalar ground height) the physics package's reference propagator
    ``propagate_to_ground`` is used; otherwise the batched propagator of this module.
    """
    if use_physics and np.ndim(ground_alt_m) == 0:
        from tocsin.physics.propagate import propagate_to_ground  # type: ignore[import-not-found,unused-ignore]

        g = propagate_to_ground(
            np.atleast_2d(state0), beta_kg_m2, ground_alt_m=float(ground_alt_m), max_time_s=max_time_s
        )
        return GroundHit(
            t_s=np.asarray(g.t_s, dtype=np.float64),
            pos_ecef_m=np.asarray(g.pos_ecef_m),
            vel_ecef_mps=np.asarray(g.vel_ecef_mps),
            reached=np.asarray(g.reached, dtype=bool),
        )
    return propagate_batch_to_ground(state0, beta_kg_m2, ground_alt_m=ground_alt_m, max_time_s=max_time_s)


def geodetic_deg(pos_ecef_m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Geodetic latitude and longitude (deg) of ECEF points (m)."""
    lat, lon, _ = ecef_to_geodetic(pos_ecef_m)
    return np.degrees(lat), np.degrees(lon)
