"""Data association kernels: Euclidean pre-gate, clustering, global nearest neighbour, JPDA weights.

Pipeline per scan (algorithms.md sec. 6): cKDTree pre-gate -> Mahalanobis gate on the candidate pairs
-> clusters (connected components of the gate graph) -> one rectangular assignment with
``scipy.optimize.linear_sum_assignment`` over the gated tracks and plots (an optimal assignment
decomposes over clusters, so one call solves them all) with dummy "missed" columns; infeasible pairs
carry a large finite cost (an infinite one makes the solver fail, ecosystem.md sec. 5).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from tocsin._types import FloatArray, IntArray

BIG_COST = 1.0e9


def pregate(track_pts: FloatArray, radii: FloatArray, meas_pts: FloatArray) -> tuple[IntArray, IntArray]:
    """Candidate (track, plot) pairs whose points lie within each track's radius (same units).

    Returns index arrays sorted by track then plot, so the result does not depend on tree internals.
    """
    n, m = track_pts.shape[0], meas_pts.shape[0]
    if n == 0 or m == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    tree = cKDTree(meas_pts)
    hits = tree.query_ball_point(track_pts, radii)
    lens = np.fromiter((len(h) for h in hits), dtype=np.int64, count=n)
    if lens.sum() == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    ti = np.repeat(np.arange(n, dtype=np.int64), lens)
    mj = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if h])
    order = np.lexsort((mj, ti))
    return ti[order], mj[order]


def clusters(ti: IntArray, mj: IntArray, n_tracks: int, n_meas: int) -> tuple[IntArray, IntArray]:
    """Cluster labels of tracks (n_tracks,) and plots (n_meas,) from gated pairs (connected components)."""
    n = n_tracks + n_meas
    g = coo_matrix((np.ones(ti.shape[0]), (ti, mj + n_tracks)), shape=(n, n))
    _, labels = connected_components(g, directed=False)
    lab = np.asarray(labels, dtype=np.int64)
    return lab[:n_tracks], lab[n_tracks:]


def gnn_assign(
    ti: IntArray, mj: IntArray, cost: FloatArray, miss_cost: FloatArray, n_meas: int
) -> tuple[IntArray, IntArray]:
    """Global nearest neighbour: the assignment minimising sum of pair costs plus missed-track costs.

    ``cost`` (P,) for gated pairs (ti, mj), ``miss_cost`` (n_tracks,) for leaving a track unassigned;
    an unassigned plot costs 0 (clutter or a new object). Returns the assigned (track, plot) pairs.
    """
    if ti.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    rows, r_inv = np.unique(ti, return_inverse=True)
    cols, c_inv = np.unique(mj, return_inverse=True)
    nr, nc = rows.shape[0], cols.shape[0]
    C = np.full((nr, nc + nr), BIG_COST)
    C[r_inv, c_inv] = cost
    C[np.arange(nr), nc + np.arange(nr)] = miss_cost[rows]
    r, c = linear_sum_assignment(C)
    keep = (c < nc) & (C[r, c] < 0.5 * BIG_COST)
    return rows[r[keep]], cols[c[keep]]


def jpda_weights(
    ti: IntArray, mj: IntArray, lik_ratio: FloatArray, pd: FloatArray, n_tracks: int, max_hyp: int = 20000
) -> tuple[FloatArray, FloatArray]:
    """JPDA marginal association probabilities by exact hypothesis enumeration per cluster.

    ``lik_ratio`` (P,) = Pd N(y; 0, S) / lambda_clutter for gated pairs; returns beta (P,) (probability
    that plot mj originated from track ti) and beta0 (n_tracks,) (no plot from the track). Exact JPDA
    (Fortmann, Bar-Shalom, Scheffe, IEEE JOE 8(3), 1983); a cluster whose hypothesis count exceeds
    ``max_hyp`` falls back to per-track PDA (each track normalised alone).
    """
    beta = np.zeros(ti.shape[0])
    beta0 = np.ones(n_tracks)
    if ti.shape[0] == 0:
        return beta, beta0
    n_meas = int(mj.max()) + 1
    lab_t, _ = clusters(ti, mj, n_tracks, n_meas)
    pair_lab = lab_t[ti]
    for lab in np.unique(pair_lab):
        sel = np.flatnonzero(pair_lab == lab)
        tracks = np.unique(ti[sel])
        # Per-track option lists: -1 (missed) or a gated plot.
        opts = [sel[ti[sel] == t] for t in tracks]
        n_hyp = int(np.prod([len(o) + 1 for o in opts]))
        if n_hyp > max_hyp or len(tracks) == 1:
            for t, o in zip(tracks, opts, strict=True):
                w = lik_ratio[o]
                w0 = 1.0 - pd[t]
                tot = w0 + w.sum()
                beta[o] = w / tot
                beta0[t] = w0 / tot
            continue
        b_acc = np.zeros(sel.shape[0])
        b0_acc = np.zeros(len(tracks))
        pos = {int(p): k for k, p in enumerate(sel)}
        total = 0.0
        # Depth-first enumeration of feasible joint events (each plot used at most once).
        stack: list[tuple[int, float, tuple[int, ...], frozenset[int]]] = [(0, 1.0, (), frozenset())]
        while stack:
            k, w, chosen, used = stack.pop()
            if k == len(tracks):
                total += w
                for kk, p in enumerate(chosen):
                    if p < 0:
                        b0_acc[kk] += w
                    else:
                        b_acc[pos[p]] += w
                continue
            t = tracks[k]
            stack.append((k + 1, w * (1.0 - pd[t]), (*chosen, -1), used))
            for p in opts[k]:
                m = int(mj[p])
                if m not in used:
                    stack.append((k + 1, w * float(lik_ratio[p]), (*chosen, int(p)), used | {m}))
        beta[sel] = b_acc / total
        beta0[tracks] = b0_acc / total
    return beta, beta0
