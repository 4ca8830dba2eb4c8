"""Zone ground heights (`alt_m` property or 3-D positions) become the terrain of impacts near the zones."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from tocsin.engine.config import EngineConfig
from tocsin.engine.core import with_zone_terrain
from tocsin.errors import BadInputError
from tocsin.geo.frames import ecef_to_geodetic
from tocsin.predict.accuracy import burnout_state, fly_truth, noisy_snapshot, radar_like_cov
from tocsin.predict.impact import predict_impacts
from tocsin.zones.load import parse_zones, zone_set_to_geojson


def _square(lon: float, lat: float, d: float = 0.01, z: float | None = None) -> list[list[list[float]]]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return [[[*p, z] for p in ring]] if z is not None else [ring]


def _doc(props: dict[str, Any], coords: list[list[list[float]]]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "a", "shelter_s": 60, **props},
                "geometry": {"type": "Polygon", "coordinates": coords},
            }
        ],
    }


def test_alt_from_property_then_third_coordinate_else_nan() -> None:
    assert parse_zones(_doc({"alt_m": 812.5}, _square(35.2, 31.7))).ground_alt_m().tolist() == [812.5]
    assert parse_zones(_doc({}, _square(35.2, 31.7, z=790.0))).ground_alt_m().tolist() == [790.0]
    assert np.isnan(parse_zones(_doc({}, _square(35.2, 31.7))).ground_alt_m()[0])
    zs = parse_zones(_doc({"alt_m": 812.5}, _square(35.2, 31.7)))
    back = parse_zones(zone_set_to_geojson(zs))  # written back with the height
    assert back.ground_alt_m().tolist() == [812.5]


@pytest.mark.parametrize("bad", [1.0e5, "high", None])
def test_implausible_zone_alt_is_bad_input(bad: object) -> None:
    doc = _doc({"alt_m": bad}, _square(35.2, 31.7))
    if bad is None:
        assert np.isnan(parse_zones(doc).ground_alt_m()[0])  # null = not given
        return
    with pytest.raises(BadInputError) as err:
        parse_zones(copy.deepcopy(doc))
    assert err.value.field == "alt_m" and "features[0]" in str(err.value)


def test_impact_near_a_high_zone_ends_on_its_ground() -> None:
    # An SRBM 60 s from impact; a zone 1,000 m up around the predicted impact point: with the zone's
    # height the predicted impact is ~0.3-3 s earlier (descent 0.3-3 km/s) than on the default sea level.
    tr = fly_truth(burnout_state(32.0, 50.0, 25e3, 1700.0, 42.0, 270.0), 5000.0)
    P = radar_like_cov(30.0, 2.0, 0.2, np.random.default_rng(3))
    snap = noisy_snapshot(tr, 60.0, P, 2, 3)[0]
    base = EngineConfig()
    low = predict_impacts(snap, config=base.predict)
    la, lo, _ = ecef_to_geodetic(tr.impact_ecef_m)
    lat, lon = float(np.degrees(la)), float(np.degrees(lo))
    zones = parse_zones(_doc({"alt_m": 1000.0}, _square(lon - 0.005, lat - 0.005)))
    cfg = with_zone_terrain(base, zones)
    assert len(cfg.predict.terrain.boxes) == 1
    assert float(cfg.predict.terrain.height_m(np.array(lat), np.array(lon))) == 1000.0
    assert float(cfg.predict.terrain.height_m(np.array(lat + 1.0), np.array(lon))) == 0.0  # far: default
    high = predict_impacts(snap, config=cfg.predict)
    dt = low.impact_t_unix_s - high.impact_t_unix_s
    assert np.all((dt > 1000.0 / 3000.0) & (dt < 1000.0 / 300.0)), dt
    # Zones without heights leave the configuration as it was.
    assert with_zone_terrain(base, parse_zones(_doc({}, _square(lon, lat)))) is base
