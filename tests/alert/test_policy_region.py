"""Credible-region rule: a wide (infrared-only) threat warns every zone of its region by the deadline.

With a 60 km cloud over 1 km zones, no zone's sample probability reaches even p_negligible, yet the
missile is coming: the zones inside the 99 % region must be in shelter before the earliest plausible
impact, also after the track has been lost (infrared sees only the hot boost).
"""

from __future__ import annotations

import numpy as np
from alert_helpers import T0, row_zones

from tocsin.alert.policy import AlertPolicy
from tocsin.alert.types import AlertConfig
from tocsin.zones.synthetic import gaussian_predictions
from tocsin.zones.threat import ThreatEvaluator

IMPACT_T = T0 + 300.0


def _wide_eval(ev: ThreatEvaluator, t: float, present: bool):  # type: ignore[no-untyped-def]
    if not present:
        ids: list[str] = []
        pred = gaussian_predictions(t, ids, np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2, 2)), n_samples=200)
        return ev.evaluate(pred)
    cov = np.diag([60e3**2, 30e3**2])
    pred = gaussian_predictions(
        t, ["T1"], np.array([[4500.0, 0.0]]), np.array([IMPACT_T]), cov, n_samples=200, impact_t_sigma_s=5.0
    )
    return ev.evaluate(pred)


def test_lost_wide_threat_warns_its_region_by_the_deadline() -> None:
    zones = row_zones(7, shelter_s=90.0)
    ev = ThreatEvaluator(zones)
    policy = AlertPolicy(zones, AlertConfig())
    decisions = []
    for k in range(0, 300):
        t = T0 + k
        present = k < 60  # the infrared track is lost after 60 s (end of the hot boost)
        e = _wide_eval(ev, t, present)
        if present:
            assert e.zone_probability().max() < 0.01  # sample probability cannot tell the target apart
        decisions.extend(policy.step(t, e))
    first_tc = {}
    for d in decisions:
        if d.level == "take_cover" and d.zone not in first_tc:
            first_tc[d.zone] = d
    assert set(first_tc) == set(zones.ids), "every zone in the region takes cover"
    for d in first_tc.values():
        assert d.rule == "credible_region"
        # Effective start (t + 3 s delay) before the earliest plausible impact minus shelter time.
        assert d.t_unix_s + 3.0 <= IMPACT_T - 2.0 * 5.0 - 90.0
    pre = [d for d in decisions if d.level == "pre_alert"]
    assert pre and min(d.t_unix_s for d in pre) <= T0 + 1.0, "pre-alert over the region from the start"


def test_lost_wide_track_followed_by_a_narrow_one_no_longer_holds_other_zones() -> None:
    # An infrared track (60 km cloud) is lost after its boost; every zone of its region takes cover by
    # its deadline. At k = 230 a radar track (100 m cloud) of the same missile appears over zone 2 with
    # the same impact time: it explains the lost track, so zones 0 and 1 are cancelled before the impact
    # instead of sheltering until the lost track's latest impact plus its class hold; zone 2 stays.
    zones = row_zones(3, shelter_s=90.0)
    ev = ThreatEvaluator(zones)
    policy = AlertPolicy(zones, AlertConfig())
    decisions = []
    for k in range(0, 330):
        t = T0 + k
        if k < 60:
            e = _wide_eval(ev, t, True)
        elif k >= 230:
            pred = gaussian_predictions(
                t, ["R1"], np.array([[3000.0, 0.0]]), np.array([IMPACT_T]), np.diag([100.0**2, 100.0**2])
            )
            e = ev.evaluate(pred)
        else:
            e = _wide_eval(ev, t, False)
        decisions.extend(policy.step(t, e))
    by_zone: dict[str, list[str]] = {}
    for d in decisions:
        if d.level in ("take_cover", "cancel", "all_clear"):
            by_zone.setdefault(d.zone, []).append(d.level)
    assert by_zone["z-00000"][:2] == ["take_cover", "cancel"]
    assert by_zone["z-00001"][:2] == ["take_cover", "cancel"]
    cancels = [d for d in decisions if d.level == "cancel" and d.zone in ("z-00000", "z-00001")]
    assert all(d.t_unix_s < IMPACT_T - 30.0 for d in cancels)
    assert all("T1 by R1" in d.reason for d in cancels)
    # The zone the narrow track points at is still in shelter at the impact.
    z2 = [d for d in decisions if d.zone == "z-00002" and d.t_unix_s <= IMPACT_T]
    assert z2 and z2[0].level in ("take_cover", "pre_alert") and all(d.level != "cancel" for d in z2)
    assert policy.threats["T1"].explained_by == "R1"


