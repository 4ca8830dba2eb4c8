"""Ordering buffer: measurement records arriving late and interleaved -> complete scans, in order.

A live feed delivers each sensor's records in time order, but sensors interleave and a record may
arrive up to ``lag_s`` seconds (of data time) late. ``ScanAssembler`` holds records until the
**watermark** (newest accepted ``t_unix_s`` minus ``lag_s``) has passed their scan, then releases the
complete scan. Released scans come out sorted by (``t_unix_s``, sensor id, scan number), and the
detections inside a scan are sorted by their values, so any delivery order within the lag releases
byte-identical scans (``Scan.data_bytes``).

Rejected here (the per-line checks are in ``tocsin.ingest.records``):

- a record older than the watermark (later than the late-data window);
- a record for a scan of its sensor that was already released;
- a record whose time differs from the time of its (pending) scan;
- an exact repeat of a pending record (an at-least-once feed re-delivering).

A record more than ``IngestLimits.max_future_s`` ahead of the newest accepted record is **held**, not
used: one wrong clock must not move the feed's clock (every later record would then be "late"). Held
records are used, in arrival order, once ``resync_scans`` distinct scans agreeing with each other
confirm the jump (a feed silent for a while) with no record in the normal window between them; they
are rejected when a record in the normal window arrives (the feed's clock did not jump) or the input
ends. A held record's rejection is reported when it is decided (``take_rejected``).

Memory is bounded by the records inside the window plus one entry per sensor: pending scans are the
only record memory, and repeats of released records are caught by the released-scan check instead.
"""

from __future__ import annotations

import heapq
import math
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tocsin._types import FloatArray, IntArray
from tocsin.ingest.records import (
    DEFAULT_LIMITS,
    IngestLimits,
    IrRecord,
    MeasurementRecord,
    RadarRecord,
    Rejected,
    parse_record,
)
from tocsin.ingest.sensors import SensorSet

DEFAULT_LAG_S = 5.0

# At most this many records are held as a possible clock jump (a scan is at most a few hundred).
MAX_HELD_RECORDS = 10_000


@dataclass(frozen=True, eq=False)
class Scan:
    """The detections of one sensor scan (all at ``t_unix_s``), sorted by value.

    Radar scans fill ``range_m``, ``az_rad`` (in [0, 2π)), ``el_rad``, ``range_rate_mps`` (NaN where
    the record had none), each shape (N,), and leave ``los_ecef`` shape (0, 3). IR scans fill
    ``los_ecef`` (N, 3) unit ECEF vectors and leave the radar arrays shape (0,). ``lines`` holds the
    1-based source line of each detection.
    """

    sensor: str
    kind: str
    scan: int
    t_unix_s: float
    lines: IntArray
    range_m: FloatArray
    az_rad: FloatArray
    el_rad: FloatArray
    range_rate_mps: FloatArray
    los_ecef: FloatArray

    def __len__(self) -> int:
        return int(self.lines.shape[0])

    def data_bytes(self) -> bytes:
        """Everything but the source lines, as bytes: equal bytes mean identical scans."""
        head = f"{self.sensor}\x00{self.kind}\x00{self.scan}\x00".encode() + struct.pack("<d", self.t_unix_s)
        arrays = (self.range_m, self.az_rad, self.el_rad, self.range_rate_mps, self.los_ecef)
        return head + b"".join(np.ascontiguousarray(a, dtype="<f8").tobytes() for a in arrays)


def _radar_order(r: RadarRecord) -> tuple[Any, ...]:
    has_rr = not math.isnan(r.range_rate_mps)
    return (r.range_m, r.az_rad, r.el_rad, has_rr, r.range_rate_mps if has_rr else 0.0, r.key[5], r.key[6])


def _ir_order(r: IrRecord) -> tuple[Any, ...]:
    return (*r.los_ecef, *r.key[4:])


@dataclass
class _Pending:
    sensor: str
    kind: str
    scan: int
    t_unix_s: float
    records: dict[tuple[Any, ...], MeasurementRecord] = field(default_factory=dict)

    def build(self) -> Scan:
        recs = list(self.records.values())
        n = len(recs)
        empty = np.zeros(0, dtype=np.float64)
        if self.kind == "radar":
            radar = sorted((r for r in recs if isinstance(r, RadarRecord)), key=_radar_order)
            return Scan(
                sensor=self.sensor,
                kind="radar",
                scan=self.scan,
                t_unix_s=self.t_unix_s,
                lines=np.array([r.line for r in radar], dtype=np.int64),
                range_m=np.array([r.range_m for r in radar], dtype=np.float64),
                az_rad=np.array([r.az_rad for r in radar], dtype=np.float64),
                el_rad=np.array([r.el_rad for r in radar], dtype=np.float64),
                range_rate_mps=np.array([r.range_rate_mps for r in radar], dtype=np.float64),
                los_ecef=np.zeros((0, 3), dtype=np.float64),
            )
        ir = sorted((r for r in recs if isinstance(r, IrRecord)), key=_ir_order)
        los = np.array([r.los_ecef for r in ir], dtype=np.float64).reshape(n, 3)
        return Scan(
            sensor=self.sensor,
            kind="ir",
            scan=self.scan,
            t_unix_s=self.t_unix_s,
            lines=np.array([r.line for r in ir], dtype=np.int64),
            range_m=empty,
            az_rad=empty.copy(),
            el_rad=empty.copy(),
            range_rate_mps=empty.copy(),
            los_ecef=los,
        )


