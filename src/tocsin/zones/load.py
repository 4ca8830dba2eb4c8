"""Zones file ``zones.geojson`` (contract section 3): validate, index, write.

A ``ZoneSet`` keeps each zone's polygon twice: in lon/lat degrees as given, and projected into one
local azimuthal-equidistant frame in metres (centre: the centre of the set's lon/lat bounding box;
see ``tocsin.zones.geometry``), with an ``STRtree`` over the projected shapes for distance queries.

Errors name the place as ``features[i]`` and the field (``id``, ``shelter_s``, ``geometry``, ...).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon, mapping

from tocsin._types import FloatArray
from tocsin.errors import BadInputError
from tocsin.jsonfile import load_document
from tocsin.zones.geometry import lonlat_to_local_m

# GeoJSON output precision: 7 decimals is ~1 cm (RFC 7946 §11.2 recommends no more than 6-7).
_GEOJSON_DECIMALS = 7
# Plausible ground heights (m): the Dead Sea shore to above Everest (as the engine's terrain_m).
_MIN_ALT_M, _MAX_ALT_M = -500.0, 9000.0


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(eq=False)
class ZoneSet:
    """Warning zones, index-aligned: zone ``i`` is ``ids[i]``, ``shelter_s[i]``, ``geoms_m[i]`` ...

    ``shelter_s`` seconds people need to reach shelter; ``population`` people (NaN where absent);
    ``geoms_lonlat`` shapely (Multi)Polygons in lon/lat degrees; ``geoms_m`` the same in the local aeqd
    frame (metres, centre ``centre_lat_deg``/``centre_lon_deg``); ``tree`` an STRtree on ``geoms_m``.
    """

    ids: list[str]
    names: list[str]
    shelter_s: FloatArray
    population: FloatArray
    kind: list[str | None]
    geoms_lonlat: np.ndarray[Any, np.dtype[np.object_]]
    geoms_m: np.ndarray[Any, np.dtype[np.object_]]
    centre_lat_deg: float
    centre_lon_deg: float
    tree: STRtree
    index: dict[str, int] = field(default_factory=dict)
    # Ground height of each zone (m above the WGS-84 ellipsoid; NaN where the file gives none): the
    # optional ``alt_m`` property, else the mean third coordinate of its positions (RFC 7946 3.1.1).
    alt_m: FloatArray = field(default_factory=lambda: np.zeros(0))

    def ground_alt_m(self) -> FloatArray:
        """Per-zone ground height (m), NaN where unknown; always aligned with ``ids``."""
        return self.alt_m if self.alt_m.shape == (len(self.ids),) else np.full(len(self.ids), np.nan)

    def __len__(self) -> int:
        return len(self.ids)

    def project_lonlat(
        self, lon_deg: FloatArray | float, lat_deg: FloatArray | float
    ) -> tuple[FloatArray, FloatArray]:
        """Project lon/lat degrees into this set's local frame; returns (x_m, y_m) arrays."""
        return lonlat_to_local_m(lon_deg, lat_deg, self.centre_lat_deg, self.centre_lon_deg)

    def zones_struck(
        self, lat_deg: FloatArray | float, lon_deg: FloatArray | float, radius_m: FloatArray | float
    ) -> list[list[int]]:
        """For each point, the sorted indices of zones whose polygon lies within ``radius_m`` metres.

        Distance point-to-polygon (0 inside) in the local aeqd frame, via ``STRtree`` ``dwithin``;
        ``radius_m`` is one radius or one per point. Returns one list per point.
        """
        lat = np.atleast_1d(np.asarray(lat_deg, dtype=np.float64))
        lon = np.atleast_1d(np.asarray(lon_deg, dtype=np.float64))
        radius = np.broadcast_to(np.asarray(radius_m, dtype=np.float64), lat.shape)
        if np.any(~np.isfinite(radius) | (radius < 0.0)):
            raise ValueError("radius_m must be finite and >= 0")
        out: list[list[int]] = [[] for _ in range(lat.shape[0])]
        if lat.shape[0] == 0 or len(self.ids) == 0:
            return out
        x, y = self.project_lonlat(lon, lat)
        pts = shapely.points(x, y)
        pairs = self.tree.query(pts, predicate="dwithin", distance=radius)
        for p, z in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True):
            out[p].append(z)
        for zs in out:
            zs.sort()
        return out


