"""zones.geojson: validation with places, local frame, struck-zone queries, writing."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod

from tocsin.errors import BadInputError
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.load import ZoneSet, load_zones, parse_zones, zone_set_to_geojson

CHECKER = Path("/work/shared/tools/check_contract.py")
LAT0, LON0 = 32.0, 35.0
GEOD = Geod(ellps="WGS84")


def _square(cx_m: float, cy_m: float, half_m: float) -> list[list[float]]:
    """A closed square ring (lon/lat) built in the aeqd frame at (LAT0, LON0)."""
    xs = np.array([cx_m - half_m, cx_m + half_m, cx_m + half_m, cx_m - half_m, cx_m - half_m])
    ys = np.array([cy_m - half_m, cy_m - half_m, cy_m + half_m, cy_m + half_m, cy_m - half_m])
    lon, lat = local_m_to_lonlat(xs, ys, LAT0, LON0)
    return [[float(a), float(b)] for a, b in zip(lon, lat, strict=True)]


def _doc() -> dict[str, Any]:
    hole = _square(-3000.0, 0.0, 100.0)[::-1]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "id": "z-a",
                    "name": "Alpha",
                    "shelter_s": 60,
                    "population": 1200,
                    "kind": "town",
                },
                "geometry": {"type": "Polygon", "coordinates": [_square(-3000.0, 0.0, 500.0), hole]},
            },
            {
                "type": "Feature",
                "properties": {"id": "z-b", "shelter_s": 15.0},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[_square(3000.0, 0.0, 500.0)], [_square(3000.0, 3000.0, 200.0)]],
                },
            },
            {
                "type": "Feature",
                "properties": {"id": "z-c", "name": "Charlie", "shelter_s": 0, "population": 0, "extra": [1]},
                "geometry": {"type": "Polygon", "coordinates": [_square(0.0, -3000.0, 250.0)]},
            },
        ],
    }


@pytest.fixture
def zones() -> ZoneSet:
    return parse_zones(_doc())


def test_fields(zones: ZoneSet) -> None:
    assert zones.ids == ["z-a", "z-b", "z-c"]
    assert zones.names == ["Alpha", "z-b", "Charlie"]
    assert zones.shelter_s.tolist() == [60.0, 15.0, 0.0]
    assert zones.population[0] == 1200.0 and math.isnan(zones.population[1]) and zones.population[2] == 0.0
    assert zones.kind == ["town", None, None]
    assert zones.index["z-b"] == 1
    assert len(zones) == 3
    # The frame centre is the lon/lat bounding-box centre; the zone set is roughly symmetric about it.
    assert abs(zones.centre_lat_deg - LAT0) < 0.02 and abs(zones.centre_lon_deg - LON0) < 0.01


def test_projected_area_matches_construction(zones: ZoneSet) -> None:
    # 1 km square minus a 200 m hole; the frame is centred elsewhere, so allow 1 m² per 10⁴ m².
    assert abs(zones.geoms_m[0].area - (1000.0**2 - 200.0**2)) < 100.0
    assert abs(zones.geoms_m[1].area - (1000.0**2 + 400.0**2)) < 150.0


def test_project_lonlat_distance_is_geodesic(zones: ZoneSet) -> None:
    lon2, lat2, _ = GEOD.fwd(zones.centre_lon_deg, zones.centre_lat_deg, 37.0, 5000.0)
    x, y = zones.project_lonlat(np.array([lon2]), np.array([lat2]))
    assert abs(math.hypot(float(x[0]), float(y[0])) - 5000.0) < 1e-6
    x0, y0 = zones.project_lonlat(zones.centre_lon_deg, zones.centre_lat_deg)
    assert abs(float(x0)) < 1e-6 and abs(float(y0)) < 1e-6


def _lonlat(x_m: float, y_m: float) -> tuple[float, float]:
    lon, lat = local_m_to_lonlat(x_m, y_m, LAT0, LON0)
    return float(lon), float(lat)


def test_zones_struck_distances(zones: ZoneSet) -> None:
    # Point 140 m east of z-a's east edge (x = -2500): struck at radius 150, not at 130.
    lon, lat = _lonlat(-2360.0, 0.0)
    assert zones.zones_struck(lat, lon, 150.0) == [[0]]
    assert zones.zones_struck(lat, lon, 130.0) == [[]]
    # Inside the hole of z-a: 100 m from the hole's edge.
    lon_h, lat_h = _lonlat(-3000.0, 0.0)
    assert zones.zones_struck(lat_h, lon_h, 90.0) == [[]]
    assert zones.zones_struck(lat_h, lon_h, 110.0) == [[0]]
    # Inside z-b's second part with radius 0; between z-a and z-c wide enough for both.
    lon_b, lat_b = _lonlat(3000.0, 3000.0)
    lon_m, lat_m = _lonlat(-2000.0, -2000.0)
    got = zones.zones_struck(
        np.array([lat_b, lat_m, lat]), np.array([lon_b, lon_m, lon]), np.array([0.0, 2000.0, 10.0])
    )
    assert got == [[1], [0, 2], []]


def test_zones_struck_equals_exact_distance(zones: ZoneSet) -> None:
    rng = np.random.default_rng(7)
    x = rng.uniform(-5000, 5000, 400)
    y = rng.uniform(-5000, 5000, 400)
    lon, lat = local_m_to_lonlat(x, y, LAT0, LON0)
    radius = rng.uniform(0.0, 800.0, 400)
    got = zones.zones_struck(lat, lon, radius)
    px, py = zones.project_lonlat(lon, lat)
    pts = shapely.points(px, py)
    for i in range(400):
        d = shapely.distance(pts[i], zones.geoms_m)
        assert got[i] == [int(z) for z in np.flatnonzero(d <= radius[i])]


def test_zones_struck_bad_radius(zones: ZoneSet) -> None:
    with pytest.raises(ValueError, match="radius_m"):
        zones.zones_struck(LAT0, LON0, -1.0)


def _mutate(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_doc())
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is _DROP:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


_DROP = object()
BOWTIE = [[35.0, 32.0], [35.01, 32.01], [35.01, 32.0], [35.0, 32.01], [35.0, 32.0]]
UNCLOSED = [[35.0, 32.0], [35.01, 32.0], [35.01, 32.01], [35.0, 32.01], [35.0, 32.001]]

BAD: list[tuple[tuple[Any, ...], Any, str, str]] = [
    (("features", 1, "properties", "id"), "z-a", "id", "duplicate"),
    (("features", 1, "properties", "id"), _DROP, "id", "missing"),
    (("features", 1, "properties", "id"), 4, "id", "non-empty string"),
    (("features", 1, "properties", "shelter_s"), _DROP, "shelter_s", "missing"),
    (("features", 1, "properties", "shelter_s"), math.nan, "shelter_s", "finite"),
    (("features", 1, "properties", "shelter_s"), -5, "shelter_s", ">= 0"),
    (("features", 1, "properties", "shelter_s"), "60", "shelter_s", "finite"),
    (("features", 1, "properties", "population"), -1, "population", ">= 0"),
    (("features", 1, "properties", "name"), 3, "name", "string"),
    (("features", 1, "properties"), None, "properties", "missing"),
    (("features", 1, "geometry"), {"type": "Point", "coordinates": [35, 32]}, "geometry", "Polygon"),
    (
        ("features", 1, "geometry"),
        {"type": "Polygon", "coordinates": [BOWTIE]},
        "geometry",
        "Self-intersection",
    ),
    (("features", 1, "geometry"), {"type": "Polygon", "coordinates": [UNCLOSED]}, "geometry", "not closed"),
    (
        ("features", 1, "geometry"),
        {"type": "Polygon", "coordinates": [BOWTIE[:3]]},
        "geometry",
        "4 positions",
    ),
    (
        ("features", 1, "geometry"),
        {"type": "Polygon", "coordinates": [[[200.0, 0.0], [201.0, 0.0], [201.0, 1.0], [200.0, 0.0]]]},
        "geometry",
        "out of range",
    ),
    (("features", 1, "geometry"), None, "geometry", "not a geometry"),
    (("features", 1, "type"), "Blob", "type", "Feature"),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), BAD)
def test_bad_features_name_place_and_field(
    path: tuple[Any, ...], value: Any, field: str, message: str
) -> None:
    with pytest.raises(BadInputError) as info:
        parse_zones(_mutate(path, value), "z.geojson")
    err = info.value
    assert (err.file, err.where, err.field) == ("z.geojson", "features[1]", field)
    assert message in err.message


@pytest.mark.parametrize(
    "doc",
    [[], {"type": "Feature"}, {"type": "FeatureCollection"}, {"type": "FeatureCollection", "features": []}],
)
def test_bad_collection(doc: Any) -> None:
    with pytest.raises(BadInputError):
        parse_zones(doc)


def test_write_read_round_trip_and_contract(zones: ZoneSet, tmp_path: Path) -> None:
    doc = zone_set_to_geojson(zones)
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(doc, allow_nan=False), encoding="utf-8")
    again = load_zones(path)
    assert again.ids == zones.ids and again.names == zones.names and again.kind == zones.kind
    assert np.array_equal(again.shelter_s, zones.shelter_s)
    assert np.array_equal(again.population, zones.population, equal_nan=True)
    for a, b in zip(again.geoms_lonlat, zones.geoms_lonlat, strict=True):
        assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-7)
    # RFC 7946: exterior rings counter-clockwise.
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    assert shapely.LinearRing(ring).is_ccw
    out = subprocess.run(
        [sys.executable, str(CHECKER), str(tmp_path)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout


def test_load_zones_not_json(tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text("{\n\n  oops", encoding="utf-8")
    with pytest.raises(BadInputError, match="not JSON") as info:
        load_zones(path)
    assert info.value.where == 3
