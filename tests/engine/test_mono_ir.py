"""Warning from one infrared satellite (tocsin.track.launch_detect, tocsin.zones.reach).

Physics of the envelope (minimum-energy flight time against an independent two-body integration and
the flat-Earth limit; the catalogue's own flights inside the reach envelope), the detector on
synthetic lines of sight, and the chain end to end: with one satellite and no radar every struck zone
is warned in time and a zone beyond reach never; with two satellites no launch report is made.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.cli.run_cmd import run_chain
from tocsin.engine.core import Engine
from tocsin.eval.evaluate import evaluate
from tocsin.geo.frames import altitude_fast_m, geodetic_deg_to_ecef
from tocsin.geo.geodesic import geodesic_distance_m
from tocsin.geo.wgs84 import GM_M3_S2, MEAN_RADIUS_M
from tocsin.physics.catalogue import CATALOGUE
from tocsin.physics.flight import FlightPlan, fly
from tocsin.predict.classify import min_energy_flight_time_s
from tocsin.sim.simulate import simulate
from tocsin.track.launch_detect import LaunchDetector
from tocsin.track.models import IrModel
from tocsin.zones.reach import ReachConfig, climbing_classes, reach_range_m

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
GEO_RADIUS_M = 42_164_170.0


def test_min_energy_flight_time_matches_two_body_integration_and_flat_earth() -> None:
    # Flat-Earth limit: a 45 deg shot over D takes sqrt(2 D / g) (g = mu / R^2).
    g = GM_M3_S2 / MEAN_RADIUS_M**2
    assert float(min_energy_flight_time_s(np.array(1000.0))) == pytest.approx(math.sqrt(2000.0 / g), rel=1e-3)
    for rng in (300e3, 1300e3, 5000e3):
        lam = rng / MEAN_RADIUS_M
        s = math.sin(lam / 2)
        v = math.sqrt(2 * s / (1 + s) * GM_M3_S2 / MEAN_RADIUS_M)
        gam = (math.pi - lam) / 4  # minimum-energy flight-path angle (Bate, Mueller & White 6.3)

        def f(_t: float, y: np.ndarray) -> np.ndarray:
            r = y[:2]
            return np.concatenate([y[2:], -GM_M3_S2 * r / np.linalg.norm(r) ** 3])

        def ground(_t: float, y: np.ndarray) -> float:
            return float(np.linalg.norm(y[:2]) - MEAN_RADIUS_M)

        ground.terminal = True  # type: ignore[attr-defined]
        ground.direction = -1  # type: ignore[attr-defined]
        y0 = [0.0, MEAN_RADIUS_M, v * math.cos(gam), v * math.sin(gam)]
        sol = solve_ivp(f, (0.0, 1e4), y0, events=ground, rtol=1e-10, atol=1e-6)
        t_hit = float(sol.t_events[0][0])
        end = sol.y_events[0][0][:2]
        angle = math.atan2(end[0], end[1])  # range angle flown (started on the +y axis)
        assert angle * MEAN_RADIUS_M == pytest.approx(rng, rel=1e-6)
        assert float(min_energy_flight_time_s(np.array(rng))) == pytest.approx(t_hit, abs=0.5)


@pytest.mark.slow
def test_catalogue_flights_lie_inside_the_reach_envelope() -> None:
    """Every climbing class over its loft band and burn fractions lands between the envelope's
    earliest and latest times for its ground range (from launch, pad and zone margins aside), and
    within the after-sighting bound of its plume's visible window (12 km floor to burnout + hot coast)."""
    cfg = ReachConfig()
    plans, names = [], []
    for name in climbing_classes():
        c = CATALOGUE[name]
        for loft in np.linspace(c.loft_min_rad, c.loft_max_rad, 4):
            for bf in np.linspace(max(c.burn_fraction_min, 0.3), 1.0, 3):
                plans.append(FlightPlan(name, 33.0, 45.0, 1000.0, 0.0, 270.0, float(loft), float(bf)))
                names.append(name)
    flown = 0
    for tr in fly(plans):
        if not math.isfinite(tr.impact_t_unix_s):
            continue
        d = float(geodesic_distance_m(33.0, 45.0, tr.impact_lat_deg, tr.impact_lon_deg))
        t_me = float(min_energy_flight_time_s(np.array(d)))
        assert tr.impact_t_unix_s >= cfg.t_min_factor * t_me + cfg.t_min_extra_s, (d, tr.impact_t_unix_s)
        assert tr.impact_t_unix_s <= cfg.t_max_factor * t_me + cfg.t_max_extra_s, (d, tr.impact_t_unix_s)
        assert d <= reach_range_m(cfg) + 1.0
        c = CATALOGUE[tr.class_name]
        k = np.flatnonzero(altitude_fast_m(tr.pos_ecef_m) >= 12_000.0)
        t_last = tr.burnout_t_unix_s + c.hot_coast_s
        if k.size and t_last > tr.t_unix_s[k[0]]:  # seen above the floor at all
            w = t_last - tr.t_unix_s[k[0]]
            bound = t_last + t_me + cfg.after_sighting_extra_s + cfg.after_sighting_per_s * w
            assert tr.impact_t_unix_s <= bound, (tr.class_name, d, w, tr.impact_t_unix_s - t_last)
        flown += 1
    assert flown >= 50


