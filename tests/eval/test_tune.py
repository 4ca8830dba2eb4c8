"""Alert-policy tuning loop: replay captured cycles, score them, compare with the baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tocsin.alert.types import AlertConfig
from tocsin.eval.truth import ObjectEvent
from tocsin.eval.tune import TuneCase, baseline_cards, check_bars, evaluate, load_case, replay, save_case
from tocsin.predict.types import STATUS_BELOW_GROUND, STATUS_OK
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.synthetic import gaussian_predictions, ring_zone_set
from tocsin.zones.threat import ThreatEvaluator

T0 = 1_700_000_000.0


def _case() -> TuneCase:
    """Three 500 m zones 1.5 km apart; one srbm sharpening onto zone 0, impact at T0 + 120 s."""
    zones = ring_zone_set(
        np.array([[0.0, 0.0], [1500.0, 0.0], [3000.0, 0.0]]), 500.0, shelter_s=30.0, kinds=["quarters"] * 3
    )
    ev = ThreatEvaluator(zones)
    t_imp = T0 + 120.0
    cycles = []
    for k in range(0, 300, 2):
        t = T0 + k
        tgo = t_imp - t
        sig = 30.0 + 8.0 * max(tgo, 0.0)
        pred = (
            gaussian_predictions(
                t,
                ["T1"],
                np.array([[100.0, 0.0]]),
                np.array([t_imp]),
                np.array([np.eye(2) * sig**2]),
                status=[STATUS_OK if tgo > 0 else STATUS_BELOW_GROUND],
                seed=k,
            )
            if tgo > -2.0
            else gaussian_predictions(t, [], np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2, 2)))
        )
        cycles.append((t, ev.evaluate(pred), []))
    lon, lat = local_m_to_lonlat(np.array([100.0]), np.array([0.0]), 32.0, 35.0)
    events = [ObjectEvent("m1", "srbm-500", False, t_imp, float(lat[0]), float(lon[0]), 150.0)]
    return TuneCase("synthetic", zones, events, {"m1": T0 - 20.0}, cycles, {"m1": t_imp})


def test_replay_scores_and_meets_bars(tmp_path: Path) -> None:
    case = _case()
    cfg = AlertConfig()
    rows = replay(case.cycles, case.zones, cfg)
    assert rows and all(r["zone"].startswith("z-") for r in rows)
    card = evaluate(case, cfg)
    assert card.total.struck_pairs == 1
    assert card.total.missed == 0 and card.total.late == 0
    base = baseline_cards(case)
    assert base["oracle"].total.timely == 1
    # Whole area warns all three zones, the oracle only the struck one.
    assert base["whole-area"].total.episodes == 3 and base["oracle"].total.episodes == 1
    bars = check_bars(card, base)
    assert bars["missed"] and bars["late"] and bars["over_warning"]
    # Round trip through the scratch pickle gives the same decisions.
    p = tmp_path / "case.pkl"
    save_case(case, p)
    again = load_case(p)
    assert replay(again.cycles, again.zones, cfg) == rows
