"""`terrain_m` in the engine configuration file: the ground height for impacts and launch points."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tocsin.cli.run_cmd import load_engine_config
from tocsin.engine.config import EngineConfig, config_from_json, config_to_json
from tocsin.errors import BadInputError
from tocsin.predict.accuracy import burnout_state, fly_truth, noisy_snapshot, radar_like_cov
from tocsin.predict.impact import predict_impacts


def test_terrain_m_sets_the_predict_and_launch_terrain_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "engine.json"
    path.write_text(json.dumps({"terrain_m": 1320}))
    cfg = load_engine_config(path)
    assert cfg.terrain_m == 1320.0
    assert cfg.predict.terrain.default_alt_m == 1320.0
    assert config_from_json(config_to_json(cfg)) == cfg
    assert EngineConfig().predict.terrain.default_alt_m == 0.0


@pytest.mark.parametrize("bad", [1.0e5, -3000.0, "high", float("nan")])
def test_implausible_terrain_m_is_bad_input(tmp_path: Path, bad: object) -> None:
    path = tmp_path / "engine.json"
    path.write_text(json.dumps({"terrain_m": bad}))
    with pytest.raises(BadInputError, match=r"terrain_m|float"):
        load_engine_config(path)


def test_impacts_end_on_the_configured_terrain() -> None:
    # An SRBM 60 s from impact, re-entering at ~1.5 km/s: with the ground 1,000 m up it lands a
    # fraction of a second to a few seconds earlier than at sea level (descent rate 0.3-3 km/s).
    tr = fly_truth(burnout_state(32.0, 50.0, 25e3, 1700.0, 42.0, 270.0), 5000.0)
    P = radar_like_cov(30.0, 2.0, 0.2, np.random.default_rng(3))
    snap = noisy_snapshot(tr, 60.0, P, 2, 3)[0]
    low = predict_impacts(snap, config=EngineConfig().predict)
    high = predict_impacts(snap, config=EngineConfig(terrain_m=1000.0).predict)
    dt = low.impact_t_unix_s - high.impact_t_unix_s
    assert np.all((dt > 1000.0 / 3000.0) & (dt < 1000.0 / 300.0)), dt
