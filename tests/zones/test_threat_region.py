"""Credible-region pairs: zones touched by a threat's 99 % impact ellipse (plus danger radius)."""

from __future__ import annotations

import dataclasses

import numpy as np
import shapely

from tocsin.zones.synthetic import gaussian_predictions, ring_zone_set
from tocsin.zones.threat import ThreatEvalConfig, ThreatEvaluator

# The plain 99 % ellipse (no calibration margin): the geometry these tests compute by hand.
PLAIN = ThreatEvalConfig(region_scale=1.0)


def _zones():  # type: ignore[no-untyped-def]
    # Small (200 m) zones 0, 20, 40, 60 and 90 km east of the frame centre.
    centres = np.array([[0.0, 0.0], [20e3, 0.0], [40e3, 0.0], [60e3, 0.0], [90e3, 0.0]])
    return ring_zone_set(centres, 200.0, shelter_s=90.0)


def test_wide_cloud_reaches_small_zones_that_get_almost_no_samples() -> None:
    zones = _zones()
    # Infrared-only class of spread: sigma 20 km east, 10 km north, centred on zone 1.
    cov = np.diag([20e3**2, 10e3**2])
    pred = gaussian_predictions(0.0, ["T1"], np.array([[20e3, 0.0]]), np.array([300.0]), cov, n_samples=500)
    ev = ThreatEvaluator(zones, PLAIN).evaluate(pred)
    # A 200 m zone catches ~0.02 % of a 20 km x 10 km cloud: sample probability is ~0 everywhere ...
    assert ev.zone_probability().max() < 0.01
    # ... but zones within sqrt(9.21) * 20 km + 150 m = 60.9 km east-west are in the 99 % region:
    # offsets -20, 0, 20, 40 km from the mean are in, 70 km is out.
    assert sorted(ev.region_zone.tolist()) == [0, 1, 2, 3]
    assert set(ev.region_threat.tolist()) == {0}
    # The default calibration margin (region_scale 2: Mahalanobis 6.07 instead of 3.03) reaches the
    # 90 km zone too (70 km from the mean = 3.5 sigma): an over-confident infrared cloud still warns it.
    wide = ThreatEvaluator(zones).evaluate(pred)
    assert sorted(wide.region_zone.tolist()) == [0, 1, 2, 3, 4]


def test_narrow_cloud_gets_no_region_its_samples_resolve_the_zones() -> None:
    zones = _zones()
    cov = np.diag([300.0**2, 300.0**2])
    pred = gaussian_predictions(0.0, ["T1"], np.array([[40e3, 500.0]]), np.array([60.0]), cov)
    ev = ThreatEvaluator(zones).evaluate(pred)
    assert ev.region_zone.size == 0
    assert ev.zone_probability()[2] > 0.0


def test_region_times_follow_the_clouds_time_plane() -> None:
    # A boost-like cloud whose impact time grows 1 s per km eastward (far end lands later), with 2 s
    # of scatter about that plane: each region zone's earliest time is the plane at the zone's near
    # edge plus the 5 % residual quantile (about -1.645 x 2 s), not the whole cloud's early time.
    zones = _zones()
    rng = np.random.default_rng(3)
    cov = np.diag([20e3**2, 10e3**2])
    pred = gaussian_predictions(0.0, ["T1"], np.array([[20e3, 0.0]]), np.array([300.0]), cov, n_samples=2000)
    # The zone frame is centred on the zone set: measure east offsets from zone 1 (the cloud's mean).
    x, _ = zones.project_lonlat(pred.samples_lon_deg[0], pred.samples_lat_deg[0])
    x1 = shapely.get_x(shapely.centroid(zones.geoms_m[1]))
    times = 300.0 + (np.asarray(x) - x1) / 1000.0 + rng.normal(0.0, 2.0, x.shape)
    pred.samples_t_unix_s[0] = times
    ev = ThreatEvaluator(zones, PLAIN).evaluate(pred)
    got = dict(zip(ev.region_zone.tolist(), ev.region_t_early_unix_s.tolist(), strict=True))
    late = dict(zip(ev.region_zone.tolist(), ev.region_late_unix_s().tolist(), strict=True))
    assert sorted(got) == [0, 1, 2, 3]
    half_diag_km = 0.2 * np.sqrt(2.0)  # 200 m zone: bounds 400 m square
    for z, cx_km in zip([0, 1, 2, 3], [0.0, 20.0, 40.0, 60.0], strict=True):
        want = 300.0 + (cx_km - 20.0) - half_diag_km - 1.645 * 2.0
        assert abs(got[z] - want) < 0.6, (z, got[z], want)
        # The zone's latest plausible time mirrors it: far edge plus the 95 % residual quantile.
        want_late = 300.0 + (cx_km - 20.0) + half_diag_km + 1.645 * 2.0
        assert abs(late[z] - want_late) < 0.6, (z, late[z], want_late)
    # Later zones land later: the far zone's earliest time is a minute after the near zone's.
    assert got[3] - got[0] > 55.0
    # region_time_scale widens the residual part of both ends (a calibration margin on time).
    cfg2 = ThreatEvalConfig(region_scale=1.0, region_time_scale=2.0)
    ev2 = ThreatEvaluator(zones, cfg2).evaluate(pred)
    got2 = dict(zip(ev2.region_zone.tolist(), ev2.region_t_early_unix_s.tolist(), strict=True))
    late2 = dict(zip(ev2.region_zone.tolist(), ev2.region_late_unix_s().tolist(), strict=True))
    for z in range(4):
        assert abs((got[z] - got2[z]) - 1.645 * 2.0) < 0.6
        assert abs((late2[z] - late[z]) - 1.645 * 2.0) < 0.6


