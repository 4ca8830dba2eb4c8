"""`tocsin run --measurements -` on a live feed: each alert line is on standard output as soon as it is
decided (while stdin is still open), and late, repeated and bad records are handled as contract
section 2 says: within the window they are used, beyond it or bad they are reported by line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from live_helpers import Feed, LineReader, decisions_by_line, run_engine, tocsin_run

LATE_SENSOR = "q53-1"
LATE_S = 2.0  # inside the 5 s late-data window


def _delivered(feed: Feed) -> list[bytes]:
    """The feed as a live link delivers it: one radar's records 2 s late, repeats, junk, a stale record."""
    recs = [json.loads(x) for x in feed.lines]
    order = sorted(
        range(len(recs)),
        key=lambda i: (recs[i]["t_unix_s"] + (LATE_S if recs[i]["sensor"] == LATE_SENSOR else 0.0), i),
    )
    out: list[bytes] = []
    for k, i in enumerate(order):
        out.append(feed.lines[i].encode() + b"\n")
        if k % 50 == 7:
            out.append(feed.lines[i].encode() + b"\n")  # at-least-once: delivered twice
        if k == 100:
            out.append(b"not json\n")
        if k == 150:
            out.append(b'{"t_unix_s": \xff\xfe, "sensor": "lcmr-1"}\n')  # not UTF-8
        if k == 200:
            out.append(b'{"t_unix_s": ' + b" " * 300_000 + b"1}\n")  # overlong
        if k == 250:
            out.append(feed.lines[i].replace('"t_unix_s": ', '"t_unix_s": NaN, "x": ').encode() + b"\n")
        if k == 400:
            stale = dict(recs[order[250]])  # ~15 s old: beyond the window
            stale["scan"] += 100_000
            out.append(json.dumps(stale).encode() + b"\n")
    return out


def _text(lines: list[bytes]) -> list[str]:
    return [x.decode("utf-8", errors="surrogateescape").rstrip("\n") for x in lines]


def test_each_alert_is_flushed_when_decided_and_bad_records_are_named(feed: Feed, tmp_path: Path) -> None:
    raw = _delivered(feed)
    text = _text(raw)
    expected = decisions_by_line(feed, text)
    _, ref_rejected = run_engine(feed, text)
    assert len(expected) >= 5
    checkpoints = sorted({line for line, _ in expected if line > 0})[:3]
    with subprocess.Popen(
        tocsin_run(feed, tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        out = LineReader(proc.stdout)
        err = LineReader(proc.stderr)
        got: list[str] = []
        sent = 0
        for line in checkpoints:
            proc.stdin.write(b"".join(raw[sent:line]))
            proc.stdin.flush()
            sent = line
            due = sum(1 for n, _ in expected if 0 < n <= line) - len(got)
            # Stdin stays open: the alerts must come now, not when the input ends.
            got.extend(out.take(due))
            assert [json.loads(x) for x in got] == [d for _, d in expected[: len(got)]]
        proc.stdin.write(b"".join(raw[sent:]))
        proc.stdin.close()
        assert proc.wait(timeout=600) == 0
        got.extend(out.rest())
        err_lines = err.rest()
        assert [json.loads(x) for x in got] == [d for _, d in expected]
        assert (tmp_path / "alerts.jsonl").read_text().splitlines() == got
    # Every bad, repeated or stale line is named on stderr (file "-", its line), and only those.
    skipped = [m for m in (re.match(r"tocsin: skipped -:(\d+):", x) for x in err_lines) if m]
    assert sorted(int(m.group(1)) for m in skipped) == sorted(r.line for r in ref_rejected)
    assert len(ref_rejected) >= len(raw) - len(feed.lines)
    res = subprocess.run(
        [str(Path(sys.executable).with_name("tocsin")), "replay", str(tmp_path / "events.sqlite")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