def build_zone_set(
    ids: Sequence[str],
    geoms_lonlat: Sequence[Polygon | MultiPolygon],
    shelter_s: Sequence[float] | FloatArray,
    *,
    names: Sequence[str] | None = None,
    population: Sequence[float] | FloatArray | None = None,
    kinds: Sequence[str | None] | None = None,
    alt_m: Sequence[float] | FloatArray | None = None,
) -> ZoneSet:
    """Build a ``ZoneSet`` from already valid parts (lon/lat degrees, seconds, people; NaN = no population).

    For writers such as the simulator; ``parse_zones`` validates files and then calls this.
    """
    n = len(ids)
    geoms = np.empty(n, dtype=object)
    for i, g in enumerate(geoms_lonlat):
        geoms[i] = g
    if n:
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        centre_lon, centre_lat = 0.5 * (xmin + xmax), 0.5 * (ymin + ymax)
    else:
        centre_lon = centre_lat = 0.0
    centre_lat = float(centre_lat)
    centre_lon = float(centre_lon)

    def project(coords: FloatArray) -> FloatArray:
        x, y = lonlat_to_local_m(coords[:, 0], coords[:, 1], centre_lat, centre_lon)
        return np.column_stack([x, y])

    geoms_m = shapely.transform(geoms, project) if n else np.empty(0, dtype=object)
    pop = np.full(n, np.nan) if population is None else np.asarray(population, dtype=np.float64)
    return ZoneSet(
        ids=list(ids),
        names=list(ids) if names is None else list(names),
        shelter_s=np.asarray(shelter_s, dtype=np.float64),
        population=pop,
        kind=[None] * n if kinds is None else list(kinds),
        geoms_lonlat=geoms,
        geoms_m=geoms_m,
        centre_lat_deg=centre_lat,
        centre_lon_deg=centre_lon,
        tree=STRtree(geoms_m),
        index={z: i for i, z in enumerate(ids)},
        alt_m=np.full(n, np.nan) if alt_m is None else np.asarray(alt_m, dtype=np.float64),
    )


def _check_ring(ring: Any, file: str, where: str) -> list[tuple[float, float]]:
    if not isinstance(ring, list) or len(ring) < 4:
        raise BadInputError(file, where, "geometry", "a linear ring needs at least 4 positions")
    out: list[tuple[float, float]] = []
    for pos in ring:
        if not (
            isinstance(pos, list) and len(pos) >= 2 and _finite_number(pos[0]) and _finite_number(pos[1])
        ):
            raise BadInputError(file, where, "geometry", f"bad position {_describe(pos)}")
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            raise BadInputError(file, where, "geometry", f"lon/lat out of range: {_describe(pos)}")
        out.append((lon, lat))
    if out[0] != out[-1]:
        raise BadInputError(file, where, "geometry", "linear ring is not closed (first position != last)")
    return out


def _polygon(coords: Any, file: str, where: str) -> Polygon:
    if not isinstance(coords, list) or not coords:
        raise BadInputError(file, where, "geometry", "a polygon needs a list of at least one ring")
    rings = [_check_ring(r, file, where) for r in coords]
    return Polygon(rings[0], rings[1:])


def _geometry(geom: Any, file: str, where: str) -> Polygon | MultiPolygon:
    if not isinstance(geom, dict):
        raise BadInputError(file, where, "geometry", f"not a geometry object: {_describe(geom)}")
    gtype = geom.get("type")
    coords = geom.get("coordinates")
    shape: Polygon | MultiPolygon
    if gtype == "Polygon":
        shape = _polygon(coords, file, where)
    elif gtype == "MultiPolygon":
        if not isinstance(coords, list) or not coords:
            raise BadInputError(file, where, "geometry", "a MultiPolygon needs at least one polygon")
        shape = MultiPolygon([_polygon(p, file, where) for p in coords])
    else:
        raise BadInputError(
            file, where, "geometry", f"type must be Polygon or MultiPolygon, got {_describe(gtype)}"
        )
    reason = shapely.is_valid_reason(shape)
    if reason != "Valid Geometry":
        raise BadInputError(file, where, "geometry", f"invalid polygon: {reason}")
    return shape


