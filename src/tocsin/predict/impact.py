"""Impact prediction with calibrated uncertainty for every confirmed track, batched over tracks.

Per track the posterior N(x, P) over [r, v, ln beta] is carried to the ground (algorithms.md 5.3):

- ballistic / re-entry tracks (both IMM modes share the J2 + rotation + drag dynamics, so they form
  one mode here): unscented transform, 2n+1 = 15 sigma points through the accurate propagator
  (:mod:`tocsin.predict.ground`), giving the mean and the joint (east, north, time) covariance; the
  sample cloud for zone probabilities is drawn from that Gaussian. ``method="mc"`` instead propagates
  ``n_samples`` state samples directly (banana-shaped clouds, validation);
- boosting tracks (boost-mode probability >= ``boost_threshold``): the burnout is unknown, so the
  cloud is a Monte Carlo over the plausible classes (catalogue), their feasible remaining burn times
  (bounded by the class burn time minus the burn already seen, and by the class's maximum-range
  burnout energy), thrust and re-entry beta: wide on purpose;
- tracks that cannot reach the ground (escape, orbit, already below ground, NaN or non-PD
  covariance) get a non-OK status with a reason and NaN impact fields.

Samples are seeded from a CRC-32 of (track id, update time, config seed): reproducible bit for bit.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from tocsin._types import BoolArray, FloatArray, IntArray
from tocsin.geo.frames import altitude_fast_m, ecef_to_enu, ecef_to_geodetic, enu_to_ecef
from tocsin.geo.wgs84 import A_M, E2, GM_M3_S2, MEAN_RADIUS_M
from tocsin.physics.catalogue import MissileClass
from tocsin.predict.classify import ClassEstimate, class_list, classify, energy_range_m, energy_speed_mps
from tocsin.predict.ground import GroundHit, Terrain, propagate_batch_to_ground
from tocsin.predict.iip import IIP_NOT_ELLIPTIC, IIP_OK, kepler_iip
from tocsin.predict.launch import LaunchEstimates, LaunchEstimator
from tocsin.predict.types import (
    STATUS_BELOW_GROUND,
    STATUS_BOOSTING,
    STATUS_INVALID,
    STATUS_NAMES,
    STATUS_NO_IMPACT,
    STATUS_OK,
    ImpactPredictions,
)
from tocsin.track.types import MODE_NAMES, TrackSnapshot

_G0 = 9.80665
CHI2_2DOF_95 = 5.991464547107979  # chi-square(2) 95 % quantile: 95 % ellipse semi-axes sqrt(5.991 lambda)


@dataclass(frozen=True)
class PredictConfig:
    """Settings of :func:`predict_impacts` (SI units)."""

    method: Literal["ut", "mc"] = "ut"
    n_samples: int = 200  # cloud size per track (and propagated samples for "mc" and boost tracks)
    # UT scaling: sigma points at +-sqrt(n + lambda) sigma; n + lambda = 3 matches the Gaussian kurtosis
    # (Julier & Uhlmann, Proc. IEEE 92(3), 2004, sec. IV); the negative centre weight is made safe by
    # clipping the covariance to positive semi-definite.
    ut_lambda: float = -4.0
    boost_threshold: float = 0.5  # boost-mode probability above which the burnout is treated as unknown
    terrain: Terrain = field(default_factory=Terrain)
    max_time_s: float = 3600.0
    beta_spread_ln: float = 0.3  # ln-sigma of a class's re-entry beta in boost Monte Carlo
    seed: int = 0
    # Ballistic coefficients of propagated samples are clipped to this range (kg/m^2): a sigma point
    # far in the ln-beta tail with a beta below any real re-entry body only forces tiny steps.
    beta_min_kg_m2: float = 100.0
    beta_max_kg_m2: float = 1e6
    propagate_tol_m: float = 0.5  # impact-error budget of the propagator's step rule (m)


def track_seed(track_id: str, t_unix_s: float, salt: int = 0) -> int:
    """Deterministic RNG seed of one track's samples at one time (CRC-32; Python's hash is salted)."""
    return zlib.crc32(f"{track_id}|{t_unix_s:.6f}|{salt}".encode())


def _valid_posterior(x: FloatArray, P: FloatArray) -> BoolArray:
    ok = np.isfinite(x).all(axis=1) & np.isfinite(P).all(axis=(1, 2))
    sym = np.abs(P - np.swapaxes(P, 1, 2)).max(axis=(1, 2)) <= 1e-6 * (np.abs(P).max(axis=(1, 2)) + 1e-300)
    ok &= sym
    eig = np.full(x.shape[0], -1.0)
    if ok.any():
        eig[ok] = np.linalg.eigvalsh(0.5 * (P[ok] + np.swapaxes(P[ok], 1, 2)))[:, 0]
    return np.asarray(ok & (eig > 0.0), dtype=bool)


def _summarise(
    pos_ecef: FloatArray,
    t_abs: FloatArray,
    ref_lat: FloatArray,
    ref_lon: FloatArray,
    ref_alt: FloatArray,
    w: FloatArray | None,
) -> tuple[FloatArray, ...]:
    """Weighted mean and (e, n, t) covariance of impact clouds (K, M, 3) about reference points.

    Returns mean lat/lon (rad), mean time, the (K, 3, 3) covariance of (east m, north m, time s) and
    the (K, M, 3) offsets in the reference tangent plane. NaN samples get zero weight.
    """
    k, m = t_abs.shape
    enu = ecef_to_enu(pos_ecef, ref_lat[:, None], ref_lon[:, None], ref_alt[:, None])
    z = np.concatenate([enu[..., :2], t_abs[..., None]], axis=-1)
    good = np.isfinite(z).all(axis=-1)
    ww = np.full((k, m), 1.0 / m) if w is None else np.broadcast_to(w, (k, m)).copy()
    ww = np.where(good, ww, 0.0)
    tot = ww.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ww = ww / tot
    zz = np.where(good[..., None], z, 0.0)
    mean = np.einsum("km,kmi->ki", ww, zz)
    d = np.where(good[..., None], zz - mean[:, None, :], 0.0)
    cov = np.einsum("km,kmi,kmj->kij", ww, d, d)
    if w is None:  # unbiased sample covariance for Monte Carlo clouds
        n_eff = good.sum(axis=1).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = cov * (n_eff / np.maximum(n_eff - 1.0, 1.0))[:, None, None]
    # A negative UT centre weight can leave tiny negative eigenvalues: clip to PSD.
    lam, vec = np.linalg.eigh(np.where(np.isfinite(cov), cov, 0.0))
    psd = np.einsum("kij,kj,klj->kil", vec, np.maximum(lam, 0.0), vec)
    cov = np.where(np.isfinite(cov).all(axis=(1, 2))[:, None, None], psd, np.nan)
    mean_ecef = enu_to_ecef(
        np.concatenate([mean[:, :2], np.zeros((k, 1))], axis=1), ref_lat, ref_lon, ref_alt
    )
    lat, lon, _ = ecef_to_geodetic(mean_ecef)
    return lat, lon, mean[:, 2], cov, z


def track_normals(seeds: list[int], shape: tuple[int, ...]) -> FloatArray:
    """Standard normals of shape (len(seeds), *shape): one PCG64 stream per track seed, so a track's
    draws depend only on its own seed, not on the batch it is predicted in."""
    if not seeds:
        return np.zeros((0, *shape))
    return np.stack([np.random.default_rng(s).standard_normal(shape) for s in seeds])


def tangent_to_geodetic(
    east_m: FloatArray, north_m: FloatArray, lat0_rad: FloatArray, lon0_rad: FloatArray, alt0_m: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude (rad) of small east/north offsets (m) about geodetic points.

    Offsets in the tangent plane are mapped to second order: dlat = (n - e^2 tan(lat0) / (2 (N + h)))
    / (M + h), dlon = e / ((N + h) cos lat) with the meridian and prime-vertical radii M, N (Torge &
    Mueller, Geodesy, 4th ed., eq. 4.15, 4.19) and the cosine at the sample's own latitude. Against the
    exact tangent-plane point projected down its normal this differs by < 0.15 m at 14 km, far
    inside any impact ellipse, at a tenth of the cost of the exact conversion.
    Arguments broadcast; lat0/lon0/alt0 usually carry a trailing axis of length 1.
    """
    s2 = np.sin(lat0_rad) ** 2
    w2 = 1.0 - E2 * s2
    n_rad = A_M / np.sqrt(w2)
    m_rad = n_rad * (1.0 - E2) / w2
    # An east offset in the tangent plane runs along a great circle, which leaves the parallel towards
    # the equator by e^2 tan(lat) / (2 R) (second-order term of the sphere's inverse projection).
    lat = lat0_rad + (north_m - 0.5 * east_m * east_m * np.tan(lat0_rad) / (n_rad + alt0_m)) / (
        m_rad + alt0_m
    )
    lon = lon0_rad + east_m / ((n_rad + alt0_m) * np.cos(lat))
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)


