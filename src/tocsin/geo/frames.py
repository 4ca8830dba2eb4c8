"""Coordinate frames on the WGS-84 ellipsoid: geodetic, ECEF, local ENU and AER.

Every function is vectorised: points are arrays whose last axis holds the three components, so one
kernel serves a single point (shape (3,)) or N points (shape (N, 3)). Angles are radians.
"""

from __future__ import annotations

import numpy as np

from tocsin._types import FloatArray
from tocsin.geo.wgs84 import A_M, B_M, E2, EP2


def geodetic_to_ecef(
    lat_rad: FloatArray | float, lon_rad: FloatArray | float, alt_m: FloatArray | float
) -> FloatArray:
    """Geodetic latitude/longitude (rad) and ellipsoidal height (m) to ECEF (m), shape (..., 3)."""
    lat = np.asarray(lat_rad, dtype=np.float64)
    lon = np.asarray(lon_rad, dtype=np.float64)
    h = np.asarray(alt_m, dtype=np.float64)
    sl = np.sin(lat)
    cl = np.cos(lat)
    # Prime-vertical radius of curvature (NGA TR8350.2 eq. 4-15).
    n = A_M / np.sqrt(1.0 - E2 * sl * sl)
    x = (n + h) * cl * np.cos(lon)
    y = (n + h) * cl * np.sin(lon)
    z = (n * (1.0 - E2) + h) * sl
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def geodetic_deg_to_ecef(
    lat_deg: FloatArray | float, lon_deg: FloatArray | float, alt_m: FloatArray | float
) -> FloatArray:
    """Same as :func:`geodetic_to_ecef` with latitude and longitude in degrees."""
    return geodetic_to_ecef(np.radians(lat_deg), np.radians(lon_deg), alt_m)


def ecef_to_geodetic(xyz_m: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ECEF (m), shape (..., 3), to geodetic (lat_rad, lon_rad, alt_m).

    Closed form of Heikkinen (1982, Z. Vermessungswesen 107), followed by one Newton step on the
    height so that points far from the surface (satellites) also agree with PROJ to well under 1 mm.
    Valid everywhere except within ~50 km of the Earth's centre: such points, and non-finite ones (a
    diverged or zeroed state), give NaN for all three outputs, without floating-point warnings.
    """
    xyz = np.asarray(xyz_m, dtype=np.float64)
    bad = ~np.all(np.isfinite(xyz), axis=-1)
    bad |= np.einsum("...i,...i->...", np.nan_to_num(xyz), np.nan_to_num(xyz)) < (50e3) ** 2
    if np.any(bad):
        # Solve on a harmless stand-in (a point on the equator), then blank the bad rows.
        lat, lon, h = ecef_to_geodetic(np.where(bad[..., None], np.array([A_M, 0.0, 0.0]), xyz))
        return np.where(bad, np.nan, lat), np.where(bad, np.nan, lon), np.where(bad, np.nan, h)
    x = xyz[..., 0]
    y = xyz[..., 1]
    z = xyz[..., 2]
    a2 = A_M * A_M
    b2 = B_M * B_M
    p2 = x * x + y * y
    p = np.sqrt(p2)
    z2 = z * z
    f_ = 54.0 * b2 * z2
    g = p2 + (1.0 - E2) * z2 - E2 * (a2 - b2)
    c = E2 * E2 * f_ * p2 / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    pp = f_ / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * E2 * E2 * pp)
    r0 = -pp * E2 * p / (1.0 + q) + np.sqrt(
        np.maximum(0.5 * a2 * (1.0 + 1.0 / q) - pp * (1.0 - E2) * z2 / (q * (1.0 + q)) - 0.5 * pp * p2, 0.0)
    )
    t = p - E2 * r0
    v = np.sqrt(t * t + (1.0 - E2) * z2)
    z0 = b2 * z / (A_M * v)
    lat = np.arctan2(z + EP2 * z0, p)
    lon = np.arctan2(y, x)
    # One Newton refinement of latitude and height from the exact forward map (Bowring-style): it
    # removes the loss of digits of the closed form at large heights.
    sl = np.sin(lat)
    cl = np.cos(lat)
    n = A_M / np.sqrt(1.0 - E2 * sl * sl)
    h = p * cl + z * sl - a2 / n
    lat = np.arctan2(z, p * (1.0 - E2 * n / (n + h)))
    sl = np.sin(lat)
    cl = np.cos(lat)
    n = A_M / np.sqrt(1.0 - E2 * sl * sl)
    h = p * cl + z * sl - a2 / n
    return lat, lon, h


def enu_rotation(lat_rad: FloatArray | float, lon_rad: FloatArray | float) -> FloatArray:
    """Rotation matrix ECEF -> local East/North/Up at a geodetic point, shape (..., 3, 3).

    Rows are the east, north and up unit vectors in ECEF (Hofmann-Wellenhof, GNSS, eq. 10.49).
    """
    lat = np.asarray(lat_rad, dtype=np.float64)
    lon = np.asarray(lon_rad, dtype=np.float64)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl * so)
    east = np.stack(np.broadcast_arrays(-so, co, zero), axis=-1)
    north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
    up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
    return np.stack([east, north, up], axis=-2)


def ecef_to_enu(
    xyz_m: FloatArray, lat0_rad: FloatArray | float, lon0_rad: FloatArray | float, alt0_m: FloatArray | float
) -> FloatArray:
    """ECEF points (m) to ENU (m) about an origin given geodetically; broadcasts over leading axes."""
    origin = geodetic_to_ecef(lat0_rad, lon0_rad, alt0_m)
    rot = enu_rotation(lat0_rad, lon0_rad)
    out: FloatArray = np.einsum("...ij,...j->...i", rot, np.asarray(xyz_m, dtype=np.float64) - origin)
    return out


def enu_to_ecef(
    enu_m: FloatArray, lat0_rad: FloatArray | float, lon0_rad: FloatArray | float, alt0_m: FloatArray | float
) -> FloatArray:
    """ENU (m) about a geodetic origin back to ECEF (m)."""
    origin = geodetic_to_ecef(lat0_rad, lon0_rad, alt0_m)
    rot = enu_rotation(lat0_rad, lon0_rad)
    out: FloatArray = np.einsum("...ji,...j->...i", rot, np.asarray(enu_m, dtype=np.float64)) + origin
    return out


def ecef_vector_to_enu(
    vec: FloatArray, lat0_rad: FloatArray | float, lon0_rad: FloatArray | float
) -> FloatArray:
    """Rotate ECEF vectors (velocities, lines of sight) into the local ENU axes (no translation)."""
    out: FloatArray = np.einsum(
        "...ij,...j->...i", enu_rotation(lat0_rad, lon0_rad), np.asarray(vec, dtype=np.float64)
    )
    return out


def enu_vector_to_ecef(
    vec: FloatArray, lat0_rad: FloatArray | float, lon0_rad: FloatArray | float
) -> FloatArray:
    """Rotate local ENU vectors into ECEF axes (no translation)."""
    out: FloatArray = np.einsum(
        "...ji,...j->...i", enu_rotation(lat0_rad, lon0_rad), np.asarray(vec, dtype=np.float64)
    )
    return out


def enu_to_aer(enu_m: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ENU (m) to azimuth (rad, clockwise from north, [0, 2pi)), elevation (rad) and slant range (m)."""
    enu = np.asarray(enu_m, dtype=np.float64)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horiz = np.hypot(e, n)
    az = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    el = np.arctan2(u, horiz)
    return az, el, np.hypot(horiz, u)


