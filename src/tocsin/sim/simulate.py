"""Run a scenario: launches -> flights -> sensor measurements, and write the contract files.

``simulate(scenario, out_dir, seed)`` writes into ``out_dir``:

- ``sensors.json`` (contract section 1), ``measurements.jsonl`` (section 2, all sensors merged in time
  order; ties by sensor order in the scenario, then by the shuffled order inside the scan),
  ``zones.geojson`` (section 3), ``truth.jsonl`` and ``events.json`` (section 4);
- ``scenario.json``: the resolved scenario (every launch with its drawn site, aim, CEP scatter,
  failure and flight plan) for provenance.

Determinism: one ``np.random.default_rng(seed)`` is split with ``spawn`` into one stream per purpose
(launch dispersion, aim and CEP, failures, and one per sensor), each drawn in a fixed order; no
output depends on dict or set order, the clock or the machine. Same seed, same bytes.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tocsin._types import FloatArray, IntArray
from tocsin.errors import BadInputError
from tocsin.geo.frames import altitude_fast_m, geodetic_deg_to_ecef
from tocsin.geo.geodesic import geodesic_distance_m, geodesic_forward_deg
from tocsin.physics.catalogue import get_class, scenario_classes
from tocsin.physics.flight import FlightPlan, Trajectory, fly
from tocsin.sim.scenario import IrSpec, LoadedScenario, RadarSpec, Scenario, load_scenario
from tocsin.sim.sensors import (
    ROUND_TIME_S,
    Detections,
    IrModel,
    RadarModel,
    active_pairs,
    ir_detect,
    radar_detect,
    scan_schedule,
)
from tocsin.sim.truth import PHASE_NAMES, TrajectoryBank
from tocsin.sim.zonegen import Zone, aim_point, geometry_json, hex_grid_zones, zone_from_spec

Progress = Callable[[str, float], None]

TRUTH_DT_S = 1.0  # truth sample interval (contract: every 1 s or finer)
ROUND_POS_M = 3  # truth positions to 1 mm
ROUND_VEL_MPS = 4  # truth velocities to 0.1 mm/s
ROUND_LATLON_DEG = 7  # about 1 cm
GUIDANCE_MISS_RANGE_M = (5_000.0, 25_000.0)  # default miss of a guidance failure, drawn uniformly
BOOST_FAILURE_FRACTION = (0.3, 0.7)  # default fraction of the burn before a boost failure


@dataclass(frozen=True)
class ObjectSummary:
    """One launched object: class, launch, flight time (s), impact (None if it broke up), failure."""

    object: str
    class_name: str
    site: str
    launch_t_unix_s: float
    launch_lat_deg: float
    launch_lon_deg: float
    flight_time_s: float
    impact_t_unix_s: float | None
    impact_lat_deg: float | None
    impact_lon_deg: float | None
    failed: bool
    failure: str
    aim_lat_deg: float
    aim_lon_deg: float
    miss_m: float | None
    apogee_alt_m: float
    detections: int
    first_detection_t_unix_s: float | None


@dataclass(frozen=True)
class SensorSummary:
    """One sensor: scans run, detections written, of which clutter."""

    id: str
    kind: str
    scans: int
    detections: int
    clutter: int


@dataclass(frozen=True)
class SimulationSummary:
    """What a run produced, for the command line's table and for tests."""

    scenario: str
    seed: int
    out_dir: Path
    t_start_unix_s: float
    t_end_unix_s: float
    objects: list[ObjectSummary]
    sensors: list[SensorSummary]
    n_zones: int
    n_measurements: int
    n_truth: int
    files: list[str] = field(default_factory=list)

    @property
    def detections_per_sensor(self) -> dict[str, int]:
        """Detections (real and clutter) per sensor id."""
        return {s.id: s.detections for s in self.sensors}

    @property
    def clutter_per_sensor(self) -> dict[str, int]:
        """False detections per sensor id."""
        return {s.id: s.clutter for s in self.sensors}


@dataclass(frozen=True)
class _Missile:
    entry: int
    index: int
    class_name: str
    site: str
    t_launch_unix_s: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    aim_lat_deg: float
    aim_lon_deg: float
    aim_alt_m: float
    target_lat_deg: float
    target_lon_deg: float
    failure: str
    burn_fraction: float
    breakup_alt_m: float
    cep_m: float
    guidance_miss_m: float


