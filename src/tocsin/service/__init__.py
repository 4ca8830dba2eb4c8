"""tocsin.service: adapters between the deterministic engine and the outside world's servers.

- ``tocsin.service.mqtt_sirens``: the siren bridge. Every alert change goes to MQTT (QoS 1) as a
  retained per-zone state (``PREFIX/zone/ZONE``), so a siren controller that reboots learns the current
  state at once, and on an audit topic (``PREFIX/alerts``). The bridge's own liveness is a retained
  ``PREFIX/status`` with a last will, so controllers can tell "no alert" from "no bridge".
- ``tocsin.service.nats_bus``: NATS JetStream. Sensor records in (``sensor.<id>`` subjects, durable pull
  consumer, at-least-once: tocsin's exact-repeat rule drops re-deliveries) and alert messages out
  (``alerts.zone.<id>``, de-duplicated by ``Nats-Msg-Id``).

The engine never imports this package: these adapters run as separate ``tocsin`` commands joined by
pipes (``tocsin bus receive | tocsin run --measurements - ... | tocsin publish --alerts -``), so the
event log still records exactly what the engine saw and ``tocsin replay`` stays exact.
"""
