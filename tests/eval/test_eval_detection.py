"""Truth interpolation, first detection by gating, and evaluate() over contract files."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pymap3d
import pytest

from tocsin.errors import BadInputError
from tocsin.eval.detection import first_detection_times
from tocsin.eval.evaluate import evaluate, load_alerts, write_scorecard
from tocsin.eval.truth import TruthTable, load_events, parse_events
from tocsin.ingest.records import Rejected
from tocsin.ingest.sensors import SensorSet, parse_sensors, sensors_to_json
from tocsin.ingest.stream import Scan, iter_measurements
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.load import build_zone_set, zone_set_to_geojson

CHECKER = Path("/work/shared/tools/check_contract.py")
T0 = 1578436000.0
SITE = (32.1, 36.2, 600.0)
SENSORS_DOC: dict[str, Any] = {
    "sensors": [
        {
            "id": "r1",
            "kind": "radar",
            "lat_deg": SITE[0],
            "lon_deg": SITE[1],
            "alt_m": SITE[2],
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
            "revisit_s": 1.0,
            "pd": 0.9,
        },
    ]
}


def _trajectory(
    p0: np.ndarray, v0: np.ndarray, a: np.ndarray, t_rel: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    pos = p0 + v0 * t_rel[:, None] + 0.5 * a * t_rel[:, None] ** 2
    vel = v0 + a * t_rel[:, None]
    return pos, vel


P_A = np.array(pymap3d.geodetic2ecef(32.5, 36.6, 40000.0))
V_A = np.array([300.0, -800.0, 500.0])
ACC = np.array([5.0, -20.0, 12.0])
P_B = np.array(pymap3d.geodetic2ecef(31.8, 36.9, 60000.0))
V_B = np.array([-200.0, 400.0, -300.0])


def _truth_states() -> list[dict[str, Any]]:
    states = []
    for oid, p0, v0, t_start in (("A", P_A, V_A, 0.0), ("B", P_B, V_B, 20.0)):
        t_rel = np.arange(t_start, 61.0, 1.0)
        pos, vel = _trajectory(p0, v0, ACC, t_rel - t_start)
        for t, p, v in zip(t_rel, pos, vel, strict=True):
            states.append(
                {
                    "t_unix_s": T0 + float(t),
                    "object": oid,
                    "pos_ecef_m": p.tolist(),
                    "vel_ecef_mps": v.tolist(),
                    "phase": "midcourse",
                }
            )
    states.sort(key=lambda s: (s["t_unix_s"], s["object"]))
    return states


def test_hermite_is_exact_for_constant_acceleration() -> None:
    truth = TruthTable.from_states(_truth_states())
    for t_rel in (0.0, 0.25, 17.5, 33.3, 60.0):
        pos, valid = truth.positions_at(T0 + t_rel)
        exact, _ = _trajectory(P_A, V_A, ACC, np.array([t_rel]))
        # 1 mm: t_unix_s near 1.6e9 s resolves 2.4e-7 s, i.e. 0.2 mm at 900 m/s.
        assert valid[0] and np.linalg.norm(pos[0] - exact[0]) < 1e-3
        assert bool(valid[1]) == (t_rel >= 20.0)
        assert bool(np.isnan(pos[1]).all()) == (t_rel < 20.0)
    _, valid = truth.positions_at(T0 + 60.5)
    assert not valid.any()


def _radar_line(
    t_rel: float, pos: np.ndarray, scan: int, rng: np.random.Generator, noise: bool = True
) -> dict[str, Any]:
    az, el, r = pymap3d.ecef2aer(*pos, *SITE)
    k = 1.0 if noise else 0.0
    return {
        "t_unix_s": T0 + t_rel,
        "sensor": "r1",
        "kind": "radar",
        "scan": scan,
        "range_m": float(r + k * rng.normal(0, 15.0)),
        "az_deg": float(az + k * rng.normal(0, 0.06)),
        "el_deg": float(el + k * rng.normal(0, 0.06)),
    }


def _ir_line(t_rel: float, pos: np.ndarray, scan: int, offset_rad: float = 0.0) -> dict[str, Any]:
    u = pos - np.array([42164000.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    if offset_rad:
        perp = np.cross(u, [0.0, 0.0, 1.0])
        perp /= np.linalg.norm(perp)
        u = math.cos(offset_rad) * u + math.sin(offset_rad) * perp
    return {"t_unix_s": T0 + t_rel, "sensor": "ir1", "kind": "ir", "scan": scan, "los_ecef": u.tolist()}


def _measurements() -> list[dict[str, Any]]:
    rng = np.random.default_rng(42)
    lines: list[dict[str, Any]] = []
    for k in range(60):
        t_rel = k + 0.5
        if k >= 3:  # clutter every scan, far from both objects
            lines.append(_radar_line(t_rel, P_A + np.array([50e3, 50e3, 0.0]), k, rng))
        if k >= 10:
            lines.append(_radar_line(t_rel, _trajectory(P_A, V_A, ACC, np.array([t_rel]))[0][0], k, rng))
        if k >= 30:
            lines.append(
                _radar_line(t_rel, _trajectory(P_B, V_B, ACC, np.array([t_rel - 20.0]))[0][0], k, rng)
            )
    # IR: A seen at 5 s but 10 sigma off (no match); B seen from 25 s, 2 sigma off (match).
    sigma = math.radians(0.005)
    lines.append(_ir_line(5.0, _trajectory(P_A, V_A, ACC, np.array([5.0]))[0][0], 5, 10 * sigma))
    for k in (25, 27):
        lines.append(_ir_line(float(k), _trajectory(P_B, V_B, ACC, np.array([k - 20.0]))[0][0], k, 2 * sigma))
    lines.sort(key=lambda r: r["t_unix_s"])
    return lines


def _sensors() -> SensorSet:
    return parse_sensors(json.loads(json.dumps(SENSORS_DOC)))


def test_first_detection_by_gating() -> None:
    sensors = _sensors()
    truth = TruthTable.from_states(_truth_states())
    items = list(iter_measurements([json.dumps(m) for m in _measurements()], sensors, 5.0))
    assert not any(isinstance(i, Rejected) for i in items)
    scans = [i for i in items if isinstance(i, Scan)]
    first = first_detection_times(sensors, scans, truth)
    assert first == {"A": T0 + 10.5, "B": T0 + 25.0}
    # Order does not matter; a tight gate loses the 2-sigma IR hit of B, leaving the radar at 30.5 s.
    assert first_detection_times(sensors, scans[::-1], truth) == first
    assert first_detection_times(sensors, scans, truth, gate_sigma=1.0)["B"] >= T0 + 30.5


def test_events_validation() -> None:
    good = {
        "objects": [{"object": "m1", "class": "srbm", "failed": True, "impact": None, "danger_radius_m": 100}]
    }
    assert parse_events(good)[0].has_impact is False
    bad = json.loads(json.dumps(good))
    bad["objects"][0]["failed"] = False
    with pytest.raises(BadInputError, match="did not fail") as info:
        parse_events(bad, "events.json")
    assert info.value.where == "objects[0]" and info.value.field == "impact"
    bad["objects"][0]["danger_radius_m"] = -1
    with pytest.raises(BadInputError) as info:
        parse_events(bad)
    assert info.value.field == "danger_radius_m"


def test_evaluate_end_to_end(tmp_path: Path) -> None:
    scen = tmp_path / "scenario"
    run = tmp_path / "run"
    scen.mkdir()
    run.mkdir()
    sensors = _sensors()
    (scen / "sensors.json").write_text(json.dumps(sensors_to_json(sensors)), encoding="utf-8")
    (scen / "measurements.jsonl").write_text(
        "".join(json.dumps(m) + "\n" for m in _measurements()), encoding="utf-8"
    )
    (scen / "truth.jsonl").write_text(
        "".join(json.dumps(s) + "\n" for s in _truth_states()), encoding="utf-8"
    )
    lat0, lon0 = 32.0, 35.0
    xs = np.array([-500.0, 500.0, 500.0, -500.0, -500.0])
    ys = np.array([-500.0, -500.0, 500.0, 500.0, -500.0])
    lon, lat = local_m_to_lonlat(xs, ys, lat0, lon0)
    from shapely.geometry import Polygon

    zones = build_zone_set(["z1"], [Polygon(np.column_stack([lon, lat]))], [30.0], population=[100.0])
    (scen / "zones.geojson").write_text(json.dumps(zone_set_to_geojson(zones)), encoding="utf-8")
    events = {
        "objects": [
            {
                "object": oid,
                "class": "srbm-500",
                "failed": False,
                "launch": {"t_unix_s": T0 - 100.0, "lat_deg": 34.3, "lon_deg": 47.1},
                "impact": {"t_unix_s": T0 + t_imp, "lat_deg": lat0, "lon_deg": lon0},
                "danger_radius_m": 150,
            }
            for oid, t_imp in (("A", 110.5), ("B", 300.0))
        ]
    }
    (scen / "events.json").write_text(json.dumps(events), encoding="utf-8")
    alerts = [
        {
            "t_unix_s": T0 + 40.0,
            "zone": "z1",
            "level": "take_cover",
            "threats": ["T1"],
            "p_impact": 0.9,
            "reason": "x",
        },
        {
            "t_unix_s": T0 + 400.0,
            "zone": "z1",
            "level": "all_clear",
            "threats": [],
            "p_impact": 0.0,
            "reason": "x",
        },
    ]
    (run / "alerts.jsonl").write_text("".join(json.dumps(a) + "\n" for a in alerts), encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, str(CHECKER), str(scen), str(run)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout

    card = evaluate(scen, run, delay_s=3.0)
    assert card.first_detection_t_unix_s == {"A": T0 + 10.5, "B": T0 + 25.0}
    assert [(p.object, p.outcome, p.lead_time_s) for p in card.pairs] == [
        ("A", "timely", 67.5),
        ("B", "timely", 257.0),
    ]
    # Efficiency: 67.5 / (110.5 - 10.5) and 257 / (300 - 25).
    assert card.pairs[0].warning_efficiency == pytest.approx(0.675, abs=1e-12)
    assert card.pairs[1].warning_efficiency == pytest.approx(257.0 / 275.0, abs=1e-12)
    assert card.total.all_clear_delay_max_s == pytest.approx(403.0 - 300.0)
    assert card.total.shelter_person_s == pytest.approx(100.0 * 360.0)

    written = write_scorecard(card, tmp_path / "out")
    doc = json.loads(written[0].read_text(encoding="utf-8"))
    assert doc["total"]["timely"] == 2
    assert "shelter_person_s" in written[1].read_text(encoding="utf-8")
    assert len(load_events(scen / "events.json")) == 2


def test_load_alerts_bad_level(tmp_path: Path) -> None:
    path = tmp_path / "alerts.jsonl"
    good = '{"t_unix_s": 1.0, "zone": "z", "level": "take_cover"}\n'
    path.write_text(good + '{"t_unix_s": 2.0, "zone": "z", "level": "panic"}\n')
    with pytest.raises(BadInputError) as info:
        load_alerts(path)
    assert (info.value.where, info.value.field) == (2, "level")
