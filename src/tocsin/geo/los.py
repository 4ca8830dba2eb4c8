"""Lines of sight against the WGS-84 ellipsoid: Earth blockage and ray-ground intersection.

Both work in coordinates scaled by diag(1/a, 1/a, 1/b), where the ellipsoid is the unit sphere
(ecosystem.md section 3; the same construction as pymap3d ``lookAtSpheroid``).
"""

from __future__ import annotations

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.wgs84 import A_M, B_M


def _scale(alt_m: float) -> FloatArray:
    return np.array([1.0 / (A_M + alt_m), 1.0 / (A_M + alt_m), 1.0 / (B_M + alt_m)])


def line_of_sight_clear(
    from_ecef_m: FloatArray, to_ecef_m: FloatArray, grazing_alt_m: float = 0.0
) -> BoolArray:
    """True where the straight segment between two ECEF points (m) stays outside the Earth.

    The Earth is the ellipsoid raised by ``grazing_alt_m`` (use a few km to model refraction-free
    radar horizon margins or the dense lower atmosphere blocking an infrared line of sight).
    Broadcasts over leading axes.
    """
    s = _scale(grazing_alt_m)
    p = np.asarray(from_ecef_m, dtype=np.float64) * s
    d = np.asarray(to_ecef_m, dtype=np.float64) * s - p
    dd = np.einsum("...i,...i->...", d, d)
    pd = np.einsum("...i,...i->...", p, d)
    # Closest approach of the segment to the centre in the scaled frame: t* = -p.d/d.d clipped to [0, 1].
    t = np.clip(-pd / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    closest = p + t[..., None] * d
    # 1e-9 (6 mm) of slack: an end point lying exactly on the surface (a sensor at 0 m) must not be
    # judged below it by rounding.
    return np.asarray(np.einsum("...i,...i->...", closest, closest) >= 1.0 - 1e-9)


def ray_ellipsoid_intersection(
    origin_ecef_m: FloatArray, direction: FloatArray, alt_m: float = 0.0
) -> tuple[FloatArray, BoolArray]:
    """First intersection (ECEF m) of rays with the ellipsoid raised by ``alt_m``.

    Returns (points, hit); where a ray misses (or the surface is behind it) the point is NaN and hit
    is False. Solves |P + tD|^2 = 1 in the scaled frame, taking the near root in the cancellation-free
    form t = g / (-b + sqrt(disc)) (Press et al., Numerical Recipes 3rd ed., sec. 5.6).
    """
    s = _scale(alt_m)
    o = np.asarray(origin_ecef_m, dtype=np.float64)
    u = np.asarray(direction, dtype=np.float64)
    p = o * s
    d = u * s
    a = np.einsum("...i,...i->...", d, d)
    b = np.einsum("...i,...i->...", p, d)
    g = np.einsum("...i,...i->...", p, p) - 1.0
    disc = b * b - a * g
    sq = np.sqrt(np.maximum(disc, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t_near = np.where(g > 0.0, g / (-b + sq), (-b + sq) / a)
    hit = (disc >= 0.0) & (t_near >= 0.0) & np.isfinite(t_near)
    pts = o + np.where(hit, t_near, np.nan)[..., None] * u
    return pts, np.asarray(hit)
