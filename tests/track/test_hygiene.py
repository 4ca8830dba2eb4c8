"""Numerical hygiene: absurd values and clock jumps raise no numpy warning and corrupt no track."""

from __future__ import annotations

import warnings

import numpy as np
import track_scenarios as ts

from tocsin.track import filter as kf
from tocsin.track.tracker import Tracker

T0 = 1.7e9


def test_transition_matrix_any_gap_is_stochastic_and_reaches_stationarity() -> None:
    rates = np.array([[0.0, 0.03, 0.0], [2e-4, 0.0, 5e-4], [0.0, 0.1, 0.0]])
    dt = np.array([0.0, 1.0, 4.0, 100.0, 1e6, 1e300, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Pi = kf.transition_matrix(np.repeat(rates[None], dt.shape[0], axis=0), dt)
    assert np.all(np.isfinite(Pi)) and np.all(Pi >= 0.0)
    np.testing.assert_allclose(Pi.sum(axis=2), 1.0, atol=1e-12)
    np.testing.assert_array_equal(Pi[0], np.eye(3))
    # Short gaps keep the second-order expansion unchanged (bit for bit).
    lam = rates - np.diag(rates.sum(axis=1))
    short = np.eye(3) + lam * 4.0 + 0.5 * (lam @ lam) * 16.0
    np.testing.assert_array_equal(Pi[2], short / short.sum(axis=1, keepdims=True))
    # Long gaps: every row is the stationary distribution pi (pi Lambda = 0).
    w, v = np.linalg.eig(lam.T)
    pi = np.real(v[:, np.argmin(np.abs(w))])
    pi = pi / pi.sum()
    for k in (4, 5, 6):
        np.testing.assert_allclose(Pi[k], np.repeat(pi[None], 3, axis=0), atol=1e-6)
    # 100 s against a fine-step product (1000 steps of 0.1 s, each a near-exact expansion).
    step = np.eye(3) + lam * 0.1 + 0.5 * (lam @ lam) * 0.01
    np.testing.assert_allclose(Pi[3], np.linalg.matrix_power(step, 1000), atol=2e-3)


def test_absurd_detections_and_clock_jumps_raise_no_warning_and_keep_the_track() -> None:
    t, X = ts.srbm_truth()
    rad = ts.radar()
    ir1, ir2 = ts.ir_sensor("ir1", 36.0, 42.0), ts.ir_sensor("ir2", 28.0, 48.0)
    rng = np.random.default_rng(5)
    trk = Tracker({"r1": rad, "ir1": ir1, "ir2": ir2})  # type: ignore[dict-item]
    absurd = [
        ("r1", np.array([[1e300, 1.0, 0.5, 1e300]])),
        ("r1", np.array([[1e-300, 1.0, 0.5, -1e300]])),
        ("r1", np.array([[5e5, 1e300, 0.5, 0.0]])),
        ("r1", np.array([[1e20, 1.0, 1.5, 1e10]])),
        ("ir1", np.array([[1.0, 1e-300, 0.0]])),
        ("ir2", np.array([[0.6, 0.8, 1e-12]])),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(60):
            trk.process(ts.scan("r1", T0 + t[k], ts.radar_plots(rad, X[k : k + 1], rng)))
            if 30 <= k < 30 + len(absurd):
                sid, z = absurd[k - 30]
                trk.process(ts.scan(sid, T0 + t[k] + 0.5, z))
        snap = trk.snapshot()
        assert snap.track_ids == ("T1",)
        assert np.all(np.isfinite(snap.x)) and np.all(np.isfinite(snap.P))
        assert np.linalg.norm(snap.x[0, 0:3] - X[59, 0:3]) < 600.0
        # A clock far in the future: every track is past its coasting time; nothing overflows.
        for t_bad in (T0 + 1e15, 1e300, 1.7e308):
            trk.process(ts.scan("r1", t_bad, ts.radar_plots(rad, X[60:61], rng)))
            assert trk.n_tracks()[1] == 0


def test_track_with_non_finite_prediction_is_dropped_before_gating() -> None:
    """A track whose state has left the finite numbers must not reach the assignment (a NaN cost
    matrix makes linear_sum_assignment raise): it is dropped, counted, and the others go on."""
    t, X = ts.srbm_truth()
    rad = ts.radar()
    rng = np.random.default_rng(11)
    far = X.copy()
    far[:, 0:3] += np.array([60e3, 0.0, 0.0])  # a second object 60 km away: its own track
    trk = Tracker({"r1": rad})  # type: ignore[dict-item]
    for k in range(20):
        both = np.concatenate([X[k : k + 1], far[k : k + 1]])
        trk.process(ts.scan("r1", T0 + t[k], ts.radar_plots(rad, both, rng)))
    assert trk.n_tracks()[1] == 2
    # Corrupt one track's state, as an overflowed update would leave it.
    core = trk._core
    core.tracks.xm[0, :, 3] = np.nan
    bad_id = trk.snapshot().track_ids[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(20, 40):
            both = np.concatenate([X[k : k + 1], far[k : k + 1]])
            trk.process(ts.scan("r1", T0 + t[k], ts.radar_plots(rad, both, rng)))
    assert trk.counters["numerical_reject"] >= 1
    snap = trk.snapshot()
    assert bad_id not in snap.track_ids
    assert np.all(np.isfinite(snap.x)) and np.all(np.isfinite(snap.P))
    # Both objects are still tracked: the surviving track and a fresh one on the corrupted object.
    for obj in (X[39], far[39]):
        assert np.min(np.linalg.norm(snap.x[:, 0:3] - obj[0:3], axis=1)) < 1000.0
