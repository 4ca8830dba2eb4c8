"""Geodesic distances and forward problems on the WGS-84 ellipsoid (Karney's algorithm via pyproj)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Geod

from tocsin._types import FloatArray


@lru_cache(maxsize=1)
def _geod() -> Geod:
    return Geod(ellps="WGS84")


def _inverse(
    lat1_deg: FloatArray | float,
    lon1_deg: FloatArray | float,
    lat2_deg: FloatArray | float,
    lon2_deg: FloatArray | float,
) -> tuple[FloatArray, FloatArray]:
    """Forward azimuth (deg) at point 1 and distance (m), both broadcast to the inputs' common shape."""
    la1, lo1, la2, lo2 = np.broadcast_arrays(
        np.asarray(lat1_deg, float),
        np.asarray(lon1_deg, float),
        np.asarray(lat2_deg, float),
        np.asarray(lon2_deg, float),
    )
    az, _, dist = _geod().inv(lo1.ravel(), la1.ravel(), lo2.ravel(), la2.ravel())
    shape = la1.shape
    return (
        np.asarray(az, dtype=np.float64).reshape(shape),
        np.asarray(dist, dtype=np.float64).reshape(shape),
    )


def geodesic_distance_m(
    lat1_deg: FloatArray | float,
    lon1_deg: FloatArray | float,
    lat2_deg: FloatArray | float,
    lon2_deg: FloatArray | float,
) -> FloatArray:
    """Ellipsoidal surface distance (m) between points given in degrees; broadcasts."""
    return _inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg)[1]


def geodesic_azimuth_deg(
    lat1_deg: FloatArray | float,
    lon1_deg: FloatArray | float,
    lat2_deg: FloatArray | float,
    lon2_deg: FloatArray | float,
) -> FloatArray:
    """Forward azimuth (deg clockwise from north) at point 1 of the geodesic to point 2."""
    return _inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg)[0]


def geodesic_forward_deg(
    lat_deg: FloatArray | float,
    lon_deg: FloatArray | float,
    azimuth_deg: FloatArray | float,
    distance_m: FloatArray | float,
) -> tuple[FloatArray, FloatArray]:
    """Point (lat_deg, lon_deg) reached from a start along a geodesic of given azimuth and length."""
    la, lo, az, d = np.broadcast_arrays(
        np.asarray(lat_deg, float),
        np.asarray(lon_deg, float),
        np.asarray(azimuth_deg, float),
        np.asarray(distance_m, float),
    )
    lon2, lat2, _ = _geod().fwd(lo.ravel(), la.ravel(), az.ravel(), d.ravel())
    return (
        np.asarray(lat2, dtype=np.float64).reshape(la.shape),
        np.asarray(lon2, dtype=np.float64).reshape(la.shape),
    )
