"""Batched EKF kernels and the IMM steps of the tracker, over all tracks and modes at once.

Internal state (NX = 10): ``[r_ecef (3) m, v_ecef (3) m/s, ln beta, a_thrust (3) m/s^2]``.
Dynamics (algorithms.md sec. 2): a = g_J2 - 2 w x v - w x (w x r) + a_drag(beta) + a_thrust, with
``tocsin.physics.dynamics.rk4_step`` for the mean. Modes (``types.MODE_NAMES``):

- boost: a_thrust is a random walk (unknown thrust program, Li & Jilkov 2010 Part II, "thrust as
  Wiener process acceleration");
- ballistic: a_thrust pinned to zero, small velocity noise, ln beta almost constant;
- reentry: as ballistic with larger velocity noise and a faster ln beta random walk (ablation, attitude).

Every function is pure: it returns new arrays and never modifies its inputs.
"""

from __future__ import annotations

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.frames import altitude_fast_m
from tocsin.geo.wgs84 import E2, GM_M3_S2, OMEGA_RAD_S
from tocsin.physics.atmosphere import density_kg_m3
from tocsin.physics.dynamics import ThrustLaw, rk4_step
from tocsin.track.models import NX

N_MODES = 3
BOOST, BALLISTIC, REENTRY = 0, 1, 2
_EYE = np.eye(NX)


def _jacobian(x: FloatArray) -> FloatArray:
    """Continuous-time Jacobian A = df/dx (B, NX, NX) of the dynamics at states x (B, NX).

    Gravity gradient of the point mass mu/r^3 (3 r̂r̂ᵀ - I) (J2 part ~1e-3 of it, left out of the
    Jacobian only), centrifugal diag(w^2, w^2, 0), Coriolis, and drag with d ln(rho)/dh by central
    difference over +-50 m.
    """
    b = x.shape[0]
    r = x[:, 0:3]
    v = x[:, 3:6]
    beta = np.exp(x[:, 6])
    rn2 = np.einsum("bi,bi->b", r, r)
    rn = np.sqrt(rn2)
    rhat = r / rn[:, None]
    A = np.zeros((b, NX, NX))
    A[:, 0, 3] = A[:, 1, 4] = A[:, 2, 5] = 1.0
    g_r = (GM_M3_S2 / (rn2 * rn))[:, None, None] * (3.0 * rhat[:, :, None] * rhat[:, None, :] - np.eye(3))
    g_r[:, 0, 0] += OMEGA_RAD_S**2
    g_r[:, 1, 1] += OMEGA_RAD_S**2
    alt = altitude_fast_m(r)
    rho3 = density_kg_m3(np.concatenate([alt, alt + 50.0, alt - 50.0]))
    rho = rho3[:b]
    dlnrho_dh = (np.log(rho3[b : 2 * b]) - np.log(rho3[2 * b :])) / 100.0
    speed = np.sqrt(np.einsum("bi,bi->b", v, v))
    a_drag = (-rho * speed / (2.0 * beta))[:, None] * v
    # dh/dr is the ellipsoid normal, ∝ (x, y, z / (1 - e^2)) near the surface
    normal = r * np.array([1.0, 1.0, 1.0 / (1.0 - E2)])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    A[:, 3:6, 0:3] = g_r + a_drag[:, :, None] * (dlnrho_dh[:, None] * normal)[:, None, :]
    k = rho / (2.0 * beta)
    safe = np.where(speed > 0.0, speed, 1.0)
    A[:, 3:6, 3:6] = -k[:, None, None] * (
        speed[:, None, None] * np.eye(3) + v[:, :, None] * v[:, None, :] / safe[:, None, None]
    )
    A[:, 3, 4] += 2.0 * OMEGA_RAD_S
    A[:, 4, 3] -= 2.0 * OMEGA_RAD_S
    A[:, 3:6, 6] = -a_drag  # a_drag ∝ exp(-ln beta)
    A[:, 3, 7] = A[:, 4, 8] = A[:, 5, 9] = 1.0
    return A


