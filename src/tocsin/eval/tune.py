"""Fast alert-policy tuning loop: capture each decision cycle once, replay only the policy.

The alert policy's only input per decision cycle is a ``ThreatEval`` (plus operator postures). Running
tracking and prediction over a scenario takes minutes; replaying the policy over captured cycles takes
well under a second. So:

1. ``capture_case(scenario_dir)`` runs the ``Engine`` once over ``measurements.jsonl`` with
   ``cycle_capture`` on and bundles the cycles with the truth the scorecard needs (events, first
   detections, truth end times); ``save_case``/``load_case`` pickle it.
2. ``evaluate(case, config)`` replays ``AlertPolicy(case.zones, config)`` over the cycles and scores the
   alerts (interfaces.md section 7); ``baseline_cards(case)`` scores the oracle and whole-area baselines
   with the same first detections and dissemination delay; ``check_bars`` compares them.

Command line: ``python -m tocsin.eval.tune capture SCENARIO_DIR OUT.pkl`` and
``python -m tocsin.eval.tune score CASE.pkl...`` (default ``AlertConfig``). Pickles are local scratch
files of this tool only (trusted input); they are never part of the contract.
"""

from __future__ import annotations

import dataclasses
import io
import math
import pickle
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tocsin.alert.policy import AlertPolicy
from tocsin.alert.types import LEVEL_NONE, AlertConfig, PostureChange
from tocsin.engine.config import EngineConfig
from tocsin.engine.core import DRAIN_LIMIT_S
from tocsin.eval.baselines import oracle_alerts, whole_area_alerts
from tocsin.eval.scorecard import DEFAULT_DELAY_S, Scorecard, score_alerts
from tocsin.eval.truth import ObjectEvent, load_events
from tocsin.ingest.sensors import SensorSet
from tocsin.predict.impact import predict_impacts
from tocsin.predict.types import ImpactPredictions
from tocsin.track.types import TrackSnapshot
from tocsin.zones.load import ZoneSet
from tocsin.zones.threat import ThreatEval, ThreatEvalConfig, ThreatEvaluator
from tocsin.zones.watch import RadarWatch

Cycle = tuple[float, ThreatEval, list[PostureChange]]


@dataclass
class TuneCase:
    """One captured scenario run: zones, truth for scoring, and every decision cycle (times Unix s)."""

    name: str
    zones: ZoneSet
    events: list[ObjectEvent]
    first_detection_s: dict[str, float]
    cycles: list[Cycle]
    truth_end_s: dict[str, float] = field(default_factory=dict)
    # The impact predictions each cycle evaluated (same order as ``cycles``): lets a changed zone
    # evaluation be replayed without re-running tracking and prediction (``reevaluate``).
    predictions: list[ImpactPredictions] = field(default_factory=list)
    # The scenario's sensors (radar watch geometry for ``reevaluate``); None in cases captured before.
    sensors: SensorSet | None = None