def _disc_offset(rng: np.random.Generator, lat: float, lon: float, radius_m: float) -> tuple[float, float]:
    # Uniform in a disc: r = R sqrt(u) (area-preserving), azimuth uniform.
    u = rng.random(2)
    if radius_m <= 0.0:
        return lat, lon
    la, lo = geodesic_forward_deg(lat, lon, 360.0 * u[1], radius_m * math.sqrt(u[0]))
    return float(la), float(lo)


def _cep_scatter(rng: np.random.Generator, lat: float, lon: float, cep_m: float) -> tuple[float, float]:
    from tocsin.physics.aim import apply_cep

    la, lo = apply_cep(rng, lat, lon, cep_m)
    return float(np.asarray(la).reshape(-1)[0]), float(np.asarray(lo).reshape(-1)[0])


def _expand_launches(
    ls: LoadedScenario, zones: dict[str, Zone], rngs: Sequence[np.random.Generator]
) -> list[_Missile]:
    sc = ls.scenario
    rng_launch, rng_aim, rng_fail = rngs
    sites = {s.id: s for s in sc.sites}
    waves = {w.id: w for w in sc.waves}
    out: list[_Missile] = []
    for i, la in enumerate(sc.launches):
        cls = get_class(la.class_name)
        if la.site is not None:
            s = sites[la.site]
            lat0, lon0, alt0, spread, site_name = s.lat_deg, s.lon_deg, s.alt_m, s.spread_m, s.id
        else:
            lat0, lon0 = float(la.lat_deg or 0.0), float(la.lon_deg or 0.0)
            alt0, spread, site_name = float(la.alt_m or 0.0), 0.0, f"launches[{i}]"
        t0 = sc.start_unix_s + (
            waves[la.wave].t_offset_s if la.wave is not None else float(la.t_offset_s or 0.0)
        )
        if la.aim.zone is not None:
            z = zones[la.aim.zone]
            alat, alon = aim_point(z)
            aalt = la.aim.alt_m if la.aim.alt_m is not None else z.alt_m
        else:
            alat, alon, aalt = (
                float(la.aim.lat_deg or 0.0),
                float(la.aim.lon_deg or 0.0),
                float(la.aim.alt_m or 0.0),
            )
        cep = la.cep_m if la.cep_m is not None else cls.cep_m
        for k in range(la.count):
            lat, lon = _disc_offset(rng_launch, lat0, lon0, spread)
            plat, plon = _disc_offset(rng_aim, alat, alon, la.aim.spread_m)
            tlat, tlon = _cep_scatter(rng_aim, plat, plon, cep)
            u = rng_fail.random(3)
            bf, miss = 1.0, 0.0
            if la.failure == "boost_failure":
                lo_, hi_ = BOOST_FAILURE_FRACTION
                bf = la.burn_fraction if la.burn_fraction is not None else lo_ + (hi_ - lo_) * float(u[0])
            elif la.failure == "guidance":
                lo_, hi_ = GUIDANCE_MISS_RANGE_M
                miss = (
                    la.guidance_miss_m if la.guidance_miss_m is not None else lo_ + (hi_ - lo_) * float(u[1])
                )
                g_lat, g_lon = geodesic_forward_deg(tlat, tlon, 360.0 * float(u[2]), miss)
                tlat, tlon = float(g_lat), float(g_lon)
            dist = float(geodesic_distance_m(lat, lon, tlat, tlon))
            if not cls.range_min_m * 0.5 <= dist <= cls.range_max_m * 1.02:
                raise ls.error(
                    ("launches", i, "aim"),
                    f"aim point is {dist / 1000:.1f} km from the launch site, outside the range of "
                    f"{cls.name} ({cls.range_min_m / 1000:.0f}-{cls.range_max_m / 1000:.0f} km)",
                )
            out.append(
                _Missile(
                    entry=i,
                    index=k,
                    class_name=cls.name,
                    site=site_name,
                    t_launch_unix_s=round(t0 + k * la.interval_s, 3),
                    lat_deg=lat,
                    lon_deg=lon,
                    alt_m=alt0,
                    aim_lat_deg=alat,
                    aim_lon_deg=alon,
                    aim_alt_m=float(aalt),
                    target_lat_deg=tlat,
                    target_lon_deg=tlon,
                    failure=la.failure,
                    burn_fraction=bf,
                    breakup_alt_m=la.breakup_alt_m,
                    cep_m=cep,
                    guidance_miss_m=miss,
                )
            )
    # Objects are numbered in launch order (ties: file order), so ids read like a timeline.
    out.sort(key=lambda m: (m.t_launch_unix_s, m.entry, m.index))
    return out


