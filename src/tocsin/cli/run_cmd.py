"""``tocsin run`` and ``tocsin track``: the warning chain over a measurement file or a live stream."""

from __future__ import annotations

import json
import math
import os
import select
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tocsin.alert.types import PostureChange
from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.disseminate.cap import CapComposer, CapConfig, write_cap, zones_from_geojson
from tocsin.engine.config import EngineConfig, config_from_json, config_to_json
from tocsin.engine.core import Engine, EngineOutput, scan_to_input
from tocsin.engine.sensors import track_models
from tocsin.errors import BadInputError
from tocsin.ingest.records import MAX_LINE_CHARS, Rejected
from tocsin.ingest.stream import ScanAssembler
from tocsin.store.eventlog import DEFAULT_FILENAME, EventLog, EventLogError
from tocsin.store.replay import RUN_KINDS, RebuiltRun, RunRecorder, json_safe, rebuild_from_log
from tocsin.track.tracker import Tracker


def dumps(row: dict[str, Any]) -> str:
    """One JSON Lines row: compact, key order as built, NaN refused (contract files are strict JSON)."""
    return json.dumps(json_safe(row), separators=(", ", ": "), allow_nan=False)


def report_rejected(r: Rejected) -> None:
    """The contract's bad-record line on standard error: file, line, field, reason."""
    print(f"tocsin: skipped {r.message()}", file=sys.stderr)


# Bytes kept of a line at most: a longer line is cut here (its rest skipped), and the part kept is
# still longer than MAX_LINE_CHARS characters, so ingest rejects it, in the run and in its replay.
MAX_LINE_BYTES = 4 * MAX_LINE_CHARS + 4
READ_CHUNK_BYTES = 1 << 16


def _decode(raw: bytes) -> str:
    # Bad UTF-8 survives as lone surrogates, which ingest rejects (and the log stores losslessly).
    return raw.decode("utf-8", errors="surrogateescape")


def _split_lines(chunks: Iterable[bytes | None]) -> Iterator[list[str] | None]:
    """Complete lines of a chunked byte stream, a burst (list) per chunk that completed any line.

    A ``None`` chunk (the feed was silent for a while) passes through as ``None``. A line longer than
    ``MAX_LINE_BYTES`` is cut there once and its rest skipped; bad UTF-8 is kept for ingest to reject.
    """
    buf = b""
    skipping = False  # inside an overlong line whose first MAX_LINE_BYTES went out already
    for chunk in chunks:
        if chunk is None:
            yield None
            continue
        parts = (buf + chunk).split(b"\n")
        buf = parts.pop()
        lines: list[str] = []
        for part in parts:
            if skipping:
                skipping = False
            else:
                lines.append(_decode(part[:MAX_LINE_BYTES]))
        if skipping:
            buf = b""
        elif len(buf) > MAX_LINE_BYTES:
            lines.append(_decode(buf[:MAX_LINE_BYTES]))
            buf, skipping = b"", True
        if lines:
            yield lines
    if buf and not skipping:
        yield [_decode(buf)]


def _bursts(stream: IO[bytes]) -> Iterator[list[str]]:
    """The complete lines of a byte stream, in bursts: all lines that have arrived, without waiting.

    ``read1`` returns what is there (blocking only when nothing is), so on a live stream a burst is
    what the feed wrote since the last read, and it can be logged in one transaction.
    """
    chunks = iter(lambda: stream.read1(READ_CHUNK_BYTES), b"")  # type: ignore[attr-defined]
    for burst in _split_lines(chunks):
        if burst is not None:
            yield burst


def _chunks_or_silence(fd: int, tick_s: float, clock: Callable[[], float]) -> Iterator[bytes | None]:
    """Chunks read from file descriptor ``fd`` as they arrive, and ``None`` after each ``tick_s`` of
    silence (wall clock ``clock``, seconds): the heartbeat of ``tocsin run --tick-s``. Ends at EOF."""
    due = clock() + tick_s
    while True:
        wait = max(0.0, due - clock())
        ready, _, _ = select.select([fd], [], [], wait)
        if ready:
            chunk = os.read(fd, READ_CHUNK_BYTES)
            if not chunk:
                return
            yield chunk
            due = clock() + tick_s
        else:
            yield None
            due = clock() + tick_s


