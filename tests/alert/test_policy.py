"""Alert policy on hand-built timelines (times in s from T0, distances in m)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math

import numpy as np
import pytest
from alert_helpers import (
    SPACING_M,
    T0,
    Threat,
    evaluate_at,
    manual_eval,
    of_zone,
    row_zones,
    run_timeline,
)

from tocsin.alert.policy import AlertPolicy, hold_for_classes
from tocsin.alert.types import AlertConfig, PostureChange
from tocsin.zones.threat import ThreatEvaluator

DELAY_S = 3.0
# The cost-loss floors without the far-from-deadline raise: tests of rules that are about hysteresis
# and posture scaling, not about the tuned time dependence, pin it.
LOW_THETA = AlertConfig(theta_far_factor=1.0)


def levels(ds: list) -> list[str]:  # type: ignore[type-arg]
    return [d.level for d in ds]


def test_single_threat_sharpening_pre_alert_then_timely_take_cover() -> None:
    zones = row_zones(7)
    T = T0 + 150.0
    th = Threat("T1", (0.0, 0.0), T, boost_until=T0 + 40.0, boost_sigma_m=2500.0)
    dec, _ = run_timeline(zones, [th], T0, T + 200.0)
    z0 = of_zone(dec, "z-00000")
    assert levels(z0)[:2] == ["pre_alert", "take_cover"]
    tc = z0[1]
    assert tc.t_unix_s + DELAY_S <= T - zones.shelter_s[0]  # timely per the scorecard
    assert tc.threats == ("T1",)
    assert tc.episode == z0[0].episode  # one incident from pre-alert to all clear
    assert levels(z0) == ["pre_alert", "take_cover", "all_clear"]
    # all_clear: track seen down to the ground at T: the observed-landing hold (20 s), not srbm's 180 s.
    assert T + 20.0 <= z0[-1].t_unix_s <= T + 22.0
    # Far zones (>= 6 km away) never get a take_cover.
    assert all(d.level != "take_cover" for d in of_zone(dec, "z-00006"))
    rec = tc.to_record()
    for k in ("t_unix_s", "zone", "level", "threats", "p_impact", "impact_t_unix_s", "reason"):
        assert k in rec
    assert rec["rule"] in ("p_threshold", "time_to_shelter") and rec["episode"] == tc.episode


def test_two_overlapping_threats_make_one_episode() -> None:
    zones = row_zones(3)
    T1, T2 = T0 + 100.0, T0 + 130.0
    a = Threat("A", (0.0, 0.0), T1)
    b = Threat("B", (100.0, 50.0), T2)
    dec, _ = run_timeline(zones, [a, b], T0, T2 + 250.0)
    z0 = of_zone(dec, "z-00000")
    assert levels(z0).count("take_cover") == 1
    assert levels(z0)[-1] == "all_clear"
    assert set(z0[-1].threats) == {"A", "B"}
    # all_clear after the later threat's landing plus its (observed-landing) hold, not after the first one.
    assert z0[-1].t_unix_s >= T2 + AlertConfig().hold_observed_landing_s
    assert len({d.episode for d in z0}) == 1


def test_prediction_moving_away_is_cancelled_before_impact() -> None:
    zones = row_zones(7)
    T = T0 + 150.0
    th = Threat("T1", (0.0, 0.0), T, shift_at=T0 + 60.0, shift_xy_m=(6 * SPACING_M, 0.0))
    dec, _ = run_timeline(zones, [th], T0, T + 250.0)
    z0 = [d for d in of_zone(dec, "z-00000") if d.level != "pre_alert"]
    assert levels(z0) == ["take_cover", "cancel"]
    assert z0[1].t_unix_s < T
    assert z0[1].rule == "cleared"
    z6 = of_zone(dec, "z-00006")
    assert z6 and z6[0].level == "take_cover"
    assert z6[0].t_unix_s + DELAY_S <= T - 30.0


def test_lost_track_never_ends_silently() -> None:
    zones = row_zones(3)
    T = T0 + 150.0
    th = Threat("T1", (0.0, 0.0), T, lost_after=T0 + 100.0)
    dec, _pol = run_timeline(zones, [th], T0, T + 400.0)
    z0 = [d for d in of_zone(dec, "z-00000") if d.level != "pre_alert"]
    assert levels(z0) == ["take_cover", "all_clear"]
    # Held through the last predicted (late) impact time + margin + srbm hold: no early end.
    assert z0[1].t_unix_s >= T + 180.0
    assert z0[1].rule == "landed"
    assert "T1" in z0[1].threats


@pytest.mark.parametrize(("cls", "hold_s"), [("rocket-122", 60.0), ("srbm-500", 180.0)])
def test_all_clear_hold_per_class(cls: str, hold_s: float) -> None:
    zones = row_zones(2, shelter_s=15.0)
    T = T0 + 60.0
    th = Threat("R", (0.0, 0.0), T, cls=cls, sigma_fn=lambda tg: 20.0 + 3.0 * tg)
    # The class hold applies when the landing is not seen (here: the short observed-landing hold off).
    pol = AlertPolicy(zones, dataclasses.replace(AlertConfig(), hold_observed_landing_s=math.inf))
    dec, _ = run_timeline(zones, [th], T0, T + 300.0, policy=pol)
    z0 = of_zone(dec, "z-00000")
    assert levels(z0) == ["take_cover", "all_clear"]
    assert T + hold_s <= z0[1].t_unix_s <= T + hold_s + 1.0


def test_hold_for_classes_is_conservative() -> None:
    cfg = AlertConfig()
    names = ("rocket-122", "srbm-500", "unknown-x")
    prob = np.array([[1.0, 0.0, 0.0], [0.7, 0.3, 0.0], [0.0, 0.0, 1.0], [0.95, 0.05, 0.0]])
    np.testing.assert_array_equal(hold_for_classes(names, prob, cfg), [60.0, 180.0, 180.0, 60.0])


def test_zone_at_edge_of_cloud_warned_by_time_rule() -> None:
    # Impact 1.1 km from zone 1's centre, sigma 330 m at the deadline: zone 1 sees a few percent.
    zones = row_zones(3, kinds=["open", "open", "open"])  # theta 0.30: only the time rule can fire
    T = T0 + 120.0
    th = Threat("T1", (SPACING_M - 1150.0, 0.0), T)
    dec, _ = run_timeline(zones, [th], T0, T + 10.0)
    z1 = [d for d in of_zone(dec, "z-00001") if d.level == "take_cover"]
    assert len(z1) == 1 and z1[0].rule == "time_to_shelter"
    assert z1[0].t_unix_s + DELAY_S <= T - 30.0
    assert 0.01 <= z1[0].p_impact < 0.30
    assert not of_zone(dec, "z-00002")  # 2.6 km away: nothing


def test_time_to_shelter_rule_for_large_shelter_time() -> None:
    zones = row_zones(2, shelter_s=[90.0, 90.0], kinds=["open", "open"])
    T = T0 + 200.0
    pol = AlertPolicy(zones)
    fired = None
    for k in range(201):
        t = T0 + k
        ds = [d for d in pol.step(t, manual_eval(t, 2, [(0, 0, 0.12, T)])) if d.level == "take_cover"]
        if ds:
            fired = ds[0]
            break
    assert fired is not None and fired.level == "take_cover" and fired.rule == "time_to_shelter"
    assert fired.p_impact < 0.30  # below the open-zone threshold
    # Early enough (effective start <= T - shelter) but not much earlier than needed.
    assert fired.t_unix_s + DELAY_S <= T - 90.0
    assert fired.t_unix_s >= (T - 2.0) - 90.0 - 3.0 - 5.0 - 1.0


def test_no_flapping_when_p_oscillates_around_threshold() -> None:
    zones = row_zones(2)
    pol = AlertPolicy(zones, LOW_THETA)
    T = T0 + 600.0
    out = []
    for k in range(120):
        t = T0 + k
        p0 = 0.04 if k % 2 else 0.06  # around quarters theta 0.05
        p1 = 0.015 if k % 2 else 0.025  # around the pre-alert threshold 0.02
        out += pol.step(t, manual_eval(t, 2, [(0, 0, p0, T), (0, 1, p1, T)]))
    assert [(d.zone, d.level) for d in out] == [("z-00000", "take_cover"), ("z-00001", "pre_alert")]


def test_posture_imminent_orders_shelter_without_threat() -> None:
    zones = row_zones(4, kinds=["quarters", "quarters", "open", "hangar"])
    pol = AlertPolicy(zones)
    ev = ThreatEvaluator(zones)
    up = PostureChange(T0 + 5.0, "imminent", kinds=("quarters",), note="night of expected attack")
    down = PostureChange(T0 + 20.0, "normal")
    out = []
    for k in range(30):
        t = T0 + k
        pcs = [up] if k == 5 else [down] if k == 20 else []
        out += pol.step(t, evaluate_at(ev, t, [], seed=k), pcs)
    tc = [d for d in out if d.level == "take_cover"]
    assert [d.zone for d in tc] == ["z-00000", "z-00001"]
    assert all(d.rule == "posture_imminent" and d.t_unix_s == T0 + 5.0 and d.threats == () for d in tc)
    ac = [d for d in out if d.level == "all_clear"]
    assert [d.zone for d in ac] == ["z-00000", "z-00001"]
    assert all(d.rule == "posture_stand_down" and d.t_unix_s == T0 + 20.0 for d in ac)
    assert PostureChange.from_record(up.to_record()) == up


def test_elevated_posture_lowers_thresholds() -> None:
    zones = row_zones(1)
    normal = AlertPolicy(zones, LOW_THETA)
    elevated = AlertPolicy(zones, LOW_THETA)
    t = T0
    ev = manual_eval(t, 1, [(0, 0, 0.03, T0 + 300.0)])
    assert [d.level for d in normal.step(t, ev)] == ["pre_alert"]
    assert [d.level for d in elevated.step(t, ev, [PostureChange(t, "elevated")])] == ["take_cover"]


def test_state_round_trip_gives_identical_decisions() -> None:
    zones = row_zones(5)
    T = T0 + 120.0
    threats = [Threat("A", (0.0, 0.0), T, boost_until=T0 + 20.0), Threat("B", (3000.0, 0.0), T + 10.0)]
    full, _ = run_timeline(zones, threats, T0, T + 250.0)
    first, pol = run_timeline(zones, threats, T0, T0 + 60.0)
    saved = json.loads(json.dumps(pol.state()))
    restored = AlertPolicy.from_state(zones, AlertConfig(), saved)
    assert restored.state() == pol.state()
    ev = ThreatEvaluator(zones)
    rest = []
    for k in range(61, 371):
        t = T0 + k
        rest += restored.step(t, evaluate_at(ev, t, threats, seed=k))
    assert [d.to_record() for d in first + rest] == [d.to_record() for d in full]


def test_deterministic_and_ordered() -> None:
    zones = row_zones(5)
    T = T0 + 100.0
    threats = [Threat("A", (0.0, 0.0), T), Threat("B", (4500.0, 0.0), T)]
    d1, _ = run_timeline(zones, threats, T0, T + 200.0)
    d2, _ = run_timeline(zones, threats, T0, T + 200.0)
    assert [d.to_record() for d in d1] == [d.to_record() for d in d2]
    assert all(a.t_unix_s <= b.t_unix_s for a, b in itertools.pairwise(d1))


def test_rejects_time_going_backwards() -> None:
    zones = row_zones(1)
    pol = AlertPolicy(zones)
    pol.step(T0 + 10.0, manual_eval(T0 + 10.0, 1, []))
    with pytest.raises(ValueError, match="back in time"):
        pol.step(T0 + 9.0, manual_eval(T0 + 9.0, 1, []))


def test_nan_probability_counts_as_certain() -> None:
    zones = row_zones(1)
    pol = AlertPolicy(zones)
    ds = pol.step(T0, manual_eval(T0, 1, [(0, 0, float("nan"), T0 + 300.0)]))
    assert [d.level for d in ds] == ["take_cover"] and ds[0].p_impact == 1.0


def _step_p(pol: AlertPolicy, t: float, p: float, impact_t: float, n_zones: int = 1) -> list:  # type: ignore[type-arg]
    return pol.step(t, manual_eval(t, n_zones, [(0, 0, p, impact_t)] if p > 0 else [], impact_t=impact_t))


def test_cancel_needs_a_confirmation_window() -> None:
    # A prediction that flickers away for 3 updates must not cancel (and re-warn) the zone.
    zones = row_zones(1)
    pol = AlertPolicy(zones, AlertConfig(cancel_confirm_s=20.0))
    T = T0 + 600.0
    out = []
    for k in range(60):
        t = T0 + k
        p = 0.0 if 10 <= k < 13 else 0.3 if k < 30 else 0.0
        out += _step_p(pol, t, p, T)
    assert levels(out) == ["take_cover", "cancel"]
    assert out[1].t_unix_s >= T0 + 30.0 + 20.0  # low since k = 30, confirmed 20 s later


def test_reopen_after_cancel_needs_clearly_higher_p() -> None:
    zones = row_zones(1)
    cfg = dataclasses.replace(LOW_THETA, cancel_confirm_s=5.0, p_reopen=0.25, reopen_memory_s=300.0)
    pol = AlertPolicy(zones, cfg)
    T = T0 + 900.0
    seq = [0.3] * 5 + [0.0] * 10 + [0.1] * 10 + [0.3] * 2
    out = []
    for k, p in enumerate(seq):
        out += _step_p(pol, T0 + k, p, T)
    tc = [d for d in out if d.level == "take_cover"]
    assert levels(out)[:2] == ["take_cover", "cancel"]
    # p = 0.1 >= the 0.05 threshold of quarters but below p_reopen for the cancelled threat: no re-warning.
    assert len(tc) == 2 and tc[1].t_unix_s == T0 + 25.0 and tc[1].p_impact == 0.3
    # A new threat at the same p re-warns at once (the hysteresis is per cancelled threat set).
    pol2 = AlertPolicy(zones, cfg)
    for k, p in enumerate(seq[:15]):
        _step_p(pol2, T0 + k, p, T)
    ev = manual_eval(T0 + 15.0, 1, [(1, 0, 0.1, T)], n_threats=2)
    assert [d.level for d in pol2.step(T0 + 15.0, ev)] == ["take_cover"]


def test_threshold_falls_with_time_to_deadline() -> None:
    zones = row_zones(1)  # quarters: floor 0.05, shelter 30 s
    cfg = dataclasses.replace(LOW_THETA, theta_far_factor=4.0, theta_ramp_s=60.0)
    pol = AlertPolicy(zones, cfg)
    T = T0 + 300.0  # earliest impact T - 2; deadline = T - 2 - 30 - 3 - 5 = T0 + 260
    first = None
    for k in range(0, 260):
        ds = _step_p(pol, T0 + k, 0.1, T)
        if k == 0:
            assert [d.level for d in ds] == ["pre_alert"]  # theta 0.2 while far from the deadline
        if any(d.level == "take_cover" for d in ds):
            first = T0 + k
            break
    # theta = 0.05 (1 + 3 (260 - t) / 60) <= 0.1 from t = T0 + 240 on.
    assert first == T0 + 240.0


def test_landing_seen_down_needs_only_the_short_hold() -> None:
    zones = row_zones(2, shelter_s=15.0)
    T = T0 + 60.0
    th = Threat("R", (0.0, 0.0), T, sigma_fn=lambda tg: 20.0 + 3.0 * tg)
    pol = AlertPolicy(zones, AlertConfig(hold_observed_landing_s=30.0))
    dec, _ = run_timeline(zones, [th], T0, T + 300.0, policy=pol)
    z0 = of_zone(dec, "z-00000")
    assert levels(z0) == ["take_cover", "all_clear"]
    assert T + 30.0 <= z0[1].t_unix_s <= T + 31.0


def test_low_new_threat_does_not_hold_a_landed_episode() -> None:
    zones = row_zones(1)
    cfg = AlertConfig(hold_observed_landing_s=30.0, release_unwarranted=True)
    pol = AlertPolicy(zones, cfg)
    Ta, Tb = T0 + 60.0, T0 + 900.0
    out = []
    for k in range(0, 200):
        t = T0 + k
        pairs = [(0, 0, 0.9, Ta)] if t < Ta else []
        if k >= 50:
            pairs.append((1, 0, 0.02, Tb))  # far, low: would not open a warning by itself
        ev = manual_eval(t, 1, pairs, n_threats=2, impact_t=Ta if t < Ta else Tb)
        if t >= Ta:  # threat 0 ended at the ground
            ev = dataclasses.replace(ev, landed=np.array([True, False]), usable=np.array([False, True]))
        out += pol.step(t, ev)
    assert levels(out)[:2] == ["take_cover", "all_clear"]
    assert Ta + 30.0 <= out[1].t_unix_s <= Ta + 32.0


def test_cancel_confirmation_is_capped_by_the_time_left_to_impact() -> None:
    # A rocket 40 s from impact seen to miss at k = 10: the 20 s confirmation would outlast most of the
    # flight, so the clearing need only hold for a quarter of the time left to the late impact T + 2 s:
    # x >= 0.25 * (42 - (10 + x)) -> x >= 6.4 s, i.e. the cancel comes at k = 17, well before impact.
    zones = row_zones(1)
    pol = AlertPolicy(zones, AlertConfig(cancel_confirm_s=20.0, cancel_confirm_frac=0.25))
    T = T0 + 40.0
    out = []
    for k in range(40):
        out += _step_p(pol, T0 + k, 0.3 if k < 10 else 0.0, T)
    assert levels(out) == ["take_cover", "cancel"]
    assert out[1].t_unix_s == T0 + 17.0
    # With fraction 1 the same clearing needs x >= 32 - x: 16 s.
    pol = AlertPolicy(zones, AlertConfig(cancel_confirm_s=20.0, cancel_confirm_frac=1.0))
    out = []
    for k in range(40):
        out += _step_p(pol, T0 + k, 0.3 if k < 10 else 0.0, T)
    assert levels(out) == ["take_cover", "cancel"]
    assert out[1].t_unix_s == T0 + 26.0
