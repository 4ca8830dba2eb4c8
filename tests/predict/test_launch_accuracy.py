"""Launch-point accuracy bars of issue 5, through the simulator and the tracker (fixed seeds).

- rockets and mortars seen by a counter-battery radar (bundled ``rocket-barrage``): median <= 150 m;
- SRBMs with radar coverage of the boost (``scenarios/launch-radar.yaml``): median <= 500 m;
- SRBMs seen only by two GEO infrared satellites (``scenarios/launch-ir.yaml``): median <= 3 km.

Launch times are checked too, and every object that is tracked must get an estimate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from launch_harness import LaunchErrors, run_launch_study

HERE = Path(__file__).resolve().parent / "scenarios"
CHI2_95_2DOF = 5.991
# Honest uncertainty: at least this share of the truths inside the reported 95 % regions (a few
# objects per scenario: the bar sits below nominal by the binomial spread of 15-25 objects).
MIN_COVERAGE_95 = 0.8


def _pooled(scenario: str | Path, tmp: Path, seeds: tuple[int, ...]) -> LaunchErrors:
    runs = [run_launch_study(scenario, tmp / f"s{seed}", seed) for seed in seeds]
    return LaunchErrors(
        objects=sum((r.objects for r in runs), ()),
        classes=sum((r.classes for r in runs), ()),
        error_m=np.concatenate([r.error_m for r in runs]),
        dt_s=np.concatenate([r.dt_s for r in runs]),
        sigma_m=np.concatenate([r.sigma_m for r in runs]),
        t_sigma_s=np.concatenate([r.t_sigma_s for r in runs]),
        d2=np.concatenate([r.d2 for r in runs]),
    )


def _coverage_95(res: LaunchErrors) -> tuple[float, float]:
    """Shares of estimated objects whose true launch point lies in the reported 95 % ellipse and whose
    true launch time lies within 1.96 reported sigmas."""
    ok = np.isfinite(res.error_m)
    pos = float(np.mean(res.d2[ok] <= CHI2_95_2DOF))
    t = float(np.mean(np.abs(res.dt_s[ok]) <= 1.96 * res.t_sigma_s[ok]))
    return pos, t


@pytest.mark.slow
def test_rockets_and_mortars_by_counter_battery_radar(tmp_path: Path) -> None:
    res = _pooled("rocket-barrage", tmp_path, (1,))
    ok = np.isfinite(res.error_m)
    assert ok.sum() >= 20, res.error_m
    assert res.median_error_m() <= 150.0, np.round(res.error_m)
    assert float(np.median(np.abs(res.dt_s[ok]))) <= 1.5, np.round(res.dt_s, 2)
    pos, t = _coverage_95(res)
    assert pos >= MIN_COVERAGE_95 and t >= MIN_COVERAGE_95, (pos, t, np.round(res.dt_s / res.t_sigma_s, 1))


@pytest.mark.slow
def test_srbm_with_radar_coverage_of_the_boost(tmp_path: Path) -> None:
    res = _pooled(HERE / "launch-radar.yaml", tmp_path, (1,))
    ok = np.isfinite(res.error_m)
    assert ok.sum() >= 5, res.error_m
    assert res.median_error_m() <= 500.0, np.round(res.error_m)
    assert float(np.median(np.abs(res.dt_s[ok]))) <= 3.0, np.round(res.dt_s, 2)
    pos, t = _coverage_95(res)
    assert pos >= MIN_COVERAGE_95 and t >= MIN_COVERAGE_95, (pos, t, np.round(res.dt_s / res.t_sigma_s, 1))


@pytest.mark.slow
def test_srbm_infrared_only_two_geo_satellites(tmp_path: Path) -> None:
    res = _pooled(HERE / "launch-ir.yaml", tmp_path, (1, 2))
    ok = np.isfinite(res.error_m)
    assert ok.sum() >= 10, res.error_m
    assert res.median_error_m() <= 3000.0, np.round(res.error_m)
    assert float(np.median(np.abs(res.dt_s[ok]))) <= 5.0, np.round(res.dt_s, 2)
    pos, t = _coverage_95(res)
    assert pos >= MIN_COVERAGE_95 and t >= MIN_COVERAGE_95, (pos, t, np.round(res.dt_s / res.t_sigma_s, 1))


@pytest.mark.slow
def test_srbm_infrared_only_salvo_of_the_2020_strike(tmp_path: Path) -> None:
    # Bundled al-asad-2020-ir: 16 SRBMs from neighbouring pads within minutes, two GEO satellites. Before
    # the launch estimator dropped lines of sight no other satellite corroborates (``_corroborated``),
    # srbm-800 tracks took a neighbour's lines of sight before their own plume crossed the 12 km floor:
    # median 3,133 m, launch times 17-33 s early. Measured with it: 2,627 m, |dt| median 6.7 s.
    res = _pooled("al-asad-2020-ir", tmp_path, (1,))
    ok = np.isfinite(res.error_m)
    assert ok.sum() >= 12, res.error_m
    assert res.median_error_m() <= 3000.0, np.round(res.error_m)
    pos, t = _coverage_95(res)
    assert pos >= MIN_COVERAGE_95 and t >= MIN_COVERAGE_95, (pos, t, np.round(res.dt_s / res.t_sigma_s, 1))
