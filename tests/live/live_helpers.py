"""Shared pieces of the live-stream tests: the feed, engine runs over lines, a `tocsin run` process."""

from __future__ import annotations

import queue
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

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


def decisions_by_line(feed: Feed, lines: list[str]) -> list[tuple[int, dict[str, Any]]]:
    """``(input line, decision)`` for each decision of the engine over ``lines`` (0 = end of input)."""
    sensors, _ = load_sensors_doc(feed.scenario / "sensors.json")
    zones, _ = load_zones_doc(feed.scenario / "zones.geojson")
    engine = Engine(sensors, zones)
    out: list[tuple[int, dict[str, Any]]] = []
    for number, text in enumerate(lines, 1):
        out.extend((number, d.to_record()) for d in engine.push_line(text, number).decisions)
    out.extend((0, d.to_record()) for d in engine.finish().decisions)
    return out


def tocsin_run(feed: Feed, out: Path, *extra: str) -> list[str]:
    """The ``tocsin run`` command line for a live stream on stdin, writing into ``out``."""
    tocsin = Path(sys.executable).with_name("tocsin")
    return [
        str(tocsin),
        "run",
        "--sensors",
        str(feed.scenario / "sensors.json"),
        "--measurements",
        "-",
        "--zones",
        str(feed.scenario / "zones.geojson"),
        "--out",
        str(out),
        *extra,
    ]


class LineReader:
    """Reads a pipe's lines in a thread so the test can wait for them with a timeout."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self._thread.start()

    def _run(self, pipe: IO[bytes]) -> None:
        for raw in iter(pipe.readline, b""):
            self.lines.put(raw.decode("utf-8", errors="replace").rstrip("\n"))

    def take(self, n: int, timeout_s: float = 120.0) -> list[str]:
        """The next ``n`` lines; raises ``queue.Empty`` if they do not come within ``timeout_s``."""
        return [self.lines.get(timeout=timeout_s) for _ in range(n)]

    def rest(self) -> list[str]:
        """Every line after the pipe closed (call once the process ended)."""
        self._thread.join(timeout=60.0)
        out: list[str] = []
        while not self.lines.empty():
            out.append(self.lines.get_nowait())
        return out
