"""GOSPA metric and track-continuity counts (breaks, identity switches) against truth.

GOSPA with alpha = 2 (Rahmathullah, García-Fernández, Svensson, FUSION 2017, arXiv 1601.05585,
Proposition 1):
    d_p^(c,2)(X, Y) = [min_gamma sum_(i,j in gamma) d(x_i, y_j)^p + (c^p / 2) (#missed + #false)]^(1/p),
where assignments gamma pair only points closer than c. Only for alpha = 2 does it split into a
localisation part and missed/false parts (algorithms.md sec. 7).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy.optimize import linear_sum_assignment

from tocsin._types import FloatArray, IntArray


@dataclass(frozen=True)
class GospaResult:
    """GOSPA value and its parts (distance units of the inputs, e.g. metres)."""

    gospa: float  # total, (localisation + missed + false)^(1/p)
    localisation: float  # sum of d^p over assigned pairs (d < c)
    missed: float  # (c^p / 2) * n_missed
    false: float  # (c^p / 2) * n_false
    n_missed: int
    n_false: int
    assignment: tuple[IntArray, IntArray]  # (truth index, estimate index) of pairs with d < c


def gospa(truth: FloatArray, est: FloatArray, c: float, p: float = 2.0) -> GospaResult:
    """GOSPA (alpha = 2) between truth points (m, d) and estimates (n, d), cut-off c, order p.

    The minimising assignment is found by ``linear_sum_assignment`` on min(d, c)^p: a pair at distance
    >= c costs c^p = c^p/2 (missed) + c^p/2 (false), which is exactly the unassigned cost.
    """
    x = np.atleast_2d(np.asarray(truth, dtype=np.float64))
    y = np.atleast_2d(np.asarray(est, dtype=np.float64))
    if x.size == 0:
        x = x.reshape(0, max(y.shape[-1], 1))
    if y.size == 0:
        y = y.reshape(0, x.shape[-1])
    m, n = x.shape[0], y.shape[0]
    half = 0.5 * c**p
    if m == 0 or n == 0:
        miss, false = m, n
        total = half * (miss + false)
        return GospaResult(
            total ** (1.0 / p),
            0.0,
            half * miss,
            half * false,
            miss,
            false,
            (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)),
        )
    d = np.linalg.norm(x[:, None, :] - y[None, :, :], axis=-1)
    cost = np.minimum(d, c) ** p
    r, k = linear_sum_assignment(cost)
    close = d[r, k] < c
    ri, ki = r[close].astype(np.int64), k[close].astype(np.int64)
    loc = float(np.sum(d[ri, ki] ** p))
    n_pair = int(ri.shape[0])
    miss, false = m - n_pair, n - n_pair
    total = loc + half * (miss + false)
    return GospaResult(total ** (1.0 / p), loc, half * miss, half * false, miss, false, (ri, ki))


@dataclass(frozen=True)
class ContinuityResult:
    """Track continuity over a run: identity switches and track breaks per truth object."""

    id_switches: int  # times a truth object's assigned track id changed to another id
    breaks: int  # gaps (>= 1 step unassigned) between a truth object's first and last assignment
    per_truth: dict[str, tuple[int, int]]  # truth id -> (switches, breaks)


def continuity(
    steps: Sequence[tuple[Sequence[str], FloatArray, Sequence[str], FloatArray]], c: float
) -> ContinuityResult:
    """Count id switches and breaks over steps of (truth ids, truth pos (m, d), track ids, track pos (n, d)).

    Each step pairs truths and tracks by the GOSPA assignment with cut-off c.
    """
    history: dict[str, list[str | None]] = {}
    for k, (tids, tpos, eids, epos) in enumerate(steps):
        res = gospa(np.asarray(tpos, dtype=np.float64), np.asarray(epos, dtype=np.float64), c)
        got = {tids[int(i)]: eids[int(j)] for i, j in zip(*res.assignment, strict=True)}
        for tid in tids:
            history.setdefault(tid, [None] * k)
        for tid, seq in history.items():
            seq.append(got.get(tid))
    per: dict[str, tuple[int, int]] = {}
    for tid, seq in history.items():
        assigned = [s for s in seq if s is not None]
        sw = sum(1 for a, b in pairwise(assigned) if a != b)
        idx = [i for i, s in enumerate(seq) if s is not None]
        br = 0
        if idx:
            inside = seq[idx[0] : idx[-1] + 1]
            br = sum(1 for a, b in pairwise(inside) if a is not None and b is None)
        per[tid] = (sw, br)
    return ContinuityResult(sum(v[0] for v in per.values()), sum(v[1] for v in per.values()), per)
