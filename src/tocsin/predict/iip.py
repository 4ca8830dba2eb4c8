"""Keplerian instantaneous impact point (IIP) on the WGS-84 ellipsoid, vectorised over states.

Method of 14 CFR part 420 appendix B, eqs. B46-B69 (public domain): the ECEF state is taken as an
inertial state at the current epoch (velocity plus w x r), the two-body orbit is intersected with the
ellipsoid (raised by the terrain height) on its descending branch through the eccentric anomaly and
the f/g functions, the ellipsoid radius is iterated at the latitude of the intersection, and the Earth
rotation during the time of flight is removed from the longitude (lambda -= w * tof). Two-body only:
no J2, no drag (algorithms.md section 4: ~0.6 km at 372 km range against a J2 integration).

Every failure has its own code: a track is never given a fake impact point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tocsin._types import FloatArray, IntArray
from tocsin.geo.frames import ecef_to_geodetic, geodetic_to_ecef
from tocsin.geo.wgs84 import GM_M3_S2, OMEGA_RAD_S

IIP_OK = 0
IIP_BELOW_GROUND = 1  # the state is already at or below the target surface
IIP_NOT_ELLIPTIC = 2  # parabolic or hyperbolic (escape), or not finite
IIP_NO_INTERSECTION = 3  # closed orbit that never comes down to the surface (perigee above it)
IIP_STATUS_NAMES = ("ok", "below_ground", "not_elliptic", "no_intersection")

_TWO_PI = 2.0 * np.pi


@dataclass(frozen=True)
class IIPResult:
    """Kepler impact points for N states; fields are NaN where ``status != IIP_OK``."""

    status: IntArray  # (N,) IIP_* codes
    lat_rad: FloatArray  # (N,) geodetic
    lon_rad: FloatArray  # (N,) in (-pi, pi]
    pos_ecef_m: FloatArray  # (N, 3) impact point, ECEF at impact time
    vel_ecef_mps: FloatArray  # (N, 3) impact velocity, ECEF (rotating frame) at impact time
    tof_s: FloatArray  # (N,) time of flight from the state to impact
    iterations: IntArray  # (N,) ellipsoid-radius iterations used


def kepler_iip(
    pos_ecef_m: FloatArray,
    vel_ecef_mps: FloatArray,
    *,
    ground_alt_m: FloatArray | float = 0.0,
    max_iter: int = 8,
    tol_m: float = 1e-3,
    omega_rad_s: float = OMEGA_RAD_S,
    gm_m3_s2: float = GM_M3_S2,
) -> IIPResult:
    """Kepler impact point of ECEF states (m, m/s), (N, 3) or (3,), on the ellipsoid raised by ground_alt_m.

    ``ground_alt_m`` is a scalar or one height per state (m above the ellipsoid). The iteration on the
    ellipsoid radius stops when it changes by less than ``tol_m`` (m) or after ``max_iter`` passes
    (the FAA method needs <= 5).
    """
    r_e = np.atleast_2d(np.asarray(pos_ecef_m, dtype=np.float64))
    v_e = np.atleast_2d(np.asarray(vel_ecef_mps, dtype=np.float64))
    n = r_e.shape[0]
    h_g = np.broadcast_to(np.asarray(ground_alt_m, dtype=np.float64), (n,))
    w = np.array([0.0, 0.0, omega_rad_s])
    # Inertial velocity at epoch: v_i = v_ecef + w x r (B46 frame change; frames coincide at t0).
    v_i = v_e + np.cross(w, r_e)

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        r0 = np.sqrt(np.einsum("ij,ij->i", r_e, r_e))
        v2 = np.einsum("ij,ij->i", v_i, v_i)
        rv = np.einsum("ij,ij->i", r_e, v_i)
        # Vis-viva semi-major axis and eccentricity vector (Vallado, 4th ed., alg. 9).
        inv_a = 2.0 / r0 - v2 / gm_m3_s2
        a = 1.0 / inv_a
        e_vec = ((v2 - gm_m3_s2 / r0)[:, None] * r_e - rv[:, None] * v_i) / gm_m3_s2
        ecc = np.sqrt(np.einsum("ij,ij->i", e_vec, e_vec))
        finite = np.isfinite(r_e).all(axis=1) & np.isfinite(v_e).all(axis=1) & np.isfinite(h_g)
        elliptic = finite & (inv_a > 0.0) & (ecc < 1.0)
        _, _, alt0 = ecef_to_geodetic(r_e)
        below = finite & (alt0 <= h_g)
        sqrt_a3_mu = np.sqrt(np.abs(a) ** 3 / gm_m3_s2)
        # Eccentric anomaly of the state: cos E = (1 - r/a)/e, sin E = r.v / (e sqrt(mu a)).
        cos_e0 = (1.0 - r0 / a) / ecc
        sin_e0 = rv / (ecc * np.sqrt(gm_m3_s2 * np.abs(a)))
        e0 = np.mod(np.arctan2(sin_e0, cos_e0), _TWO_PI)
        apo = a * (1.0 + ecc)
        peri = a * (1.0 - ecc)

    status = np.full(n, IIP_OK, dtype=np.int64)
    status[~elliptic] = IIP_NOT_ELLIPTIC
    status[elliptic & below] = IIP_BELOW_GROUND
    live = status == IIP_OK

    # First guess of the target radius: the ellipsoid (+terrain) below the current point.
    lat0, lon0, _ = ecef_to_geodetic(r_e)
    r_t = np.linalg.norm(geodetic_to_ecef(lat0, lon0, h_g), axis=-1)
    pos_i = np.full((n, 3), np.nan)
    tof = np.full(n, np.nan)
    d_e = np.full(n, np.nan)
    iters = np.zeros(n, dtype=np.int64)
    active = live.copy()
    for _ in range(max_iter):
        if not active.any():
            break
        idx = np.nonzero(active)[0]
        rt = r_t[idx]
        ai, ei = a[idx], ecc[idx]
        miss = (rt < peri[idx]) | (rt > apo[idx])
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.clip((1.0 - rt / ai) / ei, -1.0, 1.0)
            # Descending crossing r = rt: E in [pi, 2pi), the next one after E0 (B52-B55).
            e_t = _TWO_PI - np.arccos(c)
            de = e_t - e0[idx]
            # Kepler's equation for the time of flight (B56).
            t_f = sqrt_a3_mu[idx] * (de - ei * (np.sin(e_t) - np.sin(e0[idx])))
            # f and g functions in eccentric anomaly (Vallado eq. 2-68) (B57-B60).
            f = 1.0 - ai / r0[idx] * (1.0 - np.cos(de))
            g = t_f - sqrt_a3_mu[idx] * (de - np.sin(de))
        p_i = f[:, None] * r_e[idx] + g[:, None] * v_i[idx]
        # Geodetic latitude is unchanged by the rotation about z, so the radius of the ellipsoid
        # (+terrain) under the inertial point is the next target radius (B61-B66).
        lat_i, lon_i, _ = ecef_to_geodetic(p_i)
        rt_new = np.linalg.norm(geodetic_to_ecef(lat_i, lon_i, h_g[idx]), axis=-1)
        # A state whose descending branch already started below rt (de < 0) cannot happen with
        # r0 > rt; de < 0 only arises from rounding at the surface: treat as no intersection.
        bad = miss | (de < 0.0) | ~np.isfinite(rt_new)
        status[idx[bad]] = IIP_NO_INTERSECTION
        good = ~bad
        pos_i[idx] = p_i
        tof[idx] = t_f
        d_e[idx] = de
        iters[idx] += 1
        done = good & (np.abs(rt_new - rt) < tol_m)
        r_t[idx] = rt_new
        active[idx[bad | done]] = False

    ok = status == IIP_OK
    pos_i[~ok] = np.nan
    tof[~ok] = np.nan
    d_e[~ok] = np.nan
    # Impact velocity, inertial, from the f/g derivatives (Vallado eq. 2-69).
    with np.errstate(invalid="ignore", divide="ignore"):
        r_imp = np.linalg.norm(pos_i, axis=1)
        fdot = -np.sqrt(gm_m3_s2 * a) / (r_imp * r0) * np.sin(d_e)
        gdot = 1.0 - a / r_imp * (1.0 - np.cos(d_e))
    v_imp_i = fdot[:, None] * r_e + gdot[:, None] * v_i
    # Rotate from the epoch-inertial frame to ECEF at impact: Rz(-w tof) (B67-B69: lambda -= w tof).
    ang = -omega_rad_s * tof
    ca, sa = np.cos(ang), np.sin(ang)
    pos_ecef = np.stack(
        [ca * pos_i[:, 0] - sa * pos_i[:, 1], sa * pos_i[:, 0] + ca * pos_i[:, 1], pos_i[:, 2]], axis=1
    )
    vi_rot = np.stack(
        [ca * v_imp_i[:, 0] - sa * v_imp_i[:, 1], sa * v_imp_i[:, 0] + ca * v_imp_i[:, 1], v_imp_i[:, 2]],
        axis=1,
    )
    vel_ecef = vi_rot - np.cross(w, pos_ecef)
    lat, lon, _ = ecef_to_geodetic(pos_ecef)
    lat = np.where(ok, lat, np.nan)
    lon = np.where(ok, lon, np.nan)
    return IIPResult(
        status=status,
        lat_rad=lat,
        lon_rad=lon,
        pos_ecef_m=pos_ecef,
        vel_ecef_mps=vel_ecef,
        tof_s=tof,
        iterations=iters,
    )
