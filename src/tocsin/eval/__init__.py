"""tocsin.eval: warning scorecard (interfaces.md section 7), first detections, truth readers."""

from tocsin.eval.detection import first_detection_times
from tocsin.eval.evaluate import evaluate, load_alerts, write_scorecard
from tocsin.eval.scorecard import (
    Episode,
    Figures,
    PairOutcome,
    Scorecard,
    score_alerts,
    scorecard_table,
    scorecard_to_json,
)
from tocsin.eval.truth import ObjectEvent, TruthTable, load_events, load_truth, parse_events

__all__ = [
    "Episode",
    "Figures",
    "ObjectEvent",
    "PairOutcome",
    "Scorecard",
    "TruthTable",
    "evaluate",
    "first_detection_times",
    "load_alerts",
    "load_events",
    "load_truth",
    "parse_events",
    "score_alerts",
    "scorecard_table",
    "scorecard_to_json",
    "write_scorecard",
]