def _ir(sensor_id: str, lon_deg: float) -> IrModel:
    pos = np.array(
        [GEO_RADIUS_M * math.cos(math.radians(lon_deg)), GEO_RADIUS_M * math.sin(math.radians(lon_deg)), 0.0]
    )
    return IrModel(sensor_id, pos, math.radians(0.005), clutter_per_scan=0.5)


def _plume(t_s: float) -> np.ndarray:
    """A plume climbing from 12 km at 34.3 N 47.1 E, heading west at 1 km/s and up at 1 km/s."""
    la, lo = 34.3, 47.1 - t_s * 1000.0 / 92_000.0
    return geodetic_deg_to_ecef(la, lo, 12_000.0 + 1000.0 * t_s).reshape(3)


def _scan(sat: IrModel, t_s: float, rng: np.random.Generator, clutter: int = 1) -> np.ndarray:
    u = _plume(t_s) - sat.pos_ecef_m
    u = u / np.linalg.norm(u)
    # Clutter: lines of sight anywhere on the Earth disc (within ~8.7 deg of the nadir).
    nadir = -sat.pos_ecef_m / np.linalg.norm(sat.pos_ecef_m)
    c = nadir + rng.normal(0.0, 0.08, (clutter, 3))
    c = c / np.linalg.norm(c, axis=1, keepdims=True)
    return np.vstack([u + rng.normal(0.0, sat.sigma_los_rad, 3), c])


def _run_detector(
    det: LaunchDetector,
    sensor: IrModel,
    tracks: np.ndarray | None = None,
    track_from: int = 0,
    scans: int = 12,
) -> None:
    """Feed ``scans`` scans 2 s apart; with ``tracks``, a confirmed track sits on the plume from scan
    ``track_from`` on."""
    rng = np.random.default_rng(7)
    pos = np.zeros((0, 3))
    for k in range(scans):
        t = 2.0 * k
        track_pos = np.array([_plume(t)]) if tracks is not None and k >= track_from else pos
        det.observe(
            sensor.sensor_id,
            1000.0 + t,
            _scan(sensor, t, rng),
            lambda p=track_pos: (p, np.full(p.shape[0], 3000.0)),
        )
        det.expire(1000.0 + t)


