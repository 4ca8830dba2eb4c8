"""Filter consistency: NEES, ANEES and NIS with chi-square 95 % bands.

NEES eps = x̃ᵀ P⁻¹ x̃ ~ chi2(n) for a consistent filter; over N Monte Carlo runs N·ANEES ~ chi2(N n), so
the two-sided band for ANEES is chi2.ppf([a/2, 1 - a/2], N n) / N (Bar-Shalom, Li, Kirubarajan 2001,
sec. 5.4.2; algorithms.md sec. 7). NIS (innovations) follows the same law with n = measurement dimension.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from tocsin._types import FloatArray


def nees(err: FloatArray, P: FloatArray) -> FloatArray:
    """Normalised estimation error squared for errors (..., n) and covariances (..., n, n)."""
    e = np.asarray(err, dtype=np.float64)
    sol = np.linalg.solve(np.asarray(P, dtype=np.float64), e[..., None])[..., 0]
    return np.asarray(np.einsum("...i,...i->...", e, sol), dtype=np.float64)


def nis(innov: FloatArray, S: FloatArray) -> FloatArray:
    """Normalised innovation squared for innovations (..., m) and innovation covariances (..., m, m)."""
    return nees(innov, S)


def anees(nees_runs: FloatArray, axis: int = 0) -> FloatArray:
    """Average NEES over Monte Carlo runs (the run axis, default 0)."""
    return np.asarray(np.mean(np.asarray(nees_runs, dtype=np.float64), axis=axis), dtype=np.float64)


def chi2_band(dim: int, n_runs: int, prob: float = 0.95) -> tuple[float, float]:
    """Two-sided band of the average of n_runs chi2(dim) variables with probability prob."""
    a = 0.5 * (1.0 - prob)
    lo, hi = chi2.ppf([a, 1.0 - a], dim * n_runs) / n_runs
    return float(lo), float(hi)


def fraction_in_band(values: FloatArray, dim: int, n_runs: int, prob: float = 0.95) -> float:
    """Fraction of (time-step) averages within :func:`chi2_band`."""
    lo, hi = chi2_band(dim, n_runs, prob)
    v = np.asarray(values, dtype=np.float64)
    return float(np.mean((v >= lo) & (v <= hi))) if v.size else float("nan")
