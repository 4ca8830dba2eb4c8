"""``tocsin publish`` and ``tocsin bus``: the engine's pipes to sirens and message buses.

These commands are adapters only: ``tocsin run --measurements -`` stays the single deterministic core,
fed on stdin and speaking on stdout, and the adapters move lines between it and the servers::

    tocsin bus receive --nats nats://127.0.0.1:4222 \\
      | tocsin run --sensors sensors.json --measurements - --zones zones.geojson --out run \\
      | tocsin publish --alerts - --zones zones.geojson --mqtt mqtt://127.0.0.1:1883
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from tocsin.disseminate.feed import feed_message, parse_alert_line, zone_polygons
from tocsin.errors import BadInputError
from tocsin.service.urls import broker_address


def _open_lines(path: str) -> tuple[str, IO[bytes]]:
    """(name for messages, binary stream) for a file path or ``-`` (stdin)."""
    if path == "-":
        return "-", sys.stdin.buffer
    p = Path(path)
    if not p.is_file():
        raise BadInputError(path, None, None, "no such file")
    return path, p.open("rb")


def _polygons(zones: Path | None) -> dict[str, list[list[list[float]]]] | None:
    """Zone outer rings as [lat, lon] lists from a (validated) zones file, or None without one."""
    if zones is None:
        return None
    from tocsin.zones.load import load_zones, zone_set_to_geojson

    return zone_polygons(zone_set_to_geojson(load_zones(zones)))


def iter_alerts(path: str) -> Iterator[dict[str, Any]]:
    """Alert records from ``alerts.jsonl`` or stdin, one at a time as they arrive. A bad line is named
    on stderr and skipped: a publisher in front of sirens must not stop for one garbled line."""
    name, f = _open_lines(path)
    with f:
        for line, raw in enumerate(iter(f.readline, b""), 1):
            if not raw.strip():
                continue
            try:
                yield parse_alert_line(raw, name, line)
            except BadInputError as e:
                print(f"tocsin publish: skipped: {e}", file=sys.stderr, flush=True)


def run_publish(
    alerts: str,
    zones: Path | None,
    mqtt_url: str | None,
    nats_url: str | None,
    prefix: str,
    echo: bool,
) -> int:
    """Publish every alert of ``alerts`` (file or ``-``) as a feed message to the MQTT siren bridge
    and/or NATS JetStream; returns the number of messages published. Brokers are checked first."""
    if mqtt_url is None and nats_url is None and not echo:
        raise BadInputError("--mqtt/--nats/--echo", None, None, "give at least one destination")
    polygons = _polygons(zones)
    mqtt_addr = broker_address(mqtt_url, "mqtt", "--mqtt") if mqtt_url else None
    nats_addr = broker_address(nats_url, "nats", "--nats") if nats_url else None

    from contextlib import ExitStack

    with ExitStack() as stack:
        sirens = bus = None
        if mqtt_addr is not None:
            from tocsin.service.mqtt_sirens import MqttSirenBridge

            sirens = stack.enter_context(MqttSirenBridge(*mqtt_addr, prefix=prefix))
        if nats_addr is not None:
            from tocsin.service.nats_bus import ALERT_PREFIX, ALERT_STREAM, BusClient

            bus = stack.enter_context(BusClient(*nats_addr))
            bus.ensure_stream(ALERT_STREAM, [f"{ALERT_PREFIX}.>"])
        n = 0
        for seq, alert in enumerate(iter_alerts(alerts), 1):
            msg = feed_message(alert, seq, polygons)
            if sirens is not None:
                sirens.publish(msg)
            if bus is not None:
                bus.publish_alert(msg)
            if echo:
                sys.stdout.write(json.dumps(msg, separators=(",", ":")) + "\n")
                sys.stdout.flush()
            n += 1
        return n


def _paced(f: IO[bytes], speed: float) -> Iterator[bytes]:
    """Lines of ``f``; with ``speed`` > 0, released at ``speed`` times the pace of their ``t_unix_s``
    (a replayed recording behaves like a live feed; unparseable lines pass at once)."""
    t0_data = t0_wall = None
    for raw in iter(f.readline, b""):
        if speed > 0:
            try:
                t = float(json.loads(raw)["t_unix_s"])
            except (ValueError, KeyError, TypeError):
                t = None
            if t is not None:
                if t0_data is None or t0_wall is None:
                    t0_data, t0_wall = t, time.monotonic()
                wait = t0_wall + (t - t0_data) / speed - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
        yield raw


def run_bus_send(measurements: str, nats_url: str, speed: float, stream: str, subject_prefix: str) -> int:
    """Publish a measurements file (or stdin) onto ``PREFIX.<sensor>`` subjects of ``stream``; returns
    how many records the stream took as new (repeats inside its duplicate window are not)."""
    from tocsin.service.nats_bus import BusClient

    addr = broker_address(nats_url, "nats", "--nats")
    _, f = _open_lines(measurements)
    with f, BusClient(*addr) as bus:
        return bus.send_lines(_paced(f, speed), stream=stream, prefix=subject_prefix)


def run_bus_receive(
    nats_url: str, durable: str, idle_exit_s: float | None, stream: str, subject_prefix: str
) -> int:
    """Copy the sensor stream's durable consumer to stdout (flushed per batch); returns lines written."""
    from tocsin.service.nats_bus import BusClient

    addr = broker_address(nats_url, "nats", "--nats")
    with BusClient(*addr) as bus:
        return bus.receive_lines(
            sys.stdout.buffer,
            stream=stream,
            subjects=f"{subject_prefix}.>",
            durable=durable,
            idle_exit_s=idle_exit_s,
        )


def run_serve(alerts: str, zones: Path | None, host: str, port: int, exit_on_eof: bool) -> int:
    """Serve the live feed of ``alerts`` (file or ``-``) over HTTP until stopped (or, with
    ``exit_on_eof``, until the input ends); returns the number of messages served."""
    import threading

    import uvicorn

    from tocsin.service.http_feed import FeedHub, create_app

    polygons = _polygons(zones)
    if alerts != "-":  # a missing file is bad input now, not an error in the reader thread
        _open_lines(alerts)[1].close()
    hub = FeedHub()
    # Graceful shutdown waits for open streams; SSE streams never end by themselves (ecosystem.md s.7).
    config = uvicorn.Config(
        create_app(hub, polygons), host=host, port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)

    def read() -> None:
        for seq, alert in enumerate(iter_alerts(alerts), 1):
            hub.add(feed_message(alert, seq, polygons))
        hub.close_input()
        if exit_on_eof:
            server.should_exit = True

    threading.Thread(target=read, name="tocsin-alerts", daemon=True).start()
    print(f"tocsin serve: http://{host}:{port}/ (feed /feed, state /state)", file=sys.stderr, flush=True)
    server.run()
    return len(hub.since(0))
