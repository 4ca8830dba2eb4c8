"""Association kernels: pre-gate, GNN with missed-track costs, exact JPDA weights."""

from __future__ import annotations

import numpy as np
import pytest

from tocsin.track.associate import gnn_assign, jpda_weights, pregate


def test_pregate_pairs_sorted_and_within_radius() -> None:
    tracks = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]])
    meas = np.array([[1.0, 0.0, 0.0], [99.0, 0.0, 0.0], [50.0, 0.0, 0.0], [0.0, 5.0, 0.0]])
    ti, mj = pregate(tracks, np.array([6.0, 2.0]), meas)
    assert ti.tolist() == [0, 0, 1] and mj.tolist() == [0, 3, 1]


def test_gnn_prefers_global_optimum_and_miss() -> None:
    # Track 0 gates plots 0 (cost 1) and 1 (cost 2); track 1 gates plot 0 only (cost 1.5).
    ti = np.array([0, 0, 1])
    mj = np.array([0, 1, 0])
    at, am = gnn_assign(ti, mj, np.array([1.0, 2.0, 1.5]), np.array([10.0, 10.0]), 2)
    assert dict(zip(at.tolist(), am.tolist(), strict=True)) == {0: 1, 1: 0}
    # A pair costlier than missing is left unassigned.
    at, _ = gnn_assign(np.array([0]), np.array([0]), np.array([20.0]), np.array([10.0]), 1)
    assert at.size == 0


def test_jpda_weights_single_track_is_pda_and_two_tracks_exact() -> None:
    # One track, two plots: beta_j = L_j / (1 - Pd + sum L), beta0 = (1 - Pd) / (...)
    beta, beta0 = jpda_weights(np.array([0, 0]), np.array([0, 1]), np.array([2.0, 1.0]), np.array([0.9]), 1)
    tot = 0.1 + 3.0
    assert beta == pytest.approx([2.0 / tot, 1.0 / tot]) and beta0 == pytest.approx([0.1 / tot])
    # Two tracks sharing one plot (L = 1 each, Pd 0.9): events {none, t0, t1}, weights 0.01, 0.1, 0.1.
    beta, beta0 = jpda_weights(
        np.array([0, 1]), np.array([0, 0]), np.array([1.0, 1.0]), np.array([0.9, 0.9]), 2
    )
    assert beta == pytest.approx([0.1 / 0.21, 0.1 / 0.21])
    assert beta0 == pytest.approx([0.11 / 0.21, 0.11 / 0.21])