def test_one_satellite_reports_the_launch_near_its_first_sighting() -> None:
    sat = _ir("ir-50e", 50.0)
    det = LaunchDetector({"ir-50e": sat}, {"ir-50e": 2.0})
    _run_detector(det, sat)
    reports = det.current()
    assert [r.detection_id for r in reports] == ["L1"]  # the plume; no clutter chain
    r = reports[0]
    assert r.live and r.n_detections >= 10 and r.t_first_unix_s == 1000.0
    # The first line of sight at the 12 km floor is the plume's first position, within 3 sigmas of one
    # line of sight on the ground: 0.005 deg x 37,000 km = 3.2 km, stretched by 1 / sin(48 deg
    # elevation of the 50 E satellite) along one axis: 13 km.
    assert float(geodesic_distance_m(r.lat_deg, r.lon_deg, 34.3, 47.1)) < 13_000.0
    # Silence: the report ends (no longer live) once its gap allowance passes.
    det.expire(1000.0 + 22.0 + 12.0)
    assert not det.current()[0].live


def test_no_report_with_a_stereo_partner_in_view_or_a_track_on_the_plume() -> None:
    sat, other = _ir("ir-50e", 50.0), _ir("ir-5e", 5.0)
    det = LaunchDetector({"ir-50e": sat, "ir-5e": other}, {"ir-50e": 2.0, "ir-5e": 2.0})
    _run_detector(det, sat)
    assert det.current() == []  # the 5 E satellite sees the place: the stereo tracker's job
    det = LaunchDetector({"ir-50e": sat}, {"ir-50e": 2.0})
    _run_detector(det, sat, tracks=np.zeros((1, 3)))
    assert det.current() == []  # a confirmed track follows the plume: it explains every sighting
    # A track that appears after the report confirmed takes it over: no longer live, handed over.
    det = LaunchDetector({"ir-50e": sat}, {"ir-50e": 2.0})
    _run_detector(det, sat, tracks=np.zeros((1, 3)), track_from=12, scans=14)
    (r,) = det.current()
    assert r.handed_over and not r.live
    # A satellite that cannot see the place (180 deg away) is no stereo partner.
    det = LaunchDetector({"ir-50e": sat, "ir-far": _ir("ir-far", -130.0)}, {"ir-50e": 2.0, "ir-far": 2.0})
    _run_detector(det, sat)
    assert [r.detection_id for r in det.current()] == ["L1"]


@pytest.mark.slow
def test_one_satellite_warns_every_struck_zone_and_none_beyond_reach(tmp_path: Path) -> None:
    scen, run = tmp_path / "s", tmp_path / "r"
    simulate(str(SCENARIOS / "mono-ir.yaml"), scen, seed=1)
    run_chain(scen / "sensors.json", str(scen / "measurements.jsonl"), scen / "zones.geojson", run)
    card = evaluate(scen, run)
    assert card.total.struck_pairs == 3
    assert card.total.missed == 0 and card.total.late == 0
    alerts = [json.loads(x) for x in (run / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert not [a for a in alerts if a["zone"] == "aden"]  # 2,392 km out: beyond every missile's reach
    tc = [a for a in alerts if a["level"] == "take_cover"]
    assert tc and all(a["rule"] == "credible_region" and a["threats"][0].startswith("L") for a in tc)
    # No track could form: the run's only threats are the launch reports.
    assert (run / "tracks.jsonl").read_text(encoding="utf-8") == ""


@pytest.mark.slow
def test_two_satellites_make_no_launch_report(tmp_path: Path) -> None:
    scen = tmp_path / "s"
    simulate(
        str(Path(__file__).resolve().parents[1] / "predict" / "scenarios" / "launch-ir.yaml"), scen, seed=1
    )
    sensors, _ = load_sensors_doc(scen / "sensors.json")
    zones, _ = load_zones_doc(scen / "zones.geojson")
    engine = Engine(sensors, zones)
    lines = (scen / "measurements.jsonl").read_text(encoding="utf-8").splitlines()
    tracked = set()
    for i, line in enumerate(lines, 1):
        tracked |= {row["track"] for row in engine.push_line(line, i).track_rows}
    engine.finish()
    assert engine.launch_detect.current() == []
    assert len(tracked) >= 6  # the stereo tracker has every missile
