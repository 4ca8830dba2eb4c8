"""GOSPA on hand-worked cases, continuity counts, and a cross-check with Stone Soup when installed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tocsin.eval.gospa import continuity, gospa


def test_hand_worked_cases() -> None:
    c = 10.0
    # Perfect match.
    r = gospa(np.array([[0.0, 0.0], [100.0, 0.0]]), np.array([[100.0, 0.0], [0.0, 0.0]]), c)
    assert r.gospa == 0.0 and r.n_missed == 0 and r.n_false == 0
    # One pair 3 m apart, one missed truth, one false estimate far away:
    # d^2 = 9 + (100/2) * (1 + 1) = 109.
    r = gospa(np.array([[0.0, 0.0], [50.0, 0.0]]), np.array([[3.0, 0.0], [0.0, 500.0]]), c)
    assert r.localisation == pytest.approx(9.0)
    assert (r.n_missed, r.n_false) == (1, 1)
    assert r.missed == pytest.approx(50.0) and r.false == pytest.approx(50.0)
    assert r.gospa == pytest.approx(math.sqrt(109.0))
    # Empty sets.
    assert gospa(np.zeros((0, 3)), np.zeros((0, 3)), c).gospa == 0.0
    r = gospa(np.zeros((2, 3)), np.zeros((0, 3)), c)
    assert r.gospa == pytest.approx(math.sqrt(100.0)) and r.n_missed == 2
    # A pair exactly at the cut-off counts as missed + false (alpha = 2).
    r = gospa(np.array([[0.0]]), np.array([[10.0]]), c)
    assert (r.n_missed, r.n_false) == (1, 1) and r.gospa == pytest.approx(10.0)


def test_assignment_is_optimal_not_greedy() -> None:
    # Greedy nearest pairing takes (0, 1) at 1 m and leaves (3, -2) at 5 m: 1 + 25 = 26;
    # optimal: (0, -2) and (3, 1), 2 m each: 4 + 4 = 8.
    truth = np.array([[0.0], [3.0]])
    est = np.array([[1.0], [-2.0]])
    r = gospa(truth, est, 100.0)
    assert r.localisation == pytest.approx(8.0)


def test_continuity_counts_switch_and_break() -> None:
    steps = []
    for k in range(6):
        tpos = np.array([[0.0, 0.0], [1000.0, 0.0]])
        if k < 3:
            ids, epos = ["T1", "T2"], tpos.copy()
        elif k == 3:
            ids, epos = ["T1"], tpos[:1]  # truth b unassigned: a break
        else:
            ids, epos = ["T2", "T1"], tpos.copy()  # ids exchanged: a switch for each truth
        steps.append((["a", "b"], tpos, ids, epos))
    res = continuity(steps, 50.0)
    assert res.per_truth["a"] == (1, 0)
    assert res.per_truth["b"] == (1, 1)
    assert res.id_switches == 2 and res.breaks == 1


def test_matches_stone_soup_gospa() -> None:
    pytest.importorskip("stonesoup")
    from datetime import datetime

    from stonesoup.measures import Euclidean
    from stonesoup.metricgenerator.ospametric import GOSPAMetric
    from stonesoup.types.groundtruth import GroundTruthState
    from stonesoup.types.state import State

    rng = np.random.default_rng(0)
    now = datetime(2026, 1, 1)
    for _ in range(5):
        truth = rng.uniform(0, 100, (6, 3))
        est = np.concatenate([truth[:4] + rng.normal(0, 4.0, (4, 3)), rng.uniform(0, 100, (3, 3))])
        metric = GOSPAMetric(c=10.0, p=2, measure=Euclidean())
        ss = metric.compute_gospa_metric(
            [State(e.reshape(3, 1), timestamp=now) for e in est],
            [GroundTruthState(t.reshape(3, 1), timestamp=now) for t in truth],
        )[0]
        ours = gospa(truth, est, 10.0)
        assert ours.gospa == pytest.approx(ss.value["distance"], abs=1e-9)
        # Stone Soup reports the parts as sums of d^p (not rooted).
        assert ours.localisation == pytest.approx(ss.value["localisation"], abs=1e-6)
        assert ours.missed == pytest.approx(ss.value["missed"], abs=1e-9)
        assert ours.false == pytest.approx(ss.value["false"], abs=1e-9)
