"""Powered and ballistic flight of many objects at once, launch to ground: the simulator's truth model.

Every object follows its class's programme (:mod:`tocsin.physics.catalogue`): a vertical rise, a
pitch-over with thrust along a fixed direction of elevation ``loft``, a gravity turn (thrust along the
air-relative velocity, Wiesel, Spaceflight Dynamics, sec. 6.3) to burnout, then ballistic flight with
J2 gravity, the rotating-frame terms and US76 drag with the class's re-entry ballistic coefficient.
Mass falls linearly with the constant mass flow of each stage; staging drops the spent stage
instantly; the boost drag uses m(t) / (C_D A) with the class's boost C_D and body cross-section.

Integration: classical RK4 in the rotating ECEF frame (:func:`tocsin.physics.dynamics.state_derivative`)
over all objects at once, each object on its own clock. While thrusting the step is ``dt_s`` and is
shortened so that every programme event (end of the vertical rise, end of the pitch-over, staging,
burnout) falls on a step boundary, so no RK4 step straddles a thrust discontinuity. After burnout the
step follows the adaptive rule of :func:`tocsin.physics._stepping.adaptive_dt` (drag time and density
scale height), capped at ``coast_dt_max_s`` (1 s by default). The ground crossing is found on the
cubic Hermite interpolant of the last step, and output samples are Hermite-interpolated too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tocsin._types import BoolArray, FloatArray, IntArray
from tocsin.geo.frames import altitude_fast_m, ecef_to_geodetic, enu_rotation, geodetic_deg_to_ecef
from tocsin.geo.wgs84 import J2, OMEGA_RAD_S
from tocsin.physics._stepping import (
    CD_RATIO_MAX,
    adaptive_dt,
    crossing_fraction,
    derivative_rows,
    hermite,
    rk4_rows,
)
from tocsin.physics.catalogue import get_class

PHASE_BOOST = 0
PHASE_MIDCOURSE = 1
PHASE_REENTRY = 2
REENTRY_ALT_M = 100_000.0  # re-entry begins when a descending object goes below this geodetic height


@dataclass(frozen=True)
class FlightPlan:
    """One launch: class, launch point (deg, m), launch time (Unix s), azimuth (deg clockwise from
    north), ``loft`` (rad; see :mod:`tocsin.physics.catalogue`), the fraction of the class's burn time
    actually burnt (``burn_fraction`` < 1: early cut-off for range control, or a failure), and an
    optional re-entry ballistic coefficient (kg/m^2) overriding the class value."""

    class_name: str
    launch_lat_deg: float
    launch_lon_deg: float
    launch_alt_m: float
    t_launch_unix_s: float
    azimuth_deg: float
    loft: float
    burn_fraction: float = 1.0
    beta_kg_m2: float | None = None


@dataclass(frozen=True)
class Trajectory:
    """Sampled flight of one object: times (Unix s), ECEF positions (m, (K, 3)) and velocities (m/s),
    phase per sample (0 boost, 1 midcourse, 2 re-entry), thrusting flags, burnout time (Unix s),
    apogee geodetic height (m) and the impact time (Unix s) and point (deg); NaN if it never lands.
    The last sample is the impact itself when there is one."""

    t_unix_s: FloatArray
    pos_ecef_m: FloatArray
    vel_ecef_mps: FloatArray
    phase: IntArray
    thrusting: BoolArray
    burnout_t_unix_s: float
    apogee_alt_m: float
    impact_t_unix_s: float
    impact_lat_deg: float
    impact_lon_deg: float
    class_name: str = ""
    impact_vel_ecef_mps: FloatArray | None = None  # (3,) velocity at impact, None if it never lands

    @property
    def landed(self) -> bool:
        """True when the object reached the ground within the time limit."""
        return bool(np.isfinite(self.impact_t_unix_s))


def fly(
    plans: Sequence[FlightPlan],
    *,
    dt_s: float = 0.05,
    sample_dt_s: float = 0.5,
    ground_alt_m: float | Sequence[float] | FloatArray = 0.0,
    max_time_s: float = 3600.0,
    coast_dt_max_s: float = 1.0,
    drag: bool = True,
    j2: bool = True,
    rotation: bool = True,
) -> list[Trajectory]:
    """Fly every plan from launch to the ground (geodetic height ``ground_alt_m``, m, one or per plan).

    ``dt_s`` (s) is the RK4 step while thrusting, ``coast_dt_max_s`` the largest step after burnout,
    ``sample_dt_s`` the output sampling interval (s, from launch), ``max_time_s`` the longest flight
    (s). ``drag``/``j2``/``rotation`` switch off the atmosphere (boost and re-entry), the J2 term and
    the Coriolis/centrifugal terms (for reference tests). Returns one :class:`Trajectory` per plan.
    """
    n = len(plans)
    if n == 0:
        return []
    classes = [get_class(p.class_name) for p in plans]
    g_alt = np.broadcast_to(np.asarray(ground_alt_m, dtype=np.float64), (n,)).copy()

    def arr(values: Sequence[float]) -> FloatArray:
        return np.asarray(values, dtype=np.float64)

    t_vert = arr([c.vertical_rise_s for c in classes])
    t_po_end = t_vert + arr([c.pitch_over_s for c in classes])
    st1 = [c.stages[0] if c.stages else None for c in classes]
    st2 = [c.stages[1] if len(c.stages) > 1 else None for c in classes]
    b1 = arr([s.burn_s if s else 0.0 for s in st1])
    b2 = arr([s.burn_s if s else 0.0 for s in st2])
    m01 = arr([s.mass_initial_kg if s else 1.0 for s in st1])
    mdot1 = arr([s.mass_flow_kg_s if s else 0.0 for s in st1])
    f1 = arr([s.thrust_n if s else 0.0 for s in st1])
    m02 = arr([s.mass_initial_kg if s else 1.0 for s in st2])
    mdot2 = arr([s.mass_flow_kg_s if s else 0.0 for s in st2])
    f2 = arr([s.thrust_n if s else 0.0 for s in st2])
    bf = np.clip(arr([p.burn_fraction for p in plans]), 0.0, 1.0)
    t_bo = bf * (b1 + b2)
    t_stage = np.where(b2 > 0, b1, np.inf)
    cda = arr([max(c.boost_cd_area_m2, 1e-12) for c in classes])
    beta_coast = arr(
        [
            p.beta_kg_m2 if p.beta_kg_m2 is not None else c.beta_kg_m2
            for p, c in zip(plans, classes, strict=True)
        ]
    )
    v_muzzle = arr([c.muzzle_velocity_mps for c in classes])
    events = np.stack([t_vert, t_po_end, t_stage, t_bo], axis=1)

    lat = np.radians(arr([p.launch_lat_deg for p in plans]))
    lon = np.radians(arr([p.launch_lon_deg for p in plans]))
    r0 = geodetic_deg_to_ecef(
        arr([p.launch_lat_deg for p in plans]),
        arr([p.launch_lon_deg for p in plans]),
        arr([p.launch_alt_m for p in plans]),
    )
    rot = enu_rotation(lat, lon)  # rows east, north, up
    az = np.radians(arr([p.azimuth_deg for p in plans]))
    loft = arr([p.loft for p in plans])
    up0 = rot[:, 2, :]
    horiz = np.sin(az)[:, None] * rot[:, 0, :] + np.cos(az)[:, None] * rot[:, 1, :]
    d_kick = np.cos(loft)[:, None] * horiz + np.sin(loft)[:, None] * up0

    state = np.concatenate([r0, v_muzzle[:, None] * d_kick], axis=1).T.copy()  # rows (6, n)
    up_rows = up0.T.copy()
    kick_rows = d_kick.T.copy()
    half_inv_beta_coast = 0.5 / beta_coast
    # Mach-dependent drag (truth only): up to CD_RATIO_MAX x the drag, so the step rule sees that beta.
    mach = np.array([c.mach_drag for c in classes], dtype=bool)
    beta_step = np.where(mach, beta_coast / CD_RATIO_MAX, beta_coast)
    mach_any = bool(mach.any())
    tau = np.zeros(n)
    j2_val = J2 if j2 else 0.0
    om = OMEGA_RAD_S if rotation else 0.0

    rec_idx: list[IntArray] = [np.arange(n, dtype=np.int64)]
    rec_t: list[FloatArray] = [tau.copy()]
    rec_s: list[FloatArray] = [state.T.copy()]
    impact_tau = np.full(n, np.nan)
    impact_state = np.full((n, 6), np.nan)
    active = np.ones(n, dtype=bool)
    idx = np.arange(n)

    while idx.size:
        s0 = state[:, idx]
        t0 = tau[idx]
        boosting = t0 < t_bo[idx] - 1e-9
        if boosting.any():
            ev = events[idx]
            ev_next = np.min(np.where(ev > t0[:, None] + 1e-9, ev, np.inf), axis=1)
            h = np.where(boosting, np.minimum(dt_s, ev_next - t0), 0.0)
            coasting = ~boosting
            if coasting.any():
                h[coasting] = adaptive_dt(
                    s0[:, coasting], beta_step[idx[coasting]], drag=drag, dt_max_s=coast_dt_max_s
                )
        else:
            h = adaptive_dt(s0, beta_step[idx], drag=drag, dt_max_s=coast_dt_max_s)
        h = np.minimum(h, max_time_s - t0)
        if boosting.any():
            # Thrust regime over the step, fixed at its start (events are on step boundaries).
            regime = np.where(
                t0 < t_vert[idx] - 1e-9, 0, np.where(t0 < t_po_end[idx] - 1e-9, 1, np.where(boosting, 2, 3))
            )
            stage2 = t0 >= t_stage[idx] - 1e-9
            m_a = np.where(stage2, m02[idx] + mdot2[idx] * b1[idx], m01[idx])
            mdot = np.where(stage2, mdot2[idx], mdot1[idx])
            thrust = np.where(boosting, np.where(stage2, f2[idx], f1[idx]), 0.0)
            fixed = np.where(regime == 0, up_rows[:, idx], kick_rows[:, idx])
            turn = regime == 2
            cda_i = cda[idx]
            hib = half_inv_beta_coast[idx]
            mach_i = mach[idx] & ~boosting if mach_any else None

            def deriv(
                tt: FloatArray,
                st: FloatArray,
                *,
                m_a: FloatArray = m_a,
                mdot: FloatArray = mdot,
                thrust: FloatArray = thrust,
                turn: BoolArray = turn,
                fixed: FloatArray = fixed,
                boosting: BoolArray = boosting,
                cda_i: FloatArray = cda_i,
                hib: FloatArray = hib,
                mach_i: BoolArray | None = mach_i,
            ) -> FloatArray:
                mass = np.maximum(m_a - mdot * tt, 1e-6)
                v = st[3:]
                sp = np.sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
                direction = np.where(turn, v / np.maximum(sp, 1e-9), fixed)
                acc = (thrust / mass) * direction
                half_inv_beta = np.where(boosting, 0.5 * cda_i / mass, hib)
                return derivative_rows(
                    st, half_inv_beta, j2=j2_val, omega_rad_s=om, drag=drag, thrust_mps2=acc, mach_rows=mach_i
                )

            k1 = deriv(t0, s0)
            k2 = deriv(t0 + 0.5 * h, s0 + 0.5 * h * k1)
            k3 = deriv(t0 + 0.5 * h, s0 + 0.5 * h * k2)
            k4 = deriv(t0 + h, s0 + h * k3)
            s1 = s0 + (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
        else:
            s1 = rk4_rows(
                s0,
                h,
                half_inv_beta_coast[idx],
                j2=j2_val,
                omega_rad_s=om,
                drag=drag,
                mach_rows=mach[idx] if mach_any else None,
            )
        t1 = t0 + h

        g = g_alt[idx]
        alt0 = _alt_rows(s0)
        alt1 = _alt_rows(s1)
        coast = ~boosting
        crossed = coast & (alt0 >= g) & (alt1 < g)
        descending = s1[0] * s1[3] + s1[1] * s1[4] + s1[2] * s1[5] < 0
        # Below the ground level and falling without ever having come down through it: it cannot
        # reach that ground (e.g. a target above what a short shot can climb to).
        lost = coast & ~crossed & (alt1 < g) & (alt0 < g) & descending
        if crossed.any():
            c = np.nonzero(crossed)[0]
            a0, a1 = s0[:, c].T, s1[:, c].T
            sc = crossing_fraction(a0[:, :3], a0[:, 3:], a1[:, :3], a1[:, 3:], h[c], g[c])
            pc, vc = hermite(a0[:, :3], a0[:, 3:], a1[:, :3], a1[:, 3:], h[c], sc)
            s1[:, c] = np.concatenate([pc, vc], axis=1).T
            t1[c] = t0[c] + sc * h[c]
            impact_tau[idx[c]] = t1[c]
            impact_state[idx[c]] = s1[:, c].T
        state[:, idx] = s1
        tau[idx] = t1
        rec_idx.append(idx)
        rec_t.append(t1)
        rec_s.append(s1.T.copy())
        finished = crossed | lost | (t1 >= max_time_s - 1e-9)
        if finished.any():
            active[idx[finished]] = False
            idx = np.nonzero(active)[0]

    all_idx = np.concatenate(rec_idx)
    all_t = np.concatenate(rec_t)
    all_s = np.concatenate(rec_s)
    order = np.argsort(all_idx, kind="stable")
    bounds = np.searchsorted(all_idx[order], np.arange(n + 1))
    out: list[Trajectory] = []
    for i, plan in enumerate(plans):
        sel = order[bounds[i] : bounds[i + 1]]
        out.append(
            _sample(
                plan,
                all_t[sel],
                all_s[sel],
                float(t_bo[i]),
                float(impact_tau[i]),
                impact_state[i],
                sample_dt_s,
            )
        )
    return out


def _alt_rows(s: FloatArray) -> FloatArray:
    """Height above the ellipsoid along the radial (m) for row states (6, N), as altitude_fast_m."""
    return altitude_fast_m(s[:3].T)


def _sample(
    plan: FlightPlan,
    t_rec: FloatArray,
    s_rec: FloatArray,
    t_bo: float,
    t_imp: float,
    s_imp: FloatArray,
    sample_dt_s: float,
) -> Trajectory:
    """Hermite-resample one object's RK4 nodes every ``sample_dt_s`` (plus the impact) and label phases."""
    t_end = float(t_rec[-1])
    ts = np.arange(0.0, t_end, sample_dt_s)
    if ts.size == 0 or t_end - ts[-1] > 1e-9:
        ts = np.append(ts, t_end)
    if t_rec.size > 1:
        k = np.clip(np.searchsorted(t_rec, ts, side="right") - 1, 0, t_rec.size - 2)
        h = t_rec[k + 1] - t_rec[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(h > 0, (ts - t_rec[k]) / h, 0.0)
        pos, vel = hermite(s_rec[k, :3], s_rec[k, 3:], s_rec[k + 1, :3], s_rec[k + 1, 3:], h, s)
    else:
        pos, vel = s_rec[:, :3].copy(), s_rec[:, 3:].copy()
    _, _, alt = ecef_to_geodetic(pos)
    thrusting = ts < t_bo - 1e-9
    ap = int(np.argmax(alt))
    apogee = float(alt[ap])
    descending = ts >= ts[ap]
    reentry = descending & ~thrusting & ((alt < REENTRY_ALT_M) | (apogee < REENTRY_ALT_M))
    phase = np.where(thrusting, PHASE_BOOST, np.where(reentry, PHASE_REENTRY, PHASE_MIDCOURSE))
    landed = math.isfinite(t_imp)
    if landed:
        ilat, ilon, _ = ecef_to_geodetic(s_imp[:3])
        imp_lat, imp_lon = math.degrees(float(ilat)), math.degrees(float(ilon))
    else:
        imp_lat = imp_lon = math.nan
    return Trajectory(
        t_unix_s=plan.t_launch_unix_s + ts,
        pos_ecef_m=pos,
        vel_ecef_mps=vel,
        phase=phase.astype(np.int64),
        thrusting=np.asarray(thrusting),
        burnout_t_unix_s=plan.t_launch_unix_s + t_bo,
        apogee_alt_m=apogee,
        impact_t_unix_s=plan.t_launch_unix_s + t_imp if landed else math.nan,
        impact_lat_deg=imp_lat,
        impact_lon_deg=imp_lon,
        class_name=plan.class_name,
        impact_vel_ecef_mps=s_imp[3:].copy() if landed else None,
    )
