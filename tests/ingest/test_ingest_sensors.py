"""sensors.json: parsing, SI conversion, validation messages, defaults, round trip."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pymap3d
import pytest

from tocsin.errors import BadInputError
from tocsin.ingest.sensors import (
    IrSensor,
    RadarSensor,
    SensorSet,
    load_sensors,
    make_radar,
    parse_sensors,
    sensors_to_json,
)


def test_contract_example_parses(sensors: SensorSet) -> None:
    assert sensors.ids == ["tpy2-1", "geo-ir-1"]
    radar = sensors["tpy2-1"]
    assert isinstance(radar, RadarSensor)
    assert radar.kind == "radar"
    assert radar.has_doppler
    assert radar.sigma_az_rad == pytest.approx(math.radians(0.06), abs=1e-15)
    assert radar.sigma_az_deg == 0.06  # contract value kept
    assert radar.az_width_rad == pytest.approx(math.radians(120.0), abs=1e-12)
    ir = sensors["geo-ir-1"]
    assert isinstance(ir, IrSensor)
    assert ir.min_target_alt_m == 12000.0
    assert ir.sigma_los_rad == pytest.approx(math.radians(0.005), abs=1e-15)
    assert len(sensors) == 2
    assert [s.id for s in sensors.radars] == ["tpy2-1"]
    assert [s.id for s in sensors.irs] == ["geo-ir-1"]
    assert "nope" not in sensors
    assert sensors.get("nope") is None


def test_radar_site_ecef_matches_pymap3d(sensors: SensorSet) -> None:
    radar = sensors["tpy2-1"]
    assert isinstance(radar, RadarSensor)
    x, y, z = pymap3d.geodetic2ecef(32.1, 36.2, 600.0)
    assert np.linalg.norm(np.array(radar.pos_ecef_m) - np.array([x, y, z])) < 1e-6
    # The ENU rotation maps the local up direction to (0, 0, 1).
    up = np.array(pymap3d.enu2uvw(0.0, 0.0, 1.0, 32.1, 36.2))
    assert np.allclose(radar.enu_rotation() @ up, [0.0, 0.0, 1.0], atol=1e-12)


def test_defaults_and_no_doppler(sensors_doc: dict[str, Any]) -> None:
    radar = sensors_doc["sensors"][0]
    for name in (
        "sigma_range_rate_mps",
        "min_range_m",
        "max_range_m",
        "az_min_deg",
        "az_max_deg",
        "el_min_deg",
        "el_max_deg",
        "clutter_per_scan",
    ):
        del radar[name]
    del sensors_doc["sensors"][1]["min_target_alt_m"]
    s = parse_sensors(sensors_doc)
    r = s["tpy2-1"]
    assert isinstance(r, RadarSensor)
    assert not r.has_doppler
    assert r.min_range_m == 0.0 and math.isinf(r.max_range_m)
    assert r.az_width_rad == pytest.approx(2 * math.pi)
    assert r.el_min_deg == 0.0 and r.el_max_deg == 90.0
    assert r.clutter_per_scan == 0.0
    assert bool(r.in_az_sector(math.radians(359.9)))
    ir = s["geo-ir-1"]
    assert isinstance(ir, IrSensor) and ir.min_target_alt_m == 0.0


def test_az_sector_wrapping_through_north() -> None:
    base = {"lat_deg": 0.0, "lon_deg": 0.0, "alt_m": 0.0, "sigma_range_m": 10.0, "sigma_az_deg": 0.1}
    r = make_radar("r", **base, sigma_el_deg=0.1, revisit_s=1.0, pd=0.9, az_min_deg=300, az_max_deg=60)
    assert r.az_width_rad == pytest.approx(math.radians(120.0))
    az = np.radians([300.0, 330.0, 0.0, 59.9, 60.0, 61.0, 180.0, 299.0, -30.0])
    assert r.in_az_sector(az).tolist() == [True, True, True, True, True, False, False, False, True]


def test_extra_fields_ignored(sensors_doc: dict[str, Any]) -> None:
    sensors_doc["sensors"][0]["vendor"] = {"x": 1}
    sensors_doc["comment"] = "hello"
    assert parse_sensors(sensors_doc).ids == ["tpy2-1", "geo-ir-1"]


BAD_CASES: list[tuple[int, str, Any, str]] = [
    (0, "sigma_range_m", -1.0, "> 0"),
    (0, "sigma_range_m", "15", "finite number"),
    (0, "sigma_az_deg", math.nan, "finite number"),
    (0, "sigma_el_deg", 0.0, "> 0"),
    (0, "sigma_range_rate_mps", -2.0, "> 0"),
    (0, "pd", 0.0, "(0, 1]"),
    (0, "pd", 1.2, "(0, 1]"),
    (0, "pd", True, "finite number"),
    (0, "revisit_s", 0.0, "> 0"),
    (0, "lat_deg", 91.0, "[-90, 90]"),
    (0, "el_min_deg", -91.0, "[-90, 90]"),
    (0, "el_max_deg", 0.5, "must exceed el_min_deg"),
    (0, "az_max_deg", 30, "empty sector"),
    (0, "max_range_m", 4000.0, "must exceed min_range_m"),
    (0, "min_range_m", -5.0, ">= 0"),
    (0, "clutter_per_scan", -0.1, ">= 0"),
    (0, "kind", "lidar", "'radar' or 'ir'"),
    (0, "id", 7, "non-empty string"),
    (1, "id", "tpy2-1", "duplicate"),
    (1, "pos_ecef_m", [1.0, 2.0], "3 finite numbers"),
    (1, "pos_ecef_m", [0.0, 0.0, 0.0], "inside the Earth"),
    (1, "sigma_los_deg", -0.005, "> 0"),
    (1, "min_target_alt_m", math.inf, "finite number"),
]


@pytest.mark.parametrize(("index", "field", "value", "message"), BAD_CASES)
def test_bad_fields_name_place_and_field(
    sensors_doc: dict[str, Any], index: int, field: str, value: Any, message: str
) -> None:
    sensors_doc["sensors"][index][field] = value
    with pytest.raises(BadInputError) as info:
        parse_sensors(sensors_doc, "s.json")
    err = info.value
    assert err.file == "s.json"
    assert err.where == f"sensors[{index}]"
    assert err.field == field
    assert message in err.message


@pytest.mark.parametrize("field", ["lat_deg", "alt_m", "sigma_range_m", "revisit_s", "pd", "id"])
def test_missing_required_radar_field(sensors_doc: dict[str, Any], field: str) -> None:
    del sensors_doc["sensors"][0][field]
    with pytest.raises(BadInputError, match="missing") as info:
        parse_sensors(sensors_doc)
    assert info.value.field == field


@pytest.mark.parametrize("doc", [[], {"sensors": {}}, {"sensors": []}, {"sensors": [3]}, {}])
def test_bad_top_level(doc: Any) -> None:
    with pytest.raises(BadInputError):
        parse_sensors(doc)


def test_round_trip_through_json(sensors: SensorSet, tmp_path: Path) -> None:
    path = tmp_path / "sensors.json"
    path.write_text(json.dumps(sensors_to_json(sensors)), encoding="utf-8")
    again = load_sensors(path)
    assert again == sensors


def test_round_trip_keeps_defaults_writable(sensors_doc: dict[str, Any]) -> None:
    del sensors_doc["sensors"][0]["max_range_m"]
    del sensors_doc["sensors"][0]["sigma_range_rate_mps"]
    s = parse_sensors(sensors_doc)
    doc = sensors_to_json(s)
    text = json.dumps(doc, allow_nan=False)  # no infinity written
    assert "max_range_m" not in doc["sensors"][0]
    assert parse_sensors(json.loads(text)) == s


def test_load_sensors_not_json(tmp_path: Path) -> None:
    path = tmp_path / "sensors.json"
    path.write_text('{"sensors": [\n  {"id": }\n]}', encoding="utf-8")
    with pytest.raises(BadInputError, match="not JSON") as info:
        load_sensors(path)
    assert info.value.where == 2


def test_load_sensors_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="cannot read"):
        load_sensors(tmp_path / "absent.json")
