"""Bad input files end the command with exit status 2 and a message naming file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.app import app
from tocsin.cli.files import element_line

RUNNER = CliRunner()

SENSORS = {
    "sensors": [
        {
            "id": "r1",
            "kind": "radar",
            "lat_deg": 33.8,
            "lon_deg": 42.4,
            "alt_m": 200.0,
            "sigma_range_m": 15.0,
            "sigma_az_deg": 0.06,
            "sigma_el_deg": 0.06,
            "revisit_s": 1.0,
            "pd": 0.95,
        },
        {
            "id": "ir1",
            "kind": "ir",
            "pos_ecef_m": [42164000.0, 0.0, 0.0],
            "sigma_los_deg": 0.005,
            "revisit_s": 2.0,
            "pd": 0.9,
        },
    ]
}


def _zone(zid: str, shelter_s: float | None, lon: float = 42.4, lat: float = 33.8) -> dict[str, object]:
    props: dict[str, object] = {"id": zid, "name": zid}
    if shelter_s is not None:
        props["shelter_s"] = shelter_s
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
    return {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def _write(tmp: Path, sensors: object, zones: object, measurements: str = "") -> tuple[Path, Path, Path]:
    s = tmp / "sensors.json"
    z = tmp / "zones.geojson"
    m = tmp / "measurements.jsonl"
    s.write_text(json.dumps(sensors, indent=1))
    z.write_text(json.dumps(zones, indent=1))
    m.write_text(measurements)
    return s, z, m


def _run(s: Path, z: Path, m: Path, out: Path) -> tuple[int, str]:
    res = RUNNER.invoke(
        app, ["run", "--sensors", str(s), "--measurements", str(m), "--zones", str(z), "--out", str(out)]
    )
    return res.exit_code, res.output


def test_element_line_finds_the_feature() -> None:
    text = (
        '{"type": "FeatureCollection",\n "features": [\n  {"a": [1, 2]},\n  {"b": {"c": "]"}},\n  {"d": 3}]}'
    )
    assert element_line(text, "features", 0) == 3
    assert element_line(text, "features", 2) == 5
    assert element_line(text, "nothing", 0) is None


def test_zone_without_shelter_time_exits_2_with_line_and_field(tmp_path: Path) -> None:
    zones = {"type": "FeatureCollection", "features": [_zone("a", 60.0), _zone("b", None, lon=42.5)]}
    s, z, m = _write(tmp_path, SENSORS, zones)
    code, out = _run(s, z, m, tmp_path / "out")
    assert code == 2
    assert "zones.geojson:" in out and "features[1]" in out and "shelter_s" in out
    line = int(out.split("zones.geojson:")[1].split(" ")[0])
    assert json.dumps(zones, indent=1).splitlines()[line - 1].strip() == "{"
    assert not (tmp_path / "out" / "alerts.jsonl").exists(), "nothing may run before the input is valid"


def test_duplicate_zone_ids_exit_2(tmp_path: Path) -> None:
    zones = {"type": "FeatureCollection", "features": [_zone("a", 60.0), _zone("a", 60.0, lon=42.6)]}
    s, z, m = _write(tmp_path, SENSORS, zones)
    code, out = _run(s, z, m, tmp_path / "out")
    assert code == 2 and "duplicate" in out.lower()


@pytest.mark.parametrize(
    ("field", "value"),
    [("sigma_range_m", -1.0), ("pd", float("nan")), ("lat_deg", 95.0), ("kind", "sonar")],
)
def test_bad_sensor_field_exits_2_naming_it(tmp_path: Path, field: str, value: object) -> None:
    sensors = json.loads(json.dumps(SENSORS))
    sensors["sensors"][0][field] = value
    zones = {"type": "FeatureCollection", "features": [_zone("a", 60.0)]}
    s, z, m = _write(tmp_path, sensors, zones)
    code, out = _run(s, z, m, tmp_path / "out")
    assert code == 2
    assert "sensors.json:" in out and "sensors[0]" in out and field in out


def test_sensors_file_not_json_names_the_line(tmp_path: Path) -> None:
    s, z, m = _write(tmp_path, SENSORS, {"type": "FeatureCollection", "features": [_zone("a", 60.0)]})
    s.write_text('{"sensors": [\n  {"id": "x",\n   "kind": radar}\n]}')
    code, out = _run(s, z, m, tmp_path / "out")
    assert code == 2 and "sensors.json:3" in out


def test_missing_measurements_file_exits_2(tmp_path: Path) -> None:
    s, z, _ = _write(tmp_path, SENSORS, {"type": "FeatureCollection", "features": [_zone("a", 60.0)]})
    code, out = _run(s, z, tmp_path / "nope.jsonl", tmp_path / "out")
    assert code == 2 and "nope.jsonl" in out


def test_help_lists_the_contract_commands() -> None:
    res = RUNNER.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("simulate", "track", "run", "replay", "evaluate"):
        assert cmd in res.output


@pytest.mark.parametrize(
    ("old", "new", "line", "field"),
    [
        ("class: rocket-107, count: 3", "class: rocket-999, count: 3", 32, "class"),
        ("sigma_range_m: 10.0", "sigma_range_m: -10.0", 42, "sigma_range_m"),
        ("sigma_range_m: 25.0", "sigma_range_m: .nan", 46, "sigma_range_m"),
    ],
)
def test_bad_scenario_file_exits_2_with_line_and_field(
    tmp_path: Path, old: str, new: str, line: int, field: str
) -> None:
    from importlib.resources import files

    text = (files("tocsin.sim") / "scenarios" / "rocket-barrage.yaml").read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    res = RUNNER.invoke(app, ["simulate", str(bad), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert f"bad.yaml:{line}" in res.output and field in res.output
    assert not (tmp_path / "out" / "measurements.jsonl").exists()
