"""Shared pieces of the vectorised integrators: per-object step sizes, Hermite interpolation, crossings.

Private to ``tocsin.physics``: :mod:`tocsin.physics.flight` and :mod:`tocsin.physics.propagate` use the
same step-size rule and the same ground-crossing search, so a trajectory flown by the simulator and
one re-propagated by the predictor agree to the integrator's accuracy.
"""

from __future__ import annotations

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.frames import altitude_fast_m
from tocsin.geo.wgs84 import A_M, B_M, GM_M3_S2
from tocsin.physics.atmosphere import density_fast_kg_m3, speed_of_sound_mps

SCALE_HEIGHT_M = 7000.0  # density e-folding height of the lower atmosphere (US76, 0-86 km mean)
ATMOSPHERE_TOP_M = 100_000.0  # above this drag changes a ballistic path by well under 1 m
DRAG_STEP_FRACTION = 0.1  # step <= this fraction of the drag time 2 beta / (rho v)
HEIGHT_STEP_FRACTION = 0.3  # step <= this fraction of the time to cross one scale height

# Drag coefficient of a slender blunted cone against Mach number, over its hypersonic value (the one a
# constant beta stands for): flat above Mach 5 (Newtonian regime), rising through the supersonic range
# to a transonic peak ~1.8x near Mach 1.1-1.2 and falling subsonic. Shape of the zero-lift drag curves
# of cones and ogives in Hoerner, Fluid-Dynamic Drag (1965), ch. 16-18, and Regan & Anandakrishnan,
# Dynamics of Atmospheric Re-Entry (1993), ch. 6 [D]: a truth model for the simulator, so that the
# tracker's constant-beta model meets a beta that changes in flight as it would on a real body.
_CD_MACH = np.array([0.0, 0.8, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0])
_CD_RATIO = np.array([0.85, 0.9, 1.6, 1.8, 1.65, 1.45, 1.2, 1.0])
CD_RATIO_MAX = float(_CD_RATIO.max())


def cd_mach_ratio(mach: FloatArray) -> FloatArray:
    """Drag coefficient over its hypersonic value at Mach number ``mach`` (linear in the table)."""
    return np.asarray(np.interp(mach, _CD_MACH, _CD_RATIO), dtype=np.float64)


def adaptive_dt(
    s: FloatArray, beta_kg_m2: FloatArray, *, drag: bool, dt_max_s: float, dt_min_s: float = 1e-3
) -> FloatArray:
    """Per-object RK4 step (s) for row states (6, N) with ballistic coefficients (N,) (kg/m^2).

    In the atmosphere the step resolves both the drag time 2*beta/(rho*v) (time for drag to take away
    the speed, Zarchan, Tactical and Strategic Missile Guidance, ch. 3) and the time to cross a density
    scale height; above ``ATMOSPHERE_TOP_M`` it may grow so the object reaches the atmosphere top in
    a few steps, up to ``dt_max_s`` (vacuum arcs are smooth: RK4 at 10 s loses < 1 mm per step).
    """
    x, y, z, vx, vy, vz = s
    speed = np.sqrt(vx * vx + vy * vy + vz * vz) + 1e-3
    dt = np.full(speed.shape, dt_max_s)
    if drag:
        p2 = x * x + y * y
        z2 = z * z
        r2 = p2 + z2
        alt = np.sqrt(r2) - 1.0 / np.sqrt((p2 * (1.0 / (A_M * A_M)) + z2 * (1.0 / (B_M * B_M))) / r2)
        rho = density_fast_kg_m3(alt)
        t_drag = 2.0 * beta_kg_m2 / (rho * speed)
        t_height = HEIGHT_STEP_FRACTION * SCALE_HEIGHT_M / speed
        t_approach = np.maximum(alt - ATMOSPHERE_TOP_M, 0.0) / speed + t_height
        dt = np.minimum(dt, np.minimum(DRAG_STEP_FRACTION * t_drag, t_approach))
    return np.asarray(np.maximum(dt, dt_min_s), dtype=np.float64)


