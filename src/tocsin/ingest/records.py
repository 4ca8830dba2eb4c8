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

# A record is ~200 characters; a far longer line is junk (and would cost memory and parse time).
MAX_LINE_CHARS = 65_536

# Ranges beyond this (2.4 x the geostationary distance) come from no radar a warning system uses; a
# bound also keeps later products (range squared, ECEF sums) far from float overflow.
MAX_RANGE_M = 1.0e8

# Above Earth's escape speed (11.2 km/s) plus the site's rotation speed with a wide margin: no object
# a warning radar sees closes or opens faster (ballistic re-entry is below 8 km/s).
MAX_RANGE_RATE_MPS = 20_000.0

# How far beyond a radar's instrumented range a measured range may lie, in range sigmas: the
# detection was inside the range gate, and measurement noise is Gaussian (10 sigma: never by chance).
RANGE_GATE_SIGMAS = 10.0


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """Plausibility limits on record times (s of Unix time).

    ``t_min_unix_s``/``t_max_unix_s``: a record outside [1970-01-01, 2200-01-01) by default has a
    broken clock or a unit error (milliseconds since 1970 land in year 50,000) and is rejected.
    ``max_future_s``: a record more than this ahead of the newest accepted record is held back as a
    possible clock jump instead of moving the feed's clock (one bad time would otherwise make every
    later record "late"); ``resync_scans`` distinct scans that agree with each other, with no record
    in the normal window between them, confirm a real jump (the feed was silent) and are then used.
    """

    t_min_unix_s: float = 0.0
    t_max_unix_s: float = 7_258_118_400.0  # 2200-01-01T00:00:00Z
    max_future_s: float = 60.0
    resync_scans: int = 2

    def __post_init__(self) -> None:
        if not (math.isfinite(self.t_min_unix_s) and math.isfinite(self.t_max_unix_s)):
            raise ValueError("t_min_unix_s and t_max_unix_s must be finite")
        if not self.t_min_unix_s < self.t_max_unix_s:
            raise ValueError(f"t_min_unix_s {self.t_min_unix_s!r} must be below t_max_unix_s")
        if not (self.max_future_s > 0.0 and not math.isnan(self.max_future_s)):
            raise ValueError(f"max_future_s must be > 0, got {self.max_future_s!r}")
        if not self.resync_scans >= 1:
            raise ValueError(f"resync_scans must be >= 1, got {self.resync_scans!r}")


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
    if not is_finite_number(value):
        raise _BadFieldError(name, f"must be finite, got {describe(value)}")
    return float(value)


DEFAULT_LIMITS = IngestLimits()


def parse_record(
    text: str, line: int, sensors: SensorSet, file: str = "-", limits: IngestLimits = DEFAULT_LIMITS
) -> MeasurementRecord | Rejected:
    """Parse one JSONL line into a ``RadarRecord``/``IrRecord``, or a ``Rejected`` saying why not.

    ``line`` is the 1-based line number, ``file`` the name used in reports (``-`` for standard input).
    Checks: at most ``MAX_LINE_CHARS`` characters of valid UTF-8 (lone surrogates, as
    ``errors="surrogateescape"`` decoding leaves for bad bytes, are rejected); JSON object;
    ``t_unix_s`` finite and inside ``limits``; ``sensor`` known; ``kind`` equal to the sensor's kind;
    ``scan`` a non-negative integer; radar ``range_m`` > 0 and within the sensor's instrumented range
    (plus ``RANGE_GATE_SIGMAS`` range sigmas) and ``MAX_RANGE_M``, |``az_deg``| <= 360, |``el_deg``| <= 90,
    optional ``range_rate_mps`` with |value| <= ``MAX_RANGE_RATE_MPS``; IR ``los_ecef`` 3 finite
    numbers of norm 1 ± 1e-6 (renormalised).
    Extra fields are ignored. Never raises on bad input.
    """
    try:
        return _parse(text, line, sensors, limits)
    except _BadFieldError as bad:
        return Rejected(file, line, bad.field, bad.reason)


def _parse(text: str, line: int, sensors: SensorSet, limits: IngestLimits) -> MeasurementRecord:
    if len(text) > MAX_LINE_CHARS:
        raise _BadFieldError(None, f"line longer than {MAX_LINE_CHARS} characters ({len(text)})")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _BadFieldError(None, "not UTF-8") from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise _BadFieldError(None, f"not JSON: {e.msg}") from None
    except RecursionError:
        raise _BadFieldError(None, "not JSON: nested too deep") from None
    except ValueError as e:  # e.g. an integer literal of more than 4300 digits
        raise _BadFieldError(None, f"not JSON: {describe(str(e))}") from None
    if not isinstance(obj, dict):
        raise _BadFieldError(None, f"not a JSON object: {describe(obj)}")
    t = _number(obj, "t_unix_s")
    if not limits.t_min_unix_s <= t < limits.t_max_unix_s:
        raise _BadFieldError(
            "t_unix_s",
            f"implausible time {t!r}: outside [{limits.t_min_unix_s:.0f}, {limits.t_max_unix_s:.0f})",
        )
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
        r_max = min(sensor.max_range_m + RANGE_GATE_SIGMAS * sensor.sigma_range_m, MAX_RANGE_M)
        if r > r_max:
            raise _BadFieldError("range_m", f"{r!r} beyond the radar's range {r_max:.6g} m")
        az = _number(obj, "az_deg")
        if not -360.0 <= az <= 360.0:
            raise _BadFieldError("az_deg", f"must be in [-360, 360], got {az!r}")
        el = _number(obj, "el_deg")
        if not -90.0 <= el <= 90.0:
            raise _BadFieldError("el_deg", f"must be in [-90, 90], got {el!r}")
        has_rr = obj.get("range_rate_mps") is not None
        rr = _number(obj, "range_rate_mps") if has_rr else math.nan
        if has_rr and not abs(rr) <= MAX_RANGE_RATE_MPS:
            raise _BadFieldError("range_rate_mps", f"|{rr!r}| > {MAX_RANGE_RATE_MPS:g} m/s")
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