class ScanAssembler:
    """Collects records as they arrive and releases complete scans once the watermark passes them.

    ``lag_s`` (seconds of data time) is how late a record may arrive relative to the newest accepted
    record. Call ``push`` for every parsed record and ``flush`` at the end of input. No I/O, no clock.
    """

    def __init__(
        self,
        sensors: SensorSet,
        lag_s: float = DEFAULT_LAG_S,
        file: str = "-",
        *,
        eager: bool = False,
        limits: IngestLimits = DEFAULT_LIMITS,
    ) -> None:
        if not (math.isfinite(lag_s) and lag_s >= 0.0):
            raise ValueError(f"lag_s must be finite and >= 0, got {lag_s!r}")
        # Eager release: a scan is complete as soon as a record with a later time arrives (sensors
        # write a scan's records together), so a time-ordered feed is processed with no added
        # latency; a record arriving later still, inside the window, is an out-of-sequence scan for
        # the tracker. Watermark release (eager=False) instead waits lag_s so that any delivery
        # order within the window releases identical scans.
        self.eager = eager
        self.sensors = sensors
        self.lag_s = float(lag_s)
        self.file = file
        self._newest_s = -math.inf
        self._pending: dict[tuple[str, int], _Pending] = {}
        self._heap: list[tuple[float, str, int]] = []
        self._released: dict[str, tuple[float, int]] = {}
        self.limits = limits
        self._held: list[MeasurementRecord] = []  # possible clock jump, in arrival order
        self._held_rejected: list[Rejected] = []

    @property
    def newest_unix_s(self) -> float:
        """Newest accepted ``t_unix_s`` (-inf before any record): the engine's notion of now."""
        return self._newest_s

    @property
    def watermark_s(self) -> float:
        """Newest accepted ``t_unix_s`` minus ``lag_s`` (-inf before any record)."""
        return self._newest_s - self.lag_s

    @property
    def pending_scans(self) -> int:
        """Number of scans held back, waiting for the watermark."""
        return len(self._pending)

    @property
    def pending_records(self) -> int:
        """Number of records held back."""
        return sum(len(p.records) for p in self._pending.values())

    def push_line(self, text: str, line: int) -> tuple[list[Scan], Rejected | None]:
        """Parse one JSONL line and push it; returns the scans released and the rejection, if any."""
        parsed = parse_record(text, line, self.sensors, self.file, self.limits)
        if isinstance(parsed, Rejected):
            return [], parsed
        return self.push(parsed)

    def push(self, record: MeasurementRecord) -> tuple[list[Scan], Rejected | None]:
        """Take one record; returns the scans this releases (in order) and its rejection, if any.

        A rejected record changes nothing: it neither moves the watermark nor touches pending scans.
        A record held as a possible clock jump returns ``([], None)``; its fate comes later (see the
        module docstring), and rejections decided then are collected by ``take_rejected``.
        """
        t = record.t_unix_s
        # Before the first record there is no clock to jump from (newest is -inf).
        if math.isfinite(self._newest_s) and t > self._newest_s + self.limits.max_future_s:
            return self._hold(record)
        if self._held:
            self._drop_held("the feed's clock did not jump: a record in the normal window followed")
        return self._accept(record)

    def take_rejected(self) -> list[Rejected]:
        """Rejections decided since the last call for records held earlier (in their arrival order)."""
        out, self._held_rejected = self._held_rejected, []
        return out

    @property
    def held_records(self) -> int:
        """Number of records held back as a possible clock jump."""
        return len(self._held)

    def _hold(self, record: MeasurementRecord) -> tuple[list[Scan], Rejected | None]:
        lim = self.limits
        if self._held and abs(record.t_unix_s - self._held[0].t_unix_s) > lim.max_future_s:
            # Two candidate jumps that disagree: the older one is not confirmed by this record.
            self._drop_held(f"not confirmed: a record {record.t_unix_s!r} disagreeing with it followed")
        if len(self._held) >= MAX_HELD_RECORDS:
            return [], Rejected(
                self.file, record.line, "t_unix_s", f"more than {MAX_HELD_RECORDS} records held: dropped"
            )
        self._held.append(record)
        scans = {(r.sensor, r.scan) for r in self._held}
        if len(scans) < lim.resync_scans:
            return [], None
        # Confirmed: the feed was silent and its clock moved on. Use the held records in order.
        held, self._held = self._held, []
        released: list[Scan] = []
        rejected: Rejected | None = None
        for r in held:
            out, rej = self._accept(r)
            released.extend(out)
            if rej is not None and r is record:
                rejected = rej
            elif rej is not None:
                self._held_rejected.append(rej)
        return released, rejected

    def _drop_held(self, why: str) -> None:
        for r in self._held:
            ahead = r.t_unix_s - self._newest_s
            self._held_rejected.append(
                Rejected(
                    self.file,
                    r.line,
                    "t_unix_s",
                    f"{ahead:.3f} s ahead of the newest record (limit {self.limits.max_future_s:g} s), {why}",
                )
            )
        self._held = []

    def _accept(self, record: MeasurementRecord) -> tuple[list[Scan], Rejected | None]:
        t = record.t_unix_s
        last = self._released.get(record.sensor)
        if last is not None and (record.scan <= last[1] or t < last[0]):
            return [], Rejected(
                self.file,
                record.line,
                "scan",
                f"scan {record.scan} of sensor {record.sensor!r} arrived after scan {last[1]} "
                f"(t_unix_s {last[0]!r}) was released: more than {self.lag_s:g} s late",
            )
        if t < self.watermark_s:
            return [], Rejected(
                self.file,
                record.line,
                "t_unix_s",
                f"later than the late-data window: {self._newest_s - t:.3f} s older than the newest "
                f"record (window {self.lag_s:g} s)",
            )
        key = (record.sensor, record.scan)
        pending = self._pending.get(key)
        if pending is None:
            pending = _Pending(record.sensor, record.kind, record.scan, t)
            self._pending[key] = pending
            heapq.heappush(self._heap, (t, record.sensor, record.scan))
        elif pending.t_unix_s != t:
            return [], Rejected(
                self.file,
                record.line,
                "t_unix_s",
                f"{t!r} differs from the time of scan {record.scan} of sensor {record.sensor!r} "
                f"({pending.t_unix_s!r})",
            )
        earlier = pending.records.get(record.key)
        if earlier is not None:
            return [], Rejected(self.file, record.line, None, f"exact repeat of line {earlier.line}: dropped")
        pending.records[record.key] = record
        self._newest_s = max(self._newest_s, t)
        return self._release(max(self.watermark_s, t) if self.eager else self.watermark_s), None

    def release_until(self, t_unix_s: float) -> list[Scan]:
        """Time has reached ``t_unix_s`` with no record (a heartbeat): release the scans it completes.

        A scan older than ``t_unix_s - lag_s`` can receive no more records (they would be later than
        the late-data window), so it is released, in eager and watermark mode alike: a heartbeat
        arriving between two records of one scan must not cut it. The watermark itself does not move,
        so no record becomes late because of a heartbeat; held records (a possible clock jump) stay held.
        """
        return self._release(t_unix_s - self.lag_s)

    def flush(self) -> list[Scan]:
        """Release every pending scan (end of input), in order; held records are rejected."""
        if self._held:
            self._drop_held("not confirmed before the end of input")
        return self._release(math.inf)

    def _release(self, before_s: float) -> list[Scan]:
        out: list[Scan] = []
        while self._heap and self._heap[0][0] < before_s:
            t, sensor, scan = heapq.heappop(self._heap)
            pending = self._pending.pop((sensor, scan))
            out.append(pending.build())
            last = self._released.get(sensor)
            if last is None or (t, scan) > last:
                self._released[sensor] = (t, scan)
        return out


