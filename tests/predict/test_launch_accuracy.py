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


def _pooled(scenario: str | Path, tmp: Path, seeds: tuple[int, ...]) -> LaunchErrors:
    runs = [run_launch_study(scenario, tmp / f"s{seed}", seed) for seed in seeds]
    return LaunchErrors(
        objects=sum((r.objects for r in runs), ()),
        classes=sum((r.classes for r in runs), ()),
        error_m=np.concatenate([r.error_m for r in runs]),
        dt_s=np.concatenate([r.dt_s for r in runs]),
        sigma_m=np.concatenate([r.sigma_m for r in runs]),
    )


@pytest.mark.slow
def test_rockets_and_mortars_by_counter_battery_radar(tmp_path: Path) -> None:
    res = _pooled("rocket-barrage", tmp_path, (1,))
    ok = np.isfinite(res.error_m)
    assert ok.sum() >= 20, res.error_m
    assert res.median_error_m() <= 150.0, np.round(res.error_m)
    assert float(np.median(np.abs(res.dt_s[ok]))) <= 1.5, np.round(res.dt_s, 2)


@pytest.mark.slow
def test_srbm_with_radar_coverage_of_the_boost(tmp_path: Path) -> None:
    res = _pooled(HERE / "launch-radar.yaml", tmp_path, (1,))
    ok = np.isfinite(res.error_m)
    assert ok.sum() >= 5, res.error_m
    assert res.median_error_m() <= 500.0, np.round(res.error_m)
    assert float(np.median(np.abs(res.dt_s[ok]))) <= 3.0, np.round(res.dt_s, 2)


@pytest.mark.slow
def test_srbm_infrared_only_two_geo_satellites(tmp_path: Path) -> None:
    res = _pooled(HERE / "launch-ir.yaml", tmp_path, (1, 2))
    ok = np.isfinite(res.error_m)
    assert ok.sum() >= 10, res.error_m
    assert res.median_error_m() <= 3000.0, np.round(res.error_m)
    assert float(np.median(np.abs(res.dt_s[ok]))) <= 5.0, np.round(res.dt_s, 2)
