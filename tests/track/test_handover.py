"""Issue 4 bar: a track born on IR stereo keeps its id when a radar picks the object up after a gap."""

from __future__ import annotations

import numpy as np
import pytest
import track_scenarios as ts

from tocsin.track.tracker import Tracker

T0 = 1.7e9


def _handover(gap_s: float, sigma_ir_rad: float, seed: int) -> tuple[set[str], list[float], int]:
    """IR (two satellites) sees the 60 s boost only; the radar starts gap_s after burnout.

    Returns the confirmed track ids ever reported, the radar-phase position errors (m) and the
    number of radar scans that updated the track.
    """
    t, X = ts.boost_truth(accel_mps2=25.0, t_burn_s=60.0, t_end_s=140.0)
    ir1 = ts.ir_sensor("ir1", 36.0, 42.0, sigma_rad=sigma_ir_rad)
    ir2 = ts.ir_sensor("ir2", 28.0, 48.0, sigma_rad=sigma_ir_rad)
    rad = ts.radar(32.5, 44.0, pd=0.95)
    rng = np.random.default_rng(seed)
    trk = Tracker({"ir1": ir1, "ir2": ir2, "r1": rad})  # type: ignore[dict-item]
    ids: set[str] = set()
    errs: list[float] = []
    n_radar = 0
    for k in range(len(t) - 1):
        if t[k] < 60.0:  # hot: both satellites, ir2 half a second after ir1
            trk.process(ts.scan("ir1", T0 + t[k], ts.ir_plots(ir1, X[k : k + 1, 0:3], rng)))
            mid = 0.5 * (X[k] + X[k + 1])
            trk.process(ts.scan("ir2", T0 + t[k] + 0.5, ts.ir_plots(ir2, mid[None, 0:3], rng)))
        elif t[k] >= 60.0 + gap_s:
            det = rng.random(1) < rad.pd
            trk.process(ts.scan("r1", T0 + t[k], ts.radar_plots(rad, X[k : k + 1][det], rng)))
            snap = trk.snapshot()
            upd = snap.t_update_unix_s == T0 + t[k]
            n_radar += int(np.sum(upd))
            errs.extend(np.linalg.norm(snap.x[upd, 0:3] - X[k, 0:3], axis=1).tolist())
        ids.update(trk.snapshot().track_ids)
    return ids, errs, n_radar


@pytest.mark.parametrize("sigma_ir_rad", [50e-6, 1e-3])
def test_ir_born_track_continues_on_radar_after_short_gap(sigma_ir_rad: float) -> None:
    """10 s gap; fine (50 urad, ~60 m) and coarse (1 mrad, ~1 km: GEO-like km-level) stereo."""
    ids, errs, n_radar = _handover(10.0, sigma_ir_rad, seed=41)
    assert ids == {"T1"}, ids
    assert n_radar > 50  # the radar updated the IR-born track, it did not start its own
    assert float(np.median(errs[10:])) < 150.0


def test_ir_born_track_continues_on_radar_after_long_gap() -> None:
    """25 s of coasting on the IR-only estimate (boost ended, no sensor) before the radar sees it."""
    ids, errs, n_radar = _handover(25.0, 50e-6, seed=42)
    assert ids == {"T1"}, ids
    assert n_radar > 40
    assert float(np.median(errs[10:])) < 150.0
