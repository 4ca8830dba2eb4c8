"""One line of ``measurements.jsonl`` (contract section 2) -> a typed record or a rejection.

Parsing never raises and never prints on bad input: it returns a ``Rejected`` naming the file, the line
and the field, and the caller (the CLI) reports it. The checks here need one line only; the checks that
need history (late data, repeats, scans already released) are in ``tocsin.ingest.stream``.

Internal units: metres, seconds, radians; azimuth normalised to [0, 2π). Records keep ``key``, the
values as written, which identifies exact repeats.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from tocsin.ingest._check import describe, is_finite_number, is_number
from tocsin.ingest.sensors import RadarSensor, SensorSet

TWO_PI = 2.0 * math.pi

# A line of sight is accepted as a unit vector when | |u| - 1 | is within this (then renormalised).
LOS_UNIT_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that was skipped: where it was and why. ``line`` is 1-based; ``field`` may be None."""

    file: str
    line: int
    field: str | None
    reason: str

    def message(self) -> str:
        """One line for standard error: ``file:line: field 'x': reason``."""
        what = f" field '{self.field}':" if self.field else ""
        return f"{self.file}:{self.line}:{what} {self.reason}"


@dataclass(frozen=True, slots=True)
class RadarRecord:
    """One radar detection. ``range_rate_mps`` is NaN when the record has none."""

    line: int
    t_unix_s: float
    sensor: str
    scan: int
    range_m: float
    az_rad: float
    el_rad: float
    range_rate_mps: float
    key: tuple[Any, ...]

    @property
    def kind(self) -> str:
        """Always ``"radar"``."""
        return "radar"


@dataclass(frozen=True, slots=True)
class IrRecord:
    """One infrared line of sight: unit ECEF vector from the sensor toward the object."""

    line: int
    t_unix_s: float
    sensor: str
    scan: int
    los_ecef: tuple[float, float, float]
    key: tuple[Any, ...]

    @property
    def kind(self) -> str:
        """Always ``"ir"``."""
        return "ir"


MeasurementRecord = RadarRecord | IrRecord


class _BadFieldError(Exception):
    """Internal: a bad field of the record being parsed (turned into ``Rejected``)."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _number(obj: dict[str, Any], name: str) -> float:
    if name not in obj:
        raise _BadFieldError(name, "missing")
    value = obj[name]
    if not is_number(value):
        raise _BadFieldError(name, f"must be a number, got {describe(value)}")
    if not math.isfinite(value):
        raise _BadFieldError(name, f"must be finite, got {describe(value)}")
    return float(value)


def parse_record(text: str, line: int, sensors: SensorSet, file: str = "-") -> MeasurementRecord | Rejected:
    """Parse one JSONL line into a ``RadarRecord``/``IrRecord``, or a ``Rejected`` saying why not.

    ``line`` is the 1-based line number, ``file`` the name used in reports (``-`` for standard input).
    Checks: JSON object; ``t_unix_s`` finite; ``sensor`` known; ``kind`` equal to the sensor's kind;
    ``scan`` a non-negative integer; radar ``range_m`` > 0, ``az_deg`` finite, |``el_deg``| <= 90,
    optional finite ``range_rate_mps``; IR ``los_ecef`` 3 finite numbers of norm 1 ± 1e-6 (renormalised).
    Extra fields are ignored. Never raises on bad input.
    """
    try:
        return _parse(text, line, sensors)
    except _BadFieldError as bad:
        return Rejected(file, line, bad.field, bad.reason)


def _parse(text: str, line: int, sensors: SensorSet) -> MeasurementRecord:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise _BadFieldError(None, f"not JSON: {e.msg}") from None
    except RecursionError:
        raise _BadFieldError(None, "not JSON: nested too deep") from None
    if not isinstance(obj, dict):
        raise _BadFieldError(None, f"not a JSON object: {describe(obj)}")
    t = _number(obj, "t_unix_s")
    if "sensor" not in obj:
        raise _BadFieldError("sensor", "missing")
    sensor_id = obj["sensor"]
    if not isinstance(sensor_id, str):
        raise _BadFieldError("sensor", f"must be a string, got {describe(sensor_id)}")
    sensor = sensors.get(sensor_id)
    if sensor is None:
        raise _BadFieldError("sensor", f"unknown sensor {describe(sensor_id)}")
    if "kind" not in obj:
        raise _BadFieldError("kind", "missing")
    kind = obj["kind"]
    if kind != sensor.kind:
        raise _BadFieldError("kind", f"{describe(kind)} differs from sensor {sensor_id!r} ({sensor.kind})")
    if "scan" not in obj:
        raise _BadFieldError("scan", "missing")
    scan = obj["scan"]
    if not isinstance(scan, int) or isinstance(scan, bool) or scan < 0:
        raise _BadFieldError("scan", f"must be a non-negative integer, got {describe(scan)}")

    if isinstance(sensor, RadarSensor):
        r = _number(obj, "range_m")
        if not r > 0.0:
            raise _BadFieldError("range_m", f"must be > 0, got {r!r}")
        az = _number(obj, "az_deg")
        el = _number(obj, "el_deg")
        if not -90.0 <= el <= 90.0:
            raise _BadFieldError("el_deg", f"must be in [-90, 90], got {el!r}")
        has_rr = obj.get("range_rate_mps") is not None
        rr = _number(obj, "range_rate_mps") if has_rr else math.nan
        return RadarRecord(
            line=line,
            t_unix_s=t,
            sensor=sensor_id,
            scan=scan,
            range_m=r,
            az_rad=math.radians(az) % TWO_PI,
            el_rad=math.radians(el),
            range_rate_mps=rr,
            key=("radar", sensor_id, scan, t, r, az, el, rr if has_rr else None),
        )

    if "los_ecef" not in obj:
        raise _BadFieldError("los_ecef", "missing")
    u = obj["los_ecef"]
    if not (isinstance(u, list) and len(u) == 3 and all(is_finite_number(c) for c in u)):
        raise _BadFieldError("los_ecef", f"must be a list of 3 finite numbers, got {describe(u)}")
    ux, uy, uz = (float(c) for c in u)
    norm = math.sqrt(ux * ux + uy * uy + uz * uz)
    if norm == 0.0:
        raise _BadFieldError("los_ecef", "zero line of sight")
    if abs(norm - 1.0) > LOS_UNIT_TOLERANCE:
        raise _BadFieldError("los_ecef", f"not a unit vector (norm {norm:.9g})")
    return IrRecord(
        line=line,
        t_unix_s=t,
        sensor=sensor_id,
        scan=scan,
        los_ecef=(ux / norm, uy / norm, uz / norm),
        key=("ir", sensor_id, scan, t, ux, uy, uz),
    )


def record_to_json(record: MeasurementRecord) -> dict[str, Any]:
    """A record as its contract JSON object (degrees), e.g. for writers and tests.

    The azimuth comes back in [0, 360); round-trips are exact to float rounding of the degree conversion.
    """
    if isinstance(record, RadarRecord):
        out: dict[str, Any] = {
            "t_unix_s": record.t_unix_s,
            "sensor": record.sensor,
            "kind": "radar",
            "scan": record.scan,
            "range_m": record.range_m,
            "az_deg": math.degrees(record.az_rad),
            "el_deg": math.degrees(record.el_rad),
        }
        if not math.isnan(record.range_rate_mps):
            out["range_rate_mps"] = record.range_rate_mps
        return out
    return {
        "t_unix_s": record.t_unix_s,
        "sensor": record.sensor,
        "kind": "ir",
        "scan": record.scan,
        "los_ecef": list(record.los_ecef),
    }