AIM_TOL_CEP_FRACTION = 0.2  # aim-solver tolerance as a fraction of the class CEP (at least 2 m)


def _plans(ls: LoadedScenario, missiles: Sequence[_Missile]) -> list[FlightPlan]:
    """Flight plans for all missiles: one aim batch per class, in sorted class order.

    The solver tolerance is a fifth of the class CEP: an aim error well inside the class's own
    dispersion changes no statistic, and the truth (impact) always comes from the flown trajectory.
    """
    from tocsin.physics.aim import AimNotConvergedError, OutOfRangeError, aim, aim_many

    plans: list[FlightPlan | None] = [None] * len(missiles)
    for name in sorted({m.class_name for m in missiles}):
        idx = [i for i, m in enumerate(missiles) if m.class_name == name]
        group = [missiles[i] for i in idx]
        tol = max(2.0, AIM_TOL_CEP_FRACTION * get_class(name).cep_m)
        try:
            solved = aim_many(
                [m.class_name for m in group],
                [m.lat_deg for m in group],
                [m.lon_deg for m in group],
                [m.alt_m for m in group],
                [m.target_lat_deg for m in group],
                [m.target_lon_deg for m in group],
                [m.aim_alt_m for m in group],
                t_launch_unix_s=[m.t_launch_unix_s for m in group],
                tol_m=tol,
            )
        except (OutOfRangeError, AimNotConvergedError) as batch_error:
            # Find the launch entry at fault (error path only: one solve per missile).
            for m in group:
                try:
                    aim(
                        m.class_name,
                        m.lat_deg,
                        m.lon_deg,
                        m.alt_m,
                        m.target_lat_deg,
                        m.target_lon_deg,
                        m.aim_alt_m,
                        tol_m=tol,
                    )
                except (OutOfRangeError, AimNotConvergedError) as e:
                    raise ls.error(
                        ("launches", m.entry, "aim"), f"cannot aim {m.class_name} there: {e}"
                    ) from None
            raise ls.error(("launches",), f"cannot aim the {name} launches: {batch_error}") from None
        for i, solved_plan in zip(idx, solved, strict=True):
            plans[i] = solved_plan
    out: list[FlightPlan] = []
    for plan, m in zip(plans, missiles, strict=True):
        assert plan is not None
        if m.failure == "boost_failure":
            out.append(dataclasses.replace(plan, burn_fraction=plan.burn_fraction * m.burn_fraction))
        else:
            out.append(plan)
    return out


def _truncate_breakup(tr: Trajectory, breakup_alt_m: float) -> Trajectory:
    """The trajectory up to the first descending re-entry sample at or below ``breakup_alt_m``."""
    alt = altitude_fast_m(tr.pos_ecef_m)
    ap = int(np.argmax(alt))
    idx = np.nonzero((np.arange(len(alt)) >= ap) & (alt <= breakup_alt_m) & (tr.phase == 2))[0]
    end = int(idx[0]) if len(idx) else len(alt) - 1
    end = max(end, 1)
    return dataclasses.replace(
        tr,
        t_unix_s=tr.t_unix_s[: end + 1],
        pos_ecef_m=tr.pos_ecef_m[: end + 1],
        vel_ecef_mps=tr.vel_ecef_mps[: end + 1],
        phase=tr.phase[: end + 1],
        thrusting=tr.thrusting[: end + 1],
        impact_t_unix_s=math.nan,
        impact_lat_deg=math.nan,
        impact_lon_deg=math.nan,
        impact_vel_ecef_mps=None,
    )


