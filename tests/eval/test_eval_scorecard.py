"""Scorecard on hand-built cases where every figure is known (interfaces.md section 7)."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from shapely.geometry import Polygon

from tocsin.eval.scorecard import (
    UNATTRIBUTED,
    Scorecard,
    score_alerts,
    scorecard_table,
    scorecard_to_json,
)
from tocsin.eval.truth import ObjectEvent
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.load import ZoneSet, build_zone_set

LAT0, LON0 = 32.0, 35.0
# Zone centres in a local frame at (LAT0, LON0), metres; 1 km squares.
CENTRES = {"zA": (0.0, 0.0), "zB": (5000.0, 0.0), "zC": (10000.0, 0.0), "zD": (0.0, 5000.0)}


def _square(cx: float, cy: float, half: float = 500.0) -> Polygon:
    xs = np.array([cx - half, cx + half, cx + half, cx - half, cx - half])
    ys = np.array([cy - half, cy - half, cy + half, cy + half, cy - half])
    lon, lat = local_m_to_lonlat(xs, ys, LAT0, LON0)
    return Polygon(np.column_stack([lon, lat]))


def _zones() -> ZoneSet:
    return build_zone_set(
        list(CENTRES),
        [_square(*c) for c in CENTRES.values()],
        [60.0, 15.0, 30.0, 10.0],
        population=[1000.0, 200.0, math.nan, 50.0],
    )


def _obj(
    oid: str, cls: str, zone: str | None, t: float, *, radius_m: float = 100.0, failed: bool = False
) -> ObjectEvent:
    if zone is None:
        return ObjectEvent(oid, cls, True, math.nan, math.nan, math.nan, radius_m)
    lon, lat = local_m_to_lonlat(*CENTRES[zone], LAT0, LON0)
    return ObjectEvent(oid, cls, failed, t, float(lat), float(lon), radius_m)


def _alert(t: float, zone: str, level: str) -> dict[str, Any]:
    return {"t_unix_s": t, "zone": zone, "level": level, "threats": ["T1"], "p_impact": 0.9, "reason": "test"}


OBJECTS = [
    _obj("o1", "srbm", "zA", 1000.0),  # timely
    _obj("o2", "rocket", "zB", 1000.0, radius_m=50.0),  # late
    _obj("o3", "srbm", "zC", 1100.0),  # missed (its zone's episode was cancelled before impact)
    _obj("o4", "srbm", "zA", 1200.0),  # late, zone struck a second time, unclosed episode
    _obj("o5", "rocket", "zA", 1250.0),  # timely, third strike of zA, same episode as o4
    _obj("o6", "srbm", "zD", 1300.0, failed=True),  # failed missile landing unwarned: missed
    _obj("o7", "srbm", None, math.nan),  # failed, impact null: counts nothing
]
FIRST_DETECTION = {"o1": 800.0, "o2": 950.0, "o3": 900.0, "o4": 1000.0, "o5": 1200.0, "o6": 1100.0}
ALERTS = [
    _alert(850.0, "zA", "pre_alert"),
    _alert(900.0, "zA", "take_cover"),  # effective 903 <= 1000 - 60: timely, lead 97
    _alert(984.0, "zB", "take_cover"),  # effective 987 > 1000 - 15: late, lead 13
    _alert(990.0, "zB", "take_cover"),  # inside the open episode: nothing
    _alert(1000.0, "zC", "take_cover"),  # effective 1003 ...
    _alert(1010.0, "zA", "all_clear"),  # effective 1013: all-clear delay 13
    _alert(1030.0, "zB", "cancel"),  # effective 1033
    _alert(1050.0, "zC", "cancel"),  # effective 1053 < 1100: zC not covered at impact; false episode
    _alert(1060.0, "zC", "all_clear"),  # no open episode: nothing
    _alert(
        1150.0, "zA", "take_cover"
    ),  # effective 1153 > 1200 - 60: late for o4, timely for o5; never closed
    _alert(1200.0, "zC", "pre_alert"),  # effective 1203, after o3's impact
    _alert(1210.0, "z-unknown", "take_cover"),
]


@pytest.fixture(scope="module")
def card() -> Scorecard:
    return score_alerts(ALERTS, _zones(), OBJECTS, FIRST_DETECTION, delay_s=3.0)


def test_pairs(card: Scorecard) -> None:
    got = [(p.zone, p.object, p.outcome) for p in card.pairs]
    assert got == [
        ("zA", "o1", "timely"),
        ("zB", "o2", "late"),
        ("zC", "o3", "missed"),
        ("zA", "o4", "late"),
        ("zA", "o5", "timely"),
        ("zD", "o6", "missed"),
    ]
    leads = [p.lead_time_s for p in card.pairs]
    assert leads[:2] == [97.0, 13.0] and math.isnan(leads[2]) and leads[3:5] == [47.0, 97.0]
    assert [p.pre_alerted for p in card.pairs] == [True, False, False, True, True, False]
    assert card.pairs[0].warning_efficiency == pytest.approx(97.0 / 200.0, abs=1e-12)
    assert card.objects_without_impact == 1
    assert card.unknown_zone_alerts == 1
    assert card.pre_alerts == 2 and card.pre_alert_zones == 2


def test_episodes(card: Scorecard) -> None:
    got = [(e.zone, e.start_s, e.end_s, e.closed_by, e.struck_by) for e in card.episodes]
    assert got == [
        ("zA", 903.0, 1013.0, "all_clear", ("o1",)),
        ("zB", 987.0, 1033.0, "cancel", ("o2",)),
        ("zC", 1003.0, 1053.0, "cancel", ()),
        ("zA", 1153.0, math.inf, None, ("o4", "o5")),
    ]
    # Unclosed: one hour after the last impact (o6 at 1300).
    assert card.shelter_horizon_t_unix_s == 4900.0
    assert card.episodes[3].duration_s == 4900.0 - 1153.0


def test_totals(card: Scorecard) -> None:
    f = card.total
    assert (f.struck_pairs, f.timely, f.late, f.missed) == (6, 2, 2, 2)
    assert f.timely_fraction == pytest.approx(1 / 3, abs=1e-12)
    assert f.lead_time_median_s == pytest.approx(72.0, abs=1e-9)  # of 13, 47, 97, 97
    assert f.lead_time_p10_s == pytest.approx(23.2, abs=1e-9)  # 13 + 0.3 · (47 - 13)
    assert f.warning_efficiency_median == pytest.approx((0.26 + 0.485) / 2, abs=1e-12)
    assert f.warning_efficiency_mean == pytest.approx((0.485 + 0.26 + 0.235 + 1.94) / 4, abs=1e-12)
    assert (f.episodes, f.false_alerts, f.cancelled_episodes, f.unclosed_episodes) == (4, 1, 2, 1)
    assert f.over_warning == pytest.approx(4 / 6, abs=1e-12)
    # Population: zA 1000, zB 200, zC none (0), zD 50. Episodes zA, zB, zC, zA; pairs zA x3, zB, zC, zD.
    assert f.over_warning_population == pytest.approx(2200.0 / 3250.0, abs=1e-12)
    assert (f.all_clears, f.all_clear_delay_median_s, f.all_clear_delay_max_s) == (1, 13.0, 13.0)
    assert f.shelter_zone_s == pytest.approx(110.0 + 46.0 + 50.0 + 3747.0, abs=1e-9)
    assert f.shelter_person_s == pytest.approx(1000 * 110.0 + 200 * 46.0 + 1000 * 3747.0, abs=1e-6)
    assert f.pre_alerted_pairs == 3


def test_per_class(card: Scorecard) -> None:
    assert sorted(card.per_class) == ["rocket", "srbm", UNATTRIBUTED]
    s = card.per_class["srbm"]
    assert (s.struck_pairs, s.timely, s.late, s.missed) == (4, 1, 1, 2)
    assert s.lead_time_median_s == pytest.approx(72.0) and s.lead_time_p10_s == pytest.approx(52.0)
    assert (s.episodes, s.false_alerts, s.unclosed_episodes) == (2, 0, 1)
    assert s.over_warning == pytest.approx(0.5)
    assert s.over_warning_population == pytest.approx(2000.0 / 2050.0)
    assert s.shelter_zone_s == pytest.approx(110.0 + 3747.0)
    assert s.all_clear_delay_median_s == 13.0
    r = card.per_class["rocket"]
    assert (r.struck_pairs, r.timely, r.late, r.missed) == (2, 1, 1, 0)
    assert r.lead_time_p10_s == pytest.approx(13.0 + 0.1 * 84.0)
    assert r.warning_efficiency_median == pytest.approx((0.26 + 1.94) / 2)
    assert (r.episodes, r.cancelled_episodes, r.unclosed_episodes) == (2, 1, 1)
    assert r.shelter_person_s == pytest.approx(200 * 46.0 + 1000 * 3747.0)
    assert math.isnan(r.all_clear_delay_median_s)
    u = card.per_class[UNATTRIBUTED]
    assert (u.struck_pairs, u.episodes, u.false_alerts, u.shelter_zone_s, u.shelter_person_s) == (
        0,
        1,
        1,
        50.0,
        0.0,
    )
    assert math.isnan(u.over_warning)


def test_delay_matters() -> None:
    card0 = score_alerts(ALERTS, _zones(), OBJECTS, FIRST_DETECTION, delay_s=0.0)
    # Without delay zB's take_cover at 984 <= 1000 - 15 is timely.
    assert card0.pairs[1].outcome == "timely" and card0.pairs[1].lead_time_s == 16.0
    # 45 s of delay: zA's second episode starts 1195, still before o4's impact at 1200.
    card45 = score_alerts(ALERTS, _zones(), OBJECTS, FIRST_DETECTION, delay_s=45.0)
    assert [p.outcome for p in card45.pairs][3] == "late"
    # 60 s: it starts at 1210, after o4's impact: missed.
    card60 = score_alerts(ALERTS, _zones(), OBJECTS, FIRST_DETECTION, delay_s=60.0)
    assert [p.outcome for p in card60.pairs][3] == "missed"


def test_episode_boundaries() -> None:
    zones = _zones()
    obj = [_obj("o1", "srbm", "zA", 1000.0)]
    # Closed exactly at impact: [start, end) excludes T -> missed, and the episode is false.
    c = score_alerts([_alert(900, "zA", "take_cover"), _alert(997, "zA", "cancel")], zones, obj, {}, 3.0)
    assert c.pairs[0].outcome == "missed" and c.total.false_alerts == 1
    # Starting exactly at T - shelter_s is timely; exactly at T is late with zero lead.
    c = score_alerts([_alert(937, "zA", "take_cover")], zones, obj, {}, 3.0)
    assert c.pairs[0].outcome == "timely" and c.pairs[0].lead_time_s == 60.0
    c = score_alerts([_alert(997, "zA", "take_cover")], zones, obj, {}, 3.0)
    assert c.pairs[0].outcome == "late" and c.pairs[0].lead_time_s == 0.0
    # No first detection: efficiency undefined, lead time still counted.
    assert math.isnan(c.pairs[0].warning_efficiency) and math.isnan(c.total.warning_efficiency_median)


def test_one_object_striking_two_zones() -> None:
    zones = _zones()
    # Halfway between zA and zB: 2000 m from each polygon; radius 2100 strikes both, 1900 neither.
    lon, lat = local_m_to_lonlat(2500.0, 0.0, LAT0, LON0)
    wide = ObjectEvent("w", "mlrs", False, 500.0, float(lat), float(lon), 2100.0)
    c = score_alerts([_alert(100, "zB", "take_cover")], zones, [wide], {"w": 400.0}, 3.0)
    assert [(p.zone, p.outcome) for p in c.pairs] == [("zA", "missed"), ("zB", "timely")]
    assert c.total.over_warning == 0.5
    narrow = ObjectEvent("w", "mlrs", False, 500.0, float(lat), float(lon), 1900.0)
    c = score_alerts([], zones, [narrow], {}, 3.0)
    assert c.pairs == () and math.isnan(c.total.over_warning)


def test_no_alerts_everything_missed() -> None:
    c = score_alerts([], _zones(), OBJECTS, FIRST_DETECTION)
    assert (c.total.missed, c.total.episodes, c.total.over_warning, c.total.shelter_zone_s) == (
        6,
        0,
        0.0,
        0.0,
    )


def test_json_stable_and_strict(card: Scorecard) -> None:
    doc = scorecard_to_json(card)
    text = json.dumps(doc, allow_nan=False)
    again = scorecard_to_json(score_alerts(ALERTS, _zones(), OBJECTS, FIRST_DETECTION, delay_s=3.0))
    assert json.dumps(again, allow_nan=False) == text
    assert doc["version"] == 1 and doc["delay_s"] == 3.0
    assert list(doc["total"]) == list(doc["figures_doc"])
    assert doc["total"]["struck_pairs"] == 6
    assert doc["per_class"][UNATTRIBUTED]["over_warning"] is None
    assert doc["episodes"][3]["end_t_unix_s"] is None and doc["episodes"][3]["shelter_s"] == 3747.0
    assert doc["pairs"][2]["lead_time_s"] is None


def test_table_renders(card: Scorecard) -> None:
    buffer = io.StringIO()
    Console(width=140, color_system=None, file=buffer).print(scorecard_table(card))
    text = buffer.getvalue()
    assert "over_warning" in text and "rocket" in text and "3,953" in text