def capture_case(scenario_dir: Path, name: str | None = None) -> TuneCase:
    """Run the engine once over a scenario directory (contract files) and capture every cycle.

    Slow (tracking and prediction run in full). First detections come from gating the measurements
    against truth (``tocsin.eval.detection``).
    """
    from tocsin.cli.files import load_sensors_doc, load_zones_doc
    from tocsin.engine.core import Engine
    from tocsin.eval.detection import first_detection_times
    from tocsin.eval.truth import load_truth
    from tocsin.ingest.stream import Scan, read_measurements_file

    d = Path(scenario_dir)
    sensors, _ = load_sensors_doc(d / "sensors.json")
    zones, _ = load_zones_doc(d / "zones.geojson")
    truth = load_truth(d / "truth.jsonl")
    scans = (s for s in read_measurements_file(d / "measurements.jsonl", sensors) if isinstance(s, Scan))
    first = first_detection_times(sensors, scans, truth)
    engine = Engine(sensors, zones)
    engine.cycle_capture = []
    preds: list[ImpactPredictions] = []
    step_fn = engine.policy.step

    def recording(t: float, ev: ThreatEval, postures: Any = ()) -> Any:
        if engine.last_predictions is not None:
            preds.append(engine.last_predictions)
        return step_fn(t, ev, postures)

    engine.policy.step = recording  # type: ignore[method-assign,assignment]
    with open(d / "measurements.jsonl", encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            engine.push_line(line, i)
    engine.finish()
    ends = dict(zip(truth.objects, truth.t_last_s.tolist(), strict=True))
    # finish() steps the policy on to drain after the last cycle: only the first len(cycles) count.
    preds = preds[: len(engine.cycle_capture)]
    return TuneCase(
        name or d.name,
        zones,
        load_events(d / "events.json"),
        first,
        engine.cycle_capture,
        ends,
        preds,
        sensors,
    )


def reevaluate(case: TuneCase, config: ThreatEvalConfig, sensors: SensorSet | None = None) -> TuneCase:
    """The case with every cycle's threat evaluation recomputed from its captured predictions.

    With sensors (``sensors`` or the case's own) the radar watch is evaluated too; each cycle keeps
    the captured radars-reporting mask, or every radar where the capture predates it.
    """
    if len(case.predictions) != len(case.cycles):
        raise ValueError(f"{case.name}: captured without predictions, cannot re-evaluate")
    sens = sensors if sensors is not None else getattr(case, "sensors", None)
    watch = RadarWatch.build(sens, case.zones) if sens is not None else None
    ev = ThreatEvaluator(case.zones, config, watch=watch)
    cycles = []
    for (t, old, post), p in zip(case.cycles, case.predictions, strict=True):
        new = ev.evaluate(p)
        if watch is not None:
            mask = vars(old).get("radars_alive_mask")  # not the class default: absent in old captures
            new = dataclasses.replace(new, radars_alive_mask=watch.all_mask() if mask is None else int(mask))
        cycles.append((t, new, post))
    return TuneCase(
        case.name,
        case.zones,
        case.events,
        case.first_detection_s,
        cycles,
        case.truth_end_s,
        case.predictions,
        sens,
    )


def save_case(case: TuneCase, path: Path) -> None:
    """Pickle a captured case (local scratch file)."""
    Path(path).write_bytes(pickle.dumps(case, protocol=pickle.HIGHEST_PROTOCOL))


class _CaseUnpickler(pickle.Unpickler):
    """Resolves classes pickled by ``python -m tocsin.eval.tune`` (module ``__main__``) to this module."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "__main__":
            module = __name__
        return super().find_class(module, name)


def load_case(path: Path) -> TuneCase:
    """Load a case written by ``save_case`` (trusted local file only)."""
    case = _CaseUnpickler(io.BytesIO(Path(path).read_bytes())).load()  # own scratch file: trusted
    if not isinstance(case, TuneCase):
        raise TypeError(f"{path} does not hold a TuneCase")
    return case


def replay(
    cycles: Sequence[Cycle], zones: ZoneSet, config: AlertConfig, *, drain: bool = True
) -> list[dict[str, Any]]:
    """Step a fresh policy over captured cycles; the ``alerts.jsonl`` rows it issues, in order.

    With ``drain`` the end of input is replayed as ``Engine.finish`` does it (the capture does not hold
    those cycles): the clock runs on every ``cycle_s`` seconds with no threat until every warning is
    closed or ``DRAIN_LIMIT_S`` has passed.
    """
    policy = AlertPolicy(zones, config)
    rows: list[dict[str, Any]] = []
    for t, ev, postures in cycles:
        rows.extend(d.to_record() for d in policy.step(t, ev, postures))
    if drain and cycles:
        t_end = cycles[-1][0]
        no_threats = ThreatEvaluator(zones).evaluate(
            predict_impacts(TrackSnapshot.empty(t_end), config=EngineConfig().predict)
        )
        # As Engine.finish: the radars reporting at the end of the data keep watching a quiet sky.
        alive = vars(cycles[-1][1]).get("radars_alive_mask", 0)
        no_threats = dataclasses.replace(no_threats, radars_alive_mask=int(alive))
        step_s = max(EngineConfig().cycle_s, 1.0)
        t = t_end
        while bool(np.any(policy.level != LEVEL_NONE)) and t < t_end + DRAIN_LIMIT_S:
            t += step_s
            rows.extend(d.to_record() for d in policy.step(t, no_threats))
    return rows


def evaluate(case: TuneCase, config: AlertConfig, delay_s: float = DEFAULT_DELAY_S) -> Scorecard:
    """Scorecard (interfaces.md section 7) of ``config`` replayed on ``case``; delay in seconds."""
    rows = replay(case.cycles, case.zones, config)
    return score_alerts(rows, case.zones, case.events, case.first_detection_s, delay_s)


def baseline_cards(case: TuneCase, delay_s: float = DEFAULT_DELAY_S) -> dict[str, Scorecard]:
    """Scorecards of the oracle and whole-area baselines on ``case`` (same detections and delay, s)."""
    rows = {
        "oracle": oracle_alerts(case.events, case.zones, case.first_detection_s),
        "whole-area": whole_area_alerts(
            case.events, case.zones, case.first_detection_s, end_without_impact_s=case.truth_end_s
        ),
    }
    return {
        k: score_alerts(r, case.zones, case.events, case.first_detection_s, delay_s) for k, r in rows.items()
    }


def check_bars(card: Scorecard, baselines: Mapping[str, Scorecard]) -> dict[str, bool]:
    """The tuning bars of the alert policy (see the report of the tuning work), each pass/fail.

    ``missed``: no missed struck pair; ``late``: late pairs under 1 %; ``efficiency``: median warning
    efficiency >= 0.9 x the oracle's; ``shelter``: shelter zone-s <= 1/3 of whole-area and <= 2 x
    oracle; ``over_warning``: take_cover zone-episodes per struck pair <= 3.
    """
    f, o, w = card.total, baselines["oracle"].total, baselines["whole-area"].total
    n = max(f.struck_pairs, 1)
    eff_ok = math.isnan(o.warning_efficiency_median) or (
        f.warning_efficiency_median >= 0.9 * o.warning_efficiency_median
    )
    over_ok = f.struck_pairs == 0 or f.over_warning <= 3.0
    return {
        "missed": f.missed == 0,
        "late": f.late / n < 0.01,
        "efficiency": eff_ok,
        "shelter": f.shelter_zone_s <= w.shelter_zone_s / 3.0 and f.shelter_zone_s <= 2.0 * o.shelter_zone_s,
        "over_warning": over_ok,
    }


def summary_line(name: str, card: Scorecard) -> str:
    """One text line of the figures the bars look at."""
    f = card.total
    return (
        f"{name:>12}: pairs {f.struck_pairs:3d} missed {f.missed:2d} late {f.late:2d} "
        f"eff {f.warning_efficiency_median:5.2f} episodes {f.episodes:4d} "
        f"(cancelled {f.cancelled_episodes:3d}, false {f.false_alerts:3d}) over {f.over_warning:5.2f} "
        f"shelter {f.shelter_zone_s:9.0f} zone-s"
    )


def report(case: TuneCase, config: AlertConfig, delay_s: float = DEFAULT_DELAY_S) -> str:
    """Text block: the policy and both baselines on ``case``, and which bars fail."""
    card = evaluate(case, config, delay_s)
    base = baseline_cards(case, delay_s)
    lines = [f"[{case.name}] {len(case.cycles)} cycles", summary_line("tocsin", card)]
    lines += [summary_line(k, v) for k, v in base.items()]
    bars = check_bars(card, base)
    failed = [k for k, ok in bars.items() if not ok]
    lines.append("  bars: " + ("all met" if not failed else "FAIL " + ", ".join(failed)))
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    """Command line entry (see the module docstring)."""
    if len(argv) >= 3 and argv[0] == "capture":
        save_case(capture_case(Path(argv[1])), Path(argv[2]))
        return 0
    if len(argv) >= 2 and argv[0] == "score":
        for p in argv[1:]:
            print(report(load_case(Path(p)), AlertConfig()))
        return 0
    print("usage: python -m tocsin.eval.tune capture SCENARIO_DIR OUT.pkl | score CASE.pkl...")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