def _open_input(source: Path | None) -> IO[bytes]:
    return sys.stdin.buffer if source is None else source.open("rb")


def _lines(source: Path | None) -> Iterator[tuple[int, str]]:
    stream = _open_input(source)
    try:
        number = 0
        for burst in _bursts(stream):
            for text in burst:
                number += 1
                yield number, text
    finally:
        if source is not None:
            stream.close()


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


def _keep_prefix(path: Path, lines: list[str]) -> int:
    """Make ``path`` hold exactly ``lines`` (each + newline), keeping the lines already there.

    Returns how many of ``lines`` were there already. Lines that match are not rewritten; a torn
    last line (the process was killed while writing it) and anything after a mismatch are replaced.
    """
    have = path.read_bytes().split(b"\n") if path.exists() else []
    keep = 0
    offset = 0
    for old, new in zip(have[:-1], lines, strict=False):  # have[-1] has no newline: torn or empty
        if old != new.encode("utf-8"):
            break
        keep += 1
        offset += len(old) + 1
    with path.open("r+b" if path.exists() else "wb") as f:
        f.seek(offset)
        f.truncate()
        f.write("".join(x + "\n" for x in lines[keep:]).encode("utf-8"))
    return keep


def _check_resumable(
    rebuilt: RebuiltRun, config: EngineConfig, sensors_doc: Any, zones_doc: Any, postures: list[PostureChange]
) -> None:
    """Refuse to resume a run whose settings or inputs differ from those given now (exit 2)."""
    logged = rebuilt.config
    for key, now in (("engine", config_to_json(config)), ("sensors", sensors_doc), ("zones", zones_doc)):
        if json_safe(now) != logged.get(key):
            raise BadInputError("--resume", None, key, f"differs from the logged run's {key}: cannot resume")
    if postures and [json_safe(p.to_record()) for p in postures] != rebuilt.postures:
        raise BadInputError("--posture", None, None, "differs from the logged run's posture changes")


#: The files a run writes into its --out directory (besides the event log and ``cap/``).
RUN_OUTPUTS = ("tracks.jsonl", "predictions.jsonl", "alerts.jsonl")


def _log_file(target: str) -> Path | None:
    """The SQLite file of an event-log target (a directory means its ``events.sqlite``); None for a URL."""
    if "://" in target:
        return None
    path = Path(target)
    return path / DEFAULT_FILENAME if path.is_dir() else path


def _earlier_run(out: Path, log: EventLog, target: str) -> list[tuple[str, str]]:
    """What an earlier run left in ``out`` and in the event log: (path, what) pairs."""
    found: list[tuple[str, str]] = []
    n_events = log.count()
    if n_events:
        found.append((target, f"{target} ({n_events} events)"))
    found.extend((str(out / name), str(out / name)) for name in RUN_OUTPUTS if (out / name).exists())
    cap = out / "cap"
    if cap.is_dir() and any(cap.glob("*.xml")):
        found.append((str(cap), f"{cap}{os.sep}*.xml"))
    return found


def _remove_earlier_run(out: Path, log_file: Path | None) -> None:
    """Delete an earlier run's outputs in ``out`` and its SQLite event log (``--overwrite``)."""
    if log_file is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            log_file.with_name(log_file.name + suffix).unlink(missing_ok=True)
    for name in RUN_OUTPUTS:
        (out / name).unlink(missing_ok=True)
    cap = out / "cap"
    if cap.is_dir():
        for f in sorted(cap.glob("*.xml")):
            f.unlink()


#: Where a run puts the earlier run it found in its --out (without --resume or --overwrite).
EARLIER_RUNS_DIR = "earlier-runs"