def _cloud_from_gaussian(
    mean_lat: FloatArray,
    mean_lon: FloatArray,
    mean_t: FloatArray,
    alt: FloatArray,
    cov: FloatArray,
    seeds: list[int],
    n_samples: int,
) -> tuple[FloatArray, ...]:
    """Draw n_samples (east, north, time) per track from N(0, cov) about the mean; lat/lon in degrees."""
    z = track_normals(seeds, (n_samples, 3))
    # Cholesky of a PSD 3x3 with a tiny jitter (sample clouds of a degenerate UT stay finite).
    jitter = 1e-9 * np.eye(3) * (np.trace(cov, axis1=1, axis2=2)[:, None, None] + 1e-12)
    L = np.linalg.cholesky(cov + jitter)
    d = np.einsum("kij,ksj->ksi", L, z)
    la, lo = tangent_to_geodetic(d[..., 0], d[..., 1], mean_lat[:, None], mean_lon[:, None], alt[:, None])
    return np.degrees(la), np.degrees(lo), mean_t[:, None] + d[..., 2]


def _class_accel_mps2(c: MissileClass) -> float:
    """Mean thrust acceleration (m/s^2) of a class's first stage at half propellant, minus nothing."""
    if not c.stages:
        return 0.0
    st = c.stages[0]
    return float(st.thrust_n / (st.mass_initial_kg - 0.5 * st.propellant_kg))