def _radar_model(s: RadarSpec) -> RadarModel:
    width = (s.az_max_deg - s.az_min_deg) % 360.0
    return RadarModel(
        id=s.id,
        lat_rad=math.radians(s.lat_deg),
        lon_rad=math.radians(s.lon_deg),
        alt_m=s.alt_m,
        sigma_range_m=s.sigma_range_m,
        sigma_az_rad=math.radians(s.sigma_az_deg),
        sigma_el_rad=math.radians(s.sigma_el_deg),
        sigma_range_rate_mps=s.sigma_range_rate_mps,
        min_range_m=s.min_range_m,
        max_range_m=s.max_range_m,
        az_min_rad=math.radians(s.az_min_deg % 360.0),
        az_width_rad=math.radians(360.0 if width == 0.0 else width),
        el_min_rad=math.radians(s.el_min_deg),
        el_max_rad=math.radians(s.el_max_deg),
        revisit_s=s.revisit_s,
        pd=s.pd,
        clutter_per_scan=s.clutter_per_scan,
        scan_offset_s=s.scan_offset_s,
        clutter_max_range_rate_mps=s.clutter_max_range_rate_mps,
    )


def _ir_pos(s: IrSpec) -> tuple[float, float, float]:
    x, y, z = s.position_ecef_m()
    return (round(x, 2), round(y, 2), round(z, 2))


def _ir_model(s: IrSpec) -> IrModel:
    bore = None
    if s.boresight_lat_deg is not None and s.boresight_lon_deg is not None:
        b = geodetic_deg_to_ecef(s.boresight_lat_deg, s.boresight_lon_deg, 0.0)
        bore = (float(b[0]), float(b[1]), float(b[2]))
    return IrModel(
        id=s.id,
        pos_ecef_m=_ir_pos(s),
        sigma_los_rad=math.radians(s.sigma_los_deg),
        revisit_s=s.revisit_s,
        pd=s.pd,
        clutter_per_scan=s.clutter_per_scan,
        min_target_alt_m=s.min_target_alt_m,
        scan_offset_s=s.scan_offset_s,
        boresight_ecef_m=bore,
        fov_half_angle_rad=math.radians(s.fov_half_angle_deg) if s.fov_half_angle_deg is not None else None,
        grazing_alt_m=s.grazing_alt_m,
    )


def _sensor_json(s: RadarSpec | IrSpec) -> dict[str, Any]:
    if isinstance(s, RadarSpec):
        d: dict[str, Any] = {
            "id": s.id,
            "kind": "radar",
            "lat_deg": s.lat_deg,
            "lon_deg": s.lon_deg,
            "alt_m": s.alt_m,
            "sigma_range_m": s.sigma_range_m,
            "sigma_az_deg": s.sigma_az_deg,
            "sigma_el_deg": s.sigma_el_deg,
        }
        if s.sigma_range_rate_mps is not None:
            d["sigma_range_rate_mps"] = s.sigma_range_rate_mps
        d.update(
            min_range_m=s.min_range_m,
            max_range_m=s.max_range_m,
            az_min_deg=s.az_min_deg,
            az_max_deg=s.az_max_deg,
            el_min_deg=s.el_min_deg,
            el_max_deg=s.el_max_deg,
            revisit_s=s.revisit_s,
            pd=s.pd,
            clutter_per_scan=s.clutter_per_scan,
            scan_offset_s=s.scan_offset_s,
        )
    else:
        d = {
            "id": s.id,
            "kind": "ir",
            "pos_ecef_m": list(_ir_pos(s)),
            "sigma_los_deg": s.sigma_los_deg,
            "revisit_s": s.revisit_s,
            "pd": s.pd,
            "clutter_per_scan": s.clutter_per_scan,
            "min_target_alt_m": s.min_target_alt_m,
            "scan_offset_s": s.scan_offset_s,
        }
        if s.geo_lon_deg is not None:
            d["geo_lon_deg"] = s.geo_lon_deg
        if s.fov_half_angle_deg is not None:
            d.update(
                boresight_lat_deg=s.boresight_lat_deg,
                boresight_lon_deg=s.boresight_lon_deg,
                fov_half_angle_deg=s.fov_half_angle_deg,
            )
        if s.grazing_alt_m:
            d["grazing_alt_m"] = s.grazing_alt_m
    if s.name:
        d["name"] = s.name
    return d


def _build_zones(ls: LoadedScenario) -> list[Zone]:
    sc = ls.scenario
    zones = [zone_from_spec(z) for z in sc.zones]
    for g in sc.zone_grids:
        zones.extend(hex_grid_zones(g))
    return zones