def _archive_earlier_run(out: Path, log_file: Path | None) -> Path:
    """Move an earlier run's outputs and SQLite event log from ``out`` into ``out/earlier-runs/N``
    (N = 1, 2, ...: the first free number) and return that directory. Nothing is deleted: the log is
    the record of what was warned and why."""
    root = out / EARLIER_RUNS_DIR
    n = 1
    while (root / str(n)).exists():
        n += 1
    dest = root / str(n)
    dest.mkdir(parents=True)
    moved = [out / name for name in RUN_OUTPUTS]
    if log_file is not None:
        moved += [log_file.with_name(log_file.name + sfx) for sfx in ("", "-wal", "-shm", "-journal")]
    for f in moved:
        if f.exists():
            f.rename(dest / f.name)
    cap = out / "cap"
    if cap.is_dir() and any(cap.glob("*.xml")):
        (dest / "cap").mkdir()
        for f in sorted(cap.glob("*.xml")):
            f.rename(dest / "cap" / f.name)
    return dest


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
    resume: bool = False,
    overwrite: bool = False,
    tick_s: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, int]:
    """Run the whole chain; write tracks, predictions, alerts, CAP and the event log into ``out``.

    ``resume``: continue the run logged in the event log (killed mid-stream), or start one if the log
    holds none: rebuild the engine from the logged inputs, bring the output files up to the logged
    state without rewriting what is there, log and emit the decisions it had reached but not logged
    (at least once), then read the new input. Records a feed re-sends are dropped as repeats or late
    by ingest. A run that logged its end, or other settings than the logged ones, is refused.

    Without ``resume``, a run never appends to an earlier run: when ``out`` or its SQLite event log
    holds one (log events, tracks/predictions/alerts files or CAP messages), that run is moved into
    ``out/earlier-runs/N/`` (said on standard error) and this run writes the contract files afresh, so
    re-running into the same directory always works (contract section 6) and loses no record. With
    ``overwrite`` the earlier outputs and SQLite log are deleted instead. A database log (a URL) is
    append-only: one that already holds a run is refused (exit 2); give a fresh database or prefix.

    ``tick_s`` (live stream only): after each ``tick_s`` seconds of wall-clock silence on the input,
    the clock runs on (``Engine.push_tick``) to the feed's newest time plus the wall time since it
    arrived, so all clears and time-to-shelter deadlines fall due with no measurement; each tick is
    logged before it acts, so replay is exact. Skipped while nothing depends on time (no track, no
    open warning, no pending scan or posture). ``clock``: the wall clock in seconds (tests).
    """
    sensors, sensors_doc = load_sensors_doc(sensors_path)
    zones, zones_doc = load_zones_doc(zones_path)
    postures = load_postures(postures_path) if postures_path is not None else []
    config = load_engine_config(config_path)
    stream = measurements == "-"
    source = None if stream else Path(measurements)
    if source is not None and not source.is_file():
        raise BadInputError(measurements, None, None, "no such file")
    if tick_s is not None and not stream:
        raise BadInputError("--tick-s", None, None, "only for a live stream (--measurements -)")
    if tick_s is not None and not (math.isfinite(tick_s) and tick_s > 0.0):
        raise BadInputError("--tick-s", None, None, f"must be a number > 0, got {tick_s!r}")
    out.mkdir(parents=True, exist_ok=True)
    name = "-" if stream else measurements
    engine = Engine(sensors, zones, config, source=name)
    composer = CapComposer(zones_from_geojson(zones_doc), CapConfig(status=cap_status))
    counts = {"lines": 0, "rejected": 0, "track_rows": 0, "predictions": 0, "alerts": 0, "cap": 0}
    target = log_target or str(out / "events.sqlite")
    log_file = _log_file(target)
    try:
        log = EventLog(target, extra_kinds=RUN_KINDS)
    except EventLogError as e:
        raise BadInputError(target, None, None, str(e)) from e
    if not resume:
        earlier = _earlier_run(out, log, target)
        what = ", ".join(w for _, w in earlier)
        if earlier and log_file is None and log.count():
            log.close()
            hint = "a database event log is append-only: give a fresh database, or --resume to continue"
            raise BadInputError(earlier[0][0], None, None, f"an earlier run is there ({what}); {hint}")
        if earlier:
            log.close()
            if overwrite:
                _remove_earlier_run(out, log_file)
                print(f"tocsin run: --overwrite: removed the earlier run ({what})", file=sys.stderr)
            else:
                dest = _archive_earlier_run(out, log_file)
                print(
                    f"tocsin run: moved the earlier run ({what}) to {dest}; --resume continues a run instead",
                    file=sys.stderr,
                )
            log = EventLog(target, extra_kinds=RUN_KINDS)
    recorder = RunRecorder(log)
    resumed: RebuiltRun | None = None
    # A run killed before it logged its configuration has nothing to resume: it starts afresh.
    if resume and log.count(["config"]):
        try:
            resumed = rebuild_from_log(log.iter_events())
        except EventLogError as e:
            log.close()
            raise BadInputError(target, None, None, str(e)) from e
        try:
            _check_resumable(resumed, config, sensors_doc, zones_doc, postures)
        except BadInputError:
            log.close()
            raise
        engine = resumed.engine
        engine.assembler.file = name
        recorder.resume(name)
    else:
        recorder.start(config, sensors_doc, zones_doc, name)
        for change in postures:
            recorder.posture(change)
            engine.push_posture(change)
    bar = _Progress(source, progress and not stream)
    if resumed is not None:
        # The files as an uninterrupted run would have them at this point, keeping what is there.
        past = resumed.output
        _keep_prefix(out / "tracks.jsonl", [dumps(r) for r in past.track_rows])
        _keep_prefix(out / "predictions.jsonl", [dumps(r) for r in past.prediction_rows])
        _keep_prefix(out / "alerts.jsonl", [dumps(d.to_record()) for d in past.decisions])
        for d in past.decisions:
            message = composer.compose(d.to_record())
            if not (out / "cap" / f"{message.identifier}.xml").exists():
                write_cap(out, message)
    mode = "a" if resumed is not None else "w"
    with (
        log,
        bar.bar,
        (out / "tracks.jsonl").open(mode, encoding="utf-8") as f_tracks,
        (out / "predictions.jsonl").open(mode, encoding="utf-8") as f_preds,
        (out / "alerts.jsonl").open(mode, encoding="utf-8") as f_alerts,
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

        if resumed is not None:
            # Decided before the stop but not logged: maybe delivered, so delivered again (at least
            # once) on standard output; the files and CAP already hold them.
            for d in resumed.output.decisions[resumed.n_logged_decisions :]:
                if stream:
                    sys.stdout.write(dumps(d.to_record()) + "\n")
                    sys.stdout.flush()
            recorder.output(EngineOutput(decisions=resumed.output.decisions[resumed.n_logged_decisions :]))
        stream_in = _open_input(source)
        bursts: Iterator[list[str] | None] = (
            _split_lines(_chunks_or_silence(stream_in.fileno(), tick_s, clock))
            if tick_s is not None
            else _bursts(stream_in)
        )
        # The feed's clock against the wall clock: ticks continue the feed's newest time at wall rate.
        anchor_t, anchor_wall = engine.assembler.newest_unix_s, clock()
        try:
            for burst in bursts:
                if burst is None:
                    t_tick = anchor_t + (clock() - anchor_wall)
                    if math.isfinite(t_tick) and t_tick > engine.now_unix_s and engine.needs_clock:
                        recorder.tick(t_tick)
                        emit(engine.push_tick(t_tick))
                    continue
                first = counts["lines"] + 1
                for k, text in enumerate(burst):
                    recorder.line(first + k, text, engine.now_unix_s)
                if stream:
                    # Write-ahead on a live stream: what arrived is in the log (one transaction per
                    # burst) before it can change anything, so a run killed at any moment resumes
                    # from all it had read.
                    recorder.flush()
                for k, text in enumerate(burst):
                    emit(engine.push_line(text, first + k))
                    bar.advance(len(text.encode("utf-8", errors="surrogateescape")) + 1)
                counts["lines"] += len(burst)
                if engine.assembler.newest_unix_s != anchor_t:
                    anchor_t, anchor_wall = engine.assembler.newest_unix_s, clock()
        finally:
            if source is not None:
                stream_in.close()
        emit(engine.finish())
        recorder.end(engine.now_unix_s, counts["lines"])
    _report_noise(engine.tracker.noise_sigma_factors())
    return counts


def _report_noise(factors: dict[str, list[float]]) -> None:
    """Tell the integrator which sensors were noisier than their sensors file says (stderr)."""
    for sid, f in factors.items():
        if max(f) > 1.0:
            print(
                f"tocsin run: sensor {sid} measured noisier than declared; sigma factors learnt "
                f"(range or line of sight, az, el, range rate): {', '.join(f'{v:.2f}' for v in f)}",
                file=sys.stderr,
            )


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
            for r in [*assembler.take_rejected(), *([rejected] if rejected is not None else [])]:
                report_rejected(r)
                counts["rejected"] += 1
            consume(scans)
        scans = assembler.flush()
        for r in assembler.take_rejected():
            report_rejected(r)
            counts["rejected"] += 1
        consume(scans)
    return counts
