"""The server adapters against real servers: the MQTT siren bridge (Mosquitto) and NATS JetStream.

The end-to-end test is the deployment pipe itself, ``tocsin bus receive | tocsin run --measurements - |
tocsin publish``, and it must decide exactly what the engine decides over the same records.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from brokers import free_port, mosquitto_url, nats_url
from live_helpers import Feed, tocsin_run
from paho.mqtt.enums import CallbackAPIVersion

from tocsin.disseminate.feed import SIREN_FOR_LEVEL
from tocsin.service.nats_bus import BusClient

TOCSIN = str(Path(sys.executable).with_name("tocsin"))


@pytest.fixture(scope="module")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from mosquitto_url(tmp_path_factory.mktemp("mqtt"))


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from nats_url(tmp_path_factory.mktemp("nats"))


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.split("://", 1)[1].split(":")
    return host, int(port)


class Collector:
    """An MQTT subscriber that records (topic, payload, retained) for every message under a prefix."""

    def __init__(self, url: str, topic: str) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._subscribed = threading.Event()
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda c, u, mid, rc, p: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(*_host_port(url))
        self.client.loop_start()
        assert self._subscribed.wait(10.0)

    def _on_message(self, client: mqtt.Client, userdata: Any, m: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((m.topic, m.payload, bool(m.retain)))

    def wait_for(self, n: int, timeout_s: float = 20.0) -> list[tuple[str, bytes, bool]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and len(self.messages) < n:
            time.sleep(0.05)
        time.sleep(0.3)  # anything extra would show up as a count mismatch
        self.client.disconnect()
        self.client.loop_stop()
        with self._lock:
            return list(self.messages)


def _alerts_file(feed: Feed, path: Path) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in feed.decisions))
    return path


def test_siren_bridge_delivers_every_alert_in_order_and_retains_each_zone_state(
    feed: Feed, mqtt_broker: str, tmp_path: Path
) -> None:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    live = Collector(mqtt_broker, f"{prefix}/alerts")
    alerts = _alerts_file(feed, tmp_path / "alerts.jsonl")
    zones = feed.scenario / "zones.geojson"
    cmd = [TOCSIN, "publish", "--alerts", str(alerts), "--zones", str(zones), "--mqtt", mqtt_broker]
    done = subprocess.run(
        [*cmd, "--topic-prefix", prefix], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert f"{len(feed.decisions)} messages" in done.stderr

    got = [json.loads(p) for _, p, _ in live.wait_for(len(feed.decisions))]
    assert [m["seq"] for m in got] == list(range(1, len(feed.decisions) + 1))
    for m, d in zip(got, feed.decisions, strict=True):
        assert (m["zone"], m["level"], m["t_unix_s"]) == (d["zone"], d["level"], d["t_unix_s"])
        assert m["siren"] == SIREN_FOR_LEVEL[d["level"]] and m["schema"] == "tocsin.feed/1"
        ring = m["polygons_latlon"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        assert all(abs(lat) < 60 and 30 < lon < 60 for lat, lon in ring)  # Iraq: lat, lon order

    # A siren controller that connects afterwards gets each zone's current state, retained.
    late = Collector(mqtt_broker, f"{prefix}/#")
    last = {d["zone"]: d for d in feed.decisions}
    retained = late.wait_for(len(last) + 1)
    states = {t.split("/")[-1]: json.loads(p) for t, p, r in retained if r and "/zone/" in t}
    assert {z: s["level"] for z, s in states.items()} == {z: d["level"] for z, d in last.items()}
    assert (f"{prefix}/status", b"offline", True) in retained  # the bridge said goodbye


def test_publish_skips_a_garbled_alert_line_and_names_it(feed: Feed, tmp_path: Path) -> None:
    lines = [json.dumps(d) for d in feed.decisions[:3]]
    path = tmp_path / "alerts.jsonl"
    path.write_text(
        "\n".join([lines[0], '{"zone": "z", "level": "panic", "t_unix_s": 1}', *lines[1:]]) + "\n"
    )
    done = subprocess.run(
        [TOCSIN, "publish", "--alerts", str(path), "--echo"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "alerts.jsonl:2: field 'level'" in done.stderr
    assert [json.loads(x)["seq"] for x in done.stdout.splitlines()] == [1, 2, 3]


def test_unreachable_broker_exits_1_and_bad_url_exits_2(feed: Feed, tmp_path: Path) -> None:
    alerts = _alerts_file(feed, tmp_path / "alerts.jsonl")
    port = free_port()
    down = subprocess.run(
        [TOCSIN, "publish", "--alerts", str(alerts), "--mqtt", f"mqtt://127.0.0.1:{port}"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1 and "service unavailable" in down.stderr
    bad = subprocess.run(
        [TOCSIN, "publish", "--alerts", str(alerts), "--nats", "http://x"],
        check=False,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "--nats" in bad.stderr


def test_jetstream_carries_the_feed_once_and_a_durable_consumer_resumes(
    feed: Feed, nats_server: str, tmp_path: Path
) -> None:
    stream, prefix = f"T{uuid.uuid4().hex[:10].upper()}", f"s{uuid.uuid4().hex[:8]}"
    send = [TOCSIN, "bus", "send", "--measurements", str(feed.measurements), "--nats", nats_server]
    send += ["--stream", stream, "--subject-prefix", prefix]
    first = subprocess.run(send, check=False, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and f"{len(feed.lines)} new records" in first.stderr, first.stderr
    again = subprocess.run(
        send, check=False, capture_output=True, text=True, timeout=120
    )  # an at-least-once re-send
    assert again.returncode == 0 and "0 new records" in again.stderr

    recv = [TOCSIN, "bus", "receive", "--nats", nats_server, "--stream", stream, "--subject-prefix", prefix]
    recv += ["--durable", "engine", "--idle-exit-s", "1"]
    got = subprocess.run(recv, check=False, capture_output=True, text=True, timeout=120)
    assert got.returncode == 0 and got.stdout.splitlines() == feed.lines
    resumed = subprocess.run(recv, check=False, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0 and resumed.stdout == ""  # everything was acknowledged


def test_bus_to_engine_to_feed_pipe_decides_what_the_engine_decides(
    feed: Feed, nats_server: str, tmp_path: Path
) -> None:
    stream, prefix = f"T{uuid.uuid4().hex[:10].upper()}", f"s{uuid.uuid4().hex[:8]}"
    send = [TOCSIN, "bus", "send", "--measurements", str(feed.measurements), "--nats", nats_server]
    subprocess.run([*send, "--stream", stream, "--subject-prefix", prefix], check=True, timeout=120)
    recv = [TOCSIN, "bus", "receive", "--nats", nats_server, "--stream", stream, "--subject-prefix", prefix]
    out = tmp_path / "run"
    bus = subprocess.Popen([*recv, "--idle-exit-s", "2"], stdout=subprocess.PIPE)
    run = subprocess.Popen(tocsin_run(feed, out), stdin=bus.stdout, stdout=subprocess.PIPE)
    assert bus.stdout is not None
    bus.stdout.close()  # the run owns the pipe now: it sees EOF when receive stops
    pub = subprocess.run(
        [TOCSIN, "publish", "--alerts", "-", "--echo"],
        stdin=run.stdout,
        check=False,
        capture_output=True,
        timeout=300,
    )
    assert run.stdout is not None
    run.stdout.close()
    assert bus.wait(60) == 0 and run.wait(60) == 0 and pub.returncode == 0
    decided = [json.loads(x) for x in (out / "alerts.jsonl").read_text().splitlines()]
    assert decided == feed.decisions
    echoed = [json.loads(x) for x in pub.stdout.decode().splitlines()]
    assert [(m["zone"], m["level"]) for m in echoed] == [(d["zone"], d["level"]) for d in feed.decisions]


def test_alert_messages_are_deduplicated_by_the_stream(feed: Feed, nats_server: str) -> None:
    from tocsin.disseminate.feed import feed_message

    stream, prefix = f"A{uuid.uuid4().hex[:10].upper()}", f"a{uuid.uuid4().hex[:8]}"
    msgs = [feed_message(d, i) for i, d in enumerate(feed.decisions, 1)]
    with BusClient(*_host_port(nats_server)) as bus:
        bus.ensure_stream(stream, [f"{prefix}.>"])
        assert all(bus.publish_alert(m, stream, prefix) for m in msgs)
        assert not any(bus.publish_alert(m, stream, prefix) for m in msgs)  # a restarted publisher

    async def count() -> int:
        import nats

        nc = await nats.connect(nats_server)
        info = await nc.jetstream().stream_info(stream)
        await nc.close()
        return int(info.state.messages)

    assert asyncio.run(count()) == len(msgs)
