"""The MQTT siren bridge: alert changes to siren controllers, at least once, state retained per zone.

Topics (``PREFIX`` defaults to ``tocsin``):
- ``PREFIX/zone/ZONE``: retained, QoS 1: the zone's latest feed message (``tocsin.disseminate.feed``).
  A controller subscribes to its own zones; after a reboot the broker hands it the current state at once
  (MQTT 3.1.1 section 3.3.1.3, RETAIN).
- ``PREFIX/alerts``: every feed message in issue order, QoS 1, not retained (audit, dashboards).
- ``PREFIX/status``: retained ``online`` while the bridge runs; the broker publishes the last will
  ``offline`` if the bridge dies without saying goodbye, and the bridge sets ``offline`` when it stops.
  A controller that sees ``offline`` knows that silence no longer means "no threat".

QoS 1 is at least once: a controller may see a message twice and must act on state, not on edges; the
feed's ``seq`` lets it tell a repeat from a new change.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from tocsin.disseminate.feed import mqtt_zone_topic
from tocsin.errors import ServiceError


class MqttSirenBridge:
    """Publish feed messages to an MQTT broker; use as a context manager.

    ``connect_timeout_s`` bounds the wait for the broker at start (seconds); ``ack_timeout_s`` bounds the
    wait for each message's PUBACK. Both raise ``ServiceError`` when exceeded: a siren bridge that cannot
    deliver must say so loudly, not drop warnings.
    """

    def __init__(
        self,
        host: str,
        port: int = 1883,
        prefix: str = "tocsin",
        client_id: str = "tocsin-sirens",
        connect_timeout_s: float = 10.0,
        ack_timeout_s: float = 10.0,
    ) -> None:
        self.host, self.port, self.prefix = host, port, prefix
        self.connect_timeout_s, self.ack_timeout_s = connect_timeout_s, ack_timeout_s
        self.published = 0
        self._connected = threading.Event()
        self._refused: str | None = None
        # A persistent session (clean_session=False) lets the broker keep QoS 1 messages in flight
        # across a reconnect of the bridge (MQTT 3.1.1 section 3.1.2.4).
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        self._client.max_queued_messages_set(0)  # unbounded: a warning is never dropped for queue size
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        self._client.will_set(f"{prefix}/status", b"offline", qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any
    ) -> None:
        if reason.is_failure:
            self._refused = str(reason)
            return
        client.publish(f"{self.prefix}/status", b"online", qos=1, retain=True)
        self._connected.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._connected.clear()

    def __enter__(self) -> MqttSirenBridge:
        try:
            self._client.connect_async(self.host, self.port, keepalive=30)
        except (OSError, ValueError) as e:
            raise ServiceError(f"MQTT broker {self.host}:{self.port}: {e}") from e
        self._client.loop_start()
        if not self._connected.wait(self.connect_timeout_s):
            self._client.loop_stop()
            why = self._refused or f"no connection within {self.connect_timeout_s:g} s"
            raise ServiceError(f"MQTT broker {self.host}:{self.port}: {why}")
        return self

    def publish(self, msg: Mapping[str, Any]) -> None:
        """Send one feed message to its zone topic (retained) and to the audit topic; wait for both
        PUBACKs, so that returning means the broker holds the warning."""
        payload = json.dumps(msg, separators=(",", ":"), allow_nan=False).encode()
        infos = [
            self._client.publish(mqtt_zone_topic(self.prefix, str(msg["zone"])), payload, qos=1, retain=True),
            self._client.publish(f"{self.prefix}/alerts", payload, qos=1, retain=False),
        ]
        for info in infos:
            try:
                info.wait_for_publish(self.ack_timeout_s)
            except (RuntimeError, ValueError) as e:
                raise ServiceError(f"MQTT broker {self.host}:{self.port}: publish failed: {e}") from e
            if not info.is_published():
                raise ServiceError(
                    f"MQTT broker {self.host}:{self.port}: no PUBACK within {self.ack_timeout_s:g} s"
                )
        self.published += 1

    def __exit__(self, *exc: object) -> None:
        try:
            if self._connected.is_set():
                bye = self._client.publish(f"{self.prefix}/status", b"offline", qos=1, retain=True)
                bye.wait_for_publish(self.ack_timeout_s)
        finally:
            self._client.disconnect()
            self._client.loop_stop()
