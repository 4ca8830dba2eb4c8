"""One measurement line -> record or rejection naming file, line and field."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tocsin.ingest.records import IrRecord, RadarRecord, Rejected, parse_record, record_to_json
from tocsin.ingest.sensors import SensorSet

RADAR: dict[str, Any] = {
    "t_unix_s": 1578436212.5,
    "sensor": "tpy2-1",
    "kind": "radar",
    "scan": 17,
    "range_m": 412034.2,
    "az_deg": 88.41,
    "el_deg": 21.07,
    "range_rate_mps": -1532.4,
}
IR: dict[str, Any] = {
    "t_unix_s": 1578436213.0,
    "sensor": "geo-ir-1",
    "kind": "ir",
    "scan": 9,
    "los_ecef": [-0.2116, 0.9772, -0.0175],
}


def _norm_ir() -> dict[str, Any]:
    u = IR["los_ecef"]
    n = math.sqrt(sum(c * c for c in u))
    return {**IR, "los_ecef": [c / n for c in u]}


def test_radar_record(sensors: SensorSet) -> None:
    rec = parse_record(json.dumps(RADAR), 4, sensors, "m.jsonl")
    assert isinstance(rec, RadarRecord)
    assert rec.line == 4 and rec.scan == 17 and rec.kind == "radar"
    assert rec.az_rad == pytest.approx(math.radians(88.41), abs=1e-15)
    assert rec.el_rad == pytest.approx(math.radians(21.07), abs=1e-15)
    assert rec.range_rate_mps == -1532.4
    back = record_to_json(rec)
    assert back["az_deg"] == pytest.approx(88.41, abs=1e-12)


def test_radar_without_range_rate_and_negative_azimuth(sensors: SensorSet) -> None:
    obj = {**RADAR, "az_deg": -10.0}
    del obj["range_rate_mps"]
    rec = parse_record(json.dumps(obj), 1, sensors)
    assert isinstance(rec, RadarRecord)
    assert math.isnan(rec.range_rate_mps)
    assert rec.az_rad == pytest.approx(math.radians(350.0), abs=1e-12)
    assert "range_rate_mps" not in record_to_json(rec)


def test_ir_record_renormalised(sensors: SensorSet) -> None:
    obj = _norm_ir()
    obj["los_ecef"] = [c * (1 + 5e-7) for c in obj["los_ecef"]]
    rec = parse_record(json.dumps(obj), 2, sensors)
    assert isinstance(rec, IrRecord)
    assert math.sqrt(sum(c * c for c in rec.los_ecef)) == pytest.approx(1.0, abs=1e-15)


def _with(base: dict[str, Any], **changes: Any) -> str:
    obj = dict(base)
    for k, v in changes.items():
        if v is _DROP:
            obj.pop(k, None)
        else:
            obj[k] = v
    return json.dumps(obj)


_DROP = object()

BAD_LINES: list[tuple[str, str | None, str]] = [
    ("{not json", None, "not JSON"),
    ("[1, 2]", None, "not a JSON object"),
    ("", None, "not JSON"),
    (_with(RADAR, t_unix_s=_DROP), "t_unix_s", "missing"),
    (_with(RADAR, t_unix_s="now"), "t_unix_s", "must be a number"),
    (_with(RADAR, t_unix_s=True), "t_unix_s", "must be a number"),
    (_with(RADAR).replace("1578436212.5", "NaN"), "t_unix_s", "finite"),
    (_with(RADAR, sensor="nope"), "sensor", "unknown sensor"),
    (_with(RADAR, sensor=3), "sensor", "must be a string"),
    (_with(RADAR, kind="ir"), "kind", "differs"),
    (_with(RADAR, kind=_DROP), "kind", "missing"),
    (_with(RADAR, scan=_DROP), "scan", "missing"),
    (_with(RADAR, scan=1.5), "scan", "non-negative integer"),
    (_with(RADAR, scan=-1), "scan", "non-negative integer"),
    (_with(RADAR, range_m=-3.1), "range_m", "> 0"),
    (_with(RADAR, range_m=0), "range_m", "> 0"),
    (_with(RADAR, range_m=_DROP), "range_m", "missing"),
    (_with(RADAR).replace("412034.2", "Infinity"), "range_m", "finite"),
    (_with(RADAR, az_deg=None), "az_deg", "must be a number"),
    (_with(RADAR, el_deg=90.5), "el_deg", "[-90, 90]"),
    (_with(RADAR, el_deg=-91), "el_deg", "[-90, 90]"),
    (_with(RADAR, range_rate_mps="fast"), "range_rate_mps", "must be a number"),
    (_with(IR, los_ecef=[0.0, 0.0, 0.0]), "los_ecef", "zero line of sight"),
    (_with(IR, los_ecef=[1.0, 1.0, 0.0]), "los_ecef", "not a unit vector"),
    (_with(IR, los_ecef=[1.0, 0.0]), "los_ecef", "3 finite numbers"),
    (_with(IR, los_ecef=_DROP), "los_ecef", "missing"),
]


@pytest.mark.parametrize(("text", "field", "reason"), BAD_LINES)
def test_bad_lines_rejected_with_place(sensors: SensorSet, text: str, field: str | None, reason: str) -> None:
    out = parse_record(text, 812, sensors, "measurements.jsonl")
    assert isinstance(out, Rejected)
    assert out.file == "measurements.jsonl" and out.line == 812
    assert out.field == field
    assert reason in out.reason
    assert out.message().startswith("measurements.jsonl:812:")


def test_extra_fields_ignored(sensors: SensorSet) -> None:
    rec = parse_record(_with(RADAR, snr_db=12.0), 1, sensors)
    assert isinstance(rec, RadarRecord)
    assert rec.key == parse_record(json.dumps(RADAR), 1, sensors).key  # type: ignore[union-attr]
