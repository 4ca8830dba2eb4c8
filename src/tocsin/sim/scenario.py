"""Scenario files (YAML): schema, validation with file/line/field errors, loading of bundled ones.

A scenario describes one simulated attack: where and when launches happen (sites, waves, classes,
aim points, failures), which sensors watch, and which zones people live in. The schema is a set of
pydantic v2 models (``extra="forbid"``: a misspelt key is an error, not a silent default). Every error
is raised as :class:`tocsin.errors.BadInputError` with the YAML line of the offending key, found by
walking PyYAML's composed node tree along the pydantic error location.

Units are in every key (``_deg``, ``_m``, ``_s``); polygons are lists of ``[lon_deg, lat_deg]``
(GeoJSON order), closed (first position repeated last). Minimal example::

    name: demo
    description: one Scud at a town
    sources: [made up]
    start_utc: "2020-01-07T22:30:00Z"
    launches:
      - {lat_deg: 34.3, lon_deg: 47.1, alt_m: 1300, t_offset_s: 60, class: srbm-300,
         aim: {zone: town}}
    sensors:
      - {id: ir1, kind: ir, geo_lon_deg: 50, sigma_los_deg: 0.005, revisit_s: 2, pd: 0.9}
    zones:
      - {id: town, shelter_s: 90, circle: {lat_deg: 33.8, lon_deg: 44.0, radius_m: 2000}}

A scenario may fly airframes of its own (``classes:``): a catalogue class named by ``base`` with some
parameters replaced (``beta_kg_m2``, ``stages``, ``cep_m``, ``hot_coast_s``, ...). Only the simulator
knows them; tocsin's tracker and predictor must infer what they are, as they must for an unseen
simulator's airframes (``unknown-airframes.yaml`` is the bundled example)::

    classes:
      - {name: heavy-rv, base: srbm-800, beta_kg_m2: 40000, cep_m: 25}

``mach_drag: true`` makes such a class's coasting drag coefficient follow Mach number (``beta_kg_m2``
is then its hypersonic value; :func:`tocsin.physics._stepping.cd_mach_ratio`): a model mismatch for
the tracker, whose beta is one number (``benchmarks/bench_warning.py --mach-drag``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from shapely import is_valid_reason
from shapely.geometry import Polygon

from tocsin.errors import BadInputError
from tocsin.physics.catalogue import CATALOGUE, MissileClass, Stage

Lat = Annotated[float, Field(ge=-90.0, le=90.0)]
Lon = Annotated[float, Field(ge=-180.0, le=180.0)]
Alt = Annotated[float, Field(ge=-500.0, le=1.0e8)]
PosSeconds = Annotated[float, Field(gt=0.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Probability = Annotated[float, Field(gt=0.0, le=1.0)]
Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")]

GEO_RADIUS_M = 42_164_172.0  # geostationary orbit radius: (GM / omega^2)^(1/3), Vallado 4th ed. sec. 2.2


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


def _check_ring(ring: Sequence[Sequence[float]]) -> Sequence[Sequence[float]]:
    if len(ring) < 4:
        raise ValueError(f"a polygon ring needs at least 4 positions (closed), got {len(ring)}")
    for p in ring:
        if len(p) != 2:
            raise ValueError(f"a position is [lon_deg, lat_deg], got {list(p)}")
        if not (-180.0 <= p[0] <= 180.0 and -90.0 <= p[1] <= 90.0):
            raise ValueError(
                f"position {list(p)} out of range: [lon_deg in [-180, 180], lat_deg in [-90, 90]]"
            )
    if list(ring[0]) != list(ring[-1]):
        raise ValueError("polygon ring is not closed: repeat the first position at the end")
    reason = is_valid_reason(Polygon([tuple(p) for p in ring]))
    if reason != "Valid Geometry":
        raise ValueError(f"invalid polygon ({reason}): a ring must not cross itself")
    return ring


Ring = list[Annotated[list[float], Field(min_length=2, max_length=2)]]


class Site(_Strict):
    """A named launch area; launchers are spread uniformly within ``spread_m`` of the point."""

    id: Ident
    name: str = ""
    lat_deg: Lat
    lon_deg: Lon
    alt_m: Alt = 0.0
    spread_m: NonNeg = 0.0
    note: str = ""


class Wave(_Strict):
    """A named launch time, ``t_offset_s`` after the scenario start."""

    id: Ident
    t_offset_s: NonNeg
    note: str = ""


class AimPoint(_Strict):
    """Where a launch is aimed: a zone id (its representative point) or a geodetic point."""

    zone: Ident | None = None
    lat_deg: Lat | None = None
    lon_deg: Lon | None = None
    alt_m: Alt | None = None
    spread_m: NonNeg = 0.0

    @model_validator(mode="after")
    def _one_way(self) -> AimPoint:
        has_point = self.lat_deg is not None or self.lon_deg is not None
        if self.zone is not None and has_point:
            raise ValueError("give either zone or lat_deg/lon_deg, not both")
        if self.zone is None and (self.lat_deg is None or self.lon_deg is None):
            raise ValueError("give zone, or both lat_deg and lon_deg")
        return self


FailureMode = Literal["none", "boost_failure", "breakup", "guidance"]


Positive = Annotated[float, Field(gt=0.0)]


class StageSpec(_Strict):
    """One propulsive stage of a scenario-defined class (see ``tocsin.physics.catalogue.Stage``)."""

    burn_s: Positive
    mass_initial_kg: Positive
    propellant_kg: Positive
    thrust_n: Positive

    @model_validator(mode="after")
    def _mass(self) -> StageSpec:
        if self.propellant_kg >= self.mass_initial_kg:
            raise ValueError("propellant_kg must be less than mass_initial_kg")
        return self


class ClassSpec(_Strict):
    """An airframe the scenario defines for itself: a catalogue class (``base``) with some parameters
    replaced. The simulator flies it; tocsin's tracker and predictor do not know it, so such classes
    test inference under model mismatch (a heavier re-entry vehicle, a longer burn, another CEP)."""

    name: Ident
    base: str
    range_min_m: NonNeg | None = None
    range_max_m: Positive | None = None
    stages: Annotated[list[StageSpec], Field(min_length=1, max_length=4)] | None = None
    payload_kg: Positive | None = None
    beta_kg_m2: Annotated[float, Field(ge=50.0, le=1.0e6)] | None = None
    cep_m: NonNeg | None = None
    danger_radius_m: NonNeg | None = None
    hot_coast_s: NonNeg | None = None
    diameter_m: Positive | None = None
    boost_cd: Positive | None = None
    vertical_rise_s: NonNeg | None = None
    pitch_over_s: NonNeg | None = None
    muzzle_velocity_mps: Positive | None = None
    loft_min_deg: Annotated[float, Field(gt=0.0, lt=90.0)] | None = None
    loft_max_deg: Annotated[float, Field(gt=0.0, lt=90.0)] | None = None
    thrust_termination: bool | None = None
    burn_fraction_min: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    mach_drag: bool | None = None
    note: str = ""

    @field_validator("base")
    @classmethod
    def _known_base(cls, v: str) -> str:
        if v not in CATALOGUE:
            raise ValueError(f"unknown base class {v!r}; known: {', '.join(sorted(CATALOGUE))}")
        return v

    @field_validator("name")
    @classmethod
    def _new_name(cls, v: str) -> str:
        if v in CATALOGUE:
            raise ValueError(f"{v!r} is a catalogue class; give the scenario class its own name")
        return v

    def to_class(self) -> MissileClass:
        """The catalogue ``base`` with this spec's parameters replaced (SI units, loft in radians)."""
        base = CATALOGUE[self.base]
        skip = {"name", "base", "stages", "loft_min_deg", "loft_max_deg", "note"}
        changes: dict[str, Any] = {
            k: v for k, v in self.model_dump().items() if k not in skip and v is not None
        }
        if self.stages is not None:
            changes["stages"] = tuple(Stage(**st.model_dump()) for st in self.stages)
        if self.loft_min_deg is not None:
            changes["loft_min_rad"] = math.radians(self.loft_min_deg)
        if self.loft_max_deg is not None:
            changes["loft_max_rad"] = math.radians(self.loft_max_deg)
        c = dataclasses.replace(
            base,
            name=self.name,
            source=f"scenario class on {self.base}: {self.note}",
            confidence="[?]",
            **changes,
        )
        if c.range_min_m >= c.range_max_m or c.loft_min_rad > c.loft_max_rad:
            raise ValueError("range_min_m must be below range_max_m and loft_min below loft_max")
        return c


