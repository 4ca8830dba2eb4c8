"""`tocsin run --resume`: a live run killed with SIGKILL mid-stream and restarted on the same --out
rebuilds its state from events.sqlite, drops what the feed re-sends, and ends with the very files of an
uninterrupted run; `tocsin replay` passes on its log."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from live_helpers import Feed, LineReader, decisions_by_line, tocsin_run

from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.cli.run_cmd import run_chain
from tocsin.engine.config import EngineConfig
from tocsin.errors import BadInputError
from tocsin.store.eventlog import EventLog
from tocsin.store.replay import RUN_KINDS, RunRecorder

RESEND_LINES = 150  # the feed re-sends this many lines before the restart point (at least once)


def _reference(feed: Feed, tmp_path: Path) -> Path:
    ref = tmp_path / "uninterrupted"
    s = feed.scenario
    run_chain(s / "sensors.json", str(feed.measurements), s / "zones.geojson", ref)
    return ref


def _tocsin(*args: str) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).with_name("tocsin"))
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize("when", ["after_alerts", "while_busy"])
def test_sigkill_then_resume_equals_an_uninterrupted_run(feed: Feed, tmp_path: Path, when: str) -> None:
    ref = _reference(feed, tmp_path)
    expected = decisions_by_line(feed, feed.lines)
    lines = [x.encode() + b"\n" for x in feed.lines]
    out = tmp_path / "live"
    decided_lines = sorted({n for n, _ in expected if n > 0})
    kill_at = decided_lines[len(decided_lines) // 2]
    with subprocess.Popen(
        tocsin_run(feed, out), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as first:
        assert first.stdin is not None and first.stdout is not None
        reader = LineReader(first.stdout)
        first.stdin.write(b"".join(lines[:kill_at]))
        first.stdin.flush()
        if when == "after_alerts":
            # Killed once it has issued every alert of the lines it got (it may still be logging them).
            before = reader.take(sum(1 for n, _ in expected if 0 < n <= kill_at))
        else:
            # Killed at its first alert, in the middle of whatever it does next (tracking, writing).
            before = reader.take(1)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
        before += reader.rest()
    assert first.returncode == -signal.SIGKILL
    issued = [json.loads(x) for x in before]
    assert issued == [d for _, d in expected[: len(issued)]]

    restart = max(0, kill_at - RESEND_LINES) if when == "after_alerts" else 0
    with subprocess.Popen(
        tocsin_run(feed, out, "--resume"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as second:
        stdout, stderr = second.communicate(b"".join(lines[restart:]), timeout=600)
    assert second.returncode == 0, stderr.decode()[-3000:]
    again = [json.loads(x) for x in stdout.decode().splitlines()]
    # Nothing issued before the kill is issued again, except decisions it had not yet logged (those
    # are delivered at least once); after them come exactly the uninterrupted run's later alerts.
    j = len(expected) - len(again)
    assert again == [d for _, d in expected[j:]]
    assert j <= len(issued)
    if when == "after_alerts":
        last = sum(1 for n, _ in expected if n == kill_at)
        assert j >= len(issued) - last
    # The feed's re-sent records are reported as dropped, none used twice.
    assert stderr.decode().count("tocsin: skipped -:") >= min(kill_at, RESEND_LINES) // 2
    for name in ("alerts.jsonl", "tracks.jsonl", "predictions.jsonl"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert sorted(p.name for p in (out / "cap").glob("*.xml")) == sorted(
        p.name for p in (ref / "cap").glob("*.xml")
    )
    res = _tocsin("replay", str(out / "events.sqlite"))
    assert res.returncode == 0, res.stdout + res.stderr
    # The run ended: there is nothing left to resume.
    with pytest.raises(BadInputError, match="ended already"):
        s = feed.scenario
        run_chain(s / "sensors.json", "-", s / "zones.geojson", out, resume=True)


def test_resume_without_a_log_starts_afresh(feed: Feed, tmp_path: Path) -> None:
    """A restart script always passing --resume works also when the first run logged nothing."""
    s = feed.scenario
    ref = _reference(feed, tmp_path)
    out = tmp_path / "fresh"
    run_chain(s / "sensors.json", str(feed.measurements), s / "zones.geojson", out, resume=True)
    assert (out / "alerts.jsonl").read_bytes() == (ref / "alerts.jsonl").read_bytes()


def test_resume_refuses_other_settings(feed: Feed, tmp_path: Path) -> None:
    s = feed.scenario
    out = tmp_path / "run"
    out.mkdir()
    # The log of a run stopped after 100 lines (no end event).
    _, sensors_doc = load_sensors_doc(s / "sensors.json")
    _, zones_doc = load_zones_doc(s / "zones.geojson")
    with EventLog(out / "events.sqlite", extra_kinds=RUN_KINDS) as log:
        recorder = RunRecorder(log)
        recorder.start(EngineConfig(), sensors_doc, zones_doc, "-")
        for number, text in enumerate(feed.lines[:100], 1):
            recorder.line(number, text, 0.0)
        recorder.flush()
    other = json.loads((s / "zones.geojson").read_text())
    other["features"] = other["features"][1:]
    zones2 = tmp_path / "zones2.geojson"
    zones2.write_text(json.dumps(other))
    with pytest.raises(BadInputError, match="zones"):
        run_chain(s / "sensors.json", "-", zones2, out, resume=True)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"lag_s": 3.0}))
    with pytest.raises(BadInputError, match="engine"):
        run_chain(s / "sensors.json", "-", s / "zones.geojson", out, config_path=config, resume=True)