def process_noise(
    dt_s: FloatArray,
    q_vel: FloatArray,
    q_lnb: FloatArray,
    q_thrust: FloatArray,
    q_vel_along: FloatArray | None = None,
    v_dir: FloatArray | None = None,
) -> FloatArray:
    """Discrete process noise (B, NX, NX) for steps dt_s (B,) with per-row spectral densities (B,).

    Velocity white-noise acceleration q_vel (m^2/s^3) and a thrust-acceleration random walk q_thrust
    (m^2/s^5) give the integrated-random-walk blocks of Bar-Shalom, Li, Kirubarajan 2001, eqs. 6.2.2-12
    and 6.2.3-8; ln beta is a random walk with q_lnb (1/s). ``q_vel_along`` (B,) with unit vectors
    ``v_dir`` (B, 3) adds white acceleration noise along one direction only (density q_vel_along
    v_dir v_dirᵀ): the drag-model error, which acts along the velocity.
    """
    dt = np.asarray(dt_s, dtype=np.float64)
    t1, t2, t3, t4, t5 = np.abs(dt), dt**2, np.abs(dt) ** 3, dt**4, np.abs(dt) ** 5
    Q = np.zeros((dt.shape[0], NX, NX))
    qv = q_vel[:, None]
    qa = q_thrust[:, None]
    rr = qv * t3[:, None] / 3.0 + qa * t5[:, None] / 20.0
    rv = qv * t2[:, None] / 2.0 + qa * t4[:, None] / 8.0
    vv = qv * t1[:, None] + qa * t3[:, None] / 3.0
    ra = qa * t3[:, None] / 6.0
    va = qa * t2[:, None] / 2.0
    aa = qa * t1[:, None]
    i3 = np.arange(3)
    Q[:, i3, i3] = rr
    Q[:, i3, i3 + 3] = Q[:, i3 + 3, i3] = rv
    Q[:, i3 + 3, i3 + 3] = vv
    if q_vel_along is not None and v_dir is not None:
        uu = q_vel_along[:, None, None] * (v_dir[:, :, None] * v_dir[:, None, :])
        Q[:, 0:3, 0:3] += uu * (t3 / 3.0)[:, None, None]
        Q[:, 0:3, 3:6] += uu * (t2 / 2.0)[:, None, None]
        Q[:, 3:6, 0:3] += uu * (t2 / 2.0)[:, None, None]
        Q[:, 3:6, 3:6] += uu * t1[:, None, None]
    Q[:, i3, i3 + 7] = Q[:, i3 + 7, i3] = ra
    Q[:, i3 + 3, i3 + 7] = Q[:, i3 + 7, i3 + 3] = va
    Q[:, i3 + 7, i3 + 7] = aa
    Q[:, 6, 6] = q_lnb * t1
    return Q


def _rocket_growth(a: FloatArray, h: FloatArray, v_e: float, cap: float) -> tuple[FloatArray, FloatArray]:
    """Thrust acceleration after h (B,) seconds of a constant-thrust motor, and its Jacobian block (B, 3, 3).

    A motor of constant thrust F and exhaust speed v_e burns mass at F / v_e, so its acceleration a = F / m
    grows as da/dt = |a| a / v_e (Tsiolkovsky; direction held): |a|(t) = |a0| / (1 - |a0| t / v_e). Growth
    stops at ``cap`` (no motor burns to zero mass). The Jacobian block d(da/dt)/da = (|a| I + a âᵀ) / v_e.
    """
    mag = np.linalg.norm(a, axis=1)
    grow = (mag > 0.0) & (mag < cap)
    denom = np.maximum(1.0 - mag * np.abs(h) / v_e, mag / cap)
    factor = np.where(grow, np.minimum(1.0 / np.where(grow, denom, 1.0), cap / np.where(grow, mag, 1.0)), 1.0)
    safe = np.where(mag > 0.0, mag, 1.0)
    ahat = a / safe[:, None]
    J = (mag[:, None, None] * np.eye(3) + a[:, :, None] * ahat[:, None, :]) / v_e
    return a * factor[:, None], np.where(grow[:, None, None], J, 0.0)


