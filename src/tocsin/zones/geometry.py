"""Local metric frame for zone geometry: a cached azimuthal-equidistant projection.

Shapely is planar and unitless, so zones are projected once into an azimuthal-equidistant (aeqd)
frame centred on the zone set; distances from the centre are exact geodesic distances and the scale
error elsewhere grows roughly as (d / R)² / 3 (about 8e-5 at 200 km, 0.12 m on a 1.5 km distance).
Zone sets spanning the antimeridian are not supported by the bounding-box centre rule.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Transformer

from tocsin._types import FloatArray


@lru_cache(maxsize=32)
def aeqd_transformer(lat0_deg: float, lon0_deg: float) -> Transformer:
    """Cached lon/lat (WGS-84, degrees) -> aeqd east/north metres transformer centred at the point.

    Building one costs ~6 ms (ecosystem.md §3), so it is built once per centre.
    """
    crs = f"+proj=aeqd +lat_0={lat0_deg!r} +lon_0={lon0_deg!r} +datum=WGS84 +units=m +no_defs"
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def lonlat_to_local_m(
    lon_deg: FloatArray | float, lat_deg: FloatArray | float, lat0_deg: float, lon0_deg: float
) -> tuple[FloatArray, FloatArray]:
    """Project lon/lat (degrees) into the aeqd frame centred at (lat0, lon0); returns (x_m, y_m) arrays."""
    tr = aeqd_transformer(lat0_deg, lon0_deg)
    x, y = tr.transform(np.asarray(lon_deg, dtype=np.float64), np.asarray(lat_deg, dtype=np.float64))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def local_m_to_lonlat(
    x_m: FloatArray | float, y_m: FloatArray | float, lat0_deg: float, lon0_deg: float
) -> tuple[FloatArray, FloatArray]:
    """Inverse of ``lonlat_to_local_m``: aeqd metres -> (lon_deg, lat_deg) arrays."""
    tr = aeqd_transformer(lat0_deg, lon0_deg)
    lon, lat = tr.transform(
        np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64), direction="INVERSE"
    )
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