def _truth_samples(bank: TrajectoryBank) -> tuple[IntArray, FloatArray]:
    """(object, time) of the truth samples: every TRUTH_DT_S from launch plus each object's last
    sample (impact or break-up), sorted by time then object."""
    t0, t1 = bank.t_first, bank.t_last
    n = np.floor((t1 - t0) / TRUTH_DT_S + 1e-9).astype(np.int64) + 1
    obj = np.repeat(np.arange(bank.n_objects, dtype=np.int64), n)
    k = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)
    t = t0[obj] + k * TRUTH_DT_S
    extra = t1 - (t0 + (n - 1) * TRUTH_DT_S) > 1e-6
    obj = np.concatenate([obj, np.nonzero(extra)[0]])
    t = np.concatenate([t, t1[extra]])
    t = np.minimum(t, t1[obj])
    order = np.lexsort((obj, t))
    return obj[order], t[order]


def _fmt(x: float) -> str:
    return repr(float(x))


def _write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")


def simulate(
    scenario: str | Path, out_dir: Path, seed: int = 0, progress: Progress | None = None
) -> SimulationSummary:
    """Simulate a scenario (bundled name or YAML path) and write the contract files into ``out_dir``.

    ``seed`` fixes every random draw (same seed: byte-identical files). ``progress(stage, fraction)``
    is called as the run advances (fraction in [0, 1]). Raises :class:`BadInputError` (file, line,
    field) for a bad scenario. Times are Unix seconds, distances metres.
    """

    def report(stage: str, frac: float) -> None:
        if progress is not None:
            progress(stage, frac)

    report("load", 0.0)
    ls = load_scenario(scenario)
    with scenario_classes(c.to_class() for c in ls.scenario.classes):
        return _simulate(ls, Path(out_dir), seed, report)


