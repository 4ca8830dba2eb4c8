"""The HTTP live feed: Server-Sent Events, the current state per zone, a GeoJSON picture, a status board.

Endpoints (``create_app``):
- ``GET /feed``: ``text/event-stream``; one event per feed message (``tocsin.disseminate.feed``),
  ``id`` = its ``seq`` and ``event`` = its ``level``. A client that reconnects sends ``Last-Event-ID``
  (browsers do it by themselves) and gets every message after that one first, so a dropped connection
  loses nothing (WHATWG HTML, server-sent events, section 9.2). A comment line every
  ``keepalive_s`` keeps proxies from closing a quiet connection.
- ``GET /state``: the latest message of every zone that has one, and the last ``seq``.
- ``GET /alerts.geojson``: the zones with their current level and siren command (RFC 7946).
- ``GET /healthz``: liveness, message count, whether the alert input is still open.
- ``GET /``: a status board for a duty officer's screen that follows ``/feed``.

The hub is filled by a reader thread (``FeedHub.add`` is thread-safe); the web server's event loop
wakes its streams through ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Header
from fastapi.responses import HTMLResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from tocsin.disseminate.feed import SCHEMA, ZonePolygons


class FeedHub:
    """Every feed message so far, in order, and a wake-up for the streams waiting on new ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages: list[dict[str, Any]] = []
        self.latest: dict[str, dict[str, Any]] = {}
        self.input_open = True
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach the web server's event loop (called on start-up, from that loop)."""
        self._loop = loop
        self._changed = asyncio.Event()

    def _wake(self) -> None:
        # Runs on the loop: wake every waiting stream, then arm a fresh event for the next change.
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    def add(self, msg: dict[str, Any]) -> None:
        """Append one feed message (any thread)."""
        with self._lock:
            self.messages.append(msg)
            self.latest[str(msg["zone"])] = msg
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake)

    def close_input(self) -> None:
        """The alert input has ended (any thread); the feed keeps serving what it holds."""
        self.input_open = False
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake)

    def since(self, seq: int) -> list[dict[str, Any]]:
        """Messages with ``seq`` greater than ``seq`` (seq numbers run 1, 2, ... by position)."""
        with self._lock:
            return self.messages[max(seq, 0) :]

    async def wait(self, timeout_s: float) -> bool:
        """Wait for the next change; False on timeout."""
        if self._changed is None:
            await asyncio.sleep(timeout_s)
            return False
        try:
            await asyncio.wait_for(self._changed.wait(), timeout_s)
        except TimeoutError:
            return False
        return True


def _parse_last_event_id(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


def create_app(hub: FeedHub, polygons: ZonePolygons | None = None, keepalive_s: float = 15.0) -> FastAPI:
    """The FastAPI application serving ``hub`` (see the module docstring for the endpoints)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        hub.bind(asyncio.get_running_loop())
        yield

    app = FastAPI(title="tocsin live feed", version=SCHEMA, docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.get("/feed", response_class=EventSourceResponse)
    async def feed(last_event_id: str | None = Header(default=None)) -> AsyncIterator[ServerSentEvent]:
        sent = _parse_last_event_id(last_event_id)
        yield ServerSentEvent(comment="tocsin.feed/1", retry=2000)
        while True:
            for msg in hub.since(sent):
                sent = int(msg["seq"])
                yield ServerSentEvent(data=msg, id=str(sent), event=str(msg["level"]))
            if not await hub.wait(keepalive_s):
                yield ServerSentEvent(comment="keepalive")

    @app.get("/state")
    async def state() -> dict[str, Any]:
        msgs = hub.since(0)
        return {
            "schema": SCHEMA,
            "seq": int(msgs[-1]["seq"]) if msgs else 0,
            "input_open": hub.input_open,
            "zones": dict(sorted(hub.latest.items())),
        }

    @app.get("/alerts.geojson")
    async def alerts_geojson() -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": _features(hub.latest, polygons)}

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"ok": True, "messages": len(hub.since(0)), "input_open": hub.input_open}

    @app.get("/", response_class=HTMLResponse)
    async def board() -> str:
        return _BOARD_HTML

    return app


def _features(latest: Mapping[str, Mapping[str, Any]], polygons: ZonePolygons | None) -> list[dict[str, Any]]:
    """One feature per zone with a message (and polygons known): rings back in GeoJSON lon/lat order."""
    out = []
    for zone, msg in sorted(latest.items()):
        rings = (polygons or {}).get(zone)
        if not rings:
            continue
        coords = [[[[lon, lat] for lat, lon in ring]] for ring in rings]
        props = {k: msg[k] for k in ("zone", "level", "siren", "t_unix_s", "issued_utc", "seq") if k in msg}
        out.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": coords},
                "properties": props,
            }
        )
    return out


_BOARD_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tocsin: zone alert board</title>
<style>
 body{font:15px system-ui,sans-serif;margin:1.5em;background:#f6f6f3;color:#1b2633}
 h1{font-size:1.3em;margin:0 0 .2em} #status{color:#666;margin-bottom:1em}
 table{border-collapse:collapse;min-width:40em}
 td,th{padding:.35em .8em;border-bottom:1px solid #ccc;text-align:left}
 tr.take_cover td{background:#d93b3b;color:#fff;font-weight:600} tr.pre_alert td{background:#f5b041}
 tr.all_clear td{background:#d8ecd8} tr.cancel td{background:#e4e4e4;color:#555}
</style></head><body>
<h1>tocsin: zone alert board</h1><div id="status">connecting...</div>
<table><thead><tr><th>zone</th><th>level</th><th>siren</th><th>issued (UTC)</th><th>threats</th>
<th>reason</th></tr></thead><tbody id="rows"></tbody></table>
<script>
const rows = {}, body = document.getElementById("rows"), status = document.getElementById("status");
function show(m) {
  let tr = rows[m.zone];
  if (!tr) { tr = rows[m.zone] = document.createElement("tr"); body.appendChild(tr); }
  tr.className = m.level;
  tr.replaceChildren(...[m.zone, m.level, m.siren, m.issued_utc, (m.threats || []).join(" "),
    m.reason || ""].map(t => { const td = document.createElement("td"); td.textContent = t; return td; }));
}
const es = new EventSource("feed");
for (const lvl of ["pre_alert", "take_cover", "all_clear", "cancel"])
  es.addEventListener(lvl, e => {
    show(JSON.parse(e.data));
    status.textContent = "live, last message #" + e.lastEventId;
  });
es.onerror = () => { status.textContent = "connection lost: reconnecting (no message is lost)"; };
es.onopen = () => { status.textContent = "live"; };
</script></body></html>
"""
