"""``tocsin run`` and ``tocsin track``: the warning chain over a measurement file or a live stream."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tocsin.alert.types import PostureChange
from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.disseminate.cap import CapComposer, CapConfig, write_cap, zones_from_geojson
from tocsin.engine.config import EngineConfig, config_from_json
from tocsin.engine.core import Engine, EngineOutput, scan_to_input
from tocsin.engine.sensors import track_models
from tocsin.errors import BadInputError
from tocsin.ingest.records import Rejected
from tocsin.ingest.stream import ScanAssembler
from tocsin.store.eventlog import EventLog
from tocsin.store.replay import RunRecorder, json_safe
from tocsin.track.tracker import Tracker


def dumps(row: dict[str, Any]) -> str:
    """One JSON Lines row: compact, key order as built, NaN refused (contract files are strict JSON)."""
    return json.dumps(json_safe(row), separators=(", ", ": "), allow_nan=False)


def report_rejected(r: Rejected) -> None:
    """The contract's bad-record line on standard error: file, line, field, reason."""
    print(f"tocsin: skipped {r.message()}", file=sys.stderr)


def _lines(source: Path | None) -> Iterator[tuple[int, str]]:
    stream: IO[str]
    if source is None:
        stream = sys.stdin
        yield from enumerate(iter(stream.readline, ""), 1)
        return
    with source.open(encoding="utf-8", errors="replace") as stream:
        yield from enumerate(stream, 1)


def load_postures(path: Path) -> list[PostureChange]:
    """Operator posture changes from a JSON Lines file (one ``PostureChange`` record per line)."""
    out: list[PostureChange] = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not text.strip():
            continue
        try:
            out.append(PostureChange.from_record(json.loads(text)))
        except (ValueError, KeyError, TypeError) as e:
            raise BadInputError(str(path), number, None, f"bad posture change: {e}") from e
    return out


def load_engine_config(path: Path | None) -> EngineConfig:
    """Engine settings from a JSON file (any subset of the fields), else the defaults."""
    if path is None:
        return EngineConfig()
    try:
        return config_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as e:
        raise BadInputError(str(path), None, None, f"bad engine configuration: {e}") from e


class _Progress:
    def __init__(self, source: Path | None, enabled: bool) -> None:
        total = source.stat().st_size if source is not None else None
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
            disable=not enabled or source is None,
            transient=True,
        )
        self.task = self.bar.add_task("tracking and warning", total=total)

    def advance(self, nbytes: int) -> None:
        self.bar.advance(self.task, nbytes)


def run_chain(
    sensors_path: Path,
    measurements: str,
    zones_path: Path,
    out: Path,
    *,
    log_target: str | None = None,
    postures_path: Path | None = None,
    config_path: Path | None = None,
    cap_status: str = "Exercise",
    progress: bool = False,
) -> dict[str, int]:
    """Run the whole chain; write tracks, predictions, alerts, CAP and the event log into ``out``."""
    sensors, sensors_doc = load_sensors_doc(sensors_path)
    zones, zones_doc = load_zones_doc(zones_path)
    postures = load_postures(postures_path) if postures_path is not None else []
    config = load_engine_config(config_path)
    stream = measurements == "-"
    source = None if stream else Path(measurements)
    if source is not None and not source.is_file():
        raise BadInputError(measurements, None, None, "no such file")
    out.mkdir(parents=True, exist_ok=True)
    name = "-" if stream else measurements
    engine = Engine(sensors, zones, config, source=name)
    composer = CapComposer(zones_from_geojson(zones_doc), CapConfig(status=cap_status))
    counts = {"lines": 0, "rejected": 0, "track_rows": 0, "predictions": 0, "alerts": 0, "cap": 0}
    log = EventLog(log_target or str(out / "events.sqlite"))
    recorder = RunRecorder(log)
    recorder.start(config, sensors_doc, zones_doc, name)
    for change in postures:
        recorder.posture(change)
        engine.push_posture(change)
    bar = _Progress(source, progress and not stream)
    with (
        log,
        bar.bar,
        (out / "tracks.jsonl").open("w", encoding="utf-8") as f_tracks,
        (out / "predictions.jsonl").open("w", encoding="utf-8") as f_preds,
        (out / "alerts.jsonl").open("w", encoding="utf-8") as f_alerts,
    ):

        def emit(result: EngineOutput) -> None:
            for r in result.rejected:
                report_rejected(r)
            for row in result.track_rows:
                f_tracks.write(dumps(row) + "\n")
            for row in result.prediction_rows:
                f_preds.write(dumps(row) + "\n")
            for d in result.decisions:
                line = dumps(d.to_record())
                f_alerts.write(line + "\n")
                if stream:
                    f_alerts.flush()
                    sys.stdout.write(line + "\n")
                    sys.stdout.flush()
                write_cap(out, composer.compose(d.to_record()))
                counts["cap"] += 1
            counts["rejected"] += len(result.rejected)
            counts["track_rows"] += len(result.track_rows)
            counts["predictions"] += len(result.prediction_rows)
            counts["alerts"] += len(result.decisions)
            recorder.output(result)

        for number, text in _lines(source):
            counts["lines"] += 1
            recorder.line(number, text.rstrip("\n"), engine.now_unix_s)
            emit(engine.push_line(text, number))
            bar.advance(len(text.encode("utf-8")))
        emit(engine.finish())
        recorder.flush()
    return counts


def run_track(sensors_path: Path, measurements: str, out: Path, *, lag_s: float = 5.0) -> dict[str, int]:
    """Tracking only: write ``tracks.jsonl`` into ``out``."""
    sensors, _ = load_sensors_doc(sensors_path)
    stream = measurements == "-"
    source = None if stream else Path(measurements)
    if source is not None and not source.is_file():
        raise BadInputError(measurements, None, None, "no such file")
    out.mkdir(parents=True, exist_ok=True)
    assembler = ScanAssembler(sensors, lag_s, "-" if stream else measurements, eager=True)
    tracker = Tracker(track_models(sensors))
    counts = {"lines": 0, "rejected": 0, "track_rows": 0}
    with (out / "tracks.jsonl").open("w", encoding="utf-8") as f_tracks:

        def consume(scans: list[Any]) -> None:
            for scan in scans:
                tracker.process(scan_to_input(scan))
                for row in tracker.track_rows():
                    f_tracks.write(dumps(row) + "\n")
                    counts["track_rows"] += 1

        for number, text in _lines(source):
            counts["lines"] += 1
            scans, rejected = assembler.push_line(text, number)
            if rejected is not None:
                report_rejected(rejected)
                counts["rejected"] += 1
            consume(scans)
        consume(assembler.flush())
    return counts
