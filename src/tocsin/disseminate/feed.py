"""The live alert feed: one self-describing message per alert change, for sirens, apps and buses.

Pure functions only (no I/O): the service adapters (``tocsin.service``) put these messages on MQTT
topics and NATS subjects. What a feed's users ask for (domain.md section 3.6): a stable documented
format, the pre-alert clearly distinct from the siren, polygons rather than area names, low latency.
So every message carries its schema name, a ``siren`` command separate from the warning ``level``, the
zone polygon in ``[lat, lon]`` order when zones are known, and a sequence number for gap detection.

Message (``tocsin.feed/1``)::

    {"schema": "tocsin.feed/1", "seq": 7, "zone": "z-0012", "level": "take_cover",
     "siren": "sound", "t_unix_s": ..., "issued_utc": "2020-01-08T01:34:12.500Z",
     "threats": ["T12"], "p_impact": 0.83, "impact_t_unix_s": ..., "reason": "...",
     "polygons_latlon": [[[lat, lon], ...]]}

``siren`` tells a siren controller what to do: ``sound`` (take cover: the rising and falling alarm),
``all_clear`` (the steady all-clear tone), ``silence`` (a cancelled warning: stop, nothing to announce),
``standby`` (pre-alert: no siren; phones and displays only, so the siren keeps its meaning).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any, Final

from tocsin.alert.types import LEVELS
from tocsin.errors import BadInputError

SCHEMA: Final = "tocsin.feed/1"

#: Siren command per alert level (see the module docstring).
SIREN_FOR_LEVEL: Final[Mapping[str, str]] = {
    "pre_alert": "standby",
    "take_cover": "sound",
    "all_clear": "all_clear",
    "cancel": "silence",
}

#: Polygon rings as [[lat, lon], ...] lists, per zone id.
ZonePolygons = Mapping[str, list[list[list[float]]]]


def parse_alert_line(text: str | bytes, file: str, line: int) -> dict[str, Any]:
    """Parse one ``alerts.jsonl`` line (contract section 5).

    Raises ``BadInputError`` naming ``file``, ``line`` and the field at fault. ``t_unix_s`` is seconds
    since the Unix epoch (UTC).
    """
    try:
        a = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadInputError(file, line, None, f"not JSON: {e}") from e
    if not isinstance(a, dict):
        raise BadInputError(file, line, None, "not a JSON object")
    t = a.get("t_unix_s")
    if not (isinstance(t, int | float) and not isinstance(t, bool) and math.isfinite(t)):
        raise BadInputError(file, line, "t_unix_s", "missing or not a finite number")
    if not isinstance(a.get("zone"), str) or not a["zone"]:
        raise BadInputError(file, line, "zone", "missing or not a non-empty string")
    if a.get("level") not in LEVELS:
        raise BadInputError(file, line, "level", f"must be one of {', '.join(LEVELS)}")
    return a


def utc_iso(t_unix_s: float) -> str:
    """ISO 8601 UTC with milliseconds and a ``Z`` suffix for ``t_unix_s`` (seconds since the epoch)."""
    d = dt.datetime.fromtimestamp(t_unix_s, tz=dt.UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def feed_message(alert: Mapping[str, Any], seq: int, polygons: ZonePolygons | None = None) -> dict[str, Any]:
    """The feed message for one alert record; ``seq`` numbers the messages of one stream from 1."""
    level = str(alert["level"])
    msg: dict[str, Any] = {
        "schema": SCHEMA,
        "seq": int(seq),
        "zone": str(alert["zone"]),
        "level": level,
        "siren": SIREN_FOR_LEVEL[level],
        "t_unix_s": float(alert["t_unix_s"]),
        "issued_utc": utc_iso(float(alert["t_unix_s"])),
    }
    for key in ("threats", "p_impact", "impact_t_unix_s", "reason"):
        if key in alert:
            msg[key] = alert[key]
    if polygons is not None and msg["zone"] in polygons:
        msg["polygons_latlon"] = polygons[msg["zone"]]
    return msg


def message_id(msg: Mapping[str, Any]) -> str:
    """A stable id for de-duplication by brokers (NATS ``Nats-Msg-Id``): the same alert re-sent after
    a restart gets the same id, so an at-least-once producer does not sound a siren twice."""
    key = json.dumps([msg["zone"], msg["level"], msg["t_unix_s"], msg.get("threats")], sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _escape(token: str, forbidden: str) -> str:
    """Percent-encode ``%`` and every character of ``forbidden`` (and controls) in ``token``."""
    out = []
    for ch in token:
        if ch == "%" or ch in forbidden or ord(ch) < 0x21:
            out.append("".join(f"%{b:02X}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


def mqtt_zone_topic(prefix: str, zone: str) -> str:
    """``PREFIX/zone/ZONE``: MQTT topic levels may not hold ``/``, ``+`` or ``#`` (MQTT 3.1.1 section
    4.7), so those are percent-encoded in the zone id."""
    return f"{prefix}/zone/{_escape(zone, '/+#')}"


def nats_subject(prefix: str, token: str) -> str:
    """``PREFIX.TOKEN`` for a zone or sensor id: NATS subject tokens may not hold ``.``, ``*``, ``>`` or
    whitespace (NATS subject naming rules), so those are percent-encoded in the id."""
    return f"{prefix}.{_escape(token, '.*>')}"


def zone_polygons(geojson: Mapping[str, Any]) -> dict[str, list[list[list[float]]]]:
    """Exterior rings of each zone of a zones FeatureCollection as ``[lat, lon]`` lists (the order CAP
    and most feed users expect), one ring per polygon part, coordinates rounded to 1e-6 degree."""
    out: dict[str, list[list[list[float]]]] = {}
    for f in geojson.get("features", []):
        zid = f.get("properties", {}).get("id")
        geom = f.get("geometry") or {}
        if not isinstance(zid, str):
            continue
        parts = [geom["coordinates"]] if geom.get("type") == "Polygon" else geom.get("coordinates", [])
        out[zid] = [[[round(float(p[1]), 6), round(float(p[0]), 6)] for p in part[0]] for part in parts]
    return out