def parse_zones(doc: Any, file: str = "zones.geojson") -> ZoneSet:
    """Validate a decoded ``zones.geojson`` document (contract section 3) and build the ``ZoneSet``.

    Raises ``BadInputError(file, "features[i]", field, message)`` on the first problem.
    """
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise BadInputError(file, None, "type", "not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise BadInputError(file, None, "features", f"must be a list, got {_describe(features)}")
    if not features:
        raise BadInputError(file, None, "features", "no zones")
    ids: list[str] = []
    names: list[str] = []
    shelter: list[float] = []
    population: list[float] = []
    kinds: list[str | None] = []
    geoms: list[Polygon | MultiPolygon] = []
    alts: list[float] = []
    seen: set[str] = set()
    for i, feat in enumerate(features):
        where = f"features[{i}]"
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise BadInputError(file, where, "type", "must be a GeoJSON Feature")
        props = feat.get("properties")
        if not isinstance(props, dict):
            raise BadInputError(file, where, "properties", "missing or not an object")
        zid = props.get("id")
        if "id" not in props:
            raise BadInputError(file, where, "id", "missing")
        if not isinstance(zid, str) or not zid:
            raise BadInputError(file, where, "id", f"must be a non-empty string, got {_describe(zid)}")
        if zid in seen:
            raise BadInputError(file, where, "id", f"duplicate zone id {zid!r}")
        seen.add(zid)
        name = props.get("name", zid)
        if name is None:
            name = zid
        if not isinstance(name, str):
            raise BadInputError(file, where, "name", f"must be a string, got {_describe(name)}")
        if props.get("shelter_s") is None:
            raise BadInputError(file, where, "shelter_s", "missing")
        s = props["shelter_s"]
        if not _finite_number(s):
            raise BadInputError(file, where, "shelter_s", f"must be a finite number, got {_describe(s)}")
        if s < 0:
            raise BadInputError(file, where, "shelter_s", f"must be >= 0, got {s!r}")
        pop = props.get("population")
        if pop is not None:
            if not _finite_number(pop):
                raise BadInputError(
                    file, where, "population", f"must be a finite number, got {_describe(pop)}"
                )
            if pop < 0:
                raise BadInputError(file, where, "population", f"must be >= 0, got {pop!r}")
        kind = props.get("kind")
        if kind is not None and not isinstance(kind, str):
            raise BadInputError(file, where, "kind", f"must be a string, got {_describe(kind)}")
        alt = props.get("alt_m")
        if alt is not None and not (_finite_number(alt) and _MIN_ALT_M <= alt <= _MAX_ALT_M):
            raise BadInputError(
                file, where, "alt_m", f"must be a height in metres in [-500, 9000], got {_describe(alt)}"
            )
        geoms.append(_geometry(feat.get("geometry"), file, where))
        alts.append(float(alt) if alt is not None else _mean_third_coordinate(feat["geometry"]))
        ids.append(zid)
        names.append(name)
        shelter.append(float(s))
        population.append(math.nan if pop is None else float(pop))
        kinds.append(kind)
    return build_zone_set(ids, geoms, shelter, names=names, population=population, kinds=kinds, alt_m=alts)


def _mean_third_coordinate(geom: dict[str, Any]) -> float:
    """Mean elevation (m) of a validated geometry's positions when every one has a plausible third value."""
    heights: list[float] = []

    def walk(c: Any) -> bool:
        if isinstance(c, list) and c and not isinstance(c[0], list):
            if len(c) >= 3 and _finite_number(c[2]) and _MIN_ALT_M <= c[2] <= _MAX_ALT_M:
                heights.append(float(c[2]))
                return True
            return False
        return all(walk(x) for x in c) if isinstance(c, list) else False

    return float(np.mean(heights)) if walk(geom.get("coordinates")) and heights else math.nan


def load_zones(path: str | Path) -> ZoneSet:
    """Read and validate a ``zones.geojson`` file (contract section 3) into a ``ZoneSet``.

    Raises ``BadInputError`` naming the file, the line and ``features[i]`` of the feature, and the field.
    """
    return load_document(path, parse_zones)[0]


def zone_set_to_geojson(zones: ZoneSet) -> dict[str, Any]:
    """The ``zones.geojson`` document of a zone set (RFC 7946: CCW exteriors, 7 decimals, zone id as id)."""
    features: list[dict[str, Any]] = []
    oriented = shapely.orient_polygons(zones.geoms_lonlat, exterior_cw=False)
    for i, zid in enumerate(zones.ids):
        geom = mapping(oriented[i])
        props: dict[str, Any] = {"id": zid, "name": zones.names[i], "shelter_s": float(zones.shelter_s[i])}
        if math.isfinite(zones.population[i]):
            props["population"] = float(zones.population[i])
        if zones.kind[i] is not None:
            props["kind"] = zones.kind[i]
        if math.isfinite(zones.ground_alt_m()[i]):
            props["alt_m"] = float(zones.ground_alt_m()[i])
        features.append(
            {"type": "Feature", "id": zid, "properties": props, "geometry": _round_geometry(geom)}
        )
    return {"type": "FeatureCollection", "features": features}


def _round_geometry(geom: Any) -> dict[str, Any]:
    def rnd(c: Any) -> Any:
        if isinstance(c, tuple | list) and c and isinstance(c[0], int | float):
            return [round(float(v), _GEOJSON_DECIMALS) for v in c]
        return [rnd(x) for x in c]

    return {"type": geom["type"], "coordinates": rnd(geom["coordinates"])}
