"""Truth trajectories and noisy sensor scans for the tracker tests (fixed seeds, physics RK4 truth)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from tocsin._types import FloatArray
from tocsin.geo.frames import altitude_fast_m, enu_vector_to_ecef, geodetic_to_ecef
from tocsin.physics.dynamics import rk4_step
from tocsin.track.models import IrModel, RadarModel, ScanInput, radar_h

DEG = math.pi / 180.0


def launch_state(
    lat_deg: float, lon_deg: float, alt_m: float, speed_mps: float, gamma_deg: float, heading_deg: float
) -> FloatArray:
    """ECEF state (6,) at a geodetic point with speed, flight-path angle and heading (ENU frame)."""
    lat, lon = lat_deg * DEG, lon_deg * DEG
    r = geodetic_to_ecef(lat, lon, alt_m)
    g, h = gamma_deg * DEG, heading_deg * DEG
    v_enu = speed_mps * np.array([math.cos(g) * math.sin(h), math.cos(g) * math.cos(h), math.sin(g)])
    return np.concatenate([r, enu_vector_to_ecef(v_enu, lat, lon)])


def fly(
    state0: FloatArray,
    t_end_s: float,
    beta_kg_m2: float = 5000.0,
    dt_s: float = 0.1,
    thrust: Callable[[float, FloatArray], FloatArray] | None = None,
    sample_s: float = 1.0,
    stop_alt_m: float = 0.0,
) -> tuple[FloatArray, FloatArray]:
    """Truth by RK4: sample times (T,) and states (T, 6) every sample_s until t_end_s or the ground."""
    s = np.asarray(state0, dtype=np.float64)[None, :]
    n_sub = round(sample_s / abs(dt_s))
    ts, xs = [0.0], [s[0].copy()]
    t = 0.0
    while abs(t) < t_end_s - 1e-9:  # dt_s < 0 integrates backwards in time
        for _ in range(n_sub):
            s = rk4_step(s, dt_s, beta_kg_m2, thrust=thrust, t_s=t)
            t += dt_s
        if altitude_fast_m(s[0, 0:3]) < stop_alt_m:
            break
        ts.append(round(t, 9))
        xs.append(s[0].copy())
    return np.asarray(ts), np.asarray(xs)


def radar(lat_deg: float = 33.5, lon_deg: float = 41.5, **kw: float) -> RadarModel:
    """A long-range radar with Doppler (sigma 15 m, 1 mrad, 2 m/s), full azimuth coverage."""
    args: dict[str, float] = {
        "sigma_range_m": 15.0,
        "sigma_az_rad": 1e-3,
        "sigma_el_rad": 1e-3,
        "sigma_range_rate_mps": 2.0,
        "pd": 1.0,
        "clutter_per_scan": 0.0,
        "max_range_m": 2.0e6,
        "el_min_rad": 0.0,
    }
    args.update(kw)
    return RadarModel("r1", lat_deg * DEG, lon_deg * DEG, 100.0, **args)  # type: ignore[arg-type]


def radar_plots(rad: RadarModel, states: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Noisy radar measurements (M, m) of states (M, 6) with the radar's sigmas."""
    x = np.zeros((states.shape[0], 10))
    x[:, 0:6] = states
    zhat, _ = radar_h(x, rad)
    z = zhat + rng.standard_normal(zhat.shape) * np.sqrt(np.diag(rad.R))
    z[:, 1] = np.mod(z[:, 1], 2.0 * math.pi)
    return z


def radar_clutter(
    rad: RadarModel, n: int, rng: np.random.Generator, r_min: float = 50e3, r_max: float = 800e3
) -> FloatArray:
    """Uniform clutter plots in range/az/el (el 2-60 deg) and range rate (+-3 km/s)."""
    z = np.column_stack(
        [
            rng.uniform(r_min, r_max, n),
            rng.uniform(0.0, 2.0 * math.pi, n),
            rng.uniform(2.0 * DEG, 60.0 * DEG, n),
        ]
    )
    if rad.meas_dim == 4:
        z = np.column_stack([z, rng.uniform(-3000.0, 3000.0, n)])
    return z


def ir_sensor(
    sid: str, lat_deg: float, lon_deg: float, sigma_rad: float = 50e-6, alt_m: float = 1.0e6
) -> IrModel:
    """An IR satellite (LEO-like, fixed in ECEF for the test) above a geodetic point."""
    pos = geodetic_to_ecef(lat_deg * DEG, lon_deg * DEG, alt_m)
    return IrModel(sid, pos, sigma_rad, pd=1.0, clutter_per_scan=0.0, min_target_alt_m=1000.0)


def ir_plots(ir: IrModel, pos: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Noisy unit lines of sight (M, 3) from the sensor to ECEF points (M, 3)."""
    d = pos - ir.pos_ecef_m
    u = d / np.linalg.norm(d, axis=1, keepdims=True)
    noisy = u + rng.standard_normal(u.shape) * ir.sigma_los_rad
    noisy -= np.einsum("bi,bi->b", noisy - u, u)[:, None] * u  # keep the noise perpendicular
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def scan(sid: str, t: float, z: FloatArray) -> ScanInput:
    """A ScanInput."""
    return ScanInput(sid, float(t), np.asarray(z, dtype=np.float64))


@functools.lru_cache(maxsize=8)
def srbm_truth(t_end_s: float = 400.0, beta: float = 5000.0) -> tuple[FloatArray, FloatArray]:
    """SRBM-like ballistic arc from 80 km (2.5 km/s, 40 deg, heading west), to the ground."""
    return fly(launch_state(32.0, 45.0, 80e3, 2500.0, 40.0, 270.0), t_end_s, beta)


@functools.lru_cache(maxsize=8)
def boost_truth(
    accel_mps2: float = 25.0, t_burn_s: float = 60.0, t_end_s: float = 120.0
) -> tuple[FloatArray, FloatArray]:
    """Boost from 1 km with a constant thrust acceleration along a fixed 60-deg pitch direction."""
    s0 = launch_state(32.0, 45.0, 1000.0, 50.0, 80.0, 270.0)
    lat, lon = 32.0 * DEG, 45.0 * DEG
    d_enu = np.array([-math.cos(60 * DEG), 0.0, math.sin(60 * DEG)])
    a_vec = enu_vector_to_ecef(d_enu, lat, lon) * accel_mps2

    def thrust(t: float, s: FloatArray) -> FloatArray:
        on = 1.0 if t < t_burn_s - 1e-9 else 0.0
        return np.broadcast_to(a_vec * on, s[..., 0:3].shape)

    return fly(s0, t_end_s, 3000.0, thrust=thrust)


def fly_batch(
    states0: FloatArray, t_end_s: float, beta_kg_m2: FloatArray, dt_s: float = 0.1, sample_s: float = 1.0
) -> tuple[FloatArray, FloatArray]:
    """Truth for R objects at once: times (T,) and states (R, T, 6); NaN after an object lands."""
    s = np.asarray(states0, dtype=np.float64).copy()
    n_sub = round(sample_s / dt_s)
    n_t = round(t_end_s / sample_s) + 1
    out = np.full((s.shape[0], n_t, 6), np.nan)
    out[:, 0] = s
    landed = np.zeros(s.shape[0], dtype=bool)
    for k in range(1, n_t):
        for _ in range(n_sub):
            s = rk4_step(s, dt_s, beta_kg_m2)
        landed |= altitude_fast_m(s[:, 0:3]) < 0.0
        out[~landed, k] = s[~landed]
    return np.arange(n_t) * sample_s, out