def thrust_cutoff_noise(dt_s: FloatArray, a: FloatArray, rate_per_s: float) -> FloatArray:
    """Process noise (B, NX, NX) over dt_s (B,) of a motor that may stop at any moment, thrust a (B, 3).

    Thrust termination (burnout, engine cut-off, a boost failure) is a jump of the thrust acceleration
    to zero. With a hazard rate lambda the jump over dt has probability lambda dt and the thrust the
    covariance lambda dt a aᵀ (Bernoulli variance, first order in dt); as a white-noise density
    lambda a aᵀ along the thrust it enters position and velocity through the same integrated blocks
    as the thrust random walk (``process_noise``). The mean keeps the burning branch (the IR still
    sees a plume); the variance lets the updates take the thrust down within a few scans once the
    motor has stopped, where the random walk alone (sqrt(q_thrust t): 6 m/s^2 in 10 s) would keep
    tens of m/s^2 through the 10-20 s the body stays hot (``hot_coast_s``), and a growing thrust
    (``_rocket_growth``) would push it further.
    """
    dt = np.asarray(dt_s, dtype=np.float64)
    qa = rate_per_s * a[:, :, None] * a[:, None, :]  # (B, 3, 3) density along the thrust
    t1, t2, t3, t4, t5 = np.abs(dt), dt**2, np.abs(dt) ** 3, dt**4, np.abs(dt) ** 5
    Q = np.zeros((dt.shape[0], NX, NX))
    blocks = (
        (slice(0, 3), slice(0, 3), t5 / 20.0),
        (slice(0, 3), slice(3, 6), t4 / 8.0),
        (slice(3, 6), slice(3, 6), t3 / 3.0),
        (slice(0, 3), slice(7, 10), t3 / 6.0),
        (slice(3, 6), slice(7, 10), t2 / 2.0),
        (slice(7, 10), slice(7, 10), t1),
    )
    for r, c, f in blocks:
        Q[:, r, c] = f[:, None, None] * qa
        Q[:, c, r] = f[:, None, None] * qa
    return Q


def _constant_thrust(a_mps2: FloatArray) -> ThrustLaw:
    """Thrust law holding each object's thrust acceleration (m/s^2) constant over a step."""

    def law(_t_s: float, _state: FloatArray) -> FloatArray:
        return a_mps2

    return law


