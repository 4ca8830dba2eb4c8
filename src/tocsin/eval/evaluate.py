"""``tocsin evaluate``: score a run directory against a scenario directory (contract files only)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from tocsin.disseminate.feed import parse_alert_line
from tocsin.eval.detection import DEFAULT_GATE_SIGMA, first_detection_times
from tocsin.eval.scorecard import (
    DEFAULT_DELAY_S,
    Scorecard,
    score_alerts,
    scorecard_table,
    scorecard_to_json,
)
from tocsin.eval.truth import load_events, load_truth
from tocsin.ingest.records import Rejected
from tocsin.ingest.sensors import load_sensors
from tocsin.ingest.stream import DEFAULT_LAG_S, Scan, read_measurements_file
from tocsin.zones.load import load_zones


def load_alerts(path: str | Path) -> list[dict[str, Any]]:
    """Read ``alerts.jsonl`` (contract section 5); raises ``BadInputError`` naming line and field."""
    name = str(path)
    with Path(path).open(encoding="utf-8") as f:
        return [parse_alert_line(text, name, line) for line, text in enumerate(f, 1) if text.strip()]


def evaluate(
    scenario_dir: str | Path,
    run_dir: str | Path,
    delay_s: float = DEFAULT_DELAY_S,
    lag_s: float = DEFAULT_LAG_S,
    gate_sigma: float = DEFAULT_GATE_SIGMA,
) -> Scorecard:
    """Score ``run_dir/alerts.jsonl`` against ``scenario_dir`` (sensors.json, measurements.jsonl,
    zones.geojson, truth.jsonl, events.json). ``delay_s``: dissemination delay, seconds.

    First detections come from gating the scenario's measurements against truth (``first_detection_times``);
    without ``measurements.jsonl`` or ``truth.jsonl`` warning efficiency is undefined.
    """
    scen = Path(scenario_dir)
    zones = load_zones(scen / "zones.geojson")
    events = load_events(scen / "events.json")
    alerts = load_alerts(Path(run_dir) / "alerts.jsonl")
    first: dict[str, float] = {}
    if (scen / "truth.jsonl").exists() and (scen / "measurements.jsonl").exists():
        sensors = load_sensors(scen / "sensors.json")
        truth = load_truth(scen / "truth.jsonl")
        scans = (
            s
            for s in read_measurements_file(scen / "measurements.jsonl", sensors, lag_s)
            if not isinstance(s, Rejected)
        )
        first = first_detection_times(sensors, (s for s in scans if isinstance(s, Scan)), truth, gate_sigma)
    return score_alerts(alerts, zones, events, first, delay_s)


def write_scorecard(card: Scorecard, out_dir: str | Path) -> list[Path]:
    """Write ``scorecard.json`` and ``scorecard.txt`` (the table as plain text) into ``out_dir``."""
    from rich.console import Console

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / "scorecard.json"
    json_path.write_text(
        json.dumps(scorecard_to_json(card), indent=1, allow_nan=False) + "\n", encoding="utf-8"
    )
    buffer = io.StringIO()
    Console(width=160, file=buffer, color_system=None).print(scorecard_table(card))
    txt_path = out / "scorecard.txt"
    txt_path.write_text(buffer.getvalue(), encoding="utf-8")
    return [json_path, txt_path]
