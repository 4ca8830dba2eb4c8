"""Monte Carlo accuracy and calibration of impact prediction (algorithms.md sections 7 and 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.predict.accuracy import error_vs_time_to_go


@pytest.mark.slow
def test_srbm_accuracy_and_calibration(tmp_path: Path) -> None:
    # 3 SRBM cases x 400 runs per time-to-go (N = 1,200: binomial sigma of the 50 % coverage 1.4 pp,
    # so the 3 pp tolerance is ~2 sigma); radar-like posterior: 30 m, 2 m/s, ln beta 0.2.
    rows = {
        int(r["t_go_s"]): r
        for r in error_vs_time_to_go((120.0, 60.0, 30.0), n_runs=400, seed=0, out_dir=tmp_path)
    }
    assert rows[120]["miss_median_m"] <= 1000.0
    assert rows[30]["miss_median_m"] <= 300.0
    assert rows[60]["t_err_median_s"] <= 5.0
    for r in rows.values():
        # chi2.ppf([0.025, 0.975], 2 * 1200) / 1200: 95 % band of the mean 2-D NEES over N = 1,200 runs.
        assert 1.888 <= r["nees_mean"] <= 2.115, r
        for p in (50, 90, 95):
            assert abs(r[f"coverage_{p}"] - p / 100.0) <= 0.03, r
    assert (tmp_path / "predict_error_vs_tgo.png").stat().st_size > 1000
    assert (tmp_path / "predict_error_vs_tgo.json").exists()