def test_split_and_concat_equal_one_batch_evaluation() -> None:
    # The engine evaluates only freshly predicted tracks and re-assembles cached per-track results:
    # that must give exactly the whole-batch evaluation (each threat depends on its own cloud only).
    zones = _zones()
    cov = np.array([np.diag([20e3**2, 10e3**2]), np.diag([300.0**2] * 2), np.diag([2e3**2] * 2)])
    means = np.array([[20e3, 0.0], [40e3, 500.0], [60e3, -300.0]])
    times = np.array([300.0, 60.0, 90.0])
    pred = gaussian_predictions(0.0, ["A", "B", "C"], means, times, cov, n_samples=400)
    ev = ThreatEvaluator(zones)
    whole = ev.evaluate(pred)
    # Evaluating the threats in batches [A], [B, C] and re-assembling gives the whole batch.
    first = gaussian_predictions(0.0, ["A"], means[:1], times[:1], cov[:1], n_samples=400)
    np.testing.assert_array_equal(first.samples_lat_deg[0], pred.samples_lat_deg[0])
    first.samples_t_unix_s[0] = pred.samples_t_unix_s[0]  # times are drawn after all positions
    bc = whole.select(np.array([1, 2]))
    again = type(whole).concat([ev.evaluate(first), bc], whole.t_unix_s)
    split = type(whole).concat(whole.split(), whole.t_unix_s)
    for other in (again, split):
        names = ("pair_threat", "pair_zone", "pair_p", "pair_t_mean_unix_s", "region_threat", "region_zone")
        for name in names:
            np.testing.assert_array_equal(getattr(other, name), getattr(whole, name))
        np.testing.assert_array_equal(other.region_t_early_unix_s, whole.region_t_early_unix_s)
        np.testing.assert_array_equal(other.region_t_late_unix_s, whole.region_t_late_unix_s)
        np.testing.assert_array_equal(other.sigma_max_m, whole.sigma_max_m)
        assert other.track_ids == whole.track_ids
    assert whole.region_zone.size > 0 and whole.pair_p.size > 0
    sub = whole.select(np.array([1, 2]))
    assert sub.track_ids == ("B", "C") and set(sub.pair_threat.tolist()) <= {0, 1}


def test_radar_updated_threats_get_the_smaller_calibration_margin() -> None:
    # Zones at the cloud's mean (20 km east) and 100 km beyond it (5 sigma of a 20 km cloud): inside
    # the infrared margin (2.0 x 3.03 = 6.07 sigma), outside the radar one (1.5 x 3.03 = 4.55 sigma).
    centres = np.array([[20e3, 0.0], [120e3, 0.0]])
    zones = ring_zone_set(centres, 200.0, shelter_s=90.0)
    cov = np.diag([20e3**2, 10e3**2])
    pred = gaussian_predictions(0.0, ["T1"], np.array([[20e3, 0.0]]), np.array([300.0]), cov, n_samples=500)
    cfg = ThreatEvalConfig()
    assert cfg.region_scale == 2.0 and cfg.region_scale_radar == 1.5
    infrared = ThreatEvaluator(zones, cfg).evaluate(dataclasses.replace(pred, radar_updates=np.array([0])))
    assert sorted(infrared.region_zone.tolist()) == [0, 1]
    radar = ThreatEvaluator(zones, cfg).evaluate(dataclasses.replace(pred, radar_updates=np.array([5])))
    assert sorted(radar.region_zone.tolist()) == [0]
    # A track with fewer radar updates than region_radar_min_updates keeps the wide margin.
    young = ThreatEvaluator(zones, cfg).evaluate(dataclasses.replace(pred, radar_updates=np.array([2])))
    assert sorted(young.region_zone.tolist()) == [0, 1]
    # Predictions that do not say (no radar_updates) keep it too.
    assert sorted(ThreatEvaluator(zones, cfg).evaluate(pred).region_zone.tolist()) == [0, 1]
