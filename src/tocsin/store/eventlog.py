"""Append-only event log of a run (SQLAlchemy Core; SQLite by default, PostgreSQL by URL).

Everything a run saw and decided goes into one ordered log, so ``tocsin replay`` can re-derive the
decisions from the recorded inputs and compare. Two tables (names may carry a ``prefix``):

- ``events(seq integer primary key autoincrement, kind text, t_unix_s float, payload JSON)``;
  ``seq`` is 1, 2, 3... with no gaps: it is assigned here inside the inserting transaction (a
  database sequence would leave gaps after a rollback on PostgreSQL), and it doubles as the SSE id.
- ``meta(key text primary key, value JSON)``: ``schema_version`` and the run configuration.

Append-only: the API offers only ``append``/``append_many`` and ordered reads; on SQLite and
PostgreSQL triggers also reject UPDATE and DELETE (and TRUNCATE on PostgreSQL) of ``events``.

Kinds and the payloads the engine is expected to give (plain JSON dicts; extra keys are fine):

=============  ==========================================================================
``config``     the run configuration (sensors, zones digest, policy, seeds, versions)
``input``      ``{"source": "measurements.jsonl", "lines": [[line_no, "raw line"], ...]}``
``posture``    readiness posture changes
``track``      a ``tracks.jsonl`` record
``prediction`` a ``predictions.jsonl`` record
``decision``   an ``alerts.jsonl`` record
``rejected``   a skipped input record: ``{"source", "line", "field", "message"}``
=============  ==========================================================================

Only one process may append to a log at a time; a second concurrent writer fails on the primary
key (or the database lock) rather than interleaving.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine

SCHEMA_VERSION: Final = 1
KINDS: Final = frozenset({"config", "input", "posture", "track", "prediction", "decision", "rejected"})
DEFAULT_FILENAME: Final = "events.sqlite"

_PAYLOAD = sa.JSON().with_variant(JSONB(), "postgresql")


class EventLogError(Exception):
    """The event log cannot be opened or used (wrong schema version, bad kind, bad payload)."""


@dataclass(frozen=True)
class Event:
    """One logged event: sequence number (1-based), kind, time (Unix s, scenario time), payload."""

    seq: int
    kind: str
    t_unix_s: float
    payload: dict[str, Any]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Every pooled connection gets them: WAL lets readers (the web console, replay) run beside the
    # writer; synchronous=NORMAL is durable across application crashes in WAL mode.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def database_url(target: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for ``target``: a URL as given (contains ``://``), else a SQLite file path.

    A directory means ``<dir>/events.sqlite``.
    """
    text = os.fspath(target)
    if "://" in text:
        return text
    path = Path(text)
    if path.is_dir():
        path = path / DEFAULT_FILENAME
    return f"sqlite:///{path}"