def _plane_eval(ev: ThreatEvaluator, t: float, present: bool, zones):  # type: ignore[no-untyped-def]
    # A 60 km x 30 km cloud whose impact time grows 1 s per 100 m eastward (2 s scatter): the
    # whole cloud's late quantile is ~16 min after its mean, each 1 km zone's own window a few seconds.
    if not present:
        return _wide_eval(ev, t, False)
    cov = np.diag([60e3**2, 30e3**2])
    pred = gaussian_predictions(
        t, ["T1"], np.array([[4500.0, 0.0]]), np.array([IMPACT_T]), cov, n_samples=400
    )
    # The zone set's frame is centred on its centroid, the cloud's mean (x = 4.5 km in the row's frame).
    x, _ = zones.project_lonlat(pred.samples_lon_deg[0], pred.samples_lat_deg[0])
    rng = np.random.default_rng(int(t) % 1000)
    pred.samples_t_unix_s[0] = IMPACT_T + np.asarray(x) / 100.0 + rng.normal(0.0, 2.0, x.shape)
    return ev.evaluate(pred)


def test_lost_wide_threat_clears_each_zone_after_its_own_latest_impact_time() -> None:
    # Per-zone all clear: zone k's latest plausible impact is about IMPACT_T + 15 k - 45 s (+ a few s),
    # so each zone is cleared region_hold_s after its own window, the near zone a minute and a half
    # before the far one, and none waits for the whole cloud's late time plus the srbm class hold.
    zones = row_zones(7, shelter_s=60.0)
    ev = ThreatEvaluator(zones)
    cfg = AlertConfig()
    policy = AlertPolicy(zones, cfg)
    decisions = []
    for k in range(0, 500):
        t = T0 + k
        decisions.extend(policy.step(t, _plane_eval(ev, t, k < 60, zones)))
    clears = {d.zone: d for d in decisions if d.level == "all_clear"}
    covers = {d.zone: d for d in decisions if d.level == "take_cover"}
    assert set(clears) == set(covers) == set(zones.ids)
    for i, zid in enumerate(zones.ids):
        own_late = IMPACT_T + (i * 1500.0 - 4500.0) / 100.0
        # Sheltered through the zone's own plausible window (impact there: own_late - a few s) ...
        assert covers[zid].t_unix_s + 3.0 <= own_late - 5.0 - 5.0 - 60.0
        assert clears[zid].t_unix_s >= own_late + cfg.region_hold_s
        # ... and cleared soon after it, not after the whole cloud's late time plus 180 s.
        assert clears[zid].t_unix_s <= own_late + cfg.region_hold_s + 30.0
        assert clears[zid].rule == "landed"
    assert clears["z-00006"].t_unix_s - clears["z-00000"].t_unix_s > 60.0


