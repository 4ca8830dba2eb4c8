"""EngineConfig.predict_stagger: a salvo's re-predictions spread over cycles, never later than the period."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from tocsin.engine.config import EngineConfig
from tocsin.engine.core import Engine


def _due_counts(stagger: float, n: int = 200) -> list[int]:
    # _due reads only the config and the prediction cache: build just those (no sensors needed).
    eng = Engine.__new__(Engine)
    eng.config = EngineConfig(predict_stagger=stagger, cycle_s=1.0)
    ids = tuple(f"T{i}" for i in range(n))
    # All predicted together at t = 0, impact at t = 200 s: period clip(0.05 * 200, 1, 5) = 5 s.
    pred = SimpleNamespace(impact_t_unix_s=np.array([200.0]))
    eng._pred_cache = {tid: (0.0, pred) for tid in ids}  # type: ignore[misc]
    snap = SimpleNamespace(track_ids=ids)
    counts = []
    for t in (1.0, 2.0, 3.0, 4.0, 5.0):
        due = eng._due(snap, t)  # type: ignore[arg-type]
        counts.append(int(due.size))
        for i in due.tolist():  # re-predicted now
            eng._pred_cache[ids[i]] = (t, pred)  # type: ignore[assignment]
    return counts


def test_salvo_repredictions_spread_over_cycles_and_never_late() -> None:
    assert _due_counts(0.0) == [0, 0, 0, 0, 200]
    counts = _due_counts(0.5)
    assert counts[:2] == [0, 0]  # not before half the period
    assert sum(counts) == 200  # every track re-predicted by the unstaggered deadline
    assert max(counts) < 120  # no cycle carries the whole salvo