def iter_measurements(
    lines: Iterable[str | bytes],
    sensors: SensorSet,
    lag_s: float = DEFAULT_LAG_S,
    file: str = "-",
    *,
    eager: bool = False,
    limits: IngestLimits = DEFAULT_LIMITS,
) -> Iterator[Scan | Rejected]:
    """Scans and rejections from JSONL lines as they arrive (line 1 first); flushes at the end.

    ``lines`` may be a file object or ``sys.stdin``: nothing is read ahead, memory stays bounded by
    the lag window. Blank lines and lines that are not UTF-8 are rejected like other bad records.
    """
    assembler = ScanAssembler(sensors, lag_s, file, eager=eager, limits=limits)
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield Rejected(file, number, None, f"not UTF-8: {e.reason}")
                continue
        else:
            text = raw
        if not text.strip():
            yield Rejected(file, number, None, "empty line")
            continue
        scans, rejected = assembler.push_line(text, number)
        yield from assembler.take_rejected()
        if rejected is not None:
            yield rejected
        yield from scans
    scans = assembler.flush()
    yield from assembler.take_rejected()
    yield from scans


def read_measurements_file(
    path: str | Path, sensors: SensorSet, lag_s: float = DEFAULT_LAG_S
) -> Iterator[Scan | Rejected]:
    """Scans and rejections of a ``measurements.jsonl`` file (contract section 2), streaming.

    Rejections name the file as given. Raises ``OSError`` only if the file cannot be opened.
    """
    name = str(path)
    with Path(path).open("rb") as f:
        yield from iter_measurements(f, sensors, lag_s, name)
