"""Shared pieces of the live-stream tests: the feed type and an engine run over lines.

80 s of a counter-battery radar pair (about 850 records) already holds the first warnings (take
cover from 31 s on) and runs through the engine in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.engine.core import Engine


@dataclass(frozen=True)
class Feed:
    """The scenario directory, its feed (lines, in delivery order) and the clean run's decisions."""

    scenario: Path
    lines: list[str]
    measurements: Path
    decisions: list[dict[str, Any]]


def run_engine(feed: Feed, lines: list[str]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Decisions (as ``alerts.jsonl`` records) and rejections of the engine over ``lines``."""
    sensors, _ = load_sensors_doc(feed.scenario / "sensors.json")
    zones, _ = load_zones_doc(feed.scenario / "zones.geojson")
    engine = Engine(sensors, zones)
    decisions: list[dict[str, Any]] = []
    rejected: list[Any] = []
    for number, text in enumerate(lines, 1):
        out = engine.push_line(text, number)
        decisions.extend(d.to_record() for d in out.decisions)
        rejected.extend(out.rejected)
    out = engine.finish()
    decisions.extend(d.to_record() for d in out.decisions)
    rejected.extend(out.rejected)
    return decisions, rejected
