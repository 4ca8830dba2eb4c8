"""NEES/ANEES/NIS and chi-square bands: a known-consistent Gaussian case passes, a biased one fails."""

from __future__ import annotations

import numpy as np
import pytest

from tocsin.eval.consistency import anees, chi2_band, fraction_in_band, nees, nis


def test_bands_match_reference_table() -> None:
    # algorithms.md sec. 7: n = 6, N = 50 -> [5.08, 7.00]; n = 2, N = 100 -> [1.63, 2.41].
    assert chi2_band(6, 50) == pytest.approx((5.08, 7.00), abs=0.01)
    assert chi2_band(2, 100) == pytest.approx((1.63, 2.41), abs=0.01)


def test_consistent_gaussian_errors_pass_and_inflated_fail() -> None:
    rng = np.random.default_rng(0)
    n_runs, n_steps, n = 100, 200, 3
    A = rng.normal(size=(n, n))
    P = A @ A.T + np.eye(n)
    L = np.linalg.cholesky(P)
    err = rng.standard_normal((n_runs, n_steps, n)) @ L.T
    e = nees(err, np.broadcast_to(P, (n_runs, n_steps, n, n)))
    a = anees(e)
    assert a.shape == (n_steps,)
    assert fraction_in_band(a, n, n_runs) > 0.9
    assert (
        fraction_in_band(anees(nees(2.0 * err, np.broadcast_to(P, (n_runs, n_steps, n, n)))), n, n_runs)
        < 0.05
    )
    # NIS is the same statistic on innovations.
    assert np.allclose(nis(err[0], np.broadcast_to(P, (n_steps, n, n))), e[0])
