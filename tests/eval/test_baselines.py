"""Baselines on hand-built cases: exact rows, and scores through the section-7 scorecard."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from tocsin.eval.baselines import (
    baseline_alerts,
    circle_alerts,
    oracle_alerts,
    whole_area_alerts,
    write_alerts_jsonl,
)
from tocsin.eval.scorecard import score_alerts
from tocsin.eval.truth import ObjectEvent
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.load import ZoneSet, build_zone_set, zone_set_to_geojson

LAT0, LON0 = 33.7857, 42.4411
CHECKER = Path("/work/shared/tools/check_contract.py")


def _ll(e_m: float, n_m: float) -> tuple[float, float]:
    lon, lat = local_m_to_lonlat(e_m, n_m, LAT0, LON0)
    return float(lat), float(lon)


def _square(e_m: float, n_m: float, half_m: float) -> object:
    lon, lat = local_m_to_lonlat(
        np.array([e_m - half_m, e_m + half_m]), np.array([n_m - half_m, n_m + half_m]), LAT0, LON0
    )
    return box(float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))


@pytest.fixture
def zones() -> ZoneSet:
    """z-a at the origin, z-b 2 km east, z-c 20 km north; 100 m squares, shelter 60 s."""
    return build_zone_set(
        ["z-a", "z-b", "z-c"],
        [_square(0, 0, 50), _square(2000, 0, 50), _square(0, 20000, 50)],  # type: ignore[list-item]
        [60.0, 60.0, 60.0],
        population=[10.0, 20.0, 30.0],
    )


def _event(name: str, e_m: float, n_m: float, t_s: float, failed: bool = False) -> ObjectEvent:
    lat, lon = _ll(e_m, n_m)
    if failed:
        return ObjectEvent(name, "srbm-500", True, float("nan"), float("nan"), float("nan"), 150.0)
    return ObjectEvent(name, "srbm-500", False, t_s, lat, lon, 150.0)


@pytest.fixture
def events() -> list[ObjectEvent]:
    return [
        _event("o1", 10.0, 0.0, 1000.0),  # z-a
        _event("o2", -20.0, 5.0, 1100.0),  # z-a again, overlapping warning
        _event("o3", 2000.0, 100.0, 3000.0),  # z-b (100 m north of the centre: inside 150 m)
        _event("o4", 0.0, 0.0, 0.0, failed=True),
        _event("o5", 9000.0, 9000.0, 3050.0),  # strikes nothing
    ]


FIRST = {"o1": 700.0, "o2": 900.0, "o3": 2800.0, "o4": 2900.0, "o5": 2850.0}


def _levels(rows: list[dict[str, object]]) -> list[tuple[float, str, str]]:
    return [(float(r["t_unix_s"]), str(r["zone"]), str(r["level"])) for r in rows]  # type: ignore[arg-type]


def test_oracle_covers_exactly_the_struck_zones(zones: ZoneSet, events: list[ObjectEvent]) -> None:
    rows = oracle_alerts(events, zones, FIRST, hold_s=30.0)
    assert _levels(rows) == [
        (700.0, "z-a", "take_cover"),  # o1 and o2 merge into one episode
        (1130.0, "z-a", "all_clear"),
        (2800.0, "z-b", "take_cover"),
        (3030.0, "z-b", "all_clear"),
    ]
    assert rows[0]["threats"] == ["o1", "o2"]
    card = score_alerts(rows, zones, events, FIRST, delay_s=3.0)
    assert (card.total.struck_pairs, card.total.timely, card.total.missed) == (3, 3, 0)
    assert card.total.false_alerts == 0
    # Lead time of o1: 1000 - (700 + 3) s.
    lead = {p.object: p.lead_time_s for p in card.pairs}
    assert lead["o1"] == pytest.approx(297.0, abs=1e-9)
    assert card.total.shelter_zone_s == pytest.approx((1130 - 700) + (3030 - 2800), abs=1e-9)


def test_oracle_ignores_undetected_objects(zones: ZoneSet, events: list[ObjectEvent]) -> None:
    rows = oracle_alerts(events, zones, {"o3": 2800.0}, hold_s=30.0)
    assert {r["zone"] for r in rows} == {"z-b"}
    card = score_alerts(rows, zones, events, {"o3": 2800.0})
    assert card.total.missed == 2  # o1 and o2 were never seen


def test_whole_area_one_episode_per_wave_in_every_zone(zones: ZoneSet, events: list[ObjectEvent]) -> None:
    rows = whole_area_alerts(events, zones, FIRST, hold_s=30.0, end_without_impact_s={"o4": 2950.0})
    got = _levels(rows)
    # Wave 1: o1, o2 [700, 1130]; wave 2: o3, o5, o4 [2800, 3080] (o5's impact at 3050 + 30 s).
    for z in ("z-a", "z-b", "z-c"):
        assert [(t, lv) for t, zz, lv in got if zz == z] == [
            (700.0, "take_cover"),
            (1130.0, "all_clear"),
            (2800.0, "take_cover"),
            (3080.0, "all_clear"),
        ]
    card = score_alerts(rows, zones, events, FIRST)
    assert card.total.episodes == 6
    assert card.total.timely == 3
    assert card.total.false_alerts == 4  # z-c twice, z-b in wave 1, z-a in wave 2
    oracle = score_alerts(oracle_alerts(events, zones, FIRST, hold_s=30.0), zones, events, FIRST)
    assert card.total.shelter_zone_s > 2 * oracle.total.shelter_zone_s


def _pred(t_s: float, e_m: float, n_m: float, t_imp_s: float, track: str = "T1") -> dict[str, object]:
    lat, lon = _ll(e_m, n_m)
    return {
        "t_unix_s": t_s,
        "track": track,
        "impact_t_unix_s": t_imp_s,
        "impact_lat_deg": lat,
        "impact_lon_deg": lon,
        "impact_cov_en_m2": [[1e6, 0.0], [0.0, 1e6]],
        "impact_t_sigma_s": 1.0,
    }


def test_circle_follows_the_predicted_point(zones: ZoneSet) -> None:
    preds = [
        _pred(800.0, 1000.0, 0.0, 1000.0),  # both z-a and z-b within 1.5 km
        _pred(850.0, 1800.0, 0.0, 1000.0),  # z-b only: z-a cancelled
        _pred(900.0, 1900.0, 0.0, 1001.0),
    ]
    rows = circle_alerts(preds, zones, radius_m=1500.0, hold_s=30.0)
    assert _levels(rows) == [
        (800.0, "z-a", "take_cover"),
        (800.0, "z-b", "take_cover"),
        (850.0, "z-a", "cancel"),
        (1031.0, "z-b", "all_clear"),
    ]


def test_circle_zone_held_by_two_tracks_clears_with_the_last(zones: ZoneSet) -> None:
    preds = [_pred(800.0, 0.0, 0.0, 1000.0, "T1"), _pred(810.0, 100.0, 0.0, 1200.0, "T2")]
    rows = circle_alerts(preds, zones, radius_m=500.0, hold_s=30.0)
    assert _levels(rows) == [(800.0, "z-a", "take_cover"), (1230.0, "z-a", "all_clear")]


def test_baseline_files_pass_the_contract_checker(
    zones: ZoneSet, events: list[ObjectEvent], tmp_path: Path
) -> None:
    scen = tmp_path / "scenario"
    scen.mkdir()
    (scen / "zones.geojson").write_text(json.dumps(zone_set_to_geojson(zones)))
    objs = [
        {
            "object": e.object,
            "class": e.object_class,
            "failed": e.failed,
            "launch": {"t_unix_s": 500.0, "lat_deg": 34.3, "lon_deg": 47.1},
            "impact": None
            if not e.has_impact
            else {"t_unix_s": e.impact_t_unix_s, "lat_deg": e.impact_lat_deg, "lon_deg": e.impact_lon_deg},
            "danger_radius_m": e.danger_radius_m,
        }
        for e in events
    ]
    (scen / "events.json").write_text(json.dumps({"objects": objs}))
    (scen / "truth.jsonl").write_text(
        json.dumps(
            {
                "t_unix_s": 2950.0,
                "object": "o4",
                "pos_ecef_m": [0, 0, 7e6],
                "vel_ecef_mps": [0, 0, 0],
                "phase": "midcourse",
            }
        )
        + "\n"
    )
    run = tmp_path / "run"
    run.mkdir()
    (run / "predictions.jsonl").write_text(json.dumps(_pred(800.0, 0.0, 0.0, 1000.0)) + "\n")
    for name in ("oracle", "whole-area", "circle"):
        out = tmp_path / name
        write_alerts_jsonl(baseline_alerts(name, scen, run, FIRST), out / "alerts.jsonl")
        assert (out / "alerts.jsonl").stat().st_size > 0
        if CHECKER.exists():
            res = subprocess.run(
                [sys.executable, str(CHECKER), str(out)], check=False, capture_output=True, text=True
            )
            assert res.returncode == 0, res.stdout
    with pytest.raises(ValueError, match="unknown baseline"):
        baseline_alerts("siren", scen, run, FIRST)
