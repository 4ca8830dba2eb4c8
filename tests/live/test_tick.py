"""A silent live feed: with heartbeat ticks the clock runs on, so the all clears fall due while the
stream is still open (no measurement, no end of input); ticks are logged and replay is exact."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from live_helpers import Feed

from tocsin.alert.types import LEVEL_NONE
from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.cli.run_cmd import run_chain
from tocsin.engine.core import Engine
from tocsin.errors import BadInputError
from tocsin.store.eventlog import EventLog
from tocsin.store.replay import replay_events


def _engine_after(feed: Feed) -> tuple[Engine, list[dict[str, Any]]]:
    sensors, _ = load_sensors_doc(feed.scenario / "sensors.json")
    zones, _ = load_zones_doc(feed.scenario / "zones.geojson")
    engine = Engine(sensors, zones)
    decisions: list[dict[str, Any]] = []
    for number, text in enumerate(feed.lines, 1):
        decisions.extend(d.to_record() for d in engine.push_line(text, number).decisions)
    return engine, decisions


def test_ticks_on_a_silent_feed_close_every_warning(feed: Feed) -> None:
    engine, _ = _engine_after(feed)
    open_zones = set(np.flatnonzero(engine.policy.level != LEVEL_NONE).tolist())
    assert open_zones, "the feed must end with warnings open"
    t_last = engine.now_unix_s
    assert engine.needs_clock
    closed: list[dict[str, Any]] = []
    for k in range(1, 1801):
        closed.extend(d.to_record() for d in engine.push_tick(t_last + k).decisions)
        if not engine.needs_clock:
            break
    # A tick not later than the clock does nothing.
    assert engine.push_tick(t_last).decisions == []
    assert not np.any(engine.policy.level != LEVEL_NONE)
    ends = {int(d["zone_index"]) for d in closed if d["level"] in ("all_clear", "cancel")}
    assert ends >= open_zones
    for d in closed:
        assert t_last < float(d["t_unix_s"]) <= t_last + 1800


def test_ticks_release_the_scan_held_back_at_the_end_of_a_burst(feed: Feed) -> None:
    engine, _ = _engine_after(feed)
    assert engine.assembler.pending_scans > 0  # eager release waits for a later record
    t_last = engine.now_unix_s
    out = engine.push_tick(t_last + 0.5 * engine.config.lag_s)
    assert out.scans == 0  # a record of that scan may still come within the late-data window
    out = engine.push_tick(t_last + engine.config.lag_s + 0.5)
    assert out.scans > 0 and engine.assembler.pending_scans == 0


class _Clock:
    """Wall clock that runs at real speed, then ``speed`` times faster once ``fast()`` is called."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.t_fast: float | None = None
        self.lock = threading.Lock()

    def fast(self) -> None:
        with self.lock:
            self.t_fast = time.monotonic()

    def __call__(self) -> float:
        now = time.monotonic()
        with self.lock:
            if self.t_fast is None:
                return now
            return now + (self.speed - 1.0) * (now - self.t_fast)


def test_live_stream_with_ticks_gives_all_clears_before_the_input_ends(
    feed: Feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, streamed_before = _engine_after(feed)
    n_take = sum(1 for d in streamed_before if d["level"] == "take_cover")
    assert n_take > 0
    read_fd, write_fd = os.pipe()
    stdin = io.TextIOWrapper(io.FileIO(read_fd, "rb"))
    monkeypatch.setattr(sys, "stdin", stdin)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    clock = _Clock(speed=200.0)
    out = tmp_path / "live"
    s = feed.scenario
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_chain(s / "sensors.json", "-", s / "zones.geojson", out, tick_s=0.05, clock=clock)
        except BaseException as e:  # reported by the test thread
            errors.append(e)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    with os.fdopen(write_fd, "wb") as w:
        w.write("".join(x + "\n" for x in feed.lines).encode())
        w.flush()
        alerts = out / "alerts.jsonl"
        deadline = time.monotonic() + 300.0
        # Every line processed (its decisions out), then the feed goes silent and time runs fast.
        while time.monotonic() < deadline:
            n_rows = len(alerts.read_text().splitlines()) if alerts.exists() else 0
            if n_rows >= len(streamed_before):
                break
            time.sleep(0.05)
        clock.fast()
        rows: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            rows = [json.loads(x) for x in alerts.read_text().splitlines()]
            level: dict[str, str] = {}
            for r in rows:
                level[r["zone"]] = r["level"]
            if rows and all(v in ("all_clear", "cancel") for v in level.values()):
                break
            time.sleep(0.05)
        else:
            pytest.fail("no all clear while the stream stayed open")
        closed_while_open = rows
    worker.join(timeout=300.0)
    stdin.close()
    assert not worker.is_alive() and not errors, errors
    assert [r["level"] for r in closed_while_open].count("all_clear") > 0
    with EventLog(out / "events.sqlite", create=False) as log:
        events = list(log.iter_events())
        assert any(e.kind == "tick" for e in events)
        result = replay_events(events)
    assert result.identical, result.first_difference
    assert result.n_logged == len(closed_while_open)  # nothing left for the end-of-input drain


def test_tick_s_only_for_a_live_stream(feed: Feed, tmp_path: Path) -> None:
    s = feed.scenario
    with pytest.raises(BadInputError, match="tick-s"):
        run_chain(s / "sensors.json", str(feed.measurements), s / "zones.geojson", tmp_path, tick_s=1.0)
    with pytest.raises(BadInputError, match="tick-s"):
        run_chain(s / "sensors.json", "-", s / "zones.geojson", tmp_path / "b", tick_s=0.0)