def propagate(
    x: FloatArray,
    P: FloatArray,
    dt_s: FloatArray,
    q_vel: FloatArray,
    q_lnb: FloatArray,
    q_thrust: FloatArray,
    max_step_s: float = 1.0,
    exhaust_speed_mps: float | None = None,
    thrust_cap_mps2: float = 150.0,
    q_vel_along: FloatArray | None = None,
    cutoff_rate_per_s: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """EKF prediction of states x (B, NX) and covariances P (B, NX, NX) by dt_s (B,) seconds.

    Mean: RK4 (``physics.dynamics.rk4_step``) with the thrust state held constant over the step;
    covariance: Phi = I + A h + (A h)^2 / 2 per sub-step h <= max_step_s (second-order Taylor of the
    transition matrix, Bar-Shalom et al. 2001, sec. 10.3.2), P <- Phi P Phiᵀ + Q(h).
    With ``exhaust_speed_mps`` the thrust acceleration grows as a constant-thrust motor's does
    (``_rocket_growth``): held at its mid-step value in the RK4 step, advanced to its end-of-step value.
    ``q_vel_along`` (B,): velocity noise density along the velocity of each sub-step's start state, on
    top of the isotropic ``q_vel`` (``process_noise``).
    With ``cutoff_rate_per_s`` the motor may stop at any time (``thrust_cutoff_noise``).
    """
    dt = np.asarray(dt_s, dtype=np.float64)
    if x.shape[0] == 0:
        return x.copy(), P.copy()
    n_sub = max(1, int(np.ceil(float(np.max(np.abs(dt))) / max_step_s - 1e-9)))
    h = dt / n_sub
    xs = x.copy()
    Ps = P.copy()
    for _ in range(n_sub):
        A = _jacobian(xs)
        a_step = xs[:, 7:10].copy()
        a_end = a_step
        if exhaust_speed_mps is not None:
            a_step, J = _rocket_growth(xs[:, 7:10], 0.5 * h, exhaust_speed_mps, thrust_cap_mps2)
            a_end, _ = _rocket_growth(xs[:, 7:10], h, exhaust_speed_mps, thrust_cap_mps2)
            A[:, 7:10, 7:10] = J
        Ah = A * h[:, None, None]
        Phi = _EYE + Ah + 0.5 * (Ah @ Ah)
        beta = np.exp(xs[:, 6])
        s6 = rk4_step(xs[:, 0:6], h, beta, thrust=_constant_thrust(a_step))
        xs = np.concatenate([s6, xs[:, 6:7], a_end], axis=1)
        v_dir = None
        if q_vel_along is not None:
            sp = np.linalg.norm(xs[:, 3:6], axis=1, keepdims=True)
            v_dir = np.where(sp > 0.0, xs[:, 3:6] / np.where(sp > 0.0, sp, 1.0), 0.0)
        Ps = Phi @ Ps @ np.swapaxes(Phi, 1, 2) + process_noise(h, q_vel, q_lnb, q_thrust, q_vel_along, v_dir)
        if cutoff_rate_per_s is not None:
            Ps = Ps + thrust_cutoff_noise(h, xs[:, 7:10], cutoff_rate_per_s)
    Ps = 0.5 * (Ps + np.swapaxes(Ps, 1, 2))
    return xs, Ps


def relax_lnbeta(
    x: FloatArray, P: FloatArray, dt_s: FloatArray, prior: tuple[float, float], tau_s: float
) -> tuple[FloatArray, FloatArray]:
    """ln beta as an Ornstein-Uhlenbeck process towards its prior over dt_s (B,): x (B, NX), P (B, NX, NX).

    Exact discretisation (Maybeck 1979, sec. 4.9): m <- mu0 + a (m - mu0), a = exp(-dt / tau), the
    ln beta row and column of P scaled by a, and sigma0^2 (1 - a^2) added to its variance, so with no
    drag information the estimate returns to the prior (mean mu0, sigma sigma0) with time constant tau.
    Only for flight where the drag, hence ln beta, does not enter the other states' dynamics (above the
    re-entry altitude): there the transition is block-diagonal and this step is exact.
    """
    a = np.exp(-np.maximum(np.asarray(dt_s, dtype=np.float64), 0.0) / tau_s)
    mu0, sig0 = prior
    xn = x.copy()
    xn[:, 6] = mu0 + a * (x[:, 6] - mu0)
    Pn = P.copy()
    Pn[:, 6, :] *= a[:, None]
    Pn[:, :, 6] *= a[:, None]
    Pn[:, 6, 6] += sig0**2 * (1.0 - a**2)
    return xn, Pn


def drag_scaled_q_vel(x: FloatArray, q_vel: FloatArray, k2_s: float, floor: float | FloatArray) -> FloatArray:
    """Velocity noise density (B,) m^2/s^3 of coasting states x (B, NX): k2 a_drag^2, within [floor, q_vel].

    The model error of coasting flight is drag error (density profile, beta drift, lift, attitude): a
    relative error f of the drag acceleration a_drag = rho v^2 / (2 beta) with correlation time tau_c
    is white noise of density q ~ 2 (f a_drag)^2 tau_c (Bar-Shalom et al. 2001, sec. 8.2.2, a Singer
    acceleration as white noise); f = 10 %, tau_c = 2 s give k2 = 0.04 s. Above the sensible atmosphere
    this falls to ``floor`` (J2 gravity and rotation are modelled), in dense air it is capped by the
    mode's fixed q_vel. ``floor`` is a scalar or one value per row (B,).
    """
    a_drag = drag_accel_mps2(x)
    out: FloatArray = np.clip(k2_s * a_drag**2, floor, np.maximum(q_vel, floor))
    return out


def velocity_noise_floor(
    x: FloatArray, floor: float, floor_reentry: float | None, reentry_alt_m: float
) -> FloatArray:
    """Per-row floor (B,) of the drag-scaled velocity noise of coasting states x (B, NX), m^2/s^3.

    ``floor_reentry`` (None: ``floor`` everywhere) applies to states descending (r . v < 0) below
    ``reentry_alt_m``: there the unmodelled forces are aerodynamic and scale with the drag (the k2
    a_drag^2 term of :func:`drag_scaled_q_vel`); ``floor`` covers the post-boost impulses of the
    ascent and midcourse (motor tail-off, separation, venting).
    """
    out = np.full(x.shape[0], floor, dtype=np.float64)
    if floor_reentry is not None:
        desc = (altitude_fast_m(x[:, 0:3]) < reentry_alt_m) & (
            np.einsum("bi,bi->b", x[:, 0:3], x[:, 3:6]) < 0.0
        )
        out[desc] = floor_reentry
    return out


def drag_accel_mps2(x: FloatArray) -> FloatArray:
    """Drag deceleration rho(h) |v|^2 / (2 beta) (m/s^2) of states x (B, NX) (algorithms.md sec. 2)."""
    alt = altitude_fast_m(x[:, 0:3])
    out: FloatArray = (
        density_kg_m3(alt) * np.einsum("bi,bi->b", x[:, 3:6], x[:, 3:6]) / (2.0 * np.exp(x[:, 6]))
    )
    return out


def drag_scaled_q_lnbeta(x: FloatArray, q_lnb: FloatArray, a_ref_mps2: float) -> FloatArray:
    """ln beta random-walk density (B,) 1/s of coasting states x (B, NX): q_lnb min(1, (a_drag / a_ref)^2).

    beta = m / (C_D A) changes only under aerodynamic load: ablation (mass loss ~ heat flux) and trim
    or Mach-dependent C_D (nearly constant above Mach ~5: Mach-number independence, Anderson,
    Hypersonic and High-Temperature Gas Dynamics, 2nd ed., 2006, ch. 4). In thin air it neither
    changes nor is observable, so a fixed random walk there only inflates its variance before re-entry.
    """
    a = drag_accel_mps2(x)
    out: FloatArray = q_lnb * np.minimum(1.0, (a / a_ref_mps2) ** 2)
    return out


def ekf_update(
    x: FloatArray,
    P: FloatArray,
    y: FloatArray,
    H: FloatArray,
    R: FloatArray,
    consider_lnbeta: BoolArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Batched EKF update with residuals y (B, m), Jacobians H (B, m, NX), noise R (m, m) or (B, m, m).

    Returns (x+, P+, nis (B,), log-likelihood (B,)). Joseph form, numerically stable for any gain
    (Bar-Shalom et al. 2001, eq. 5.2.3-18); the gain uses ``solve`` on S, no explicit inverse.
    ``consider_lnbeta`` (B,): rows whose ln beta is a consider parameter (Schmidt-Kalman filter,
    Simon, Optimal State Estimation, 2006, sec. 7.5): its gain row is zero, so its mean and variance
    stay as predicted while its uncertainty still enters S and the other states' gains; the Joseph
    form gives the exact covariance of this suboptimal gain.
    """
    Ht = np.swapaxes(H, 1, 2)
    PHt = P @ Ht
    S = H @ PHt + R
    S = 0.5 * (S + np.swapaxes(S, 1, 2))
    K = np.swapaxes(np.linalg.solve(S, np.swapaxes(PHt, 1, 2)), 1, 2)
    if consider_lnbeta is not None:
        K[consider_lnbeta, 6, :] = 0.0
    x_new = x + np.einsum("bij,bj->bi", K, y)
    IKH = _EYE - K @ H
    P_new = IKH @ P @ np.swapaxes(IKH, 1, 2) + K @ R @ np.swapaxes(K, 1, 2)
    P_new = 0.5 * (P_new + np.swapaxes(P_new, 1, 2))
    Sy = np.linalg.solve(S, y[:, :, None])[:, :, 0]
    nis = np.einsum("bi,bi->b", y, Sy)
    _, logdet = np.linalg.slogdet(S)
    m = y.shape[1]
    loglik = -0.5 * (nis + logdet + m * np.log(2.0 * np.pi))
    return x_new, P_new, nis, loglik


def innovation(P: FloatArray, H: FloatArray, R: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mahalanobis distance squared yᵀS⁻¹y and ln det S for pairs, S = H P Hᵀ + R (no state change)."""
    S = H @ P @ np.swapaxes(H, 1, 2) + R
    Sy = np.linalg.solve(S, y[:, :, None])[:, :, 0]
    _, logdet = np.linalg.slogdet(S)
    return np.einsum("bi,bi->b", y, Sy), logdet


# --------------------------------------------------------------------------------------------------
# IMM (Blom & Bar-Shalom, IEEE TAC 33(8), 1988; Bar-Shalom et al. 2001, sec. 11.6.6)


def transition_matrix(rates_per_s: FloatArray, dt_s: FloatArray) -> FloatArray:
    """Mode transition probabilities Pi (B, K, K) over dt_s (B,) from rate matrices (B, K, K), rows sum 1.

    Second-order expansion of expm(Lambda dt), clipped at 0 and renormalised (rates are ~1e-2/s and
    dt a few seconds, so the truncation error is < 1e-4). A long gap (total rate x dt > 0.5) uses
    scaling and squaring, expm(L dt) = expm(L dt / 2^s)^(2^s) (Moler & Van Loan, SIAM Rev. 45(1),
    2003, method 3), so an absurd dt (up to 1e12 s, beyond which it is clipped) reaches the stationary
    distribution instead of overflowing.
    """
    lam = rates_per_s.copy()
    k = lam.shape[-1]
    lam[..., np.arange(k), np.arange(k)] = -rates_per_s.sum(axis=-1)
    dt = np.abs(np.asarray(dt_s, dtype=np.float64))
    dt = np.where(np.isfinite(dt), np.minimum(dt, 1e12), 1e12)
    # Squarings per element (each element's result independent of the rest of the batch).
    x = rates_per_s.sum(axis=-1).max(axis=-1) * dt
    with np.errstate(divide="ignore"):
        n_sq = np.clip(np.ceil(np.log2(np.maximum(x, 1e-300) / 0.5)), 0, 80).astype(np.int64)
    h = (dt / np.exp2(n_sq))[:, None, None]
    Pi = np.eye(k) + lam * h + 0.5 * (lam @ lam) * h**2
    Pi = np.clip(Pi, 0.0, None)
    Pi = Pi / Pi.sum(axis=2, keepdims=True)
    for i in range(int(np.max(n_sq, initial=0))):
        sq = Pi @ Pi
        Pi = np.where((n_sq > i)[:, None, None], sq / sq.sum(axis=2, keepdims=True), Pi)
    return np.asarray(Pi, dtype=np.float64)


def imm_mix(
    xm: FloatArray,
    Pm: FloatArray,
    mu: FloatArray,
    Pi: FloatArray,
    lnbeta_prior: tuple[float, float] | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """IMM interaction: mixed initial conditions per mode and predicted mode probabilities.

    xm (N, K, NX), Pm (N, K, NX, NX), mu (N, K), Pi (N, K, K) with Pi[i, j] = P(mode j | mode i).
    The ballistic modes have no thrust state: after mixing their thrust mean and covariance are set to
    zero (truncation as in Stone Soup PR #142's model converters).

    ``lnbeta_prior`` (mean, sigma of ln beta): the boost mode's ln beta describes the thrusting body and
    is not identifiable apart from the thrust (both act along the velocity), so the boost component
    enters the ballistic modes with ln beta re-drawn from the prior and uncorrelated with the rest:
    burnout (and separation) changes the body whose drag matters. Without it the ascent's arbitrary
    ln beta carried into midcourse and re-entry was predicted tens of seconds slow.
    """
    cbar = np.einsum("nij,ni->nj", Pi, mu)
    w = Pi * mu[:, :, None] / np.maximum(cbar[:, None, :], 1e-300)  # w[n, i, j] = mu_{i|j}
    # Per target mode j the source states x_{i->j}: identical except boost -> ballistic modes.
    src = np.broadcast_to(xm[:, :, None, :], (*w.shape, xm.shape[-1])).copy()  # (N, i, j, NX)
    srcP = np.broadcast_to(Pm[:, :, None, :, :], (*w.shape, *Pm.shape[-2:])).copy()
    if lnbeta_prior is not None:
        src[:, 0, 1:, 6] = lnbeta_prior[0]
        srcP[:, 0, 1:, 6, :] = 0.0
        srcP[:, 0, 1:, :, 6] = 0.0
        srcP[:, 0, 1:, 6, 6] = lnbeta_prior[1] ** 2
    x0 = np.einsum("nij,nijk->njk", w, src)
    dx = src - x0[:, None, :, :]  # (N, i, j, NX)
    P0 = np.einsum("nij,nijkl->njkl", w, srcP) + np.einsum("nij,nijk,nijl->njkl", w, dx, dx)
    x0[:, 1:, 7:10] = 0.0
    P0[:, 1:, 7:10, :] = 0.0
    P0[:, 1:, :, 7:10] = 0.0
    cbar = cbar / cbar.sum(axis=1, keepdims=True)
    return x0, P0, cbar


def imm_combine(xm: FloatArray, Pm: FloatArray, mu: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Moment-matched single Gaussian (N, NX), (N, NX, NX) of the mode mixture."""
    x = np.einsum("nk,nki->ni", mu, xm)
    dx = xm - x[:, None, :]
    P = np.einsum("nk,nkij->nij", mu, Pm) + np.einsum("nk,nki,nkj->nij", mu, dx, dx)
    return x, P