def test_live_wide_threat_whose_region_leaves_a_zone_cancels_it() -> None:
    # A wide cloud over zones 0-2 warns them by the deadline; then the (still wide) prediction moves
    # 400 km away: its credible region holds none of the zones any more, which are cancelled before
    # the impact instead of waiting for the threat's landing plus its hold.
    zones = row_zones(3, shelter_s=90.0)
    ev = ThreatEvaluator(zones)
    policy = AlertPolicy(zones, AlertConfig())
    cov = np.diag([20e3**2, 10e3**2])
    decisions = []
    t_imp = T0 + 250.0  # deadline about t_imp - 90 - 3 - 5 - 2 = T0 + 150
    for k in range(0, 240):
        t = T0 + k
        mean = np.array([[1500.0, 0.0]]) if k < 190 else np.array([[400e3, 0.0]])
        pred = gaussian_predictions(t, ["T1"], mean, np.array([t_imp]), cov, n_samples=300, seed=k)
        decisions.extend(policy.step(t, ev.evaluate(pred)))
    for zid in zones.ids:
        levels = [d.level for d in decisions if d.zone == zid and d.level != "pre_alert"]
        assert levels == ["take_cover", "cancel"], (zid, levels)
    cancels = [d for d in decisions if d.level == "cancel"]
    confirm = AlertConfig().region_clear_confirm_s  # out of the region that long before it counts
    assert all(T0 + 190 + confirm <= d.t_unix_s < t_imp - 10.0 for d in cancels)
    assert all(a.size == 0 for a in policy.regions["T1"])  # an empty region: it touches no zone


def test_a_region_edge_that_wobbles_does_not_flap_the_warning() -> None:
    # The wide cloud jumps away for 10 s out of every 25 s (noisy infrared clouds moving the region's
    # edge): the zones stay in shelter until the impact instead of take cover / cancel / take cover.
    zones = row_zones(3, shelter_s=90.0)
    ev = ThreatEvaluator(zones)
    policy = AlertPolicy(zones, AlertConfig())
    cov = np.diag([20e3**2, 10e3**2])
    t_imp = T0 + 250.0
    decisions = []
    for k in range(0, 240):
        t = T0 + k
        away = k >= 120 and k % 25 >= 15
        mean = np.array([[400e3, 0.0]]) if away else np.array([[1500.0, 0.0]])
        pred = gaussian_predictions(t, ["T1"], mean, np.array([t_imp]), cov, n_samples=300, seed=k)
        decisions.extend(policy.step(t, ev.evaluate(pred)))
    for zid in zones.ids:
        levels = [d.level for d in decisions if d.zone == zid and d.level != "pre_alert"]
        assert levels == ["take_cover"], (zid, levels)


def test_new_track_whose_cloud_cannot_place_the_impact_in_time_only_pre_alerts() -> None:
    # A fresh wide track's first clouds spread the impact time with a 70 s sigma around an impact 150 s
    # away (5-95 % spread 230 s > 150 s to go; earliest plausible impact ~35 s away, so the region rule
    # alone would order shelter at once): shelter is deferred, the region is pre-alerted. Its
    # next clouds (5 s sigma) place the impact: take cover by that deadline. A track lost while its
    # clouds are still untimed keeps its region as it was (no deferral once lost).
    zones = row_zones(3, shelter_s=60.0)
    ev = ThreatEvaluator(zones)
    cov = np.diag([60e3**2, 30e3**2])

    def run(t_timed: float, t_lost: float) -> list:  # type: ignore[type-arg]
        policy = AlertPolicy(zones, AlertConfig())
        out = []
        for k in range(0, 200):
            t = T0 + k
            if k >= t_lost:
                e = _wide_eval(ev, t, False)
            else:
                sig_t = 70.0 if k < t_timed else 5.0
                pred = gaussian_predictions(
                    t,
                    ["T1"],
                    np.array([[1500.0, 0.0]]),
                    np.array([T0 + 150.0]),
                    cov,
                    n_samples=400,
                    impact_t_sigma_s=sig_t,
                    seed=k,
                )
                e = ev.evaluate(pred)
            out.extend(policy.step(t, e))
        return out

    timed_later = run(t_timed=20, t_lost=10_000)
    first_tc = min(d.t_unix_s for d in timed_later if d.level == "take_cover")
    assert first_tc >= T0 + 20  # nothing ordered on the untimed clouds ...
    assert first_tc + 3.0 <= T0 + 150.0 - 2.0 * 5.0 - 60.0  # ... and still timely on the timed ones
    assert any(d.level == "pre_alert" and d.t_unix_s < T0 + 5 for d in timed_later)
    # Never timed: the deferral ends region_defer_s (30 s) after the track was first seen.
    never = run(t_timed=10_000, t_lost=10_000)
    assert T0 + 30.0 <= min(d.t_unix_s for d in never if d.level == "take_cover") <= T0 + 31.0
    # Lost at 10 s while untimed: its remembered region orders shelter at once (no deferral).
    lost = run(t_timed=10_000, t_lost=10)
    assert min(d.t_unix_s for d in lost if d.level == "take_cover") <= T0 + 11.0