class Launch(_Strict):
    """``count`` launches of one class from one site at one aim, ``interval_s`` apart.

    Failure modes: ``boost_failure`` (thrust stops at ``burn_fraction`` of the burn, default drawn in
    [0.3, 0.7]; falls short, impact where it falls), ``breakup`` (breaks up descending through
    ``breakup_alt_m``; no impact), ``guidance`` (lands ``guidance_miss_m`` from the aim, default drawn
    in [5, 25] km, in a random direction).
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, populate_by_name=True)

    site: Ident | None = None
    lat_deg: Lat | None = None
    lon_deg: Lon | None = None
    alt_m: Alt | None = None
    wave: Ident | None = None
    t_offset_s: NonNeg | None = None
    interval_s: NonNeg = 10.0
    class_name: str = Field(alias="class")
    count: Annotated[int, Field(ge=1, le=5000)] = 1
    aim: AimPoint
    cep_m: NonNeg | None = None
    failure: FailureMode = "none"
    burn_fraction: Annotated[float, Field(gt=0.0, lt=1.0)] | None = None
    breakup_alt_m: Annotated[float, Field(gt=0.0, le=100_000.0)] = 20_000.0
    guidance_miss_m: NonNeg | None = None
    note: str = ""

    @field_validator("class_name")
    @classmethod
    def _known_class(cls, v: str, info: ValidationInfo) -> str:
        own = (info.context or {}).get("classes", set())
        if v not in CATALOGUE and v not in own:
            known = ", ".join(sorted({*CATALOGUE, *own}))
            raise ValueError(f"unknown missile class {v!r}; known: {known}")
        return v

    @model_validator(mode="after")
    def _one_way(self) -> Launch:
        inline = self.lat_deg is not None or self.lon_deg is not None
        if self.site is not None and inline:
            raise ValueError("give either site or lat_deg/lon_deg, not both")
        if self.site is None and (self.lat_deg is None or self.lon_deg is None):
            raise ValueError("give site, or both lat_deg and lon_deg")
        if (self.wave is None) == (self.t_offset_s is None):
            raise ValueError("give exactly one of wave and t_offset_s")
        return self


class RadarSpec(_Strict):
    """A radar (contract section 1 fields) plus simulator extras: ``scan_offset_s`` (time of scan 0
    after the start), ``clutter_max_range_rate_mps`` (bound on clutter range rates)."""

    id: Ident
    kind: Literal["radar"]
    name: str = ""
    note: str = ""
    lat_deg: Lat
    lon_deg: Lon
    alt_m: Alt
    sigma_range_m: Annotated[float, Field(gt=0.0, le=10_000.0)]
    sigma_az_deg: Annotated[float, Field(gt=0.0, le=10.0)]
    sigma_el_deg: Annotated[float, Field(gt=0.0, le=10.0)]
    sigma_range_rate_mps: Annotated[float, Field(gt=0.0, le=1000.0)] | None = None
    min_range_m: NonNeg = 0.0
    max_range_m: Annotated[float, Field(gt=0.0, le=1.0e7)]
    az_min_deg: Annotated[float, Field(ge=-360.0, le=360.0)] = 0.0
    az_max_deg: Annotated[float, Field(ge=-360.0, le=360.0)] = 360.0
    el_min_deg: Annotated[float, Field(ge=-90.0, le=90.0)] = 0.0
    el_max_deg: Annotated[float, Field(ge=-90.0, le=90.0)] = 90.0
    revisit_s: Annotated[float, Field(gt=0.0, le=3600.0)]
    pd: Probability
    clutter_per_scan: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.0
    scan_offset_s: NonNeg = 0.0
    clutter_max_range_rate_mps: Annotated[float, Field(gt=0.0, le=20_000.0)] = 3000.0

    @model_validator(mode="after")
    def _bounds(self) -> RadarSpec:
        if not self.max_range_m > self.min_range_m:
            raise ValueError("max_range_m must exceed min_range_m")
        if self.az_min_deg == self.az_max_deg:
            raise ValueError("az_min_deg equals az_max_deg: empty sector (use 0 and 360 for all round)")
        if not self.el_max_deg > self.el_min_deg:
            raise ValueError("el_max_deg must exceed el_min_deg")
        return self


class IrSpec(_Strict):
    """An infrared sensor: at ``pos_ecef_m`` or geostationary over ``geo_lon_deg``. Optional staring
    cone (``boresight_lat_deg``/``boresight_lon_deg`` and ``fov_half_angle_deg``)."""

    id: Ident
    kind: Literal["ir"]
    name: str = ""
    note: str = ""
    pos_ecef_m: Annotated[list[float], Field(min_length=3, max_length=3)] | None = None
    geo_lon_deg: Lon | None = None
    sigma_los_deg: Annotated[float, Field(gt=0.0, le=5.0)]
    revisit_s: Annotated[float, Field(gt=0.0, le=3600.0)]
    pd: Probability
    clutter_per_scan: Annotated[float, Field(ge=0.0, le=1000.0)] = 0.0
    min_target_alt_m: Annotated[float, Field(ge=0.0, le=1.0e6)] = 0.0
    scan_offset_s: NonNeg = 0.0
    boresight_lat_deg: Lat | None = None
    boresight_lon_deg: Lon | None = None
    fov_half_angle_deg: Annotated[float, Field(gt=0.0, le=90.0)] | None = None
    grazing_alt_m: Annotated[float, Field(ge=0.0, le=100_000.0)] = 0.0

    @model_validator(mode="after")
    def _position(self) -> IrSpec:
        if (self.pos_ecef_m is None) == (self.geo_lon_deg is None):
            raise ValueError("give exactly one of pos_ecef_m and geo_lon_deg")
        if self.pos_ecef_m is not None and math.hypot(*self.pos_ecef_m) < 6.4e6:
            raise ValueError("pos_ecef_m is inside the Earth (|r| < 6,400 km): metres expected")
        stare = (self.boresight_lat_deg, self.boresight_lon_deg, self.fov_half_angle_deg)
        if any(v is not None for v in stare) and not all(v is not None for v in stare):
            raise ValueError(
                "a staring sensor needs boresight_lat_deg, boresight_lon_deg and fov_half_angle_deg"
            )
        return self

    def position_ecef_m(self) -> tuple[float, float, float]:
        """Sensor position, ECEF (m)."""
        if self.pos_ecef_m is not None:
            return (self.pos_ecef_m[0], self.pos_ecef_m[1], self.pos_ecef_m[2])
        lon = math.radians(float(self.geo_lon_deg or 0.0))
        return (GEO_RADIUS_M * math.cos(lon), GEO_RADIUS_M * math.sin(lon), 0.0)


SensorSpec = Annotated[RadarSpec | IrSpec, Field(discriminator="kind")]


class Circle(_Strict):
    """A circle of ``radius_m`` about a point (drawn as a 48-gon on the ellipsoid)."""

    lat_deg: Lat
    lon_deg: Lon
    radius_m: Annotated[float, Field(gt=0.0, le=500_000.0)]


class Rect(_Strict):
    """A rectangle centred on a point: ``length_m`` along ``heading_deg`` (clockwise from north)."""

    lat_deg: Lat
    lon_deg: Lon
    length_m: Annotated[float, Field(gt=0.0, le=500_000.0)]
    width_m: Annotated[float, Field(gt=0.0, le=500_000.0)]
    heading_deg: Annotated[float, Field(ge=-360.0, le=360.0)] = 0.0


ZoneKind = Literal[
    "aircraft_shelter",
    "hangar",
    "flight_line",
    "quarters",
    "headquarters",
    "town",
    "open",
    "airport",
    "city",
    "village",
    "industrial",
    "base",
]


class ZoneSpec(_Strict):
    """A zone (contract section 3): exactly one of ``polygon_lonlat_deg``, ``circle``, ``rect``."""

    id: Ident
    name: str = ""
    kind: ZoneKind | None = None
    shelter_s: Annotated[float, Field(ge=0.0, le=3600.0)]
    population: NonNeg | None = None
    alt_m: Alt = 0.0
    polygon_lonlat_deg: Ring | None = None
    circle: Circle | None = None
    rect: Rect | None = None
    note: str = ""

    @field_validator("polygon_lonlat_deg")
    @classmethod
    def _ring(cls, v: list[list[float]] | None) -> list[list[float]] | None:
        if v is not None:
            _check_ring(v)
        return v

    @model_validator(mode="after")
    def _one_shape(self) -> ZoneSpec:
        n = sum(x is not None for x in (self.polygon_lonlat_deg, self.circle, self.rect))
        if n != 1:
            raise ValueError("give exactly one shape: polygon_lonlat_deg, circle or rect")
        return self


class ShelterClass(_Strict):
    """Zones whose distance to the threat border is at most ``max_distance_km`` get ``shelter_s``."""

    max_distance_km: NonNeg
    shelter_s: Annotated[float, Field(ge=0.0, le=3600.0)]


class Town(_Strict):
    """A population centre for the hex-grid population model (Gaussian density bump)."""

    name: str
    lat_deg: Lat
    lon_deg: Lon
    population: NonNeg
    radius_km: Annotated[float, Field(gt=0.0, le=200.0)]


class HexGrid(_Strict):
    """A hexagon grid over a land polygon, computed in an azimuthal equidistant frame at the
    polygon's centre; each cell is clipped to the land. Shelter time by distance to the threat
    border (``shelter_classes`` ascending, ``shelter_beyond_s`` past the last); population is a
    base density plus Gaussian town bumps."""

    id_prefix: Ident
    name_prefix: str = ""
    kind: ZoneKind = "town"
    land_lonlat_deg: Ring
    cell_radius_m: Annotated[float, Field(ge=200.0, le=100_000.0)]
    threat_border_lonlat_deg: Annotated[Ring, Field(min_length=2)]
    shelter_classes: Annotated[list[ShelterClass], Field(min_length=1)]
    shelter_beyond_s: Annotated[float, Field(ge=0.0, le=3600.0)] = 90.0
    population_per_km2: NonNeg = 0.0
    towns: list[Town] = []
    min_cell_fraction: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.05

    @field_validator("land_lonlat_deg")
    @classmethod
    def _ring(cls, v: list[list[float]]) -> list[list[float]]:
        _check_ring(v)
        return v

    @field_validator("threat_border_lonlat_deg")
    @classmethod
    def _line(cls, v: list[list[float]]) -> list[list[float]]:
        for p in v:
            if not (-180.0 <= p[0] <= 180.0 and -90.0 <= p[1] <= 90.0):
                raise ValueError(f"position {p} out of range: [lon_deg, lat_deg] expected")
        return v

    @field_validator("shelter_classes")
    @classmethod
    def _ascending(cls, v: list[ShelterClass]) -> list[ShelterClass]:
        d = [c.max_distance_km for c in v]
        if d != sorted(d) or len(set(d)) != len(d):
            raise ValueError("shelter_classes must have strictly ascending max_distance_km")
        return v


class Scenario(_Strict):
    """A whole scenario file."""

    name: Ident
    description: Annotated[str, Field(min_length=1)]
    sources: Annotated[list[str], Field(min_length=1)]
    start_utc: AwareDatetime
    tail_s: Annotated[float, Field(ge=0.0, le=3600.0)] = 30.0
    classes: list[ClassSpec] = []
    sites: list[Site] = []
    waves: list[Wave] = []
    launches: Annotated[list[Launch], Field(min_length=1)]
    sensors: Annotated[list[SensorSpec], Field(min_length=1)]
    zones: list[ZoneSpec] = []
    zone_grids: list[HexGrid] = []

    @property
    def start_unix_s(self) -> float:
        """Scenario start (unix s, UTC)."""
        return self.start_utc.timestamp()


# --- locating errors in the YAML -------------------------------------------------------------


def _locate(node: yaml.Node | None, loc: Sequence[str | int]) -> tuple[int | None, str]:
    """1-based line and dotted path of the key (or item) at a pydantic ``loc`` in a YAML tree.

    Location parts that are not keys of the document (pydantic's union tags such as ``radar``, or
    validator names) are skipped; a key that is missing from the document (a missing field) keeps
    the path but reports the line of the mapping that should hold it.
    """
    if node is None:
        return None, ".".join(str(p) for p in loc)
    line = node.start_mark.line + 1
    path = ""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            hit = next(
                ((k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(part)),
                None,
            )
            if hit is None:
                if isinstance(part, str) and not part.startswith("function-") and part not in ("radar", "ir"):
                    path += ("." if path else "") + part  # a missing key: name it, stay on the mapping
                continue
            line = hit[0].start_mark.line + 1
            path += ("." if path else "") + str(part)
            node = hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
            path += f"[{part}]"
        elif isinstance(part, int):
            path += f"[{part}]"
    return line, path


def _duplicate_keys(node: yaml.Node, file: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.value in seen:
                    raise BadInputError(file, k.start_mark.line + 1, k.value, "duplicate key")
                seen.add(k.value)
            _duplicate_keys(v, file)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            _duplicate_keys(v, file)


class LoadedScenario:
    """A validated scenario with its file name and YAML tree (to report later errors by line)."""

    def __init__(self, scenario: Scenario, file: str, root: yaml.Node | None) -> None:
        self.scenario = scenario
        self.file = file
        self.root = root

    def error(self, loc: Sequence[str | int], message: str) -> BadInputError:
        """A :class:`BadInputError` for the key at ``loc`` (e.g. ``("launches", 3, "aim", "zone")``)."""
        line, path = _locate(self.root, loc)
        return BadInputError(self.file, line, path or None, message)


def _cross_checks(ls: LoadedScenario) -> None:
    sc = ls.scenario
    for key, items in (
        ("sites", sc.sites),
        ("waves", sc.waves),
        ("sensors", sc.sensors),
        ("zones", sc.zones),
    ):
        seen: set[str] = set()
        for i, it in enumerate(items):
            if it.id in seen:
                raise ls.error((key, i, "id"), f"duplicate id {it.id!r}")
            seen.add(it.id)
    prefixes = [g.id_prefix for g in sc.zone_grids]
    zone_ids = {z.id for z in sc.zones}
    for i, p in enumerate(prefixes):
        if p in prefixes[:i]:
            raise ls.error(("zone_grids", i, "id_prefix"), f"duplicate id_prefix {p!r}")
        clash = sorted(z for z in zone_ids if z.startswith(p + "-"))
        if clash:
            raise ls.error(
                ("zone_grids", i, "id_prefix"), f"generated ids would clash with zone {clash[0]!r}"
            )
    sites = {s.id for s in sc.sites}
    waves = {w.id for w in sc.waves}
    for i, la in enumerate(sc.launches):
        if la.site is not None and la.site not in sites:
            raise ls.error(("launches", i, "site"), f"unknown site {la.site!r}")
        if la.wave is not None and la.wave not in waves:
            raise ls.error(("launches", i, "wave"), f"unknown wave {la.wave!r}")
        if la.aim.zone is not None and la.aim.zone not in zone_ids:
            raise ls.error(
                ("launches", i, "aim", "zone"), f"unknown zone {la.aim.zone!r} (inline zones only)"
            )
        if la.failure != "boost_failure" and la.burn_fraction is not None:
            raise ls.error(
                ("launches", i, "burn_fraction"), "burn_fraction only applies to failure: boost_failure"
            )
        if la.failure != "guidance" and la.guidance_miss_m is not None:
            raise ls.error(
                ("launches", i, "guidance_miss_m"), "guidance_miss_m only applies to failure: guidance"
            )


def parse_scenario(text: str, file: str = "<scenario>") -> LoadedScenario:
    """Parse and validate scenario YAML text. Raises :class:`BadInputError` (file, line, field)."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise BadInputError(file, line, None, f"not valid YAML: {e.problem or e}") from None
    except yaml.YAMLError as e:
        raise BadInputError(file, None, None, f"not valid YAML: {e}") from None
    if root is not None:
        _duplicate_keys(root, file)
    if not isinstance(data, dict):
        raise BadInputError(file, 1, None, "a scenario is a YAML mapping (name, launches, sensors, ...)")
    if isinstance(data.get("start_utc"), datetime) and data["start_utc"].tzinfo is None:
        data["start_utc"] = data["start_utc"].isoformat()  # let pydantic say "timezone required"
    try:
        own = data.get("classes") if isinstance(data, dict) else None
        names = (
            {c["name"] for c in own if isinstance(c, dict) and isinstance(c.get("name"), str)}
            if isinstance(own, list)
            else set()
        )
        sc = Scenario.model_validate(data, context={"classes": names})
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        msg = err["msg"]
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "kind")  # the discriminator field is the offending key
        if err["type"] == "missing":
            msg = "missing required field"
        elif "input" in err and err["type"] not in ("value_error",):
            msg = f"{msg} (got {_short(err['input'])})"
        line, path = _locate(root, loc)
        raise BadInputError(file, line, path or None, msg) from None
    ls = LoadedScenario(sc, file, root)
    _cross_checks(ls)
    return ls


