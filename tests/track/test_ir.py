"""Infrared: stereo-triangulated initiation, angles-only updates, radar + IR fusion."""

from __future__ import annotations

import numpy as np
import track_scenarios as ts

from tocsin.track.tracker import Tracker

T0 = 1.7e9


def test_two_ir_satellites_initiate_and_track_a_boosting_missile() -> None:
    t, X = ts.boost_truth(accel_mps2=25.0, t_burn_s=60.0, t_end_s=60.0)
    ir1 = ts.ir_sensor("ir1", 36.0, 42.0)
    ir2 = ts.ir_sensor("ir2", 28.0, 48.0)
    rng = np.random.default_rng(21)
    trk = Tracker({"ir1": ir1, "ir2": ir2})
    errs = []
    for k in range(len(t) - 1):
        trk.process(ts.scan("ir1", T0 + t[k], ts.ir_plots(ir1, X[k : k + 1, 0:3], rng)))
        mid = 0.5 * (X[k] + X[k + 1])  # ir2 scans half a second later
        trk.process(ts.scan("ir2", T0 + t[k] + 0.5, ts.ir_plots(ir2, mid[None, 0:3], rng)))
        snap = trk.snapshot()
        if k >= 20 and len(snap) and snap.t_update_unix_s[0] == T0 + t[k] + 0.5:
            errs.append(np.linalg.norm(snap.x[0, 0:3] - mid[0:3]))
    snap = trk.snapshot()
    assert snap.track_ids == ("T1",)
    # 50 µrad at ~1,000-1,500 km: ~60 m per line of sight; stereo keeps the track within a few hundred m.
    assert len(errs) > 30 and float(np.median(errs)) < 300.0
    assert snap.mode_prob[0, 0] > 0.5


def test_single_ir_sensor_angles_refine_a_radar_track() -> None:
    """A radar track fused with one IR sensor's angles: still one track, no worse than radar alone."""
    t, X = ts.boost_truth(accel_mps2=25.0, t_burn_s=60.0, t_end_s=60.0)
    rad = ts.radar(32.5, 44.0, sigma_az_rad=3e-3, sigma_el_rad=3e-3)
    ir = ts.ir_sensor("ir1", 36.0, 42.0, sigma_rad=30e-6)
    errs: dict[str, list[float]] = {"radar": [], "fused": []}
    for name, out in errs.items():
        rng = np.random.default_rng(22)
        sensors = {"r1": rad, "ir1": ir} if name == "fused" else {"r1": rad}
        trk = Tracker(sensors)  # type: ignore[arg-type]
        for k in range(len(t) - 1):
            trk.process(ts.scan("r1", T0 + t[k], ts.radar_plots(rad, X[k : k + 1], rng)))
            mid = 0.5 * (X[k] + X[k + 1])
            z_ir = ts.ir_plots(ir, mid[None, 0:3], rng)
            if name == "fused":
                trk.process(ts.scan("ir1", T0 + t[k] + 0.5, z_ir))
            _, x, _ = trk.current_states()
            if k >= 20:
                assert x.shape[0] == 1
                truth = mid if name == "fused" else X[k]
                out.append(float(np.linalg.norm(x[0, 0:3] - truth[0:3])))
    assert np.median(errs["fused"]) < 0.8 * np.median(errs["radar"])
