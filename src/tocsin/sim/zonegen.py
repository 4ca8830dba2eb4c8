"""Zone geometry for scenarios: circles, rectangles, polygons and a hexagon grid over a country.

Shapes are built in an azimuthal equidistant (AEQD) frame centred on the shape (metres; distances
from the centre exact, others within 0.1 % over 200 km) and converted back to lon/lat. Coordinates
are rounded to 1e-7 deg (about 1 cm) for short, stable files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from tocsin._types import FloatArray
from tocsin.geo.geodesic import geodesic_forward_deg
from tocsin.sim.scenario import HexGrid, ZoneSpec

COORD_DECIMALS = 7


@dataclass(frozen=True)
class Zone:
    """A zone ready to write: id, properties (contract section 3) and a lon/lat shape."""

    id: str
    properties: dict[str, Any]
    shape: Polygon | MultiPolygon
    alt_m: float = 0.0


def _aeqd(lat0_deg: float, lon0_deg: float) -> tuple[Transformer, Transformer]:
    crs = f"+proj=aeqd +lat_0={lat0_deg:.9f} +lon_0={lon0_deg:.9f} +ellps=WGS84 +units=m +no_defs"
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return fwd, inv


def _to_lonlat(geom: BaseGeometry, inv: Transformer) -> BaseGeometry:
    def tr(xy: FloatArray) -> FloatArray:
        lon, lat = inv.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), COORD_DECIMALS)

    return shapely.transform(geom, tr)


def _to_local(geom: BaseGeometry, fwd: Transformer) -> BaseGeometry:
    def tr(xy: FloatArray) -> FloatArray:
        x, y = fwd.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, tr)


def circle_polygon(lat_deg: float, lon_deg: float, radius_m: float, n: int = 48) -> Polygon:
    """Closed lon/lat polygon of ``n`` points at geodesic distance ``radius_m`` from a centre."""
    az = np.arange(n) * 360.0 / n
    lat, lon = geodesic_forward_deg(np.full(n, lat_deg), np.full(n, lon_deg), az, np.full(n, radius_m))
    # Clockwise azimuths give a clockwise ring; reverse it so the exterior is counter-clockwise (RFC 7946).
    pts = np.round(np.column_stack([lon, lat])[::-1], COORD_DECIMALS)
    return Polygon(pts)


def rect_polygon(
    lat_deg: float, lon_deg: float, length_m: float, width_m: float, heading_deg: float = 0.0
) -> Polygon:
    """Rectangle centred on a point, ``length_m`` along ``heading_deg`` (clockwise from north)."""
    _, inv = _aeqd(lat_deg, lon_deg)
    h = math.radians(heading_deg)
    along = np.array([math.sin(h), math.cos(h)])
    across = np.array([math.cos(h), -math.sin(h)])
    corners = [
        0.5 * (sa * length_m * along + sb * width_m * across)
        for sa, sb in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]
    return shapely.geometry.polygon.orient(_to_lonlat(Polygon(corners), inv), 1.0)


def zone_from_spec(z: ZoneSpec) -> Zone:
    """The :class:`Zone` of an inline scenario zone."""
    if z.circle is not None:
        shape = circle_polygon(z.circle.lat_deg, z.circle.lon_deg, z.circle.radius_m)
    elif z.rect is not None:
        shape = rect_polygon(
            z.rect.lat_deg, z.rect.lon_deg, z.rect.length_m, z.rect.width_m, z.rect.heading_deg
        )
    else:
        assert z.polygon_lonlat_deg is not None
        shape = shapely.geometry.polygon.orient(Polygon([tuple(p) for p in z.polygon_lonlat_deg]), 1.0)
    props: dict[str, Any] = {"id": z.id, "name": z.name or z.id, "shelter_s": z.shelter_s}
    if z.population is not None:
        props["population"] = z.population
    if z.kind is not None:
        props["kind"] = z.kind
    props["alt_m"] = z.alt_m  # ground height (a tocsin extension of contract section 3; readers may ignore)
    return Zone(id=z.id, properties=props, shape=shape, alt_m=z.alt_m)


def hex_centres(bounds: tuple[float, float, float, float], radius_m: float) -> FloatArray:
    """Centres (x, y) of pointy-top hexagons of circumradius ``radius_m`` covering a box (m)."""
    dx = math.sqrt(3.0) * radius_m  # centre spacing in a row
    dy = 1.5 * radius_m  # row spacing
    x0, y0, x1, y1 = bounds
    rows = np.arange(math.floor(y0 / dy) - 1, math.ceil(y1 / dy) + 2)
    cols = np.arange(math.floor(x0 / dx) - 1, math.ceil(x1 / dx) + 2)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    x = cc * dx + np.where(rr % 2 == 0, 0.0, 0.5 * dx)
    y = rr * dy
    return np.column_stack([x.ravel(), y.ravel()])


def hex_grid_zones(g: HexGrid) -> list[Zone]:
    """Zones of a hexagon grid clipped to a land polygon, with shelter time and population.

    The shelter time of a cell comes from the distance of its centroid to the threat border through
    the ascending ``shelter_classes`` (the Home Front Command's time-to-shelter classes, domain.md
    3.2). Population = area x (base density + sum of town Gaussians, each integrating to the town's
    population), evaluated at the centroid.
    """
    land_ll = Polygon([tuple(p) for p in g.land_lonlat_deg])
    c = land_ll.centroid
    fwd, inv = _aeqd(c.y, c.x)
    land = _to_local(land_ll, fwd)
    border = _to_local(LineString([tuple(p) for p in g.threat_border_lonlat_deg]), fwd)
    r = g.cell_radius_m
    ang = np.radians(30.0 + 60.0 * np.arange(6))
    unit = np.column_stack([np.cos(ang), np.sin(ang)]) * r
    centres = hex_centres(land.bounds, r)
    cells = shapely.polygons(centres[:, None, :] + unit[None, :, :])
    shapely.prepare(land)
    hit = shapely.intersects(land, cells)
    centres, cells = centres[hit], cells[hit]
    clipped = shapely.intersection(cells, land)
    full_area = 1.5 * math.sqrt(3.0) * r * r
    keep = shapely.area(clipped) >= g.min_cell_fraction * full_area
    clipped = clipped[keep]
    cent = shapely.centroid(clipped)
    dist_km = shapely.distance(cent, border) / 1000.0
    limits = np.array([s.max_distance_km for s in g.shelter_classes])
    shelter = np.array([s.shelter_s for s in g.shelter_classes] + [g.shelter_beyond_s])
    shelter_s = shelter[np.searchsorted(limits, dist_km, side="left")]
    area_km2 = shapely.area(clipped) / 1e6
    dens = np.full(len(clipped), g.population_per_km2)
    cx, cy = shapely.get_x(cent), shapely.get_y(cent)
    for t in g.towns:
        tx, ty = fwd.transform(t.lon_deg, t.lat_deg)
        s2 = (t.radius_km * 1000.0) ** 2
        # A 2-D Gaussian of total mass P: P / (2 pi s^2) per m^2, times 1e6 for per km^2.
        dens += (
            t.population / (2.0 * math.pi * s2) * 1e6 * np.exp(-((cx - tx) ** 2 + (cy - ty) ** 2) / (2 * s2))
        )
    pop = np.round(area_km2 * dens)
    zones: list[Zone] = []
    width = max(4, len(str(len(clipped))))
    for k, geom in enumerate(clipped):
        ll = _to_lonlat(geom, inv)
        if not ll.is_valid:
            ll = shapely.make_valid(ll)
        ll = _polygonal(ll)
        zid = f"{g.id_prefix}-{k:0{width}d}"
        props: dict[str, Any] = {
            "id": zid,
            "name": f"{g.name_prefix or g.id_prefix} {k}",
            "shelter_s": float(shelter_s[k]),
            "population": float(pop[k]),
            "kind": g.kind,
            "threat_distance_km": round(float(dist_km[k]), 3),
        }
        zones.append(Zone(id=zid, properties=props, shape=ll))
    return zones


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    if isinstance(geom, Polygon | MultiPolygon):
        return (
            shapely.geometry.polygon.orient(geom, 1.0)
            if isinstance(geom, Polygon)
            else MultiPolygon([shapely.geometry.polygon.orient(p, 1.0) for p in geom.geoms])
        )
    parts = [p for p in getattr(geom, "geoms", []) if isinstance(p, Polygon) and not p.is_empty]
    return MultiPolygon([shapely.geometry.polygon.orient(p, 1.0) for p in parts])


def aim_point(zone: Zone) -> tuple[float, float]:
    """A point (lat_deg, lon_deg) inside the zone to aim at: its centroid if inside, else a
    representative interior point."""
    c = zone.shape.centroid
    if not zone.shape.contains(c):
        c = zone.shape.representative_point()
    return float(c.y), float(c.x)


def geometry_json(shape: Polygon | MultiPolygon) -> dict[str, Any]:
    """GeoJSON geometry (lon/lat) of a shape, rings closed, coordinates rounded."""

    def ring(coords: Any) -> list[list[float]]:
        return [[round(float(x), COORD_DECIMALS), round(float(y), COORD_DECIMALS)] for x, y in coords]

    def poly(p: Polygon) -> list[list[list[float]]]:
        return [ring(p.exterior.coords)] + [ring(i.coords) for i in p.interiors]

    if isinstance(shape, Polygon):
        return {"type": "Polygon", "coordinates": poly(shape)}
    return {"type": "MultiPolygon", "coordinates": [poly(p) for p in shape.geoms]}


def point_in_zone(zone: Zone, lat_deg: float, lon_deg: float) -> bool:
    """True when a point lies inside (or on) the zone."""
    return bool(zone.shape.covers(Point(lon_deg, lat_deg)))
