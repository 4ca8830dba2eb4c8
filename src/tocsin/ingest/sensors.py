"""The sensors file ``sensors.json`` (contract section 1): parse, validate, write.

Readers keep two views of every sensor: the contract values as written (degrees, e.g. ``sigma_az_deg``)
and the internal SI values (radians, metres, ECEF). Degrees are converted here, once.

Defaults for optional fields (applied when the field is absent):

==========================  ==================  ==========================================
field                       default             meaning
==========================  ==================  ==========================================
``sigma_range_rate_mps``    absent -> ``None``  the radar measures no Doppler
``min_range_m``             0                   no blind zone
``max_range_m``             +inf                no range limit (not written back)
``az_min_deg/az_max_deg``   0 / 360             full circle
``el_min_deg/el_max_deg``   0 / 90              horizon to zenith
``clutter_per_scan``        0                   no false detections
``min_target_alt_m``        0                   IR sees hot objects at any altitude
==========================  ==================  ==========================================

Azimuth sectors run clockwise from ``az_min_deg`` to ``az_max_deg`` and may wrap through north
(300 to 60 is the 120 degree sector across north). Equal bounds are an empty sector and rejected;
0 to 360 is the full circle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.errors import BadInputError
from tocsin.geo.frames import geodetic_to_ecef
from tocsin.ingest._check import describe, is_finite_number
from tocsin.jsonfile import load_document

TWO_PI = 2.0 * math.pi

# Below this distance from the Earth's centre a sensor position is certainly a mistake (the polar
# radius is 6,356,752 m; 6,300 km leaves room for the deepest valleys and any geoid slip).
_MIN_SENSOR_RADIUS_M = 6.3e6


@dataclass(frozen=True)
class RadarSensor:
    """A radar (including counter-battery radars) at a geodetic site.

    Internal values are SI and radians; the ``*_deg`` fields keep the contract values.
    ``az_width_rad`` is the clockwise extent of the azimuth sector from ``az_min_rad`` (2π = full).
    ``sigma_range_rate_mps`` is ``None`` when the radar measures no Doppler.
    """

    id: str
    lat_deg: float
    lon_deg: float
    alt_m: float
    sigma_range_m: float
    sigma_az_deg: float
    sigma_el_deg: float
    sigma_range_rate_mps: float | None
    min_range_m: float
    max_range_m: float
    az_min_deg: float
    az_max_deg: float
    el_min_deg: float
    el_max_deg: float
    revisit_s: float
    pd: float
    clutter_per_scan: float
    # Derived SI values.
    lat_rad: float
    lon_rad: float
    pos_ecef_m: tuple[float, float, float]
    sigma_az_rad: float
    sigma_el_rad: float
    az_min_rad: float
    az_width_rad: float
    el_min_rad: float
    el_max_rad: float
    kind: Literal["radar"] = "radar"

    @property
    def has_doppler(self) -> bool:
        """True when the radar reports range rate."""
        return self.sigma_range_rate_mps is not None

    def enu_rotation(self) -> FloatArray:
        """3x3 rotation taking ECEF vectors to local east/north/up at the site (rows e, n, u)."""
        # Standard ECEF->ENU rotation, geodetic latitude (e.g. Bowring / pymap3d uvw2enu).
        sl, cl = math.sin(self.lat_rad), math.cos(self.lat_rad)
        so, co = math.sin(self.lon_rad), math.cos(self.lon_rad)
        return np.array([[-so, co, 0.0], [-sl * co, -sl * so, cl], [cl * co, cl * so, sl]])

    def in_az_sector(self, az_rad: FloatArray | float) -> BoolArray:
        """Whether azimuths (radians, clockwise from north, any wrap) lie inside the azimuth sector."""
        offset = np.mod(np.asarray(az_rad, dtype=np.float64) - self.az_min_rad, TWO_PI)
        return np.asarray(offset <= self.az_width_rad)


@dataclass(frozen=True)
class IrSensor:
    """An infrared sensor (satellite or other platform) at a fixed ECEF position, reporting lines of sight."""

    id: str
    pos_ecef_m: tuple[float, float, float]
    sigma_los_deg: float
    revisit_s: float
    pd: float
    clutter_per_scan: float
    min_target_alt_m: float
    sigma_los_rad: float
    kind: Literal["ir"] = "ir"


Sensor = RadarSensor | IrSensor


@dataclass(frozen=True)
class SensorSet:
    """The sensors of a scenario, in file order, with look-up by id."""

    sensors: tuple[Sensor, ...]
    _by_id: Mapping[str, Sensor] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Sensor] = {}
        for s in self.sensors:
            if s.id in by_id:
                raise ValueError(f"duplicate sensor id {s.id!r}")
            by_id[s.id] = s
        object.__setattr__(self, "_by_id", by_id)

    def __getitem__(self, sensor_id: str) -> Sensor:
        return self._by_id[sensor_id]

    def __contains__(self, sensor_id: object) -> bool:
        return sensor_id in self._by_id

    def __iter__(self) -> Iterator[Sensor]:
        return iter(self.sensors)

    def __len__(self) -> int:
        return len(self.sensors)

    def get(self, sensor_id: str) -> Sensor | None:
        """The sensor with this id, or ``None``."""
        return self._by_id.get(sensor_id)

    @property
    def ids(self) -> list[str]:
        """Sensor ids in file order."""
        return [s.id for s in self.sensors]

    @property
    def radars(self) -> list[RadarSensor]:
        """The radars, in file order."""
        return [s for s in self.sensors if isinstance(s, RadarSensor)]

    @property
    def irs(self) -> list[IrSensor]:
        """The infrared sensors, in file order."""
        return [s for s in self.sensors if isinstance(s, IrSensor)]


class _Fields:
    """Reads typed fields of one JSON object, raising ``BadInputError`` naming the place."""

    def __init__(self, obj: Mapping[str, Any], file: str, where: str) -> None:
        self.obj = obj
        self.file = file
        self.where = where

    def fail(self, name: str | None, message: str) -> BadInputError:
        return BadInputError(self.file, self.where, name, message)

    def number(self, name: str, default: float | None = None, *, required: bool = True) -> float:
        if name not in self.obj or self.obj[name] is None:
            if default is not None or not required:
                return math.nan if default is None else default
            raise self.fail(name, "missing")
        value = self.obj[name]
        if not is_finite_number(value):
            raise self.fail(name, f"must be a finite number, got {describe(value)}")
        return float(value)

    def optional(self, name: str) -> float | None:
        if name not in self.obj or self.obj[name] is None:
            return None
        return self.number(name)

    def positive(self, name: str, default: float | None = None) -> float:
        value = self.number(name, default)
        if not value > 0.0:
            raise self.fail(name, f"must be > 0, got {value!r}")
        return value

    def non_negative(self, name: str, default: float | None = None) -> float:
        value = self.number(name, default)
        if value < 0.0:
            raise self.fail(name, f"must be >= 0, got {value!r}")
        return value

    def within(self, name: str, lo: float, hi: float, default: float | None = None) -> float:
        value = self.number(name, default)
        if not lo <= value <= hi:
            raise self.fail(name, f"must be in [{lo:g}, {hi:g}], got {value!r}")
        return value

    def string(self, name: str) -> str:
        value = self.obj.get(name)
        if name not in self.obj:
            raise self.fail(name, "missing")
        if not isinstance(value, str) or not value:
            raise self.fail(name, f"must be a non-empty string, got {describe(value)}")
        return value

    def vec3(self, name: str) -> tuple[float, float, float]:
        if name not in self.obj:
            raise self.fail(name, "missing")
        value = self.obj[name]
        if not (isinstance(value, list) and len(value) == 3 and all(is_finite_number(c) for c in value)):
            raise self.fail(name, f"must be a list of 3 finite numbers, got {describe(value)}")
        return (float(value[0]), float(value[1]), float(value[2]))


def _parse_radar(f: _Fields, sensor_id: str) -> RadarSensor:
    lat_deg = f.within("lat_deg", -90.0, 90.0)
    lon_deg = f.within("lon_deg", -180.0, 360.0)
    alt_m = f.within("alt_m", -12000.0, 1.0e8)
    sigma_range_m = f.positive("sigma_range_m")
    sigma_az_deg = f.positive("sigma_az_deg")
    sigma_el_deg = f.positive("sigma_el_deg")
    sigma_rr = f.optional("sigma_range_rate_mps")
    if sigma_rr is not None and not sigma_rr > 0.0:
        raise f.fail("sigma_range_rate_mps", f"must be > 0, got {sigma_rr!r}")
    min_range_m = f.non_negative("min_range_m", 0.0)
    max_range_m = f.positive("max_range_m", math.inf)
    if not max_range_m > min_range_m:
        raise f.fail("max_range_m", f"must exceed min_range_m ({min_range_m!r}), got {max_range_m!r}")
    az_min_deg = f.within("az_min_deg", -360.0, 360.0, 0.0)
    az_max_deg = f.within("az_max_deg", -360.0, 360.0, 360.0)
    if az_min_deg == az_max_deg:
        raise f.fail("az_max_deg", f"equals az_min_deg ({az_min_deg!r}): empty sector")
    width_deg = (az_max_deg - az_min_deg) % 360.0
    if width_deg == 0.0:
        width_deg = 360.0  # e.g. 0 to 360, or -180 to 180: the full circle
    el_min_deg = f.within("el_min_deg", -90.0, 90.0, 0.0)
    el_max_deg = f.within("el_max_deg", -90.0, 90.0, 90.0)
    if not el_max_deg > el_min_deg:
        raise f.fail("el_max_deg", f"must exceed el_min_deg ({el_min_deg!r}), got {el_max_deg!r}")
    revisit_s = f.positive("revisit_s")
    pd = f.number("pd")
    if not 0.0 < pd <= 1.0:
        raise f.fail("pd", f"must be in (0, 1], got {pd!r}")
    clutter = f.non_negative("clutter_per_scan", 0.0)
    lat_rad = math.radians(lat_deg)
    lon_rad = math.radians(lon_deg)
    site = geodetic_to_ecef(lat_rad, lon_rad, alt_m)
    return RadarSensor(
        id=sensor_id,
        lat_deg=lat_deg,
        lon_deg=lon_deg,
        alt_m=alt_m,
        sigma_range_m=sigma_range_m,
        sigma_az_deg=sigma_az_deg,
        sigma_el_deg=sigma_el_deg,
        sigma_range_rate_mps=sigma_rr,
        min_range_m=min_range_m,
        max_range_m=max_range_m,
        az_min_deg=az_min_deg,
        az_max_deg=az_max_deg,
        el_min_deg=el_min_deg,
        el_max_deg=el_max_deg,
        revisit_s=revisit_s,
        pd=pd,
        clutter_per_scan=clutter,
        lat_rad=lat_rad,
        lon_rad=lon_rad,
        pos_ecef_m=(float(site[0]), float(site[1]), float(site[2])),
        sigma_az_rad=math.radians(sigma_az_deg),
        sigma_el_rad=math.radians(sigma_el_deg),
        az_min_rad=math.radians(az_min_deg % 360.0),
        az_width_rad=math.radians(width_deg),
        el_min_rad=math.radians(el_min_deg),
        el_max_rad=math.radians(el_max_deg),
    )


def _parse_ir(f: _Fields, sensor_id: str) -> IrSensor:
    pos = f.vec3("pos_ecef_m")
    if math.hypot(*pos) < _MIN_SENSOR_RADIUS_M:
        raise f.fail("pos_ecef_m", f"is {math.hypot(*pos):.0f} m from the Earth's centre: inside the Earth")
    sigma_los_deg = f.positive("sigma_los_deg")
    revisit_s = f.positive("revisit_s")
    pd = f.number("pd")
    if not 0.0 < pd <= 1.0:
        raise f.fail("pd", f"must be in (0, 1], got {pd!r}")
    clutter = f.non_negative("clutter_per_scan", 0.0)
    min_alt = f.number("min_target_alt_m", 0.0)
    return IrSensor(
        id=sensor_id,
        pos_ecef_m=pos,
        sigma_los_deg=sigma_los_deg,
        revisit_s=revisit_s,
        pd=pd,
        clutter_per_scan=clutter,
        min_target_alt_m=min_alt,
        sigma_los_rad=math.radians(sigma_los_deg),
    )


def parse_sensors(doc: Any, file: str = "sensors.json") -> SensorSet:
    """Validate a decoded ``sensors.json`` document and build the ``SensorSet``.

    Raises ``BadInputError(file, "sensors[i]", field, message)`` on the first problem. Unknown fields
    are ignored. Units: see the module docstring.
    """
    if not isinstance(doc, dict):
        raise BadInputError(file, None, None, "top level must be a JSON object with a 'sensors' list")
    items = doc.get("sensors")
    if not isinstance(items, list):
        raise BadInputError(file, None, "sensors", f"must be a list, got {describe(items)}")
    if not items:
        raise BadInputError(file, None, "sensors", "the list is empty")
    sensors: list[Sensor] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"sensors[{i}]"
        if not isinstance(item, dict):
            raise BadInputError(file, where, None, f"must be a JSON object, got {describe(item)}")
        f = _Fields(item, file, where)
        sensor_id = f.string("id")
        if sensor_id in seen:
            raise f.fail("id", f"duplicate sensor id {sensor_id!r}")
        seen.add(sensor_id)
        kind = item.get("kind")
        if kind == "radar":
            sensors.append(_parse_radar(f, sensor_id))
        elif kind == "ir":
            sensors.append(_parse_ir(f, sensor_id))
        else:
            raise f.fail("kind", f"must be 'radar' or 'ir', got {describe(kind)}")
    return SensorSet(tuple(sensors))


def load_sensors(path: str | Path) -> SensorSet:
    """Read and validate a ``sensors.json`` file (contract section 1).

    Raises ``BadInputError`` naming the file, the line and ``sensors[i]`` of the element, and the field
    for any problem, including unreadable or non-JSON files.
    """
    return load_document(path, parse_sensors)[0]


def _finite_or_omit(out: dict[str, Any], name: str, value: float | None) -> None:
    if value is not None and math.isfinite(value):
        out[name] = value


def sensor_to_json(sensor: Sensor) -> dict[str, Any]:
    """One sensor as its contract JSON object (contract units: degrees, metres, seconds)."""
    if isinstance(sensor, RadarSensor):
        out: dict[str, Any] = {
            "id": sensor.id,
            "kind": "radar",
            "lat_deg": sensor.lat_deg,
            "lon_deg": sensor.lon_deg,
            "alt_m": sensor.alt_m,
            "sigma_range_m": sensor.sigma_range_m,
            "sigma_az_deg": sensor.sigma_az_deg,
            "sigma_el_deg": sensor.sigma_el_deg,
        }
        _finite_or_omit(out, "sigma_range_rate_mps", sensor.sigma_range_rate_mps)
        out["min_range_m"] = sensor.min_range_m
        _finite_or_omit(out, "max_range_m", sensor.max_range_m)
        out.update(
            az_min_deg=sensor.az_min_deg,
            az_max_deg=sensor.az_max_deg,
            el_min_deg=sensor.el_min_deg,
            el_max_deg=sensor.el_max_deg,
            revisit_s=sensor.revisit_s,
            pd=sensor.pd,
            clutter_per_scan=sensor.clutter_per_scan,
        )
        return out
    return {
        "id": sensor.id,
        "kind": "ir",
        "pos_ecef_m": list(sensor.pos_ecef_m),
        "sigma_los_deg": sensor.sigma_los_deg,
        "revisit_s": sensor.revisit_s,
        "pd": sensor.pd,
        "clutter_per_scan": sensor.clutter_per_scan,
        "min_target_alt_m": sensor.min_target_alt_m,
    }


def sensors_to_json(sensors: SensorSet | Iterable[Sensor]) -> dict[str, Any]:
    """The ``sensors.json`` document for these sensors; ``parse_sensors`` of it gives them back."""
    return {"sensors": [sensor_to_json(s) for s in sensors]}


def make_radar(sensor_id: str, **contract_fields: Any) -> RadarSensor:
    """Build a validated radar from contract field values (degrees), as in ``sensors.json``.

    For writers (the simulator, tests). Raises ``BadInputError`` like the reader.
    """
    sensor = parse_sensors({"sensors": [{"id": sensor_id, "kind": "radar", **contract_fields}]}, "<radar>")
    radar = sensor.sensors[0]
    assert isinstance(radar, RadarSensor)
    return radar


def make_ir(sensor_id: str, **contract_fields: Any) -> IrSensor:
    """Build a validated IR sensor from contract field values, as in ``sensors.json``."""
    sensor = parse_sensors({"sensors": [{"id": sensor_id, "kind": "ir", **contract_fields}]}, "<ir>")
    ir = sensor.sensors[0]
    assert isinstance(ir, IrSensor)
    return ir
