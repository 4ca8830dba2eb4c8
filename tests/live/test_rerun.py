"""`tocsin run` into a directory that holds an earlier run: the earlier run is moved to
OUT/earlier-runs/N/ and the new one written afresh (re-running into one --out must work, contract
section 6); --overwrite deletes it instead; never a second run appended to the event log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from live_helpers import Feed

from tocsin.store.eventlog import EventLog


def _run(feed: Feed, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).with_name("tocsin"))
    s = feed.scenario
    cmd = [exe, "run", "--sensors", str(s / "sensors.json"), "--measurements", str(feed.measurements)]
    cmd += ["--zones", str(s / "zones.geojson"), "--out", str(out), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)


def _replay(log: Path) -> subprocess.CompletedProcess[str]:
    exe = str(Path(sys.executable).with_name("tocsin"))
    return subprocess.run([exe, "replay", str(log)], capture_output=True, text=True, timeout=600, check=False)


def _snapshot(out: Path) -> dict[str, bytes]:
    files = [
        out / "alerts.jsonl",
        out / "predictions.jsonl",
        out / "tracks.jsonl",
        *sorted((out / "cap").glob("*")),
    ]
    return {str(f.relative_to(out)): f.read_bytes() for f in files}


def test_a_second_run_into_the_same_dir_keeps_the_first_aside_and_writes_afresh(
    feed: Feed, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    first = _run(feed, out)
    assert first.returncode == 0, first.stderr[-2000:]
    before = _snapshot(out)
    with EventLog(out / "events.sqlite", create=False) as log:
        n_events = log.count()
    again = _run(feed, out)
    assert again.returncode == 0, again.stderr[-2000:]
    kept = out / "earlier-runs" / "1"
    assert "moved the earlier run" in again.stderr and str(kept) in again.stderr
    assert _snapshot(out) == before  # the same run again, byte for byte, in one fresh log
    assert _snapshot(kept) == before  # and the first one kept whole
    for log_path in (out / "events.sqlite", kept / "events.sqlite"):
        with EventLog(log_path, create=False) as log:
            assert log.count() == n_events
            assert log.count(["config"]) == 1
        assert _replay(log_path).returncode == 0
    assert _run(feed, out).returncode == 0 and (out / "earlier-runs" / "2" / "alerts.jsonl").exists()


def test_outputs_without_a_log_are_not_overwritten_silently(feed: Feed, tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "alerts.jsonl").write_text('{"zone": "old"}\n')
    res = _run(feed, out)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "alerts.jsonl" in res.stderr
    assert (out / "earlier-runs" / "1" / "alerts.jsonl").read_text() == '{"zone": "old"}\n'


def test_overwrite_replaces_the_earlier_run_and_says_so(feed: Feed, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert _run(feed, out).returncode == 0
    before = _snapshot(out)
    assert any(k.startswith("cap") for k in before)
    stale = out / "cap" / "stale-message-of-another-run.xml"
    stale.write_text("<alert/>")
    res = _run(feed, out, "--overwrite")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "removed the earlier run" in res.stderr and "events.sqlite" in res.stderr
    assert not stale.exists()
    assert _snapshot(out) == before  # the same run again, byte for byte
    with EventLog(out / "events.sqlite", create=False) as log:
        assert log.count(["config"]) == 1
    rep = _replay(out / "events.sqlite")
    assert rep.returncode == 0, rep.stdout + rep.stderr


def test_a_fresh_directory_needs_no_flag(feed: Feed, tmp_path: Path) -> None:
    out = tmp_path / "fresh"
    res = _run(feed, out, "--overwrite")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "removed" not in res.stderr