def test_far_region_deadline_does_not_hold_a_shelter_that_a_narrow_threat_opened() -> None:
    # A narrow threat N strikes zone 0 at T0 + 100 s; a lost wide threat W (60 km cloud) will land only
    # at T0 + 900 s, with every zone in its credible region. Once N has landed, W's deadline for zone 0
    # (earliest impact - shelter - delay - margin, ~T0 + 850 s) is far more than release_guard_s away:
    # W alone would only pre-alert the zone, so the shelter N opened ends; W orders shelter again at its
    # deadline. (Holding the shelter for the 800 s between them is what made `national` shelter the
    # whole country from the first infrared boost to the last impact.)
    zones = row_zones(3, shelter_s=30.0)
    ev = ThreatEvaluator(zones)
    cfg = AlertConfig()
    policy = AlertPolicy(zones, cfg)
    t_w = T0 + 900.0
    decisions = []
    for k in range(0, 900):
        t = T0 + k
        ids, xy, ti, cov, sig_t = [], [], [], [], []
        if k < 60:
            ids.append("W")
            xy.append([1500.0, 0.0])
            ti.append(t_w)
            cov.append(np.diag([60e3**2, 30e3**2]))
            sig_t.append(5.0)
        if k < 100:
            ids.append("N")
            xy.append([0.0, 0.0])
            ti.append(T0 + 100.0)
            cov.append(np.diag([100.0**2, 100.0**2]))
            sig_t.append(0.5)
        pred = gaussian_predictions(
            t,
            ids,
            np.array(xy).reshape(-1, 2),
            np.array(ti),
            np.array(cov).reshape(-1, 2, 2),
            n_samples=200,
            impact_t_sigma_s=np.array(sig_t),
        )
        decisions.extend(policy.step(t, ev.evaluate(pred)))
    z0 = [(d.t_unix_s - T0, d.level, d.rule) for d in decisions if d.zone == "z-00000"]
    tc = [x for x in z0 if x[1] == "take_cover"]
    assert tc[0][2] == "p_threshold" and tc[0][0] < 60.0, z0
    closed = [x for x in z0 if x[1] in ("all_clear", "cancel")]
    assert closed and 100.0 < closed[0][0] < 200.0, z0  # after N's landing, not at W's
    again = [x for x in tc if x[0] > closed[0][0]]
    assert again and again[0][2] == "credible_region", z0
    deadline = (t_w - T0) - 2.0 * 5.0 - 30.0 - cfg.dissemination_delay_s  # s after T0
    assert deadline - 60.0 <= again[0][0] <= deadline, z0  # shelter again by W's own deadline


def test_lost_wide_threat_whose_last_region_left_the_zone_out_no_longer_holds_it() -> None:
    # A wide threat W (10 km cloud) is aimed at the row until k = 160 (every zone takes cover by its
    # region deadline, ~T0 + 152 s); its last evaluation, at k = 160, puts it 200 km east, and then it is
    # lost. By its own last word it cannot land in the row: the zones are released before W's impact
    # time (T0 + 200 s) instead of sheltering until its late impact time.
    zones = row_zones(3, shelter_s=30.0)
    ev = ThreatEvaluator(zones)
    policy = AlertPolicy(zones, AlertConfig())
    t_w = T0 + 200.0
    decisions = []
    for k in range(0, 260):
        t = T0 + k
        if k <= 160:
            x = 1500.0 if k < 160 else 200e3
            pred = gaussian_predictions(
                t,
                ["W"],
                np.array([[x, 0.0]]),
                np.array([t_w]),
                np.diag([10e3**2, 10e3**2])[None],
                n_samples=200,
                impact_t_sigma_s=5.0,
            )
        else:
            pred = gaussian_predictions(
                t, [], np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2, 2)), n_samples=200
            )
        decisions.extend(policy.step(t, ev.evaluate(pred)))
    for zid in zones.ids:
        levels = [
            (d.t_unix_s - T0, d.level, d.rule) for d in decisions if d.zone == zid and d.level != "pre_alert"
        ]
        assert levels[0][1:] == ("take_cover", "credible_region"), levels
        assert levels[1][1] in ("cancel", "all_clear") and levels[1][0] < t_w - T0, levels


