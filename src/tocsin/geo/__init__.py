"""Geodesy on WGS-84: frames (geodetic, ECEF, ENU, AER), lines of sight, geodesics.

All kernels are vectorised over a leading axis; angles are radians unless the name says ``_deg``.
"""

from tocsin.geo.frames import (
    aer_to_ecef,
    aer_to_enu,
    altitude_fast_m,
    ecef_to_aer,
    ecef_to_enu,
    ecef_to_geodetic,
    ecef_vector_to_enu,
    enu_rotation,
    enu_to_aer,
    enu_to_ecef,
    enu_vector_to_ecef,
    geodetic_deg_to_ecef,
    geodetic_to_ecef,
)
from tocsin.geo.geodesic import geodesic_azimuth_deg, geodesic_distance_m, geodesic_forward_deg
from tocsin.geo.los import line_of_sight_clear, ray_ellipsoid_intersection

__all__ = [
    "aer_to_ecef",
    "aer_to_enu",
    "altitude_fast_m",
    "ecef_to_aer",
    "ecef_to_enu",
    "ecef_to_geodetic",
    "ecef_vector_to_enu",
    "enu_rotation",
    "enu_to_aer",
    "enu_to_ecef",
    "enu_vector_to_ecef",
    "geodesic_azimuth_deg",
    "geodesic_distance_m",
    "geodesic_forward_deg",
    "geodetic_deg_to_ecef",
    "geodetic_to_ecef",
    "line_of_sight_clear",
    "ray_ellipsoid_intersection",
]