def _simulate(
    ls: LoadedScenario, out_dir: Path, seed: int, report: Callable[[str, float], None]
) -> SimulationSummary:
    sc: Scenario = ls.scenario
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    root = np.random.default_rng(seed)
    rng_launch, rng_aim, rng_fail, rng_sensors = root.spawn(4)
    sensor_rngs = rng_sensors.spawn(len(sc.sensors))

    zones = _build_zones(ls)
    zone_ids = [z.id for z in zones]
    if len(set(zone_ids)) != len(zone_ids):
        raise BadInputError(ls.file, None, "zones", "duplicate zone ids after generating grids")
    zone_by_id = {z.id: z for z in zones}

    report("aim", 0.05)
    missiles = _expand_launches(ls, zone_by_id, (rng_launch, rng_aim, rng_fail))
    plans = _plans(ls, missiles)
    report("fly", 0.25)
    trajs = fly(plans, ground_alt_m=[m.aim_alt_m for m in missiles])
    trajs = [
        _truncate_breakup(tr, m.breakup_alt_m) if m.failure == "breakup" else tr
        for tr, m in zip(trajs, missiles, strict=True)
    ]
    n_obj = len(trajs)
    width = max(2, len(str(n_obj)))
    names = [f"m{j + 1:0{width}d}" for j in range(n_obj)]
    bank = TrajectoryBank.from_arrays(
        [tr.t_unix_s for tr in trajs],
        [tr.pos_ecef_m for tr in trajs],
        [tr.vel_ecef_mps for tr in trajs],
        [tr.phase for tr in trajs],
    )
    t_start = sc.start_unix_s
    t_end = round(float(bank.t_last.max()) + sc.tail_s, ROUND_TIME_S)

    # --- sensors ---------------------------------------------------------------------------------
    report("sensors", 0.5)
    hot_end = np.array(
        [
            min(
                tr.burnout_t_unix_s + get_class(tr.class_name or m.class_name).hot_coast_s,
                float(tr.t_unix_s[-1]),
            )
            for tr, m in zip(trajs, missiles, strict=True)
        ]
    )
    dets: list[Detections] = []
    sensor_summ: list[SensorSummary] = []
    for si, spec in enumerate(sc.sensors):
        rng = sensor_rngs[si]
        if isinstance(spec, RadarSpec):
            rm = _radar_model(spec)
            st, sk = scan_schedule(rm.revisit_s, t_start, t_end, rm.scan_offset_s)
            ps, po = active_pairs(st, bank.t_first, bank.t_last)
            pos, vel, _ = bank.interpolate(po, st[ps])
            d = radar_detect(rm, st, sk, ps, po, pos, vel, rng)
        else:
            im = _ir_model(spec)
            st, sk = scan_schedule(im.revisit_s, t_start, t_end, im.scan_offset_s)
            ps, po = active_pairs(st, bank.t_first, hot_end)
            pos, _, _ = bank.interpolate(po, st[ps])
            d = ir_detect(im, st, sk, ps, po, pos, np.ones(len(ps), dtype=bool), rng)
        dets.append(d)
        sensor_summ.append(
            SensorSummary(id=spec.id, kind=spec.kind, scans=len(st), detections=len(d), clutter=d.n_clutter)
        )
        report("sensors", 0.5 + 0.3 * (si + 1) / len(sc.sensors))

    # --- write -----------------------------------------------------------------------------------
    report("write", 0.8)
    _write_json(out_dir / "sensors.json", {"sensors": [_sensor_json(s) for s in sc.sensors]})
    n_meas = _write_measurements(out_dir / "measurements.jsonl", dets)
    _write_json(
        out_dir / "zones.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": z.properties, "geometry": geometry_json(z.shape)}
                for z in zones
            ],
        },
    )
    n_truth = _write_truth(out_dir / "truth.jsonl", bank, names)

    first_det: dict[int, float] = {}
    det_count = np.zeros(n_obj, dtype=np.int64)
    for d in dets:
        real = d.obj >= 0
        np.add.at(det_count, d.obj[real], 1)
        for o, t in zip(d.obj[real].tolist(), d.t_unix_s[real].tolist(), strict=True):
            if o not in first_det or t < first_det[o]:
                first_det[o] = t

    objects: list[dict[str, Any]] = []
    summaries: list[ObjectSummary] = []
    for j, (m, tr) in enumerate(zip(missiles, trajs, strict=True)):
        cls = get_class(m.class_name)
        landed = math.isfinite(tr.impact_t_unix_s)
        failed = m.failure != "none" or not landed
        impact = None
        miss = None
        if landed:
            impact = {
                "t_unix_s": round(tr.impact_t_unix_s, ROUND_TIME_S),
                "lat_deg": round(tr.impact_lat_deg, ROUND_LATLON_DEG),
                "lon_deg": round(tr.impact_lon_deg, ROUND_LATLON_DEG),
            }
            miss = float(
                geodesic_distance_m(m.aim_lat_deg, m.aim_lon_deg, tr.impact_lat_deg, tr.impact_lon_deg)
            )
        objects.append(
            {
                "object": names[j],
                "class": m.class_name,
                "failed": failed,
                "launch": {
                    "t_unix_s": m.t_launch_unix_s,
                    "lat_deg": round(m.lat_deg, ROUND_LATLON_DEG),
                    "lon_deg": round(m.lon_deg, ROUND_LATLON_DEG),
                    "alt_m": m.alt_m,
                },
                "impact": impact,
                "danger_radius_m": cls.danger_radius_m,
                "failure": m.failure,
                "site": m.site,
                "aim": {
                    "lat_deg": round(m.aim_lat_deg, ROUND_LATLON_DEG),
                    "lon_deg": round(m.aim_lon_deg, ROUND_LATLON_DEG),
                    "alt_m": m.aim_alt_m,
                },
                "end_t_unix_s": round(float(tr.t_unix_s[-1]), ROUND_TIME_S),
                "burnout_t_unix_s": round(tr.burnout_t_unix_s, ROUND_TIME_S),
                "apogee_alt_m": round(tr.apogee_alt_m, 1),
            }
        )
        summaries.append(
            ObjectSummary(
                object=names[j],
                class_name=m.class_name,
                site=m.site,
                launch_t_unix_s=m.t_launch_unix_s,
                launch_lat_deg=m.lat_deg,
                launch_lon_deg=m.lon_deg,
                flight_time_s=float(tr.t_unix_s[-1]) - m.t_launch_unix_s,
                impact_t_unix_s=tr.impact_t_unix_s if landed else None,
                impact_lat_deg=tr.impact_lat_deg if landed else None,
                impact_lon_deg=tr.impact_lon_deg if landed else None,
                failed=failed,
                failure=m.failure,
                aim_lat_deg=m.aim_lat_deg,
                aim_lon_deg=m.aim_lon_deg,
                miss_m=miss,
                apogee_alt_m=tr.apogee_alt_m,
                detections=int(det_count[j]),
                first_detection_t_unix_s=first_det.get(j),
            )
        )
    _write_json(out_dir / "events.json", {"objects": objects})

    resolved = {
        "scenario": sc.model_dump(mode="json", by_alias=True),
        "file": ls.file,
        "seed": seed,
        "t_start_unix_s": t_start,
        "t_end_unix_s": t_end,
        "objects": [
            {
                "object": names[j],
                "class": m.class_name,
                "site": m.site,
                "t_launch_unix_s": m.t_launch_unix_s,
                "launch_lat_deg": m.lat_deg,
                "launch_lon_deg": m.lon_deg,
                "launch_alt_m": m.alt_m,
                "aim_lat_deg": m.aim_lat_deg,
                "aim_lon_deg": m.aim_lon_deg,
                "aim_alt_m": m.aim_alt_m,
                "target_lat_deg": m.target_lat_deg,
                "target_lon_deg": m.target_lon_deg,
                "cep_m": m.cep_m,
                "failure": m.failure,
                "burn_fraction": m.burn_fraction,
                "breakup_alt_m": m.breakup_alt_m,
                "guidance_miss_m": m.guidance_miss_m,
                "plan": {"azimuth_deg": p.azimuth_deg, "loft": p.loft, "burn_fraction": p.burn_fraction},
            }
            for j, (m, p) in enumerate(zip(missiles, plans, strict=True))
        ],
    }
    _write_json(out_dir / "scenario.json", resolved)
    report("done", 1.0)
    files = [
        "sensors.json",
        "measurements.jsonl",
        "zones.geojson",
        "truth.jsonl",
        "events.json",
        "scenario.json",
    ]
    return SimulationSummary(
        scenario=sc.name,
        seed=seed,
        out_dir=out_dir,
        t_start_unix_s=t_start,
        t_end_unix_s=t_end,
        objects=summaries,
        sensors=sensor_summ,
        n_zones=len(zones),
        n_measurements=n_meas,
        n_truth=n_truth,
        files=files,
    )


