"""Credible-region pairs: zones touched by a threat's 99 % impact ellipse (plus danger radius)."""

from __future__ import annotations

import numpy as np

from tocsin.zones.synthetic import gaussian_predictions, ring_zone_set
from tocsin.zones.threat import ThreatEvaluator


def _zones():  # type: ignore[no-untyped-def]
    # Small (200 m) zones 0, 20, 40, 60 and 90 km east of the frame centre.
    centres = np.array([[0.0, 0.0], [20e3, 0.0], [40e3, 0.0], [60e3, 0.0], [90e3, 0.0]])
    return ring_zone_set(centres, 200.0, shelter_s=90.0)


def test_wide_cloud_reaches_small_zones_that_get_almost_no_samples() -> None:
    zones = _zones()
    # Infrared-only class of spread: sigma 20 km east, 10 km north, centred on zone 1.
    cov = np.diag([20e3**2, 10e3**2])
    pred = gaussian_predictions(0.0, ["T1"], np.array([[20e3, 0.0]]), np.array([300.0]), cov, n_samples=500)
    ev = ThreatEvaluator(zones).evaluate(pred)
    # A 200 m zone catches ~0.02 % of a 20 km x 10 km cloud: sample probability is ~0 everywhere ...
    assert ev.zone_probability().max() < 0.01
    # ... but zones within sqrt(9.21) * 20 km + 150 m = 60.9 km east-west are in the 99 % region:
    # offsets -20, 0, 20, 40 km from the mean are in, 70 km is out.
    assert sorted(ev.region_zone.tolist()) == [0, 1, 2, 3]
    assert set(ev.region_threat.tolist()) == {0}


def test_narrow_cloud_region_is_the_zone_it_points_at() -> None:
    zones = _zones()
    cov = np.diag([300.0**2, 300.0**2])
    pred = gaussian_predictions(0.0, ["T1"], np.array([[40e3, 500.0]]), np.array([60.0]), cov)
    ev = ThreatEvaluator(zones).evaluate(pred)
    assert ev.region_zone.tolist() == [2]
