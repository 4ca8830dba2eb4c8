"""Accuracy and calibration study of impact prediction: reference trajectories, synthetic snapshots,
error-vs-time-to-go table and plot.

Evaluation helper, not part of the engine loop: :func:`error_vs_time_to_go` is what the report stage
calls (it writes files only when given an output directory). Truth is flown here so the study needs no
simulator; a snapshot is the truth state plus a Gaussian error drawn from a known covariance, exactly
how calibration is defined (algorithms.md section 7).

Truth is integrated with ``tocsin.physics.dynamics.rk4_step`` (US76 layer formulas, J2, rotation, drag)
at a fixed 0.2 s step (drag time scale >= 10 s: cm-level):
independent of the predictor's adaptive stepping and tabulated density.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tocsin._types import FloatArray
from tocsin.geo.frames import (
    altitude_fast_m,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_vector_to_ecef,
    geodetic_deg_to_ecef,
)
from tocsin.physics.dynamics import rk4_step
from tocsin.track.types import TrackSnapshot

T0_UNIX_S = 1_578_436_000.0


@dataclass(frozen=True)
class Truth:
    """A reference trajectory sampled every dt from burnout, and its impact (s, m)."""

    t_s: FloatArray  # (K,) from burnout
    states: FloatArray  # (K, 6)
    beta_kg_m2: float
    impact_t_s: float
    impact_ecef_m: FloatArray


def burnout_state(
    lat_deg: float, lon_deg: float, alt_m: float, speed_mps: float, gamma_deg: float, az_deg: float
) -> FloatArray:
    """ECEF state (6,) from a geodetic point, speed (m/s), flight-path angle and azimuth (deg)."""
    r = geodetic_deg_to_ecef(lat_deg, lon_deg, alt_m)
    g, a = np.radians(gamma_deg), np.radians(az_deg)
    ve = np.array(
        [speed_mps * np.cos(g) * np.sin(a), speed_mps * np.cos(g) * np.cos(a), speed_mps * np.sin(g)]
    )
    v = enu_vector_to_ecef(ve, np.radians(lat_deg), np.radians(lon_deg))
    return np.concatenate([r, v])


def fly_truth(state0: FloatArray, beta_kg_m2: float, dt_s: float = 0.2) -> Truth:
    """Fly an ECEF state (6,) (m, m/s) to the ellipsoid with fixed-step RK4 (dt_s, s); secant crossing."""
    s = np.asarray(state0, dtype=np.float64)[None]
    ts, ss = [0.0], [s[0].copy()]
    t = 0.0
    while True:
        n = rk4_step(s, dt_s, beta_kg_m2)
        h0, h1 = float(altitude_fast_m(s[0, :3])), float(altitude_fast_m(n[0, :3]))
        if h1 <= 0.0:
            # Sub-step to the crossing: a few short RK4 steps (secant), error << 1 m.
            lo, hi, f_lo, f_hi = 0.0, dt_s, h0, h1
            for _ in range(4):
                tau = lo + (hi - lo) * f_lo / (f_lo - f_hi)
                b = rk4_step(s, tau, beta_kg_m2)
                f = float(altitude_fast_m(b[0, :3]))
                if f > 0:
                    lo, f_lo = tau, f
                else:
                    hi, f_hi = tau, f
            return Truth(np.array(ts), np.array(ss), beta_kg_m2, t + tau, b[0, :3].copy())
        s = n
        t += dt_s
        ts.append(t)
        ss.append(s[0].copy())


def state_at(truth: Truth, t_go_s: float) -> tuple[float, FloatArray]:
    """Truth time (s from burnout) and state at a time-to-go (s), on the truth time grid."""
    k = int(np.argmin(np.abs(truth.t_s - (truth.impact_t_s - t_go_s))))
    return float(truth.t_s[k]), truth.states[k]


def radar_like_cov(
    sigma_pos_m: float,
    sigma_vel_mps: float,
    sigma_ln_beta: float,
    rng: np.random.Generator,
    corr: float = 0.5,
) -> FloatArray:
    """A 7x7 posterior covariance: position (m) and velocity (m/s) blocks with a random common orientation,
    RMS per-axis sigmas as given, position-velocity correlation ``corr``, and ln beta variance."""
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    d = np.diag([1.0, 0.6, 0.3])
    s_pos = q @ d @ q.T * sigma_pos_m**2 / (np.trace(d) / 3)
    s_vel = q @ d @ q.T * sigma_vel_mps**2 / (np.trace(d) / 3)
    c = corr * (q @ d @ q.T) * sigma_pos_m * sigma_vel_mps / (np.trace(d) / 3)
    P = np.zeros((7, 7))
    P[:3, :3] = s_pos
    P[3:6, 3:6] = s_vel
    P[:3, 3:6] = c
    P[3:6, :3] = c.T
    P[6, 6] = sigma_ln_beta**2
    return P


def snapshot_from(
    states7: FloatArray,
    covs: FloatArray,
    t_unix_s: float,
    *,
    boost_prob: float = 0.0,
    boost_accel: FloatArray | None = None,
    first_t_unix_s: float | None = None,
    ids: tuple[str, ...] | None = None,
) -> TrackSnapshot:
    """A snapshot of tracks with states (N, 7) and covariances (N, 7, 7) all updated at t_unix_s (s)."""
    n = states7.shape[0]
    mode = np.tile([boost_prob, 1.0 - boost_prob, 0.0], (n, 1))
    return TrackSnapshot(
        t_unix_s=t_unix_s,
        track_ids=ids or tuple(f"T{i}" for i in range(n)),
        t_update_unix_s=np.full(n, t_unix_s),
        x=states7,
        P=covs,
        mode_prob=mode,
        boost_accel_mps2=np.zeros((n, 3)) if boost_accel is None else boost_accel,
        first_t_unix_s=np.full(n, t_unix_s - 30.0 if first_t_unix_s is None else first_t_unix_s),
        n_updates=np.full(n, 30, dtype=np.int64),
    )


def noisy_snapshot(
    truth: Truth, t_go_s: float, P: FloatArray, n_runs: int, seed: int
) -> tuple[TrackSnapshot, float]:
    """n_runs tracks whose means are truth + N(0, P) draws; returns the snapshot and the truth impact time."""
    t_rel, s = state_at(truth, t_go_s)
    rng = np.random.default_rng(seed)
    x_true = np.concatenate([s, [np.log(truth.beta_kg_m2)]])
    err = rng.standard_normal((n_runs, 7)) @ np.linalg.cholesky(P).T
    t_unix = T0_UNIX_S + t_rel
    snap = snapshot_from(x_true + err, np.repeat(P[None], n_runs, axis=0), t_unix)
    return snap, T0_UNIX_S + truth.impact_t_s


#: SRBM burnouts of the study (lat, lon, alt m, speed m/s, flight-path deg, azimuth deg, beta kg/m^2):
#: algorithms.md [D] burnouts at 32 N 50 E heading west, plus a northbound and a lofted case.
SRBM_CASES: tuple[tuple[float, float, float, float, float, float, float], ...] = (
    (32.0, 50.0, 25e3, 1700.0, 42.0, 270.0, 5000.0),
    (32.0, 50.0, 80e3, 2500.0, 40.0, 270.0, 10000.0),
    (34.3, 47.1, 30e3, 1900.0, 45.0, 240.0, 6000.0),
)


def error_vs_time_to_go(
    t_go_s: tuple[float, ...] = (120.0, 90.0, 60.0, 30.0),
    *,
    n_runs: int = 100,
    seed: int = 0,
    sigma_pos_m: float = 30.0,
    sigma_vel_mps: float = 2.0,
    sigma_ln_beta: float = 0.2,
    config: Any = None,
    out_dir: Path | None = None,
) -> list[dict[str, float]]:
    """Impact miss, time error and calibration against time-to-go over n_runs Monte Carlo runs per case.

    Each run is a track whose mean is the truth state plus a draw from its covariance (position sigma
    m, velocity m/s, ln beta), at each time-to-go (s) of each SRBM case. Returns one row per time-to-go:
    median and 90th-percentile miss (m), median |impact-time error| (s), mean 2-D NEES and the
    coverage of the 50/90/95 % ellipses. With ``out_dir`` writes ``predict_error_vs_tgo.json`` and
    ``predict_error_vs_tgo.png`` (matplotlib, Agg) there.
    """
    from tocsin.predict.impact import PredictConfig, predict_impacts

    cfg = config or PredictConfig()
    rng = np.random.default_rng(seed)
    truths = [fly_truth(burnout_state(*c[:6]), c[6]) for c in SRBM_CASES]
    rows: list[dict[str, float]] = []
    for tg in t_go_s:
        miss: list[FloatArray] = []
        terr: list[FloatArray] = []
        nees: list[FloatArray] = []
        for k, tr in enumerate(truths):
            P = radar_like_cov(sigma_pos_m, sigma_vel_mps, sigma_ln_beta, rng)
            snap, t_imp = noisy_snapshot(tr, tg, P, n_runs, seed + 1000 * k + int(tg))
            pr = predict_impacts(snap, config=cfg)
            lat, lon, _ = ecef_to_geodetic(tr.impact_ecef_m)
            pred = geodetic_deg_to_ecef(pr.impact_lat_deg, pr.impact_lon_deg, 0.0)
            en = ecef_to_enu(pred, lat, lon, 0.0)[:, :2]
            miss.append(np.linalg.norm(en, axis=1))
            terr.append(np.abs(pr.impact_t_unix_s - t_imp))
            nees.append(np.einsum("ni,nij,nj->n", en, np.linalg.inv(pr.impact_cov_en_m2), en))
        m, t, e = np.concatenate(miss), np.concatenate(terr), np.concatenate(nees)
        rows.append(
            {
                "t_go_s": float(tg),
                "n": float(m.size),
                "miss_median_m": float(np.median(m)),
                "miss_p90_m": float(np.percentile(m, 90)),
                "t_err_median_s": float(np.median(t)),
                "nees_mean": float(np.mean(e)),
                "coverage_50": float(np.mean(e <= -2.0 * np.log(0.5))),
                "coverage_90": float(np.mean(e <= -2.0 * np.log(0.1))),
                "coverage_95": float(np.mean(e <= -2.0 * np.log(0.05))),
            }
        )
    if out_dir is not None:
        write_error_vs_time_to_go(rows, out_dir)
    return rows


def write_error_vs_time_to_go(rows: list[dict[str, float]], out_dir: Path) -> tuple[Path, Path]:
    """Write the table (JSON) and a two-panel PNG (miss and time error vs time-to-go) into out_dir."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    jp = out_dir / "predict_error_vs_tgo.json"
    jp.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    tg = [r["t_go_s"] for r in rows]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    ax[0].plot(tg, [r["miss_median_m"] for r in rows], "o-", label="median")
    ax[0].plot(tg, [r["miss_p90_m"] for r in rows], "s--", label="90th percentile")
    ax[0].set_xlabel("time to go (s)")
    ax[0].set_ylabel("impact-point miss (m)")
    ax[0].invert_xaxis()
    ax[0].legend()
    ax[1].plot(tg, [r["t_err_median_s"] for r in rows], "o-")
    ax[1].set_xlabel("time to go (s)")
    ax[1].set_ylabel("median |impact-time error| (s)")
    ax[1].invert_xaxis()
    fig.tight_layout()
    pp = out_dir / "predict_error_vs_tgo.png"
    fig.savefig(pp, dpi=120)
    plt.close(fig)
    return jp, pp