def _write_measurements(path: Path, dets: Sequence[Detections]) -> int:
    if dets:
        t = np.concatenate([d.t_unix_s for d in dets])
        sidx = np.concatenate([np.full(len(d), i, dtype=np.int64) for i, d in enumerate(dets)])
        within = np.concatenate([np.arange(len(d), dtype=np.int64) for d in dets])
        order = np.lexsort((within, sidx, t))
    else:
        order = np.zeros(0, dtype=np.int64)
    heads = [f'"sensor": {json.dumps(d.sensor)}, "kind": "{d.kind}", "scan": ' for d in dets]
    lists = [(d.t_unix_s.tolist(), d.scan.tolist(), d.values.tolist()) for d in dets]
    lines: list[str] = []
    sidx_l = sidx.tolist() if dets else []
    within_l = within.tolist() if dets else []
    for g in order.tolist():
        i = sidx_l[g]
        w = within_l[g]
        tl, kl, vl = lists[i]
        v = vl[w]
        head = f'{{"t_unix_s": {tl[w]!r}, {heads[i]}{kl[w]}, '
        if dets[i].kind == "radar":
            body = f'"range_m": {v[0]!r}, "az_deg": {v[1]!r}, "el_deg": {v[2]!r}'
            if not math.isnan(v[3]):
                body += f', "range_rate_mps": {v[3]!r}'
        else:
            body = f'"los_ecef": [{v[0]!r}, {v[1]!r}, {v[2]!r}]'
        lines.append(head + body + "}\n")
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.writelines(lines)
    return len(lines)


def _write_truth(path: Path, bank: TrajectoryBank, names: Sequence[str]) -> int:
    obj, t = _truth_samples(bank)
    pos, vel, ph = bank.interpolate(obj, t)
    tl = np.round(t, ROUND_TIME_S).tolist()
    pl = np.round(pos, ROUND_POS_M).tolist()
    vl = np.round(vel, ROUND_VEL_MPS).tolist()
    phl = ph.tolist()
    ol = obj.tolist()
    quoted = [json.dumps(n) for n in names]
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.writelines(
            f'{{"t_unix_s": {tl[i]!r}, "object": {quoted[ol[i]]}, '
            f'"pos_ecef_m": [{p[0]!r}, {p[1]!r}, {p[2]!r}], '
            f'"vel_ecef_mps": [{v[0]!r}, {v[1]!r}, {v[2]!r}], "phase": "{PHASE_NAMES[phl[i]]}"}}\n'
            for i, (p, v) in enumerate(zip(pl, vl, strict=True))
        )
    return len(tl)
