"""Batch propagation of ballistic states to the ground: the predictor's fast kernel.

Thousands of ECEF states (sigma points, Monte Carlo samples, one per track) are stepped together with
classical RK4 on component rows (the force model of :func:`tocsin.physics.dynamics.state_derivative`,
fused in :func:`tocsin.physics._stepping.derivative_rows`), each with its own step size from an
error budget (:func:`error_budget_dt`): the step is the largest whose estimated RK4 truncation error,
carried to the ground, keeps the impact within ``tol_m``. That gives tens of seconds in near-vacuum and a
few seconds in the dense air near the ground, where the error has little time left to grow. Objects
leave the batch as they land, so the cost follows the slowest object while the per-step array work
shrinks. The ground crossing is located on the cubic Hermite interpolant of the last step and then
polished with one RK4 sub-step from the step start (so its accuracy is the integrator's, not the
interpolant's).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tocsin._types import BoolArray, FloatArray, IntArray
from tocsin.geo.wgs84 import A_M, B_M, GM_M3_S2, J2, OMEGA_RAD_S
from tocsin.physics._stepping import SCALE_HEIGHT_M
from tocsin.physics.atmosphere import density_kg_m3

ORBIT_PERIGEE_ALT_M = 150_000.0  # a perigee above this stays out of the ground for hours: not reached
ATMOSPHERE_TOP_M = 100_000.0  # a vacuum step may not carry an object more than one rule step below this
DEFAULT_TOL_M = 0.5  # impact-position error budget of the step rule (m); vs DOP853 see tests/physics
BACKWARD_MAX_SPEED_MPS = 12_000.0  # above escape speed: a backward row diverging under reversed drag
BETA_STEP_MIN_KG_M2 = 100.0  # the step rule treats smaller ballistic coefficients as this one
# Simpson's rule (RK4 on y' = f(t)) loses h^5 f''''/2880 per step (Burden & Faires, Numerical Analysis,
# 9th ed., eq. 4.24); for drag growing like exp(kappa t), f'''' = kappa^4 f.
_SIMPSON_ERR = 1.0 / 2880.0
MAX_KAPPA_H = 1.5  # at most this many e-foldings of the drag per step (the error estimate's validity)
_THIN_AIR_MARGIN = 100.0  # safety factor on the drag impulse of a step beyond MAX_KAPPA_H e-foldings

# Density tabulated every 25 m (-2 km .. 1,200 km) with per-interval slopes: linear interpolation of
# rho itself errs by at most (dh / H)^2 / 8 = 2e-6 (H >= 6 km), centimetres of drag shift, and needs no
# exp and a table small enough to stay in cache (the hot loop's costliest term was the 10 m ln-table).
_RHO_H0_M = -2000.0
_RHO_DH_M = 25.0
_RHO_TAB = density_kg_m3(_RHO_H0_M + _RHO_DH_M * np.arange(48_081, dtype=np.float64))
_RHO_SLOPE = np.append(np.diff(_RHO_TAB), 0.0)
_RHO_LAST = float(_RHO_TAB.size - 1)
_GM_NEG = -GM_M3_S2
_J2_K = 1.5 * A_M * A_M
_INV_A2 = 1.0 / (A_M * A_M)
_INV_B2 = 1.0 / (B_M * B_M)


def _density_rows(alt_m: FloatArray) -> FloatArray:
    """Air density (kg/m^3) at heights (m) from the 25 m table (clamped at both ends, NaN to the bottom)."""
    x = (alt_m - _RHO_H0_M) * (1.0 / _RHO_DH_M)
    # ufuncs in place (np.clip's Python wrapper costs more than the work); fmax/fmin send a NaN height
    # (a diverged row, e.g. a launch back-extrapolation) to the table's end instead of an invalid index.
    np.fmax(x, 0.0, out=x)
    np.fmin(x, _RHO_LAST, out=x)
    i = x.astype(np.intp)
    x -= i
    x *= _RHO_SLOPE.take(i)
    x += _RHO_TAB.take(i)
    return x


def _alt(p2: FloatArray, z2: FloatArray, inv_r2: FloatArray, rn: FloatArray) -> FloatArray:
    """Height above the ellipsoid along the radial (m), as in tocsin.geo.frames.altitude_fast_m."""
    q = p2 * _INV_A2
    q += z2 * _INV_B2
    q *= inv_r2
    return np.asarray(rn - 1.0 / np.sqrt(q), dtype=np.float64)


def _alt_rows(s: FloatArray) -> FloatArray:
    """Height (m) of row states (6, N) by :func:`_alt`."""
    p2 = s[0] * s[0]
    p2 += s[1] * s[1]
    z2 = s[2] * s[2]
    r2 = p2 + z2
    return _alt(p2, z2, 1.0 / r2, np.sqrt(r2))


def _deriv(
    s: FloatArray,
    hib: FloatArray,
    j2: float,
    omega: float,
    drag: bool,
    thrust_mps2: FloatArray | None = None,
    aux: list[FloatArray] | None = None,
) -> FloatArray:
    """d/dt of row states (6, N) under J2 gravity, rotation terms and drag (``hib`` = 1 / (2 beta)).

    The model of :func:`tocsin.physics.dynamics.state_derivative` (Vallado eq. 8-30 for J2;
    a_drag = -rho |v| v / (2 beta)), written with in-place row arithmetic: the integrator's inner loop
    is bound by numpy call overhead, not by flops. With ``aux`` (an empty list) the height (m), density
    (kg/m^3), speed (m/s) and radius (m) are appended for the step rule.
    """
    x, y, z = s[0], s[1], s[2]
    v = s[3:]
    out = np.empty_like(s)
    out[:3] = v
    p2 = x * x
    p2 += y * y
    z2 = z * z
    r2 = p2 + z2
    inv_r2 = 1.0 / r2
    rn = np.sqrt(r2)
    c = inv_r2 / rn
    c *= _GM_NEG
    k = inv_r2 * (_J2_K * j2)
    # J2 gravity: c r (1 + k (1 - 5 u^2)) on every axis, plus 2 c k z on z.
    g = z2 * inv_r2
    g *= -5.0
    g += 1.0
    g *= k
    g += 1.0
    g *= c
    np.multiply(g, x, out=out[3])
    np.multiply(g, y, out=out[4])
    k *= 2.0
    k *= c
    k += g
    np.multiply(k, z, out=out[5])
    if omega:
        w2 = omega * omega
        two_w = 2.0 * omega
        out[3] += w2 * x + two_w * v[1]
        out[4] += w2 * y - two_w * v[0]
    if drag or aux is not None:
        alt = _alt(p2, z2, inv_r2, rn)
        rho = _density_rows(alt)
        speed = np.sqrt(np.einsum("ij,ij->j", v, v))
        if drag:
            dcoef = rho * speed
            dcoef *= hib
            out[3:] -= dcoef * v
        if aux is not None:
            aux.extend((alt, rho, speed, rn))
    if thrust_mps2 is not None:
        out[3:] += thrust_mps2
    return out


@dataclass(frozen=True)
class GroundImpact:
    """Where and when each state reaches the ground: time (s from the start, NaN if not reached; negative
    when propagating backward), ECEF position (m) and velocity (m/s) at the crossing (NaN if not
    reached), and the reached flags. Shapes (N,), (N, 3), (N, 3), (N,); for a single (6,) input state,
    (), (3,), (3,), ()."""

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


def error_budget_dt(
    s: FloatArray,
    half_inv_beta: FloatArray,
    above_ground_m: FloatArray,
    *,
    tol_m: float = DEFAULT_TOL_M,
    dt_max_s: float = 30.0,
    sign: float = 1.0,
) -> FloatArray:
    """Per-object RK4 step (s) for row states (6, N) from an impact-error budget ``tol_m`` (m).

    Drag a_d = rho v^2 / (2 beta) changes at the rate kappa = |v_r| / H + rho v / beta (density along the
    path, Zarchan, Tactical and Strategic Missile Guidance, ch. 3, plus the speed it takes away), so one
    step errs in velocity by about a_d kappa^4 h^5 / 2880 (Simpson). A velocity error grows into an
    impact error of about itself times the remaining flight time T (height over radial speed, at least
    a fifth of the speed, plus 2 v_r / g while climbing). Spreading the budget uniformly over T (error
    rate tol / T per second) gives h = kappa^-1 (2880 tol / (a_d T^2))^(1/4), and kappa h is
    kept <= 1.5 so the estimate's exponential model holds over the step.
    ``half_inv_beta`` is 1 / (2 beta) (m^2/kg); ``above_ground_m`` the height above the stop surface
    (m); ``sign`` -1 for backward propagation.
    Vacuum arcs are smooth (RK4 at 30 s loses < 1e-5 m/s per step against orbital rates of 1e-3 /s),
    so the step there is ``dt_max_s``, but never so long that an object plunges from above the
    atmosphere's top deep into it, nor more than 1.5 times its straight-line time to the ground.
    """
    aux: list[FloatArray] = []
    _deriv(np.asarray(s, dtype=np.float64), half_inv_beta, 0.0, 0.0, False, aux=aux)
    alt, rho, speed, rn = aux
    v_r = sign * np.einsum("ij,ij->j", s[:3], s[3:]) / rn
    return _rule(alt, rho, speed, v_r, half_inv_beta, above_ground_m, tol_m, dt_max_s)


def _rule(
    alt: FloatArray,
    rho: FloatArray,
    speed: FloatArray,
    v_r: FloatArray,
    hib: FloatArray,
    above: FloatArray,
    tol_m: float,
    dt_max_s: float,
) -> FloatArray:
    """The step of :func:`error_budget_dt` from height, density, speed and radial speed (direction of
    integration)."""
    hib = np.minimum(hib, 0.5 / BETA_STEP_MIN_KG_M2)
    sp = speed + 1e-3
    a_d = rho * sp * sp * hib + 1e-12
    kappa = np.abs(v_r) * (1.0 / SCALE_HEIGHT_M) + 2.0 * rho * sp * hib + 1e-9
    # Ascending objects first climb and fall back: about 2 v_r / g more (flat-Earth ballistics).
    t_rem = np.maximum(above, 1.0) / np.maximum(np.abs(v_r), 0.2 * sp) + np.maximum(v_r, 0.0) * (2.0 / 9.8)
    h = np.sqrt(np.sqrt((tol_m / _SIMPSON_ERR) / (a_d * t_rem * t_rem)))
    # kappa h <= 1.5 keeps the estimate's exponential model valid. In thin air a step may span more
    # e-foldings L as long as the whole drag impulse of its last e-folding, a_d e^L / kappa, even
    # misintegrated a hundred times over, moves the impact by less than the budget: L = ln(tol kappa /
    # (100 a_d T)). Above ~150 km that lifts a cap of ~1.5 H / |v_r| (3 s at 3 km/s) to dt_max_s.
    cap = np.maximum(np.log(tol_m * kappa / (_THIN_AIR_MARGIN * a_d * t_rem)), MAX_KAPPA_H)
    h = np.minimum(h, cap) / kappa
    # Entering the atmosphere: stop a little past its top, where the rule sees the air.
    t_top = np.where(alt > ATMOSPHERE_TOP_M, (alt - ATMOSPHERE_TOP_M + 0.3 * SCALE_HEIGHT_M) / sp, dt_max_s)
    h = np.minimum(h, np.minimum(t_top, dt_max_s))
    # Near the ground, land within the next step or two rather than far past it.
    t_ground = np.where(v_r < -1.0, np.maximum(above, 0.0) / np.maximum(-v_r, 1.0), np.inf)
    h = np.minimum(h, np.maximum(1.5 * t_ground, 0.05))
    return np.asarray(np.maximum(h, 1e-2), dtype=np.float64)


def _rk4(
    s: FloatArray,
    h: FloatArray,
    hib: FloatArray,
    j2: float,
    omega: float,
    drag: bool,
    thrust_along_v_mps2: FloatArray | None = None,
    k1: FloatArray | None = None,
) -> FloatArray:
    """One classical RK4 step (Butcher 2008, eq. 235a) of per-object size h (N,) for row states (6, N);
    an optional thrust acceleration (N,) acts along the velocity (gravity turn); ``k1`` the derivative
    at ``s`` if already known."""

    def f(u: FloatArray) -> FloatArray:
        th = None
        if thrust_along_v_mps2 is not None:
            v = u[3:]
            th = v * (thrust_along_v_mps2 / np.maximum(np.sqrt(np.einsum("ij,ij->j", v, v)), 1e-3))
        return _deriv(u, hib, j2, omega, drag, th)

    hh = 0.5 * h
    k = f(s) if k1 is None else k1
    acc = k.copy()
    k = f(s + hh * k)
    acc += 2.0 * k
    k = f(s + hh * k)
    acc += 2.0 * k
    k = f(s + h * k)
    acc += k
    acc *= h * (1.0 / 6.0)
    acc += s
    return acc


def propagate_to_ground(
    state0: FloatArray,
    beta_kg_m2: FloatArray | float,
    *,
    ground_alt_m: FloatArray | float = 0.0,
    max_time_s: float = 3600.0,
    drag: bool = True,
    j2: bool = True,
    rotation: bool = True,
    dt_max_s: float = 30.0,
    tol_m: float = DEFAULT_TOL_M,
    backward: bool = False,
    thrust_mps2: FloatArray | float | None = None,
    burn_s: FloatArray | float | None = None,
    burn_steps: int = 12,
) -> GroundImpact:
    """Propagate ECEF states [r (m), v (m/s)] (shape (N, 6) or (6,)) until they descend through the
    geodetic height ``ground_alt_m`` (m, scalar or (N,)); ``beta_kg_m2`` is m/(C_D A) (kg/m^2,
    scalar or (N,), ``inf`` for none).

    A state already below the ground level and descending is reported reached at t = 0. Not reached:
    escaping or orbiting states (osculating perigee above 150 km; forward only), states still in flight
    after ``max_time_s``, and states that fall below the ground level without ever coming down through
    it (they started below it and never rose above). ``drag``/``j2``/``rotation`` switch the force
    terms; ``tol_m`` is the step rule's impact-error budget (m) and ``dt_max_s`` the largest step (s).
    With ``backward`` the states are integrated back in time (launch points: "descending" then means
    in reverse time) and the times returned are negative. Optionally each object first burns for
    ``burn_s`` (s, (N,)) under a constant thrust acceleration ``thrust_mps2`` (m/s^2, (N,)) along its
    velocity, in ``burn_steps`` RK4 steps of its own length; its times then count from the burn start.
    """
    s_in = np.asarray(state0, dtype=np.float64)
    single = s_in.ndim == 1
    state = np.atleast_2d(s_in)
    n = state.shape[0]
    beta = np.broadcast_to(np.asarray(beta_kg_m2, dtype=np.float64), (n,))
    g_alt = np.broadcast_to(np.asarray(ground_alt_m, dtype=np.float64), (n,)).copy()
    j2_val = J2 if j2 else 0.0
    omega = OMEGA_RAD_S if rotation else 0.0
    sign = -1.0 if backward else 1.0
    with np.errstate(divide="ignore"):
        hib = 0.5 / beta if drag else np.zeros(n)

    rows = state.T.copy()
    t = np.zeros(n)
    if thrust_mps2 is not None and burn_s is not None:
        acc = np.broadcast_to(np.asarray(thrust_mps2, dtype=np.float64), (n,))
        burn = np.maximum(np.broadcast_to(np.asarray(burn_s, dtype=np.float64), (n,)), 0.0)
        hb = sign * burn / burn_steps
        for _ in range(burn_steps):
            rows = _rk4(rows, hb, hib, j2_val, omega, drag, acc)
        t = sign * burn

    t_hit = np.full(n, np.nan)
    pos_hit = np.full((n, 3), np.nan)
    vel_hit = np.full((n, 3), np.nan)
    reached = np.zeros(n, dtype=bool)

    r, v = rows[:3].T, rows[3:].T
    alt = _alt_rows(rows)
    below = alt < g_alt
    at_ground = below & (sign * np.einsum("ij,ij->i", r, v) < 0.0) & np.isfinite(rows).all(axis=0)
    reached[at_ground] = True
    t_hit[at_ground] = t[at_ground]
    pos_hit[at_ground] = r[at_ground]
    vel_hit[at_ground] = v[at_ground]
    active = ~at_ground & np.isfinite(rows).all(axis=0) & np.isfinite(hib)
    if not backward:
        with np.errstate(invalid="ignore", over="ignore"):
            escaping, orbiting = _inertial_checks(r, v, omega)
        active &= ~escaping & ~orbiting

    idx = np.nonzero(active)[0]
    cur = rows[:, idx]
    t_c, g_c, hib_c = t[idx], g_alt[idx], hib[idx]
    t_end = sign * max_time_s
    while idx.size:
        aux: list[FloatArray] = []
        k1 = _deriv(cur, hib_c, j2_val, omega, drag, aux=aux)
        alt0, rho0, speed0, rn0 = aux
        v_r = sign * np.einsum("ij,ij->j", cur[:3], cur[3:]) / rn0
        h = _rule(alt0, rho0, speed0, v_r, hib_c, alt0 - g_c, tol_m, dt_max_s)
        h = np.minimum(h, max_time_s - sign * t_c)
        hs = sign * h
        nxt = _rk4(cur, hs, hib_c, j2_val, omega, drag, k1=k1)
        alt1 = _alt_rows(nxt)
        crossed = (alt0 >= g_c) & (alt1 < g_c)
        descending = sign * (nxt[0] * nxt[3] + nxt[1] * nxt[4] + nxt[2] * nxt[5]) < 0.0
        lost = ~crossed & (alt0 < g_c) & (alt1 < g_c) & descending
        if crossed.any():
            c = np.nonzero(crossed)[0]
            _land(cur[:, c], nxt[:, c], hs[c], t_c[c], g_c[c], hib_c[c], idx[c], j2_val, omega, drag,
                  t_hit, pos_hit, vel_hit, reached)  # fmt: skip
        t_c = t_c + hs
        # Escape and orbit were ruled out at the start; neither gravity nor drag can create them.
        finished = crossed | lost | (sign * (t_end - t_c) <= 1e-9) | ~np.isfinite(alt1)
        if backward:
            # Backward in time drag feeds energy in: dv/dt = rho v^2 / (2 beta) blows up in finite time
            # (t = 2 beta / (rho v), ~16 s at 600 m/s near the ground), and such a row crawled at the
            # 10 ms minimum step for all of max_time_s (national seed 1: 20 s of CPU for one launch
            # estimate). Past escape speed it can no longer be a launch arc: not reached.
            finished |= speed0 > BACKWARD_MAX_SPEED_MPS
        if finished.any():
            keep = ~finished
            idx, cur, t_c, g_c, hib_c = idx[keep], nxt[:, keep], t_c[keep], g_c[keep], hib_c[keep]
        else:
            cur = nxt

    if single:
        return GroundImpact(
            t_s=np.asarray(t_hit[0]),
            pos_ecef_m=pos_hit[0],
            vel_ecef_mps=vel_hit[0],
            reached=np.asarray(reached[0]),
        )
    return GroundImpact(t_s=t_hit, pos_ecef_m=pos_hit, vel_ecef_mps=vel_hit, reached=reached)


def _land(
    s0: FloatArray,
    s1: FloatArray,
    hs: FloatArray,
    t0: FloatArray,
    g: FloatArray,
    hib: FloatArray,
    out: IntArray,
    j2: float,
    omega: float,
    drag: bool,
    t_hit: FloatArray,
    pos_hit: FloatArray,
    vel_hit: FloatArray,
    reached: BoolArray,
) -> None:
    """Record the ground crossing of steps s0 -> s1 (rows (6, C), signed sizes hs) into the outputs."""
    frac = _hermite_crossing(s0, s1, hs, g)
    # Polish: RK4 from the step start to the Hermite crossing time, then one Newton step on the height
    # (its residual is the interpolant's error, centimetres to a metre, crossed at the radial speed).
    tau = frac * hs
    sc = _rk4(s0, tau, hib, j2, omega, drag)
    rn = np.sqrt(sc[0] * sc[0] + sc[1] * sc[1] + sc[2] * sc[2])
    v_r = (sc[0] * sc[3] + sc[1] * sc[4] + sc[2] * sc[5]) / rn
    f = _alt_rows(sc) - g
    with np.errstate(divide="ignore", invalid="ignore"):
        dt = np.where(np.abs(v_r) > 1e-3, -f / v_r, 0.0)
    dt = np.clip(dt, -np.abs(hs), np.abs(hs))
    # Second-order Taylor over the Newton correction keeps position and velocity consistent (energy).
    acc = _deriv(sc, hib, j2, omega, drag)[3:]
    reached[out] = True
    t_hit[out] = t0 + tau + dt
    pos_hit[out] = (sc[:3] + (sc[3:] + 0.5 * dt * acc) * dt).T
    vel_hit[out] = (sc[3:] + acc * dt).T


def _hermite_crossing(s0: FloatArray, s1: FloatArray, hs: FloatArray, g: FloatArray) -> FloatArray:
    """Fraction in [0, 1] of steps s0 -> s1 (rows (6, C), signed sizes hs) where the cubic Hermite path
    (de Boor, A Practical Guide to Splines, ch. IV) comes down through the height g (m).

    Regula falsi start, then three safeguarded Newton steps (the height is nearly quadratic in the
    fraction); the caller polishes the result with an RK4 sub-step, so millisecond accuracy suffices.
    """
    p0, p1 = s0[:3], s1[:3]
    m0, m1 = s0[3:] * hs, s1[3:] * hs
    # Cubic coefficients p(u) = p0 + m0 u + c2 u^2 + c3 u^3.
    d = p1 - p0
    c2 = 3.0 * d - 2.0 * m0 - m1
    c3 = m0 + m1 - 2.0 * d
    f0 = _alt_rows(s0) - g
    f1 = _alt_rows(s1) - g
    lo = np.zeros_like(hs)
    hi = np.ones_like(hs)
    with np.errstate(divide="ignore", invalid="ignore"):
        u = np.clip(np.where(f0 > f1, f0 / (f0 - f1), 0.5), 0.0, 1.0)
        for _ in range(3):
            pos = p0 + u * (m0 + u * (c2 + u * c3))
            vel = m0 + u * (2.0 * c2 + 3.0 * u * c3)  # d p / d u
            r2 = np.einsum("ij,ij->j", pos, pos)
            p2 = pos[0] * pos[0] + pos[1] * pos[1]
            f = _alt(p2, pos[2] * pos[2], 1.0 / r2, np.sqrt(r2)) - g
            lo = np.where(f > 0.0, u, lo)
            hi = np.where(f > 0.0, hi, u)
            # d height / d u ~ radial component of d p / d u.
            un = u - f * np.sqrt(r2) / np.einsum("ij,ij->j", pos, vel)
            u = np.where(np.isfinite(un) & (un > lo) & (un < hi), un, 0.5 * (lo + hi))
    return np.asarray(u, dtype=np.float64)