def aer_to_enu(
    az_rad: FloatArray | float, el_rad: FloatArray | float, range_m: FloatArray | float
) -> FloatArray:
    """Azimuth/elevation (rad) and slant range (m) to ENU (m), shape (..., 3)."""
    az = np.asarray(az_rad, dtype=np.float64)
    el = np.asarray(el_rad, dtype=np.float64)
    r = np.asarray(range_m, dtype=np.float64)
    ce = np.cos(el)
    return np.stack(np.broadcast_arrays(r * ce * np.sin(az), r * ce * np.cos(az), r * np.sin(el)), axis=-1)


def ecef_to_aer(
    xyz_m: FloatArray, lat0_rad: FloatArray | float, lon0_rad: FloatArray | float, alt0_m: FloatArray | float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """ECEF target (m) seen from a geodetic site: azimuth, elevation (rad) and slant range (m)."""
    return enu_to_aer(ecef_to_enu(xyz_m, lat0_rad, lon0_rad, alt0_m))


def aer_to_ecef(
    az_rad: FloatArray | float,
    el_rad: FloatArray | float,
    range_m: FloatArray | float,
    lat0_rad: FloatArray | float,
    lon0_rad: FloatArray | float,
    alt0_m: FloatArray | float,
) -> FloatArray:
    """Azimuth/elevation (rad) and slant range (m) from a geodetic site to an ECEF point (m)."""
    return enu_to_ecef(aer_to_enu(az_rad, el_rad, range_m), lat0_rad, lon0_rad, alt0_m)


def altitude_fast_m(xyz_m: FloatArray) -> FloatArray:
    """Approximate ellipsoidal height (m) for drag: radius minus the ellipsoid radius along the radial.

    Differs from the true ellipsoidal height by about h * 5e-6 (0.5 m at 100 km), negligible against a
    7 km density scale height, and costs a tenth of :func:`ecef_to_geodetic`.
    """
    xyz = np.asarray(xyz_m, dtype=np.float64)
    r2 = np.einsum("...i,...i->...", xyz, xyz)
    r = np.sqrt(r2)
    z2 = xyz[..., 2] ** 2
    p2 = r2 - z2
    # Ellipsoid radius along the geocentric direction: 1/R^2 = cos^2/a^2 + sin^2/b^2.
    r_ell = 1.0 / np.sqrt((p2 / r2) / (A_M * A_M) + (z2 / r2) / (B_M * B_M))
    return np.asarray(r - r_ell, dtype=np.float64)