# ---- radar watch (tocsin.zones.watch): negative information for lost wide threats -------------------


def _watched_setup(max_range_m: float = 1_000_000.0):  # type: ignore[no-untyped-def]
    from pyproj import Geod

    from tocsin.ingest.sensors import SensorSet, make_radar
    from tocsin.zones.watch import RadarWatch

    zones = row_zones(7, shelter_s=90.0)
    radar = make_radar(
        "r1",
        lat_deg=32.0,
        lon_deg=35.0,
        alt_m=0.0,
        sigma_range_m=15.0,
        sigma_az_deg=0.06,
        sigma_el_deg=0.06,
        min_range_m=5000.0,
        max_range_m=max_range_m,
        az_min_deg=20.0,
        az_max_deg=140.0,
        el_min_deg=1.0,
        el_max_deg=80.0,
        revisit_s=1.0,
        pd=0.95,
    )
    ev = ThreatEvaluator(zones, watch=RadarWatch.build(SensorSet((radar,)), zones))
    lon_l, lat_l, _ = Geod(ellps="WGS84").fwd(35.0, 32.0, 90.0, 1_300e3)  # launched 1,300 km east
    return zones, ev, lat_l, lon_l


def _launched(  # type: ignore[no-untyped-def]
    t: float,
    sig_e_m: float,
    sig_n_m: float,
    n_samples: int,
    t_sigma_s: float,
    launch: tuple[float, float],
    energy_range_m: float,
    radar_updates: int,
):
    """T1's Gaussian prediction over zone 3 with a launch point, energy range and radar update count."""
    import dataclasses

    pred = gaussian_predictions(
        t,
        ["T1"],
        np.array([[4500.0, 0.0]]),
        np.array([IMPACT_T]),
        np.diag([sig_e_m**2, sig_n_m**2]),
        n_samples=n_samples,
        impact_t_sigma_s=t_sigma_s,
    )
    return dataclasses.replace(
        pred,
        launch_lat_deg=np.array([launch[0]]),
        launch_lon_deg=np.array([launch[1]]),
        energy_range_m=np.array([energy_range_m]),
        radar_updates=np.array([radar_updates]),
    )


def _run_watched(
    alive_until_k: int,
    max_range_m: float = 1_000_000.0,
    live_until_k: int = 60,
    radar_updates: int = 0,
    energy_range_m: float = 1_300e3,
) -> list:  # type: ignore[type-arg]
    import dataclasses

    zones, ev, lat_l, lon_l = _watched_setup(max_range_m)
    policy = AlertPolicy(zones, AlertConfig())
    decisions = []
    for k in range(0, 300):
        t = T0 + k
        e = _wide_eval(ev, t, False) if k >= live_until_k else None
        if k < live_until_k:
            pred = _launched(t, 60e3, 30e3, 200, 5.0, (lat_l, lon_l), energy_range_m, radar_updates)
            e = ev.evaluate(pred)
        assert e is not None
        e = dataclasses.replace(e, radars_alive_mask=1 if k < alive_until_k else 0)
        decisions.extend(policy.step(t, e))
        if k == 120:  # the saved state carries the watch: a restored policy decides the same
            policy = AlertPolicy.from_state(zones, AlertConfig(), policy.state())
    return decisions