def _boost_samples(
    x: FloatArray,
    P: FloatArray,
    accel: FloatArray,
    seen_burn_s: FloatArray,
    class_prob: FloatArray,
    classes: tuple[MissileClass, ...],
    seeds: list[int],
    n_samples: int,
    beta_spread_ln: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Boost Monte Carlo inputs for K tracks: states (K*S, 6), thrust (K*S,), burn (K*S,), beta (K*S,)."""
    k = x.shape[0]
    powered = np.array([len(c.stages) > 0 for c in classes])
    burn_tot = np.array([c.burn_s for c in classes])
    r_max = np.array([c.range_max_m for c in classes])
    v_max = energy_speed_mps(r_max)
    a_cls = np.array([_class_accel_mps2(c) for c in classes])
    beta_cls = np.array([c.beta_kg_m2 for c in classes])
    states = np.empty((k, n_samples, 6))
    thrust = np.empty((k, n_samples))
    burn = np.empty((k, n_samples))
    beta = np.empty((k, n_samples))
    for i in range(k):  # per-track RNG streams (seeded per track), the arithmetic below is batched
        rng = np.random.default_rng(seeds[i])
        L = np.linalg.cholesky(P[i, :6, :6])
        states[i] = x[i, :6] + rng.standard_normal((n_samples, 6)) @ L.T
        p = np.where(powered, class_prob[i], 0.0)
        p = p / p.sum() if p.sum() > 0 else powered / powered.sum()
        ci = rng.choice(len(classes), size=n_samples, p=p)
        a_meas = float(np.linalg.norm(accel[i]))
        a_now = np.where(a_meas > 1.0, a_meas, a_cls[ci])
        # Thrust acceleration rises as propellant burns (F / m(t)); spread over +0..30 %.
        a_s = a_now * (1.0 + 0.3 * rng.random(n_samples))
        v_eq = np.sqrt(
            np.maximum(
                2.0
                * (
                    0.5 * np.sum(states[i, :, 3:] ** 2, axis=1)
                    + GM_M3_S2 / MEAN_RADIUS_M
                    - GM_M3_S2 / np.linalg.norm(states[i, :, :3], axis=1)
                ),
                0.0,
            )
        )
        # Remaining burn: not beyond the class burn time left, nor beyond the burnout speed of its
        # maximum range (gravity loss ~ g sin(gamma) ignored: a slight over-reach, conservative).
        u_time = np.maximum(burn_tot[ci] - seen_burn_s[i], 0.0)
        u_energy = np.maximum(v_max[ci] - v_eq, 0.0) / np.maximum(a_s - 0.5 * _G0, 1.0)
        burn[i] = rng.random(n_samples) * np.minimum(u_time, u_energy)
        thrust[i] = a_s
        beta[i] = beta_cls[ci] * np.exp(beta_spread_ln * rng.standard_normal(n_samples))
    return states.reshape(-1, 6), thrust.reshape(-1), burn.reshape(-1), beta.reshape(-1)


def predict_impacts(
    snapshot: TrackSnapshot,
    *,
    config: PredictConfig | None = None,
    launch: LaunchEstimator | None = None,
    launch_estimates: LaunchEstimates | None = None,
) -> ImpactPredictions:
    """Impact (and launch) predictions with uncertainty for every track of a snapshot.

    Times are Unix seconds; positions geodetic degrees; covariances m^2 in the local east/north plane
    at the mean impact point; ``samples_*`` is the (N, S) equal-weight cloud (NaN where a sample does
    not reach the ground). ``launch`` (optional) is updated with this snapshot and its estimates fill
    the launch fields; or ``launch_estimates`` gives them already computed, aligned with the snapshot.
    """
    cfg = config or PredictConfig()
    n = len(snapshot)
    s_n = cfg.n_samples
    classes = class_list()
    x = np.asarray(snapshot.x, dtype=np.float64).reshape(n, 7)
    P = np.asarray(snapshot.P, dtype=np.float64).reshape(n, 7, 7)
    t0 = np.asarray(snapshot.t_update_unix_s, dtype=np.float64).reshape(n)
    status = np.full(n, STATUS_OK, dtype=np.int64)
    reason = [""] * n
    out_lat = np.full(n, np.nan)
    out_lon = np.full(n, np.nan)
    out_t = np.full(n, np.nan)
    out_ts = np.full(n, np.nan)
    out_cov = np.full((n, 2, 2), np.nan)
    smp_lat = np.full((n, s_n), np.nan)
    smp_lon = np.full((n, s_n), np.nan)
    smp_t = np.full((n, s_n), np.nan)

    def fill(idx: IntArray, hit: GroundHit, code: int) -> None:
        # Summarise the propagated cloud of tracks ``idx`` (S samples each) into the output arrays.
        _fill_from_cloud(
            idx,
            hit.pos_ecef_m.reshape(-1, s_n, 3),
            t0[idx, None] + hit.t_s.reshape(-1, s_n),
            h_g,
            status,
            reason,
            code,
            out_lat,
            out_lon,
            out_t,
            out_ts,
            out_cov,
            smp_lat,
            smp_lon,
            smp_t,
            cfg.max_time_s,
        )

    def clip_beta(beta: FloatArray) -> FloatArray:
        return np.asarray(np.clip(beta, cfg.beta_min_kg_m2, cfg.beta_max_kg_m2), dtype=np.float64)

    valid = _valid_posterior(x, P)
    for i in np.nonzero(~valid)[0]:
        status[i] = STATUS_INVALID
        reason[i] = "state or covariance not finite, or covariance not positive definite"
    p_boost = np.nan_to_num(
        np.asarray(snapshot.mode_prob, dtype=np.float64).reshape(n, len(MODE_NAMES))[:, 0]
    )
    launch_est = launch.update(snapshot) if launch is not None else launch_estimates
    if launch_est is not None:
        # Coasting tracks whose boost fit gives a tighter state at the same time: fuse it in.
        x, P = fuse_fit_states(x, P, t0, valid & (p_boost < cfg.boost_threshold), launch_est)
    r = np.where(valid[:, None], x[:, :3], np.nan)
    v = np.where(valid[:, None], x[:, 3:6], np.nan)
    iip = kepler_iip(r, v, ground_alt_m=cfg.terrain.default_alt_m)
    # Terrain under the vacuum impact point of the mean state (one height per track).
    h_g = cfg.terrain.height_m(np.degrees(iip.lat_rad), np.degrees(iip.lon_rad))
    alt = np.full(n, np.nan)
    alt[valid] = altitude_fast_m(r[valid])
    below = valid & (alt <= h_g)
    for i in np.nonzero(below)[0]:
        status[i] = STATUS_BELOW_GROUND
        reason[i] = f"state {alt[i]:.0f} m above the ellipsoid, at or below the terrain ({h_g[i]:.0f} m)"
    boosting = valid & ~below & (p_boost >= cfg.boost_threshold)
    ballistic = valid & ~below & ~boosting
    for i in np.nonzero(ballistic & (iip.status != IIP_OK))[0]:
        status[i] = STATUS_NO_IMPACT
        reason[i] = (
            "escape trajectory (not elliptic)"
            if iip.status[i] == IIP_NOT_ELLIPTIC
            else "orbit does not reach the ground (perigee above the terrain)"
        )
    ballistic &= status == STATUS_OK
    seeds = [track_seed(tid, float(t0[i]), cfg.seed) for i, tid in enumerate(snapshot.track_ids)]

    # Class estimate (needed by boost sampling and for the danger radius).
    seen_burn = np.where(boosting, t0 - np.asarray(snapshot.first_t_unix_s, dtype=np.float64), 0.0)
    committed = np.full(n, np.nan)
    if launch_est is not None:
        from tocsin.geo.geodesic import geodesic_distance_m

        committed = np.asarray(
            geodesic_distance_m(
                launch_est.lat_deg, launch_est.lon_deg, np.degrees(iip.lat_rad), np.degrees(iip.lon_rad)
            ),
            dtype=np.float64,
        )
    cls: ClassEstimate = classify(
        np.nan_to_num(r),
        np.nan_to_num(v),
        x[:, 6],
        np.nan_to_num(P[:, 6, 6], nan=1.0),
        boosting,
        seen_burn,
        committed,
    )

    # --- ballistic tracks -------------------------------------------------------------------------
    b_idx = np.nonzero(ballistic)[0]
    if b_idx.size and cfg.method == "ut":
        nd = 7
        lam = cfg.ut_lambda
        # Sigma points x +- columns of sqrt((n + lambda) P) (Julier & Uhlmann 2004, eq. 12).
        L = np.linalg.cholesky(P[b_idx]) * math.sqrt(nd + lam)
        cols = np.swapaxes(L, 1, 2)
        sig = np.concatenate([x[b_idx, None, :], x[b_idx, None, :] + cols, x[b_idx, None, :] - cols], axis=1)
        w = np.full(2 * nd + 1, 0.5 / (nd + lam))
        w[0] = lam / (nd + lam)
        m = sig.shape[1]
        flat = sig.reshape(-1, 7)
        hit = propagate_batch_to_ground(
            flat[:, :6],
            clip_beta(np.exp(flat[:, 6])),
            ground_alt_m=np.repeat(h_g[b_idx], m),
            max_time_s=cfg.max_time_s,
            tol_m=cfg.propagate_tol_m,
        )
        pos = hit.pos_ecef_m.reshape(-1, m, 3)
        tabs = t0[b_idx, None] + hit.t_s.reshape(-1, m)
        centre_ok = np.isfinite(tabs[:, 0])
        ref_lat, ref_lon, _ = ecef_to_geodetic(np.nan_to_num(pos[:, 0]))
        lat, lon, mt, cov, zs = _summarise(pos, tabs, ref_lat, ref_lon, h_g[b_idx], w)
        cov = _collapsed_axis_guard(cov, zs, w)
        n_miss = (~np.isfinite(tabs)).sum(axis=1)
        ok = centre_ok & np.isfinite(cov).all(axis=(1, 2))
        for j, i in enumerate(b_idx):
            if not ok[j]:
                status[i] = STATUS_NO_IMPACT
                reason[i] = f"does not reach the ground within {cfg.max_time_s:.0f} s"
            elif n_miss[j]:
                reason[i] = f"{n_miss[j]} of {m} sigma points do not reach the ground"
        g = b_idx[ok]
        # Impact time: the central sigma point's (the posterior-mean trajectory, the median in beta), not
        # the weighted mean. Time is strongly convex in ln beta (a light body falls slowly) and the
        # sigma points sit at +-sqrt(3) prior sigmas of ln beta before re-entry (beta 370 to 67,000 kg/m^2
        # about 5,000), so the mean was dragged toward the slow tail: srbm-500 predictions 16-23 s late at
        # 50-240 s to go on al-asad-2020 with a 46 s sigma. The spread is kept, taken about this centre.
        t_c = tabs[ok, 0]
        cov_c = cov[ok].copy()
        cov_c[:, 2, 2] += (mt[ok] - t_c) ** 2
        out_lat[g], out_lon[g], out_t[g] = np.degrees(lat[ok]), np.degrees(lon[ok]), t_c
        out_cov[g] = cov[ok, :2, :2]
        out_ts[g] = np.sqrt(cov_c[:, 2, 2])
        cl = _cloud_from_gaussian(lat[ok], lon[ok], t_c, h_g[g], cov_c, [seeds[i] for i in g], s_n)
        smp_lat[g], smp_lon[g], smp_t[g] = cl
    elif b_idx.size:
        z = track_normals([seeds[i] for i in b_idx], (s_n, 7))
        draws = x[b_idx, None, :] + np.einsum("kij,ksj->ksi", np.linalg.cholesky(P[b_idx]), z)
        flat = draws.reshape(-1, 7)
        hit = propagate_batch_to_ground(
            flat[:, :6],
            clip_beta(np.exp(flat[:, 6])),
            ground_alt_m=np.repeat(h_g[b_idx], s_n),
            max_time_s=cfg.max_time_s,
            tol_m=cfg.propagate_tol_m,
        )
        fill(b_idx, hit, STATUS_OK)

    # --- boosting tracks: unknown burnout ---------------------------------------------------------
    k_idx = np.nonzero(boosting)[0]
    if k_idx.size:
        accel = np.asarray(snapshot.boost_accel_mps2, dtype=np.float64).reshape(n, 3)
        st, th, bu, be = _boost_samples(
            x[k_idx],
            P[k_idx],
            accel[k_idx],
            seen_burn[k_idx],
            cls.prob[k_idx],
            classes,
            [seeds[i] for i in k_idx],
            s_n,
            cfg.beta_spread_ln,
        )
        hit = propagate_batch_to_ground(
            st,
            clip_beta(be),
            ground_alt_m=np.repeat(h_g[k_idx], s_n),
            max_time_s=cfg.max_time_s,
            tol_m=cfg.propagate_tol_m,
            thrust_mps2=th,
            burn_s=bu,
        )
        fill(k_idx, hit, STATUS_BOOSTING)

    _reject_unsummarisable(
        t0,
        cfg.max_time_s,
        status,
        reason,
        (out_lat, out_lon, out_t, out_ts, out_cov, smp_lat, smp_lon, smp_t),
    )
    nan = np.full(n, np.nan)
    return ImpactPredictions(
        t_unix_s=float(snapshot.t_unix_s),
        track_ids=tuple(snapshot.track_ids),
        status=status,
        reason=tuple(reason),
        impact_t_unix_s=out_t,
        impact_t_sigma_s=out_ts,
        impact_lat_deg=out_lat,
        impact_lon_deg=out_lon,
        impact_cov_en_m2=out_cov,
        samples_lat_deg=smp_lat,
        samples_lon_deg=smp_lon,
        samples_t_unix_s=smp_t,
        danger_radius_m=cls.danger_radius_m,
        class_names=cls.class_names,
        class_prob=cls.prob,
        launch_lat_deg=launch_est.lat_deg if launch_est is not None else nan,
        launch_lon_deg=launch_est.lon_deg if launch_est is not None else nan.copy(),
        launch_t_unix_s=launch_est.t_unix_s if launch_est is not None else nan.copy(),
        launch_cov_en_m2=launch_est.cov_en_m2 if launch_est is not None else np.full((n, 2, 2), np.nan),
        range_class=cls.range_class,
        energy_range_m=cls.energy_range_m,
        radar_updates=np.asarray(snapshot.n_radar, dtype=np.int64).copy()
        if np.shape(snapshot.n_radar) == (n,)
        else np.full(n, -1, dtype=np.int64),
        launch_t_sigma_s=launch_est.t_sigma_s if launch_est is not None else nan.copy(),
    )


#: A UT east/north covariance whose minor eigenvalue is below this fraction of the modified form's is
#: treated as collapsed by the negative centre weight (see :func:`_collapsed_axis_guard`).
UT_COLLAPSE_FRACTION = 1e-3


def _collapsed_axis_guard(cov: FloatArray, z: FloatArray, w: FloatArray) -> FloatArray:
    """UT impact covariances (K, 3, 3) with any collapsed east/north axis replaced by the modified form.

    With n + lambda = 3 the centre weight lambda / (n + lambda) is negative (-4/3 for n = 7) and the
    standard unscented covariance may lose positive definiteness; ``_summarise`` clips it to PSD, which
    can leave an ellipse axis of centimetres (end to end, srbm-300 at 30 s to go: a 0.2 m minor axis and
    a 2-D NEES of 8e4 for an 87 m miss). The remedy of Julier & Uhlmann (Proc. IEEE 92(3), 2004, sec. V)
    is the covariance about the propagated centre point, P = sum_{i>=1} W_i (Y_i - Y_0)(Y_i - Y_0)^T,
    positive semi-definite by construction and exact for a linear map (it adds the outer product of
    the mean shift). It is used for the tracks whose standard (e, n) block has collapsed.
    ``z`` (K, M, 3) are the sigma points' (east m, north m, time s) about the centre point; ``w`` (M,).
    """
    d = z - z[:, :1, :]
    good = np.asarray(np.isfinite(d).all(axis=-1), dtype=bool)
    ww = np.where(good, np.broadcast_to(w, good.shape), 0.0)
    ww[:, 0] = 0.0
    d = np.where(good[..., None], d, 0.0)
    mod = np.einsum("km,kmi,kmj->kij", ww, d, d)
    ok = np.asarray(np.isfinite(cov).all(axis=(1, 2)), dtype=bool)
    std_min = np.linalg.eigvalsh(np.where(ok[:, None, None], cov, np.eye(3))[:, :2, :2])[:, 0]
    mod_min = np.linalg.eigvalsh(mod[:, :2, :2])[:, 0]
    collapsed = ok & (std_min < UT_COLLAPSE_FRACTION * mod_min)
    out = cov.copy()
    out[collapsed, :2, :2] = mod[collapsed, :2, :2]
    return out


def covariance_intersection(
    xa: FloatArray, Pa: FloatArray, xb: FloatArray, Pb: FloatArray
) -> tuple[FloatArray, FloatArray, float]:
    """Covariance intersection of two estimates (n,), (n, n) of one state with unknown correlation.

    P^-1 = w Pa^-1 + (1 - w) Pb^-1, x = P (w Pa^-1 xa + (1 - w) Pb^-1 xb), with w in [0, 1] minimising
    det P (Julier & Uhlmann, "A non-divergent estimation algorithm in the presence of unknown
    correlations", Proc. American Control Conf. 1997): consistent whatever the correlation, so two
    estimates from the same measurements (a filter and a batch fit) can be combined without counting
    the data twice. ``w`` is found on a fixed grid refined once (deterministic). Returns x, P, w.
    """
    Ia = np.linalg.inv(Pa)
    Ib = np.linalg.inv(Pb)

    def logdet_info(w: FloatArray) -> FloatArray:
        # det P is minimal where det P^-1 is maximal.
        info = w[:, None, None] * Ia + (1.0 - w)[:, None, None] * Ib
        return np.asarray(np.linalg.slogdet(info)[1], dtype=np.float64)

    grid = np.linspace(0.0, 1.0, 51)
    k = int(np.argmax(logdet_info(grid)))
    fine = np.linspace(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)], 41)
    w = float(fine[int(np.argmax(logdet_info(fine)))])
    info = w * Ia + (1.0 - w) * Ib
    P = np.linalg.inv(info)
    x = P @ (w * Ia @ xa + (1.0 - w) * Ib @ xb)
    return x, 0.5 * (P + P.T), w


def fuse_fit_states(
    x: FloatArray, P: FloatArray, t_unix_s: FloatArray, eligible: BoolArray, launch: LaunchEstimates
) -> tuple[FloatArray, FloatArray]:
    """Filter states x (N, 7), P (N, 7, 7) at times (N,) with the boost fit's coasting states fused in.

    A track qualifies when ``eligible`` (coasting, valid posterior) and its launch estimates carry a
    fit state at its own update time whose velocity covariance (the impact error's main driver, about
    0.36 km per m/s of speed at 324 km range, algorithms.md section 4) is smaller in trace than the filter's:
    then position and velocity become the covariance intersection (:func:`covariance_intersection`)
    of the two, whose sources share the measurements. ln beta keeps the filter's mean and variance
    (a boost fit says nothing of it) and loses its correlation with the kinematic state. Returns new
    arrays; the others are unchanged.
    """
    if launch.fit_state_t_unix_s is None or launch.fit_state_cov is None:
        return x, P
    assert launch.fit_state_pos_ecef_m is not None and launch.fit_state_vel_ecef_mps is not None
    xs = np.concatenate([launch.fit_state_pos_ecef_m, launch.fit_state_vel_ecef_mps], axis=1)
    Ps = launch.fit_state_cov
    ok = (
        eligible
        & (launch.fit_state_t_unix_s == t_unix_s)
        & np.isfinite(xs).all(axis=1)
        & np.isfinite(Ps).all(axis=(1, 2))
    )
    tighter = np.zeros_like(ok)
    tighter[ok] = np.trace(Ps[ok][:, 3:6, 3:6], axis1=1, axis2=2) < np.trace(
        P[ok][:, 3:6, 3:6], axis1=1, axis2=2
    )
    idx = np.flatnonzero(tighter)
    if idx.size == 0:
        return x, P
    x = x.copy()
    P = P.copy()
    for i in idx.tolist():
        try:
            xf, Pf, _ = covariance_intersection(x[i, :6], P[i, :6, :6], xs[i], Ps[i])
        except np.linalg.LinAlgError:
            continue
        x[i, :6] = xf
        P[i, :6, :6] = Pf
        P[i, 6, :6] = 0.0
        P[i, :6, 6] = 0.0
    return x, P


#: A cloud whose 1-sigma impact spread exceeds this (m) straddles a good part of the globe (samples near
#: orbital energy): a tangent-plane mean and covariance of it mean nothing (national seed 1 wrote an
#: impact time of 2e19 s from one such cloud).
MAX_IMPACT_SIGMA_M = 2.0e6


def _reject_unsummarisable(
    t0: FloatArray,
    max_time_s: float,
    status: IntArray,
    reason: list[str],
    outs: tuple[FloatArray, ...],
) -> None:
    """Turn predictions whose summary is not a usable impact (time outside [t0, t0 + max_time_s], a
    non-finite or globe-sized spread) into ``no_impact`` with a reason, never a fake impact point.
    ``outs``: the per-track output arrays (lat, lon, time, time sigma, covariance, sample clouds),
    blanked in place for those tracks."""
    out_t, out_ts, out_cov = outs[2], outs[3], outs[4]
    valid = (status == STATUS_OK) | (status == STATUS_BOOSTING)
    with np.errstate(invalid="ignore"):
        sig_m = np.sqrt(np.nan_to_num(np.trace(out_cov, axis1=1, axis2=2), nan=np.inf))
        dt = out_t - t0
        bad = valid & ~(
            np.isfinite(dt)
            & (dt >= -1.0)
            & (dt <= max_time_s)
            & np.isfinite(out_ts)
            & (out_ts <= max_time_s)
            & (sig_m <= MAX_IMPACT_SIGMA_M)
        )
    for i in np.nonzero(bad)[0]:
        status[i] = STATUS_NO_IMPACT
        reason[i] = (
            f"impact spread not summarisable (time {dt[i]:.3g} s ahead, 1-sigma {sig_m[i]:.3g} m): "
            "samples reach the ground around a large part of the globe"
        )
        for arr in outs:  # lat, lon, time, its sigma, covariance, sample clouds
            arr[i] = np.nan


def _fill_from_cloud(
    idx: IntArray,
    pos: FloatArray,
    tabs: FloatArray,
    h_g: FloatArray,
    status: IntArray,
    reason: list[str],
    ok_status: int,
    out_lat: FloatArray,
    out_lon: FloatArray,
    out_t: FloatArray,
    out_ts: FloatArray,
    out_cov: FloatArray,
    smp_lat: FloatArray,
    smp_lon: FloatArray,
    smp_t: FloatArray,
    max_time_s: float,
) -> None:
    """Summarise Monte Carlo impact clouds (K, S, 3)/(K, S) into the output arrays, in place."""
    reached = np.isfinite(tabs)
    n_ok = reached.sum(axis=1)
    first = np.argmax(reached, axis=1)
    ref = pos[np.arange(len(idx)), first]
    ref_lat, ref_lon, _ = ecef_to_geodetic(np.nan_to_num(ref))
    # Two passes: about the first reached sample, then about the mean (keeps the tangent plane central).
    lat, lon, _, _, _ = _summarise(pos, tabs, ref_lat, ref_lon, h_g[idx], None)
    lat, lon, mt, cov, _ = _summarise(pos, tabs, np.nan_to_num(lat), np.nan_to_num(lon), h_g[idx], None)
    s_lat, s_lon, _ = ecef_to_geodetic(pos)
    s = tabs.shape[1]
    for j, i in enumerate(idx):
        status[i] = ok_status if n_ok[j] >= 2 else STATUS_NO_IMPACT
        if n_ok[j] < 2:
            reason[i] = f"no sample reaches the ground within {max_time_s:.0f} s"
        elif n_ok[j] < s:
            reason[i] = f"{s - n_ok[j]} of {s} samples do not reach the ground"
    good = n_ok >= 2
    g = idx[good]
    out_lat[g], out_lon[g], out_t[g] = np.degrees(lat[good]), np.degrees(lon[good]), mt[good]
    out_cov[g] = cov[good, :2, :2]
    out_ts[g] = np.sqrt(cov[good, 2, 2])
    smp_lat[g] = np.where(reached[good], np.degrees(s_lat[good]), np.nan)
    smp_lon[g] = np.where(reached[good], np.degrees(s_lon[good]), np.nan)
    smp_t[g] = np.where(reached[good], tabs[good], np.nan)


def ellipse_axes(cov_en_m2: FloatArray, prob: float = 0.95) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Semi-major, semi-minor axes (m) and major-axis azimuth (rad, clockwise from north) of the
    ``prob`` ellipse of (N, 2, 2) east/north covariances: semi-axes sqrt(-2 ln(1 - p) lambda_i)
    (chi-square with 2 degrees of freedom, ecosystem.md section 3)."""
    c = np.asarray(cov_en_m2, dtype=np.float64)
    k2 = -2.0 * math.log(1.0 - prob)
    finite = np.asarray(np.isfinite(c).all(axis=(-2, -1)), dtype=bool)
    c = np.where(finite[..., None, None], c, np.eye(2))
    lam, vec = np.linalg.eigh(c)
    major = np.sqrt(k2 * np.maximum(lam[..., 1], 0.0))
    minor = np.sqrt(k2 * np.maximum(lam[..., 0], 0.0))
    az = np.mod(np.arctan2(vec[..., 0, 1], vec[..., 1, 1]), np.pi)
    nan = np.where(finite, 1.0, np.nan)
    return major * nan, minor * nan, az * nan


def prediction_rows(preds: ImpactPredictions) -> list[dict[str, Any]]:
    """Rows of ``predictions.jsonl`` (interfaces.md section 5) for every track with an impact estimate.

    Tracks without one (status no_impact, below_ground, invalid) get no row: the contract requires
    finite impact fields. Launch fields appear once estimated. Extras: ``status``, ``class_estimate``,
    ``class_prob``, ``range_class``, ``danger_radius_m``, 95 % ellipse axes and azimuth,
    ``launch_cov_en_m2`` and ``launch_t_sigma_s``.
    """
    major, minor, az = ellipse_axes(preds.impact_cov_en_m2)
    n_rows = len(preds.track_ids)
    rows: list[dict[str, Any]] = []
    for i, tid in enumerate(preds.track_ids):
        if preds.status[i] not in (STATUS_OK, STATUS_BOOSTING) or not np.isfinite(preds.impact_lat_deg[i]):
            continue
        cov = preds.impact_cov_en_m2[i]
        row: dict[str, Any] = {
            "t_unix_s": float(preds.t_unix_s),
            "track": tid,
            "impact_t_unix_s": float(preds.impact_t_unix_s[i]),
            "impact_lat_deg": float(preds.impact_lat_deg[i]),
            "impact_lon_deg": float(preds.impact_lon_deg[i]),
            "impact_cov_en_m2": [[float(cov[0, 0]), float(cov[0, 1])], [float(cov[1, 0]), float(cov[1, 1])]],
            "impact_t_sigma_s": float(preds.impact_t_sigma_s[i]),
        }
        if np.isfinite(preds.launch_lat_deg[i]) and np.isfinite(preds.launch_t_unix_s[i]):
            row["launch_lat_deg"] = float(preds.launch_lat_deg[i])
            row["launch_lon_deg"] = float(preds.launch_lon_deg[i])
            row["launch_t_unix_s"] = float(preds.launch_t_unix_s[i])
            ts = preds.launch_t_sigma_s
            if ts.shape == (n_rows,) and np.isfinite(ts[i]):
                row["launch_t_sigma_s"] = float(ts[i])
            lc = preds.launch_cov_en_m2[i]
            if np.isfinite(lc).all():
                row["launch_cov_en_m2"] = [
                    [float(lc[0, 0]), float(lc[0, 1])],
                    [float(lc[1, 0]), float(lc[1, 1])],
                ]
        k = int(np.argmax(preds.class_prob[i])) if preds.class_prob.shape[1] else -1
        row["status"] = STATUS_NAMES[int(preds.status[i])]
        if k >= 0:
            row["class_estimate"] = preds.class_names[k]
            row["class_prob"] = {
                c: round(float(p), 4)
                for c, p in zip(preds.class_names, preds.class_prob[i], strict=True)
                if p >= 0.01
            }
        if preds.range_class:
            row["range_class"] = preds.range_class[i]
        row["danger_radius_m"] = float(preds.danger_radius_m[i])
        row["impact_ellipse95_semi_major_m"] = float(major[i])
        row["impact_ellipse95_semi_minor_m"] = float(minor[i])
        row["impact_ellipse95_azimuth_deg"] = float(np.degrees(az[i]))
        rows.append(row)
    return rows


__all__ = [
    "CHI2_2DOF_95",
    "PredictConfig",
    "covariance_intersection",
    "ellipse_axes",
    "energy_range_m",
    "fuse_fit_states",
    "predict_impacts",
    "prediction_rows",
    "track_seed",
]
