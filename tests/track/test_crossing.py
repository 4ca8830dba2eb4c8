"""Issue 4 bar: no id switches between crossing objects (three at once), radar and radar + IR."""

from __future__ import annotations

import math

import numpy as np
import track_scenarios as ts

from tocsin.geo.frames import ecef_to_geodetic, ecef_vector_to_enu, enu_vector_to_ecef
from tocsin.track.tracker import Tracker

T0 = 1.7e9


def _three_crossing(t_cross_s: int = 100) -> np.ndarray:
    """Three SRBMs through one point at t_cross_s, headings 120 deg apart, 700 m apart in height.

    A is the reference arc; B and C are flown backwards and forwards from A's mid state with its
    horizontal velocity turned by +-120 deg, so all three meet (within 0.7-1.4 km) at the same time.
    Returns states (3, T, 6).
    """
    s_a = ts.launch_state(32.0, 45.0, 80e3, 2500.0, 40.0, 270.0)
    _, xa = ts.fly(s_a, 2 * t_cross_s)
    mid = xa[t_cross_s].copy()
    lat, lon, _ = ecef_to_geodetic(mid[0:3])
    v_enu = ecef_vector_to_enu(mid[3:6], lat, lon)
    up = mid[0:3] / np.linalg.norm(mid[0:3])
    out = [xa[: 2 * t_cross_s + 1]]
    for turn_deg, dz in ((120.0, 700.0), (-120.0, -700.0)):
        c, s = math.cos(math.radians(turn_deg)), math.sin(math.radians(turn_deg))
        v_t = np.array([c * v_enu[0] - s * v_enu[1], s * v_enu[0] + c * v_enu[1], v_enu[2]])
        s_mid = np.concatenate([mid[0:3] + dz * up, enu_vector_to_ecef(v_t, lat, lon)])
        _, back = ts.fly(s_mid, float(t_cross_s), dt_s=-0.1)
        _, fwd = ts.fly(s_mid, float(t_cross_s))
        out.append(np.concatenate([back[::-1], fwd[1:]])[: 2 * t_cross_s + 1])
    n = min(len(x) for x in out)
    return np.stack([x[:n] for x in out])


def _owners(trk: Tracker, truth_k: np.ndarray, t: float, owner: dict[str, list[int]]) -> None:
    """Record, for every track updated at t, the truth object nearest to it."""
    snap = trk.snapshot()
    for i, tid in enumerate(snap.track_ids):
        if snap.t_update_unix_s[i] != t:
            continue
        d = np.linalg.norm(truth_k[:, 0:3] - snap.x[i, 0:3], axis=1)
        owner.setdefault(tid, []).append(int(np.argmin(d)))


def test_three_crossing_objects_one_radar_no_id_switch() -> None:
    """The three cross in the radar's range/az/el at once (0.7-1.4 km apart, ~0.1 deg at 600 km)."""
    X = _three_crossing()
    sep = np.linalg.norm(X[:, None, :, 0:3] - X[None, :, :, 0:3], axis=-1)
    assert np.max(np.min(sep, axis=2)[np.triu_indices(3, 1)]) < 1500.0  # every pair really crosses
    rad = ts.radar(33.5, 41.5, pd=0.95, clutter_per_scan=5.0)
    rng = np.random.default_rng(31)
    trk = Tracker({"r1": rad})
    owner: dict[str, list[int]] = {}
    for k in range(X.shape[1]):
        det = rng.random(3) < rad.pd
        z = np.concatenate([ts.radar_plots(rad, X[det, k], rng), ts.radar_clutter(rad, 5, rng)])
        trk.process(ts.scan("r1", T0 + k, z))
        _owners(trk, X[:, k], T0 + k, owner)
    assert len(owner) == 3, {k: sorted(set(v)) for k, v in owner.items()}
    for tid, objs in owner.items():
        assert len(set(objs)) == 1, (tid, sorted(set(objs)))
        assert len(objs) > 150  # each track lives through the crossing, not re-born after it
    assert sorted(v[0] for v in owner.values()) == [0, 1, 2]


def test_three_crossing_objects_radar_and_ir_no_id_switch() -> None:
    """Same crossing seen by a radar and one IR satellite (angles-only updates of the radar tracks)."""
    X = _three_crossing()
    rad = ts.radar(33.5, 41.5, pd=0.9)
    ir = ts.ir_sensor("ir1", 36.0, 42.0)
    rng = np.random.default_rng(32)
    trk = Tracker({"r1": rad, "ir1": ir})  # type: ignore[dict-item]
    owner: dict[str, list[int]] = {}
    for k in range(X.shape[1]):
        det = rng.random(3) < rad.pd
        trk.process(ts.scan("r1", T0 + k, ts.radar_plots(rad, X[det, k], rng)))
        _owners(trk, X[:, k], T0 + k, owner)
        if k + 1 < X.shape[1]:
            mid = 0.5 * (X[:, k] + X[:, k + 1])
            trk.process(ts.scan("ir1", T0 + k + 0.5, ts.ir_plots(ir, mid[:, 0:3], rng)))
            _owners(trk, mid, T0 + k + 0.5, owner)
    assert len(owner) == 3, {k: sorted(set(v)) for k, v in owner.items()}
    assert all(len(set(v)) == 1 for v in owner.values()), {k: sorted(set(v)) for k, v in owner.items()}
    assert sorted(v[0] for v in owner.values()) == [0, 1, 2]