class EventLog:
    """An append-only event log in a SQL database.

    ``target``: a SQLite file path (or a directory, meaning ``<dir>/events.sqlite``) or a database
    URL such as ``postgresql+psycopg://user@host/db``. ``prefix`` is prepended to table names and
    ``schema`` selects a PostgreSQL schema (both let several logs share one database). The tables
    are created when missing (``create=True``); an existing log of another schema version raises
    ``EventLogError``. ``config`` (run configuration) is stored in ``meta`` when the log is created.
    Use as a context manager or call ``close()``.
    """

    def __init__(
        self,
        target: str | os.PathLike[str] = DEFAULT_FILENAME,
        *,
        prefix: str = "",
        schema: str | None = None,
        create: bool = True,
        config: Mapping[str, Any] | None = None,
        extra_kinds: Iterable[str] = (),
    ) -> None:
        if prefix and not prefix.replace("_", "").isalnum():
            raise EventLogError(f"table prefix {prefix!r}: letters, digits and _ only")
        self.url = database_url(target)
        self.kinds = KINDS | frozenset(extra_kinds)
        self.engine: Engine = sa.create_engine(
            self.url,
            json_serializer=partial(json.dumps, allow_nan=False, separators=(",", ":")),
        )
        self._sqlite = self.engine.dialect.name == "sqlite"
        if self._sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        md = sa.MetaData(schema=schema)
        self.events = sa.Table(
            f"{prefix}events",
            md,
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("t_unix_s", sa.Float(precision=53), nullable=False),
            sa.Column("payload", _PAYLOAD, nullable=False),
            sqlite_autoincrement=True,
        )
        sa.Index(f"{prefix}events_kind_seq", self.events.c.kind, self.events.c.seq)
        self.meta = sa.Table(
            f"{prefix}meta",
            md,
            sa.Column("key", sa.Text, primary_key=True),
            sa.Column("value", _PAYLOAD, nullable=False),
        )
        self._metadata = md
        self._prefix = prefix
        self._schema = schema
        try:
            self._open(create, config)
        except Exception:
            self.engine.dispose()
            raise

    # ---------------------------------------------------------------------------------------
    def _open(self, create: bool, config: Mapping[str, Any] | None) -> None:
        with self.engine.begin() as conn:
            exists = sa.inspect(conn).has_table(self.events.name, schema=self._schema)
            if not exists:
                if not create:
                    raise EventLogError(f"{self.url}: no event log (table {self.events.name})")
                self._metadata.create_all(conn)
                self._create_triggers(conn)
                rows = [{"key": "schema_version", "value": SCHEMA_VERSION}]
                if config is not None:
                    rows.append({"key": "config", "value": dict(config)})
                conn.execute(sa.insert(self.meta), rows)
                return
            version = conn.execute(
                sa.select(self.meta.c.value).where(self.meta.c.key == "schema_version")
            ).scalar()
            if version != SCHEMA_VERSION:
                raise EventLogError(
                    f"{self.url}: event log schema version {version}, this tocsin reads {SCHEMA_VERSION}"
                )

    def _create_triggers(self, conn: sa.Connection) -> None:
        name = self.events.name
        if self._sqlite:
            for op in ("UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f'CREATE TRIGGER IF NOT EXISTS "{name}_no_{op.lower()}" BEFORE {op} ON "{name}" '
                    f"BEGIN SELECT RAISE(ABORT, 'tocsin event log is append-only'); END"
                )
        elif self.engine.dialect.name == "postgresql":
            qual = f'"{self._schema}"."{name}"' if self._schema else f'"{name}"'
            func = f'"{self._schema}"."{name}_append_only"' if self._schema else f'"{name}_append_only"'
            conn.exec_driver_sql(
                f"CREATE OR REPLACE FUNCTION {func}() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'tocsin event log is append-only'; END $$"
            )
            conn.exec_driver_sql(
                f'CREATE TRIGGER "{name}_no_change" BEFORE UPDATE OR DELETE ON {qual} '
                f"FOR EACH ROW EXECUTE FUNCTION {func}()"
            )
            conn.exec_driver_sql(
                f'CREATE TRIGGER "{name}_no_truncate" BEFORE TRUNCATE ON {qual} '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {func}()"
            )

    # ---------------------------------------------------------------------------------------
    def append(self, kind: str, t_unix_s: float, payload: Mapping[str, Any]) -> int:
        """Append one event; returns its sequence number."""
        return self.append_many([(kind, t_unix_s, payload)])[-1]

    def append_many(self, events: Iterable[tuple[str, float, Mapping[str, Any]]]) -> list[int]:
        """Append ``(kind, t_unix_s, payload)`` events in one transaction (one executemany insert).

        Returns their sequence numbers (consecutive, continuing the log). ``t_unix_s`` is scenario
        time in Unix seconds. Raises ``EventLogError`` for an unknown kind, a non-finite time or a
        payload that is not a JSON object (NaN and infinities are refused: they are not JSON); then
        nothing of the batch is written.
        """
        rows: list[dict[str, Any]] = []
        for kind, t_unix_s, payload in events:
            if kind not in self.kinds:
                raise EventLogError(f"unknown event kind {kind!r} (known: {sorted(self.kinds)})")
            t = float(t_unix_s)
            if not math.isfinite(t):
                raise EventLogError(f"event {kind}: t_unix_s must be finite, got {t_unix_s}")
            if not isinstance(payload, Mapping):
                raise EventLogError(f"event {kind}: payload must be a JSON object")
            rows.append({"kind": kind, "t_unix_s": t, "payload": dict(payload)})
        if not rows:
            return []
        with self.engine.begin() as conn:
            # On SQLite a racing second writer fails on the primary key; on PostgreSQL the lock
            # makes it wait, so numbering never interleaves.
            if self.engine.dialect.name == "postgresql":
                conn.execute(sa.text(f"LOCK TABLE {self._qualified()} IN SHARE ROW EXCLUSIVE MODE"))
            last = conn.execute(sa.select(sa.func.max(self.events.c.seq))).scalar() or 0
            seqs = list(range(last + 1, last + 1 + len(rows)))
            for seq, row in zip(seqs, rows, strict=True):
                row["seq"] = seq
            try:
                conn.execute(sa.insert(self.events), rows)
            except sa.exc.StatementError as e:
                # The JSON serializer (allow_nan=False) refused a payload while binding.
                if isinstance(e.orig, (TypeError, ValueError)):
                    raise EventLogError(f"payload is not plain JSON: {e.orig}") from e
                raise
        return seqs

    def _qualified(self) -> str:
        name = self.events.name
        return f'"{self._schema}"."{name}"' if self._schema else f'"{name}"'

    # ---------------------------------------------------------------------------------------
    def iter_events(
        self, kinds: Iterable[str] | None = None, after_seq: int = 0, *, batch_size: int = 1000
    ) -> Iterator[Event]:
        """Events with ``seq > after_seq`` in sequence order, optionally only the given kinds.

        Reads in pages of ``batch_size`` rows (keyset pagination), so a long log streams in bounded
        memory and events appended while iterating are seen too.
        """
        kind_set = sorted(set(kinds)) if kinds is not None else None
        last = int(after_seq)
        ev = self.events
        while True:
            q = sa.select(ev.c.seq, ev.c.kind, ev.c.t_unix_s, ev.c.payload).where(ev.c.seq > last)
            if kind_set is not None:
                q = q.where(ev.c.kind.in_(kind_set))
            q = q.order_by(ev.c.seq).limit(batch_size)
            with self.engine.connect() as conn:
                rows = conn.execute(q).all()
            for seq, kind, t, payload in rows:
                yield Event(int(seq), str(kind), float(t), dict(payload))
            if len(rows) < batch_size:
                return
            last = int(rows[-1][0])

    def events_list(self, kinds: Iterable[str] | None = None, after_seq: int = 0) -> list[Event]:
        """``list(iter_events(...))``."""
        return list(self.iter_events(kinds, after_seq))

    def last_seq(self) -> int:
        """The highest sequence number in the log (0 when empty)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(self.events.c.seq))).scalar() or 0)

    def count(self, kinds: Sequence[str] | None = None) -> int:
        """Number of events, optionally of the given kinds only."""
        q = sa.select(sa.func.count()).select_from(self.events)
        if kinds is not None:
            q = q.where(self.events.c.kind.in_(list(kinds)))
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    # ---------------------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        """A ``meta`` value (``schema_version``, ``config``...) or ``default``."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(self.meta.c.value).where(self.meta.c.key == key)).first()
        return default if row is None else row[0]

    def set_meta(self, key: str, value: Any) -> None:
        """Store a ``meta`` value (JSON); ``schema_version`` cannot be changed."""
        if key == "schema_version":
            raise EventLogError("schema_version is fixed when the log is created")
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(self.meta).where(self.meta.c.key == key).values(value=value)
            ).rowcount
            if not done:
                conn.execute(sa.insert(self.meta).values(key=key, value=value))

    def close(self) -> None:
        """Release every database connection."""
        self.engine.dispose()

    def __enter__(self) -> EventLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_event_log(target: str | os.PathLike[str] = DEFAULT_FILENAME, **kwargs: Any) -> EventLog:
    """``EventLog(target, **kwargs)``: open (creating if needed) the log at a path, directory or URL."""
    return EventLog(target, **kwargs)
