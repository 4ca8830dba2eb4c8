"""Record a run into the event log, and replay a log to check every decision is re-derived exactly.

The log of a run holds, in order: one ``config`` event (engine settings, the sensors and zones
documents, the input's name), the ``input`` lines in arrival order (batched), operator ``posture``
changes and heartbeat ``tick`` events at the place in the stream where they arrived, and what the
engine produced: ``rejected`` records, ``prediction`` rows and ``decision`` rows, and an ``end`` event
when the input ended and the engine drained. Replay rebuilds the engine from the ``config`` event
alone, feeds the inputs, postures and ticks in log order and compares the decisions it derives with the
logged ones, as JSON values (PostgreSQL's JSONB reorders keys; floats round-trip exactly).

``rebuild_from_log`` uses the same re-derivation to resume a run that was killed mid-stream
(``tocsin run --resume``): the engine state after the logged inputs is a function of those inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tocsin.alert.types import PostureChange
from tocsin.engine.config import EngineConfig, config_from_json, config_to_json
from tocsin.engine.core import Engine, EngineOutput
from tocsin.ingest.sensors import parse_sensors
from tocsin.store.eventlog import EventLog, EventLogError
from tocsin.zones.load import parse_zones

INPUT_BATCH_LINES = 500

#: Event kinds a run adds to the log's standard ones: ``end`` marks a run whose input ended; ``tick``
#: is a heartbeat of a silent live feed (``tocsin run --tick-s``): the clock ran on to its time.
RUN_KINDS = ("end", "tick")


def json_safe(value: Any) -> Any:
    """A copy of ``value`` with non-finite floats replaced by ``None`` (the log refuses NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


class RunRecorder:
    """Writes a run's events into an :class:`EventLog`, batching input lines for speed.

    Inputs are flushed before anything the engine derived from them, so the log order is the order
    in which things happened.
    """

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self._lines: list[list[Any]] = []
        self._source = "-"
        self._t = 0.0

    def start(
        self, config: EngineConfig, sensors_doc: Any, zones_doc: Any, source: str, t_unix_s: float = 0.0
    ) -> None:
        """Log the configuration event that replay rebuilds the engine from."""
        self._source = source
        payload = {
            "engine": config_to_json(config),
            "sensors": sensors_doc,
            "zones": zones_doc,
            "source": source,
        }
        self.log.append("config", t_unix_s, json_safe(payload))

    def resume(self, source: str) -> None:
        """Continue a logged run (no new ``config`` event); new input lines are named ``source``."""
        self._source = source

    def line(self, number: int, text: str, t_unix_s: float) -> None:
        """Buffer one raw input line."""
        self._lines.append([number, text])
        self._t = t_unix_s if math.isfinite(t_unix_s) else self._t
        if len(self._lines) >= INPUT_BATCH_LINES:
            self.flush()

    def flush(self) -> None:
        """Write the buffered input lines as one ``input`` event."""
        if self._lines:
            self.log.append("input", self._t, {"source": self._source, "lines": self._lines})
            self._lines = []

    def posture(self, change: PostureChange) -> None:
        """Log an operator posture change at its place in the stream."""
        self.flush()
        self.log.append("posture", change.t_unix_s, change.to_record())

    def tick(self, t_unix_s: float) -> None:
        """Log a heartbeat at its place in the stream (the engine's clock runs on to ``t_unix_s``)."""
        self.flush()
        self.log.append("tick", t_unix_s, {"t_unix_s": t_unix_s})

    def end(self, t_unix_s: float, lines: int) -> None:
        """Log that the input ended after ``lines`` lines and the engine drained."""
        self.flush()
        self.log.append("end", t_unix_s if math.isfinite(t_unix_s) else self._t, {"lines": lines})

    def output(self, out: EngineOutput) -> None:
        """Log what the engine derived (rejections, predictions, decisions) after its inputs."""
        events: list[tuple[str, float, Mapping[str, Any]]] = []
        for r in out.rejected:
            events.append(
                (
                    "rejected",
                    self._t,
                    {"source": r.file, "line": r.line, "field": r.field, "message": r.reason},
                )
            )
        for p in out.prediction_rows:
            events.append(("prediction", float(p["t_unix_s"]), json_safe(p)))
        for d in out.decisions:
            events.append(("decision", d.t_unix_s, json_safe(d.to_record())))
        if events:
            self.flush()
            self.log.append_many(events)


@dataclass(frozen=True)
class ReplayResult:
    """Outcome of a replay: identical or not, counts, and the first difference (human-readable)."""

    identical: bool
    n_logged: int
    n_replayed: int
    first_difference: str


def engine_from_config_event(payload: Mapping[str, Any]) -> Engine:
    """Rebuild the engine a run used from its ``config`` event payload."""
    config = config_from_json(dict(payload["engine"]))
    sensors = parse_sensors(payload["sensors"], "events.sqlite:config.sensors")
    zones = parse_zones(payload["zones"], "events.sqlite:config.zones")
    return Engine(sensors, zones, config, source=str(payload.get("source", "-")))


def replay_events(events: Iterable[Any]) -> ReplayResult:
    """Re-derive the decisions from logged inputs and compare them with the logged decisions.

    ``events`` are :class:`tocsin.store.eventlog.Event` in sequence order.
    """
    engine: Engine | None = None
    logged: list[Any] = []
    derived: list[Any] = []
    for ev in events:
        if ev.kind == "config":
            engine = engine_from_config_event(ev.payload)
        elif ev.kind == "decision":
            logged.append(ev.payload)
        elif engine is None:
            continue
        elif ev.kind == "input":
            for number, text in ev.payload["lines"]:
                derived.extend(
                    json_safe(d.to_record()) for d in engine.push_line(str(text), int(number)).decisions
                )
        elif ev.kind == "posture":
            engine.push_posture(PostureChange.from_record(ev.payload))
        elif ev.kind == "tick":
            derived.extend(
                json_safe(d.to_record()) for d in engine.push_tick(float(ev.payload["t_unix_s"])).decisions
            )
    if engine is None:
        return ReplayResult(False, len(logged), 0, "the log has no config event: nothing to replay")
    derived.extend(json_safe(d.to_record()) for d in engine.finish().decisions)
    for i, (a, b) in enumerate(zip(logged, derived, strict=False)):
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            detail = "; ".join(f"{k}: logged {a.get(k)!r}, replayed {b.get(k)!r}" for k in keys)
            return ReplayResult(False, len(logged), len(derived), f"decision {i + 1} differs: {detail}")
    if len(logged) != len(derived):
        return ReplayResult(
            False,
            len(logged),
            len(derived),
            f"{len(logged)} decisions logged but {len(derived)} re-derived",
        )
    return ReplayResult(True, len(logged), len(derived), "")


@dataclass
class RebuiltRun:
    """A run rebuilt from its log: the engine after the logged inputs and what they derived.

    ``output`` holds every track row, prediction row and decision re-derived, in order;
    ``n_logged_decisions`` of those decisions are in the log already (the rest were decided after the
    last logged decision when the run stopped). ``config`` is the logged ``config`` payload,
    ``postures`` the logged posture changes, ``ended`` whether the run logged its ``end``.
    """

    engine: Engine
    config: dict[str, Any]
    output: EngineOutput
    n_logged_decisions: int
    postures: list[dict[str, Any]] = field(default_factory=list)
    ended: bool = False


def rebuild_from_log(events: Iterable[Any]) -> RebuiltRun:
    """Rebuild a run's engine by re-feeding its logged inputs and postures in log order.

    Raises ``EventLogError`` when the log holds no run or several, or a run that ended (its drain is
    logged: more input would not be what an uninterrupted run saw), or when the re-derived decisions
    do not start with the logged ones (the log is not this engine's: resuming would be wrong).
    """
    engine: Engine | None = None
    config: dict[str, Any] = {}
    out = EngineOutput()
    logged: list[Any] = []
    postures: list[dict[str, Any]] = []
    ended = False
    for ev in events:
        if ev.kind == "config":
            if engine is not None:
                raise EventLogError("the log holds more than one run: cannot resume")
            engine = engine_from_config_event(ev.payload)
            config = dict(ev.payload)
        elif ev.kind == "decision":
            logged.append(ev.payload)
        elif ev.kind == "end":
            ended = True
        elif engine is None:
            continue
        elif ev.kind == "input":
            for number, text in ev.payload["lines"]:
                out.extend(engine.push_line(str(text), int(number)))
        elif ev.kind == "posture":
            postures.append(dict(ev.payload))
            engine.push_posture(PostureChange.from_record(ev.payload))
        elif ev.kind == "tick":
            out.extend(engine.push_tick(float(ev.payload["t_unix_s"])))
    if engine is None:
        raise EventLogError("the log has no config event: nothing to resume")
    if ended:
        raise EventLogError("the logged run ended already: nothing to resume")
    derived = [json_safe(d.to_record()) for d in out.decisions]
    for i, (a, b) in enumerate(zip(logged, derived, strict=False)):
        if a != b:
            raise EventLogError(f"decision {i + 1} re-derived differs from the log: cannot resume")
    if len(derived) < len(logged):
        raise EventLogError(f"{len(logged)} decisions logged but {len(derived)} re-derived: cannot resume")
    return RebuiltRun(engine, config, out, len(logged), postures, ended)