def derivative_rows(
    s: FloatArray,
    half_inv_beta: FloatArray,
    *,
    j2: float,
    omega_rad_s: float,
    drag: bool,
    thrust_mps2: FloatArray | None = None,
    mach_rows: BoolArray | None = None,
) -> FloatArray:
    """d/dt of states stored by rows, shape (6, N), under the model of
    :func:`tocsin.physics.dynamics.state_derivative` (J2 gravity, rotation terms, drag), fused.

    The same equations (Vallado eq. 8-30 for J2; a_drag = -rho |v| v / (2 beta)) written on component
    rows to cut numpy call overhead in the integrators' inner loop, with the tabulated US76 density
    (:func:`tocsin.physics.atmosphere.density_fast_kg_m3`). ``half_inv_beta`` is 1 / (2 beta) (m^2/kg,
    0 for no drag); ``thrust_mps2`` optional extra acceleration rows (3, N); ``mach_rows`` (N,) rows whose
    drag coefficient follows Mach number (:func:`cd_mach_ratio`; simulated truth only).
    """
    r = s[:3]
    v = s[3:]
    x, y, z = r
    p2 = x * x + y * y
    z2 = z * z
    r2 = p2 + z2
    inv_r2 = 1.0 / r2
    k = (1.5 * j2 * A_M * A_M) * inv_r2
    c = (-GM_M3_S2) * inv_r2 / np.sqrt(r2)
    # J2 gravity: c r (1 + k (1 - 5 u^2)) on every axis, plus 2 c k z on z since (3 - 5u^2) - (1 - 5u^2) = 2.
    acc = (c * (1.0 + k * (1.0 - 5.0 * z2 * inv_r2))) * r
    acc[2] += (2.0 * c * k) * z
    if omega_rad_s:
        w2 = omega_rad_s * omega_rad_s
        two_w = 2.0 * omega_rad_s
        acc[0] += w2 * x + two_w * v[1]
        acc[1] += w2 * y - two_w * v[0]
    if drag:
        # Height above the ellipsoid along the radial, as in tocsin.geo.frames.altitude_fast_m.
        alt = np.sqrt(r2) - 1.0 / np.sqrt(inv_r2 * (p2 * (1.0 / (A_M * A_M)) + z2 * (1.0 / (B_M * B_M))))
        speed = np.sqrt(np.einsum("ij,ij->j", v, v))
        coef = density_fast_kg_m3(alt) * speed * half_inv_beta
        if mach_rows is not None and mach_rows.any():
            coef = np.where(mach_rows, coef * cd_mach_ratio(speed / speed_of_sound_mps(alt)), coef)
        acc -= coef * v
    if thrust_mps2 is not None:
        acc += thrust_mps2
    return np.concatenate((v, acc))


def rk4_rows(
    s: FloatArray,
    h_s: FloatArray,
    half_inv_beta: FloatArray,
    *,
    j2: float,
    omega_rad_s: float,
    drag: bool,
    mach_rows: BoolArray | None = None,
) -> FloatArray:
    """One classical RK4 step (Butcher 2008, eq. 235a) of per-object size h_s (N,) for row states (6, N)."""

    def f(x: FloatArray) -> FloatArray:
        return derivative_rows(
            x, half_inv_beta, j2=j2, omega_rad_s=omega_rad_s, drag=drag, mach_rows=mach_rows
        )

    k1 = f(s)
    hh = 0.5 * h_s
    k2 = f(s + hh * k1)
    k3 = f(s + hh * k2)
    k4 = f(s + h_s * k3)
    return np.asarray(s + (h_s / 6.0) * (k1 + 2.0 * (k2 + k3) + k4), dtype=np.float64)


def hermite(
    pa: FloatArray, va: FloatArray, pb: FloatArray, vb: FloatArray, h_s: FloatArray, s: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Cubic Hermite position (m) and velocity (m/s) at fraction s in [0, 1] of steps of length h_s.

    Uses the end positions and velocities (de Boor, A Practical Guide to Splines, ch. IV), which is
    third-order accurate, matching the smoothness of a ballistic path between RK4 nodes.
    """
    s1 = s[..., None]
    h = h_s[..., None]
    s2 = s1 * s1
    s3 = s2 * s1
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s1
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    pos = h00 * pa + h10 * h * va + h01 * pb + h11 * h * vb
    d00 = 6 * s2 - 6 * s1
    d10 = 3 * s2 - 4 * s1 + 1
    d01 = -6 * s2 + 6 * s1
    d11 = 3 * s2 - 2 * s1
    with np.errstate(divide="ignore", invalid="ignore"):
        vel = (d00 * pa + d01 * pb) / np.where(h > 0, h, 1.0) + d10 * va + d11 * vb
    return np.asarray(pos, dtype=np.float64), np.asarray(vel, dtype=np.float64)


def crossing_fraction(
    pa: FloatArray,
    va: FloatArray,
    pb: FloatArray,
    vb: FloatArray,
    h_s: FloatArray,
    ground_alt_m: FloatArray,
    iterations: int = 8,
) -> FloatArray:
    """Fraction s in [0, 1] of each step where the Hermite path crosses the height ``ground_alt_m``.

    The step must start above and end below. Safeguarded Newton on f(s) = h(s) - ground, with the
    bracket kept so a bad derivative falls back to bisection; f is nearly quadratic in s, so eight
    iterations reach machine precision.
    """
    lo = np.zeros(h_s.shape)
    hi = np.ones(h_s.shape)
    fa = altitude_fast_m(pa) - ground_alt_m
    fb = altitude_fast_m(pb) - ground_alt_m
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.clip(np.where(fa - fb > 0, fa / (fa - fb), 0.5), 0.0, 1.0)
    for _ in range(iterations):
        pos, vel = hermite(pa, va, pb, vb, h_s, s)
        f = altitude_fast_m(pos) - ground_alt_m
        lo = np.where(f > 0, s, lo)
        hi = np.where(f > 0, hi, s)
        # d h / d s ~ radial speed times the step (height gradient ~ the radial unit vector).
        rn = np.sqrt(np.einsum("...i,...i->...", pos, pos))
        dfds = np.einsum("...i,...i->...", pos, vel) / rn * h_s
        with np.errstate(divide="ignore", invalid="ignore"):
            s_new = s - f / dfds
        bad = ~np.isfinite(s_new) | (s_new <= lo) | (s_new >= hi)
        s = np.where(bad, 0.5 * (lo + hi), s_new)
    return np.asarray(s, dtype=np.float64)
