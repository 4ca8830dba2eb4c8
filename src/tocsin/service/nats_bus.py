"""NATS JetStream adapters: sensor records in, alert messages out.

Why JetStream and not core NATS: core NATS is at most once (a record published while tocsin restarts
is gone); a JetStream stream persists records and a durable consumer resumes where it stopped, at least
once (NATS docs, JetStream concepts). Re-deliveries are harmless: an exact repeat of a record is dropped
by tocsin's ingest (contract section 2), and producers set ``Nats-Msg-Id`` so that the stream itself
drops a repeat published within its duplicate window.

Subjects: ``sensor.<sensor id>`` (stream ``TOCSIN_SENSORS``) and ``alerts.zone.<zone id>`` (stream
``TOCSIN_ALERTS``). nats-py is asyncio; ``BusClient`` runs its event loop on a private thread so the
synchronous, line-by-line commands can use it without blocking the loop while they wait on stdin.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Coroutine, Iterable, Mapping
from typing import Any, BinaryIO, TypeVar

import nats
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import StreamConfig
from nats.js.errors import NotFoundError

from tocsin.disseminate.feed import message_id, nats_subject
from tocsin.errors import ServiceError

SENSOR_STREAM = "TOCSIN_SENSORS"
SENSOR_PREFIX = "sensor"
ALERT_STREAM = "TOCSIN_ALERTS"
ALERT_PREFIX = "alerts.zone"

T = TypeVar("T")


def sensor_subject(line: bytes, prefix: str = SENSOR_PREFIX) -> str:
    """``PREFIX.<sensor>`` for a measurement line; lines without a readable sensor id go to
    ``PREFIX._unparsed`` so that tocsin, not the bus, rejects and names them (contract section 2)."""
    try:
        rec = json.loads(line)
        sensor = rec.get("sensor") if isinstance(rec, dict) else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        sensor = None
    if not isinstance(sensor, str) or not sensor:
        return f"{prefix}._unparsed"
    return nats_subject(prefix, sensor)


class BusClient:
    """A NATS connection with JetStream, driven from synchronous code; use as a context manager."""

    def __init__(self, host: str, port: int = 4222, connect_timeout_s: float = 5.0) -> None:
        self.url = f"nats://{host}:{port}"
        self.connect_timeout_s = connect_timeout_s
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tocsin-nats", daemon=True)
        self._nc: Any = None
        self._js: Any = None

    def _run(self, coro: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout_s)

    def __enter__(self) -> BusClient:
        self._thread.start()

        async def connect() -> None:
            self._nc = await nats.connect(
                self.url,
                connect_timeout=self.connect_timeout_s,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                name="tocsin",
            )
            self._js = self._nc.jetstream()

        try:
            # nats-py retries the first connection too; bound the whole attempt.
            self._run(asyncio.wait_for(connect(), self.connect_timeout_s + 1.0))
        except (OSError, NatsError, TimeoutError) as e:
            self._stop_loop()
            raise ServiceError(f"NATS {self.url}: {type(e).__name__} {e}".rstrip()) from e
        return self

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5.0)
        if not self._thread.is_alive():
            self._loop.close()

    def __exit__(self, *exc: object) -> None:
        try:
            if self._nc is not None:
                # Every publish was acked and every received batch acked before this point, so
                # close (not drain: draining a pull subscription waits out its fetch timeouts).
                self._run(self._nc.close(), 10.0)
        except (NatsError, TimeoutError):
            pass
        finally:
            self._stop_loop()

    def ensure_stream(self, name: str, subjects: list[str]) -> None:
        """Create stream ``name`` over ``subjects`` unless it exists (an existing stream is kept as is:
        operators may have tuned its retention)."""

        async def ensure() -> None:
            try:
                await self._js.stream_info(name)
            except NotFoundError:
                await self._js.add_stream(StreamConfig(name=name, subjects=subjects))

        try:
            self._run(ensure(), 10.0)
        except (NatsError, TimeoutError) as e:
            raise ServiceError(f"NATS {self.url}: stream {name}: {type(e).__name__} {e}") from e

    def publish(self, subject: str, payload: bytes, msg_id: str, timeout_s: float = 10.0) -> bool:
        """Publish to JetStream and wait for its ack; ``msg_id`` becomes ``Nats-Msg-Id``. Returns False
        when the stream reports the message as a duplicate it already holds."""
        try:
            ack = self._run(self._js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id}), timeout_s)
        except (NatsError, TimeoutError) as e:
            raise ServiceError(f"NATS {self.url}: publish to {subject}: {type(e).__name__} {e}") from e
        return not bool(ack.duplicate)

    def send_lines(
        self, lines: Iterable[bytes], stream: str = SENSOR_STREAM, prefix: str = SENSOR_PREFIX
    ) -> int:
        """Publish measurement lines on ``PREFIX.<sensor>``; returns how many the stream took as new."""
        self.ensure_stream(stream, [f"{prefix}.>"])
        new = 0
        for raw in lines:
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            new += self.publish(sensor_subject(line, prefix), line, hashlib.sha256(line).hexdigest()[:32])
        return new

    def publish_alert(
        self, msg: Mapping[str, Any], stream: str = ALERT_STREAM, prefix: str = ALERT_PREFIX
    ) -> bool:
        """Publish one feed message on ``PREFIX.<zone>`` de-duplicated by its ``message_id``."""
        payload = json.dumps(msg, separators=(",", ":"), allow_nan=False).encode()
        return self.publish(nats_subject(prefix, str(msg["zone"])), payload, message_id(msg))

    def receive_lines(
        self,
        out: BinaryIO,
        stream: str = SENSOR_STREAM,
        subjects: str = f"{SENSOR_PREFIX}.>",
        durable: str = "tocsin-engine",
        idle_exit_s: float | None = None,
        batch: int = 256,
    ) -> int:
        """Copy messages of a durable pull consumer to ``out`` one line each, flushed, acking each batch
        only after it is written (so a crash re-delivers rather than loses). Stops after ``idle_exit_s``
        seconds without a message (None: never). Returns the number of lines written."""
        self.ensure_stream(stream, [subjects])

        async def pump() -> int:
            sub = await self._js.pull_subscribe(subjects, durable=durable, stream=stream)
            written, idle = 0, 0.0
            while idle_exit_s is None or idle < idle_exit_s:
                try:
                    msgs = await sub.fetch(batch, timeout=0.5)
                except (NatsTimeoutError, TimeoutError):  # nats-py raises either on an empty fetch
                    idle += 0.5
                    continue
                idle = 0.0
                for m in msgs:
                    out.write(m.data.rstrip(b"\r\n") + b"\n")
                out.flush()
                for m in msgs:
                    await m.ack()
                written += len(msgs)
            await sub.unsubscribe()
            return written

        try:
            return self._run(pump())
        except (NatsError, TimeoutError) as e:
            raise ServiceError(f"NATS {self.url}: receive from {stream}: {type(e).__name__} {e}") from e