def test_radar_watch_holds_off_a_lost_wide_threats_shelter_while_the_radar_reports() -> None:
    # Lost infrared threat (60 km cloud) over zones that a reporting radar watches towards the launch
    # area: an object on its way would cross the radar's coverage >= lead (here ~230 s) before impact,
    # so the region only pre-alerts; the radar's own track would order shelter if it came.
    decisions = _run_watched(alive_until_k=300)
    assert not [d for d in decisions if d.level == "take_cover"]
    assert {d.zone for d in decisions if d.level == "pre_alert"} == set(row_zones(7).ids)
    # A pre-alert opened while the watch holds the region off says so, with the lead (the analyst's
    # "why no shelter?"): a slow object (300 km energy range, ~1.7 km/s) gives a lead of ~480 s, longer
    # than the whole flight here, so the watch holds from the first evaluation.
    slow = _run_watched(alive_until_k=300, energy_range_m=300e3)
    pre = [d for d in slow if d.level == "pre_alert" and d.rule == "pre_alert_region"]
    assert pre and all("radar watch" in d.reason and "T1 4" in d.reason for d in pre)
    assert all("radar watch" not in d.reason for d in decisions if d.t_unix_s < T0 + 1)


def test_radar_watch_lapses_when_the_radar_stops_reporting() -> None:
    # The radar goes silent at k = 150: the lost region orders shelter again, still by its deadline.
    decisions = _run_watched(alive_until_k=150)
    tc = [d for d in decisions if d.level == "take_cover"]
    assert {d.zone for d in tc} == set(row_zones(7).ids)
    assert all(d.rule == "credible_region" and d.t_unix_s >= T0 + 150 for d in tc)
    assert all(d.t_unix_s + 3.0 <= IMPACT_T - 2.0 * 5.0 - 90.0 for d in tc)


def test_radar_watch_shorter_than_the_zone_lead_changes_nothing() -> None:
    # A radar reaching only ~250 km: lead (0.95 x 250 km - 1 km) / 3.6 km/s - 20 s ~ 45 s < 98 s
    # (shelter + delay + margin): the region orders shelter as without any radar.
    watched = [d for d in _run_watched(300, max_range_m=250e3) if d.level == "take_cover"]
    blind = [d for d in _run_watched(0) if d.level == "take_cover"]
    assert watched and [(d.zone, d.t_unix_s) for d in watched] == [(d.zone, d.t_unix_s) for d in blind]


def test_radar_watch_holds_off_a_live_infrared_only_threat_but_never_a_radar_track() -> None:
    # Live the whole time: fed by infrared only, the watch defers it as it would a lost one; once a
    # radar has updated the track, its region orders shelter by the deadline as usual (a radar track
    # must never be deferred by its own radar).
    ir = _run_watched(alive_until_k=300, live_until_k=280)
    assert not [d for d in ir if d.level == "take_cover"]
    radar = [d for d in _run_watched(300, live_until_k=280, radar_updates=5) if d.level == "take_cover"]
    assert {d.zone for d in radar} == set(row_zones(7).ids)
    assert all(d.t_unix_s + 3.0 <= IMPACT_T - 2.0 * 5.0 - 90.0 for d in radar)


def _run_pairs(radar_updates: int, alive: bool) -> list:  # type: ignore[type-arg]
    # A narrow (800 m) infrared-only threat on zone 3 for the whole flight: its samples give p ~0.3.
    import dataclasses

    zones, ev, lat_l, lon_l = _watched_setup()
    policy = AlertPolicy(zones, AlertConfig())
    decisions = []
    for k in range(0, 300):
        t = T0 + k
        pred = _launched(t, 800.0, 800.0, 400, 2.0, (lat_l, lon_l), 1_300e3, radar_updates)
        e = dataclasses.replace(ev.evaluate(pred), radars_alive_mask=1 if alive else 0)
        decisions.extend(policy.step(t, e))
    return decisions


def test_radar_watch_holds_off_an_infrared_only_threats_probability_warning() -> None:
    ir = _run_pairs(0, alive=True)
    assert not [d for d in ir if d.level == "take_cover"]
    assert "z-00003" in {d.zone for d in ir if d.level == "pre_alert"}
    # The same threat tracked by a radar, or with the radar silent: shelter by probability, in time.
    for dec in (_run_pairs(4, alive=True), _run_pairs(0, alive=False)):
        tc = {d.zone: d for d in dec if d.level == "take_cover"}
        assert "z-00003" in tc and tc["z-00003"].t_unix_s + 3.0 <= IMPACT_T - 90.0
