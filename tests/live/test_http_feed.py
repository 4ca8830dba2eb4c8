"""`tocsin serve`: the HTTP live feed (SSE with Last-Event-ID replay, state, GeoJSON, board)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from brokers import free_port, port_open
from live_helpers import Feed

TOCSIN = str(Path(sys.executable).with_name("tocsin"))


def _serve(
    feed: Feed, alerts: str, port: int, *extra: str, stdin: int | None = None
) -> subprocess.Popen[bytes]:
    cmd = [TOCSIN, "serve", "--alerts", alerts, "--zones", str(feed.scenario / "zones.geojson")]
    proc = subprocess.Popen([*cmd, "--port", str(port), *extra], stdin=stdin, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30.0
    while not port_open(port):
        assert proc.poll() is None and time.monotonic() < deadline, "tocsin serve did not start"
        time.sleep(0.1)
    return proc


def _get(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.loads(r.read())


def _events(port: int, last_event_id: int | None = None, timeout_s: float = 10.0) -> Iterator[dict[str, str]]:
    """Parsed SSE events (fields id/event/data) from /feed, as they arrive."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    conn.request("GET", "/feed", headers=headers)
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("content-type", "").startswith("text/event-stream")
    event: dict[str, str] = {}
    try:
        while True:
            line = resp.readline().decode().rstrip("\r\n")
            if not line:
                if "data" in event:
                    yield event
                event = {}
                continue
            key, _, value = line.partition(":")
            if key:
                event[key] = value.lstrip(" ")
    finally:
        conn.close()


@pytest.fixture()
def alerts_file(feed: Feed, tmp_path: Path) -> Path:
    path = tmp_path / "alerts.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in feed.decisions))
    return path


def test_feed_replays_after_last_event_id_and_serves_state(feed: Feed, alerts_file: Path) -> None:
    port = free_port()
    proc = _serve(feed, str(alerts_file), port)
    try:
        n = len(feed.decisions)
        deadline = time.monotonic() + 20.0
        while _get(port, "/healthz")["messages"] < n:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        stream = _events(port, last_event_id=n - 2)  # a client reconnecting after message n-2
        got = [next(stream) for _ in range(2)]
        assert [int(e["id"]) for e in got] == [n - 1, n]
        assert [e["event"] for e in got] == [d["level"] for d in feed.decisions[-2:]]
        assert json.loads(got[-1]["data"])["zone"] == feed.decisions[-1]["zone"]
        stream.close()

        state = _get(port, "/state")
        last = {d["zone"]: d["level"] for d in feed.decisions}
        assert state["seq"] == n and state["input_open"] is False
        assert {z: m["level"] for z, m in state["zones"].items()} == last
        fc = _get(port, "/alerts.geojson")
        assert {f["properties"]["zone"] for f in fc["features"]} == set(last)
        ring = fc["features"][0]["geometry"]["coordinates"][0][0]
        assert ring[0] == ring[-1] and 30 < ring[0][0] < 60  # lon first again, as GeoJSON wants
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert b"EventSource" in r.read()
    finally:
        proc.terminate()
        proc.wait(20)


def test_a_live_alert_reaches_an_open_stream_at_once(feed: Feed) -> None:
    port = free_port()
    proc = _serve(feed, "-", port, "--exit-on-eof", stdin=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        stream = _events(port)
        delays = []
        for d in feed.decisions[:3]:
            t0 = time.monotonic()
            proc.stdin.write((json.dumps(d) + "\n").encode())
            proc.stdin.flush()
            e = next(stream)
            delays.append(time.monotonic() - t0)
            assert json.loads(e["data"])["level"] == d["level"]
        stream.close()
        assert max(delays) < 2.0, delays  # pushed, not polled
        proc.stdin.close()  # the input ends: with --exit-on-eof the server stops cleanly
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_serve_a_missing_alerts_file_exits_2(feed: Feed, tmp_path: Path) -> None:
    port = free_port()
    done = subprocess.run(
        [TOCSIN, "serve", "--alerts", str(tmp_path / "none.jsonl"), "--port", str(port)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no such file" in done.stderr
    assert not port_open(port)