def _short(value: Any) -> str:
    s = repr(value)
    return s if len(s) <= 60 else s[:57] + "..."


def bundled_names() -> list[str]:
    """Names of the scenarios shipped in ``tocsin/sim/scenarios``."""
    d = resources.files("tocsin.sim").joinpath("scenarios")
    return sorted(p.name[:-5] for p in d.iterdir() if p.name.endswith(".yaml"))


def load_scenario(scenario: str | Path) -> LoadedScenario:
    """Load a bundled scenario by name (e.g. ``"al-asad-2020"``) or a scenario file by path."""
    s = str(scenario)
    p = Path(s)
    if p.suffix in (".yaml", ".yml") or p.exists() or "/" in s:
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise BadInputError(s, None, None, f"cannot read scenario file: {e.strerror or e}") from None
        except UnicodeDecodeError:
            raise BadInputError(s, None, None, "scenario file is not UTF-8 text") from None
        return parse_scenario(text, s)
    names = bundled_names()
    if s not in names:
        raise BadInputError(
            s, None, None, f"no such scenario file or bundled scenario; bundled: {', '.join(names)}"
        )
    res = resources.files("tocsin.sim").joinpath("scenarios", f"{s}.yaml")
    return parse_scenario(res.read_text(encoding="utf-8"), f"{s}.yaml")
