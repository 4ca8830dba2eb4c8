"""Append-only event log on SQLite (and on the local PostgreSQL server, marked ``services``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tocsin.store.eventlog import KINDS, SCHEMA_VERSION, Event, EventLog, EventLogError

CONFIG = {"policy": {"p_take_cover": 0.3}, "seed": 7, "zones": "zones.geojson"}


def _sample_events() -> list[tuple[str, float, dict[str, Any]]]:
    return [
        ("config", 0.0, CONFIG),
        (
            "input",
            1578436212.5,
            {
                "source": "measurements.jsonl",
                "lines": [[1, '{"t_unix_s": 1578436212.5, "sensor": "tpy2-1"}'], [2, "not json"]],
            },
        ),
        (
            "rejected",
            1578436212.5,
            {"source": "measurements.jsonl", "line": 2, "field": None, "message": "x"},
        ),
        ("posture", 1578436212.5, {"posture": "ready"}),
        ("track", 1578436213.0, {"track": "T1", "pos_ecef_m": [3.1e6, 3.6e6, 3.5e6]}),
        ("prediction", 1578436213.0, {"track": "T1", "impact_lat_deg": 33.785712345678901}),
        (
            "decision",
            1578436213.0,
            {"zone": "z-0012", "level": "take_cover", "threats": ["T1"], "p_impact": 0.1 + 0.2},
        ),
    ]


def _check_round_trip(log: EventLog) -> None:
    sample = _sample_events()
    seqs = log.append_many(sample)
    assert seqs == list(range(1, len(sample) + 1))
    got = log.events_list()
    assert [e.seq for e in got] == seqs
    assert [(e.kind, e.t_unix_s, e.payload) for e in got] == sample  # floats bit-exact
    assert {e.kind for e in got} == KINDS
    assert log.get_meta("schema_version") == SCHEMA_VERSION
    assert log.get_meta("config") == CONFIG
    # filtered and resumed reads keep sequence order
    assert [e.seq for e in log.iter_events(kinds=["decision", "input"])] == [2, 7]
    assert [e.seq for e in log.iter_events(after_seq=5)] == [6, 7]
    assert [e.seq for e in log.iter_events(batch_size=2)] == seqs
    assert log.append("decision", 1578436214.0, {"zone": "z-1", "level": "all_clear"}) == 8
    assert log.last_seq() == 8 and log.count(["decision"]) == 2


def test_sqlite_round_trip(tmp_path: Path) -> None:
    with EventLog(tmp_path, config=CONFIG) as log:
        _check_round_trip(log)
    assert (tmp_path / "events.sqlite").exists()


def test_sqlite_pragmas(tmp_path: Path) -> None:
    with EventLog(tmp_path / "events.sqlite") as log, log.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE events SET kind = 'decision' WHERE seq = 1",
        "DELETE FROM events WHERE seq = 1",
        "DELETE FROM events",
    ],
)
def test_sqlite_triggers_reject_changes(tmp_path: Path, sql: str) -> None:
    with EventLog(tmp_path) as log:
        log.append_many(_sample_events())
        with pytest.raises(sa.exc.IntegrityError, match="append-only"), log.engine.begin() as conn:
            conn.exec_driver_sql(sql)
        assert [(e.kind, e.payload) for e in log.iter_events()] == [(k, p) for k, _, p in _sample_events()]


def test_resume_after_reopen_continues_the_sequence(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    with EventLog(path) as log:
        assert log.append_many(_sample_events()[:3]) == [1, 2, 3]
    with EventLog(path) as log:
        assert log.last_seq() == 3
        assert log.append_many(_sample_events()[3:]) == [4, 5, 6, 7]
        assert [e.seq for e in log.iter_events()] == list(range(1, 8))
    with pytest.raises(EventLogError, match="no event log"):
        EventLog(tmp_path / "other.sqlite", create=False)


def test_bad_events_write_nothing(tmp_path: Path) -> None:
    with EventLog(tmp_path) as log:
        log.append("config", 0.0, CONFIG)
        with pytest.raises(EventLogError, match="unknown event kind"):
            log.append_many([("decision", 1.0, {}), ("decisoin", 1.0, {})])
        with pytest.raises(EventLogError, match="plain JSON"):
            log.append("track", 1.0, {"x": float("nan")})
        with pytest.raises(EventLogError, match="finite"):
            log.append("track", float("inf"), {})
        assert log.last_seq() == 1
        assert log.append_many([]) == []
        assert log.append("decision", 2.0, {}) == 2  # no gap after the refused batches


def test_schema_version_mismatch_is_refused(tmp_path: Path) -> None:
    with EventLog(tmp_path) as log, log.engine.begin() as conn:
        conn.execute(sa.update(log.meta).where(log.meta.c.key == "schema_version").values(value=99))
    with pytest.raises(EventLogError, match="schema version 99"):
        EventLog(tmp_path)


def test_prefixed_logs_share_a_file(tmp_path: Path) -> None:
    with EventLog(tmp_path, prefix="a_") as a, EventLog(tmp_path, prefix="b_") as b:
        a.append("decision", 1.0, {"who": "a"})
        assert b.append("decision", 1.0, {"who": "b"}) == 1
        assert [e.payload["who"] for e in a.iter_events()] == ["a"]
    assert Event(1, "decision", 1.0, {}).seq == 1


# ----------------------------------------------------------------------------------------------
# PostgreSQL: the same code against the real local server.
# ----------------------------------------------------------------------------------------------


def _pg_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1.0):
            return True
    except OSError:
        return False


def _pg_url() -> str:
    """A working URL for database ``test`` (user postgres, else root), starting the server if down."""
    pytest.importorskip("psycopg")
    if not _pg_up() and shutil.which("pg_ctlcluster") and os.path.isdir("/etc/postgresql"):
        for version in sorted(os.listdir("/etc/postgresql")):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                check=False,
                capture_output=True,
                timeout=60,
            )
    if not _pg_up():
        pytest.skip("PostgreSQL is not running on 127.0.0.1:5432 and could not be started")
    for user in ("postgres", "root"):
        url = f"postgresql+psycopg://{user}@127.0.0.1:5432/test"
        engine = sa.create_engine(url)
        try:
            with engine.connect():
                return url
        except sa.exc.OperationalError:
            continue
        finally:
            engine.dispose()
    pytest.skip("no PostgreSQL role postgres or root can connect to database test")


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    url = _pg_url()
    schema = f"tocsin_test_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield url, schema
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.mark.services
def test_postgresql_round_trip_and_append_only(pg_schema: tuple[str, str]) -> None:
    url, schema = pg_schema
    with EventLog(url, schema=schema, config=CONFIG) as log:
        assert log.engine.dialect.name == "postgresql"
        _check_round_trip(log)
        for sql in (
            f"UPDATE \"{schema}\".events SET kind = 'x'",
            f'DELETE FROM "{schema}".events',
            f'TRUNCATE "{schema}".events',
        ):
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), log.engine.begin() as conn:
                conn.exec_driver_sql(sql)
        with log.engine.connect() as conn:
            coltype = conn.exec_driver_sql(
                "SELECT data_type FROM information_schema.columns "
                f"WHERE table_schema = '{schema}' AND table_name = 'events' AND column_name = 'payload'"
            ).scalar()
        assert coltype == "jsonb"
    with EventLog(url, schema=schema) as log:  # resume
        assert log.last_seq() == 8
        assert log.append("decision", 1578436215.0, {"zone": "z-1", "level": "cancel"}) == 9
