"""End-to-end impact accuracy and calibration through the tracker (issue 5): simulator flight and radar
model -> Tracker -> predict_impacts, 120 SRBM runs (srbm-300/500/800, 40 each) with fixed seeds."""

from __future__ import annotations

import numpy as np
import pytest

from tocsin.eval.predict_e2e import draw_cases, run_e2e, summarise


@pytest.mark.slow
def test_srbm_e2e_accuracy_and_calibration() -> None:
    cases = draw_cases(120, seed=0)
    res = run_e2e(cases, seed=0)
    rows = {int(r["t_go_s"]): r for r in summarise(res)}
    for r in rows.values():
        assert r["n"] >= 115, r  # a confirmed track on (nearly) every run at every time to go
    # Issue 5 accuracy bars (measured 224 m, 68 m, 1.3 s).
    assert rows[120]["miss_median_m"] <= 1000.0
    assert rows[30]["miss_median_m"] <= 300.0
    assert rows[60]["t_err_median_s"] <= 5.0
    # Calibration, at the honest measured level. Not over-confident: the 95 % ellipse holds the truth in
    # >= 92 % of runs (measured 95.8-100 %) and the mean 2-D NEES stays below the chi-square band's top
    # (measured 1.06-2.10; band [1.66, 2.37] for N = 120). The issue's +-3 pp on the 50 % ellipse is NOT
    # met: ellipses are too wide (50 % coverage measured 69-83 %) because the tracker's velocity
    # covariance is ~3x the actual squared error (velocity NEES ~1 of 3) whatever its process noise,
    # noise adaptation or Doppler (see the report of issue 5); the bounds pin that level so a change
    # that widens further, or turns over-confident, fails.
    hi = 2.373
    for t_go, r in rows.items():
        assert r["coverage_95"] >= 0.92, r
        assert r["coverage_90"] >= 0.87, r
        # 20 s to go: 0.93 since the re-entry ln beta noise follows a Mach-dependent drag coefficient
        # (session 9; the test below is what that buys), 0.90 elsewhere.
        assert 0.47 <= r["coverage_50"] <= (0.95 if t_go == 20 else 0.90), r
        assert r["nees_mean"] <= hi, r
    assert np.nanmax(res.nees2) < 100.0  # no collapsed ellipse axis (UT negative centre weight)


@pytest.mark.slow
def test_srbm_e2e_calibration_with_mach_dependent_drag() -> None:
    # Model mismatch: the truth's drag coefficient follows Mach number (up to 1.8x near Mach 1.2), the
    # tracker's beta is one number with a random walk. Measured (120 runs): 90/95 % coverage at 60 s
    # to go 0.91/0.92, at 30 s 0.87/0.90; with the session-8 re-entry ln beta noise (5e-4 per s)
    # 0.84/0.86 and 0.73/0.76 (over-confident), which these bounds reject.
    cases = draw_cases(120, seed=0)
    res = run_e2e(cases, seed=0, mach_drag=True)
    rows = {int(r["t_go_s"]): r for r in summarise(res)}
    assert rows[120]["miss_median_m"] <= 1000.0
    assert rows[30]["miss_median_m"] <= 300.0
    for t_go in (120, 60, 30, 20):
        r = rows[t_go]
        assert r["n"] >= 115, r
        assert r["coverage_95"] >= 0.88, r
        assert r["coverage_90"] >= 0.84, r
