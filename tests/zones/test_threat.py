"""Zone threat evaluation: exact-path equivalence, hand-checked probabilities, statuses, combination."""

from __future__ import annotations

import numpy as np
import shapely

from tocsin.predict.types import STATUS_BOOSTING, STATUS_INVALID, STATUS_NO_IMPACT, STATUS_OK
from tocsin.zones.synthetic import gaussian_predictions, ring_zone_set
from tocsin.zones.threat import ThreatEvaluator, evaluate_threats, zone_probability

T0 = 1_700_000_000.0


def _grid_zones(k: int = 8, spacing: float = 1500.0):  # type: ignore[no-untyped-def]
    gx, gy = np.meshgrid(np.arange(k) * spacing, np.arange(k) * spacing)
    c = np.column_stack([gx.ravel(), gy.ravel()]) - k * spacing / 2
    return ring_zone_set(c, 550.0, jitter=0.2, seed=3)


def test_matches_exact_strtree_dwithin() -> None:
    zones = _grid_zones()
    rng = np.random.default_rng(4)
    n = 40
    sig = rng.choice([30.0, 300.0, 2000.0, 40_000.0], n)  # the widest cloud is projected exactly
    pred = gaussian_predictions(
        T0,
        [f"T{i}" for i in range(n)],
        rng.uniform(-6000.0, 6000.0, (n, 2)),
        T0 + 60.0,
        np.einsum("n,ij->nij", sig**2, np.eye(2)),
        n_samples=400,
        danger_radius_m=rng.choice([50.0, 150.0, 300.0], n),
        seed=5,
    )
    ev = ThreatEvaluator(zones)
    e = ev.evaluate(pred)
    x, y = zones.project_lonlat(pred.samples_lon_deg.ravel(), pred.samples_lat_deg.ravel())
    r = np.repeat(e.radius_m, 400)
    pts = shapely.points(x, y)
    idx = zones.tree.query(pts, predicate="dwithin", distance=r)
    exact = {}
    for p, z in zip(idx[0].tolist(), idx[1].tolist(), strict=True):
        exact[(p // 400, z)] = exact.get((p // 400, z), 0) + 1
    mine = {
        (int(t), int(z)): round(p * 400) for t, z, p in zip(e.pair_threat, e.pair_zone, e.pair_p, strict=True)
    }
    # Never fewer samples than the exact test (conservative), and extra ones only within the
    # documented buffer slack (1.5 % of r) of the buffered boundary.
    for key, cnt in exact.items():
        assert mine.get(key, 0) >= cnt, key
    extra = [(k, mine[k] - exact.get(k, 0)) for k in mine if mine[k] > exact.get(k, 0)]
    for (t, z), _ in extra:
        sel = slice(t * 400, (t + 1) * 400)
        d = shapely.distance(zones.geoms_m[z], pts[sel])
        slack = np.sum((d > e.radius_m[t]) & (d <= e.radius_m[t] * 1.016))
        assert mine[(t, z)] - exact.get((t, z), 0) <= slack
    assert sum(v for _, v in extra) <= 0.01 * sum(exact.values())


def test_hand_checked_probabilities_and_times() -> None:
    zones = ring_zone_set(np.array([[0.0, 0.0], [3000.0, 0.0]]), 500.0)
    cov = np.diag([1e-6, 1e-6])
    # Threat 0 on zone 0's centre; threat 1 600 m east of it (inside r = 150 buffer, along a vertex);
    # threat 2 at 670 m (outside the 650 m buffer); threat 3 half of its samples do not land.
    pts = np.array([[0.0, 0.0], [600.0, 0.0], [670.0, 0.0], [3000.0, 0.0]])
    pred = gaussian_predictions(T0, ["A", "B", "C", "D"], pts, T0 + 50.0, cov, n_samples=200, seed=1)
    lat = pred.samples_lat_deg.copy()
    lat[3, ::2] = np.nan
    pred = type(pred)(**{**pred.__dict__, "samples_lat_deg": lat})
    e = evaluate_threats(zones, pred)
    got = {
        (e.track_ids[t], int(z)): float(p)
        for t, z, p in zip(e.pair_threat, e.pair_zone, e.pair_p, strict=True)
    }
    assert got == {("A", 0): 1.0, ("B", 0): 1.0, ("D", 1): 0.5}
    assert np.all(e.pair_t_early_unix_s <= e.pair_t_mean_unix_s)
    assert np.all(np.abs(e.pair_t_mean_unix_s - (T0 + 50.0)) < 0.5)
    np.testing.assert_allclose(zone_probability(e.pair_zone, e.pair_p, 2), [1.0, 0.5])


def test_statuses_and_fallbacks() -> None:
    zones = ring_zone_set(np.array([[0.0, 0.0]]), 500.0)
    cov = np.diag([100.0**2, 100.0**2])
    st = [STATUS_OK, STATUS_BOOSTING, STATUS_NO_IMPACT, STATUS_INVALID, STATUS_OK]
    pred = gaussian_predictions(T0, list("ABCDE"), np.zeros((5, 2)), T0 + 30.0, cov, status=st, n_samples=300)
    lat = pred.samples_lat_deg.copy()
    lat[4] = np.nan  # usable status but no finite sample: Gaussian fallback from mean and covariance
    pred = type(pred)(**{**pred.__dict__, "samples_lat_deg": lat})
    e = evaluate_threats(zones, pred)
    assert e.track_ids == tuple("ABCDE")  # every threat recorded
    np.testing.assert_array_equal(e.usable, [True, True, False, False, True])
    np.testing.assert_array_equal(e.boosting, [False, True, False, False, False])
    assert set(e.track_ids[t] for t in e.pair_threat) == {"A", "B", "E"}
    assert np.all(e.pair_p > 0.99)
    np.testing.assert_allclose(e.sigma_max_m, 100.0, atol=1e-6)
    np.testing.assert_allclose(e.radius_m, 150.0)


def test_nan_and_radius_handling() -> None:
    assert float(zone_probability(np.array([0, 0]), np.array([0.5, 0.5]), 1)[0]) == 0.75
    assert float(zone_probability(np.array([0]), np.array([np.nan]), 1)[0]) == 1.0
    zones = ring_zone_set(np.array([[0.0, 0.0]]), 500.0)
    ev = ThreatEvaluator(zones)
    np.testing.assert_allclose(ev.effective_radius_m(np.array([np.nan, 10.0, 151.0])), [300.0, 50.0, 175.0])


def test_deterministic_and_empty() -> None:
    zones = _grid_zones(4)
    rng = np.random.default_rng(0)
    pred = gaussian_predictions(T0, ["A", "B"], rng.uniform(-2000, 2000, (2, 2)), T0 + 20.0, np.eye(2) * 4e5)
    a = evaluate_threats(zones, pred)
    b = evaluate_threats(zones, pred)
    for f in ("pair_threat", "pair_zone", "pair_p", "pair_t_mean_unix_s", "pair_t_early_unix_s"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    empty = gaussian_predictions(T0, [], np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2, 2)))
    e = evaluate_threats(zones, empty)
    assert len(e) == 0 and e.pair_p.size == 0
    assert np.all(e.zone_probability() == 0.0)
