"""Late-data ordering buffer: determinism under shuffling, rejections, bounded memory."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tocsin.ingest.records import Rejected
from tocsin.ingest.sensors import SensorSet
from tocsin.ingest.stream import Scan, ScanAssembler, iter_measurements, read_measurements_file

T0 = 1578436200.0


def _feed(sensors_seed: int, duration_s: float) -> list[dict[str, Any]]:
    """Valid records in file order: radar every 1 s, IR every 2 s, 0-4 detections per scan."""
    rng = np.random.default_rng(sensors_seed)
    out: list[dict[str, Any]] = []
    n_radar = int(duration_s)
    for k in range(n_radar):
        t = T0 + k * 1.0
        for _ in range(int(rng.integers(0, 5))):
            rec: dict[str, Any] = {
                "t_unix_s": t,
                "sensor": "tpy2-1",
                "kind": "radar",
                "scan": k,
                "range_m": float(rng.uniform(5e3, 1e6)),
                "az_deg": float(rng.uniform(30, 150)),
                "el_deg": float(rng.uniform(1, 80)),
            }
            if rng.random() < 0.8:
                rec["range_rate_mps"] = float(rng.normal(0, 500))
            out.append(rec)
        if k % 2 == 0:
            t_ir = T0 + k * 1.0 + 0.25
            for _ in range(int(rng.integers(0, 3))):
                u = rng.normal(size=3)
                u /= np.linalg.norm(u)
                out.append(
                    {
                        "t_unix_s": t_ir,
                        "sensor": "geo-ir-1",
                        "kind": "ir",
                        "scan": k // 2,
                        "los_ecef": u.tolist(),
                    }
                )
    # File order: non-decreasing time within a sensor, sensors interleaved by time.
    out.sort(key=lambda r: r["t_unix_s"])
    return out


def _collect(lines: list[str], sensors: SensorSet, lag_s: float) -> tuple[list[Scan], list[Rejected]]:
    scans: list[Scan] = []
    rejected: list[Rejected] = []
    for item in iter_measurements(lines, sensors, lag_s, "feed"):
        (rejected if isinstance(item, Rejected) else scans).append(item)  # type: ignore[arg-type]
    return scans, rejected


def _bytes(scans: list[Scan]) -> list[bytes]:
    return [s.data_bytes() for s in scans]


def test_scans_in_order_and_grouped(sensors: SensorSet) -> None:
    records = _feed(1, 30)
    scans, rejected = _collect([json.dumps(r) for r in records], sensors, 5.0)
    assert rejected == []
    assert sum(len(s) for s in scans) == len(records)
    keys = [(s.t_unix_s, s.sensor, s.scan) for s in scans]
    assert keys == sorted(keys)
    for s in scans:
        if s.kind == "radar":
            assert s.range_m.shape == s.az_rad.shape == s.el_rad.shape == s.range_rate_mps.shape == (len(s),)
            assert s.los_ecef.shape == (0, 3)
            assert np.all(np.diff(s.range_m) >= 0)  # sorted by value
        else:
            assert s.los_ecef.shape == (len(s), 3) and s.range_m.shape == (0,)
            assert np.allclose(np.linalg.norm(s.los_ecef, axis=1), 1.0, atol=1e-12)
        assert s.lines.min() >= 1


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shuffled_within_lag_with_junk_gives_identical_scans(sensors: SensorSet, seed: int) -> None:
    lag_s = 5.0
    records = _feed(10 + seed, 60)
    reference, rejected = _collect([json.dumps(r) for r in records], sensors, lag_s)
    assert rejected == []

    rng = np.random.default_rng(seed)
    # Deliver each record at its time plus a delay under the lag, so no record is outside the window.
    delivery = np.array([r["t_unix_s"] for r in records]) + rng.uniform(0.0, 0.95 * lag_s, len(records))
    lines = [json.dumps(records[i]) for i in np.argsort(delivery, kind="stable")]
    # Inject repeats (re-delivered shortly after the original) and bad lines.
    junk = ["{oops", json.dumps({"t_unix_s": T0 + 1e6, "sensor": "nope", "kind": "radar", "scan": 1}), ""]
    noisy: list[str] = []
    for i, line in enumerate(lines):
        noisy.append(line)
        if i % 7 == 3:
            noisy.append(line)  # immediate repeat
        if i % 11 == 5:
            noisy.append(junk[i % len(junk)])
    shuffled, rejected2 = _collect(noisy, sensors, lag_s)
    assert _bytes(shuffled) == _bytes(reference)
    n_repeats = sum(1 for i in range(len(lines)) if i % 7 == 3)
    n_junk = sum(1 for i in range(len(lines)) if i % 11 == 5)
    assert len(rejected2) == n_repeats + n_junk
    assert sum("exact repeat" in r.reason for r in rejected2) == n_repeats


def test_late_record_rejected_and_changes_nothing(sensors: SensorSet) -> None:
    records = _feed(3, 20)
    lines = [json.dumps(r) for r in records]
    reference, _ = _collect(lines, sensors, 2.0)
    late = dict(records[0])
    late["range_m"] = 7777.0
    # Appended at the end: far older than the newest record.
    scans, rejected = _collect([*lines, json.dumps(late)], sensors, 2.0)
    assert _bytes(scans) == _bytes(reference)
    assert len(rejected) == 1 and rejected[0].line == len(lines) + 1
    assert rejected[0].field == "scan"  # its scan was already released


def test_record_outside_window_for_unreleased_scan(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=2.0, file="f")
    base = {"sensor": "tpy2-1", "kind": "radar", "range_m": 1e5, "az_deg": 90.0, "el_deg": 10.0}
    out, rej = asm.push_line(json.dumps({**base, "t_unix_s": T0 + 10, "scan": 10}), 1)
    assert out == [] and rej is None
    # A different sensor's record 3 s older than the newest: beyond the 2 s window.
    ir = {"t_unix_s": T0 + 7, "sensor": "geo-ir-1", "kind": "ir", "scan": 3, "los_ecef": [1.0, 0.0, 0.0]}
    out, rej = asm.push_line(json.dumps(ir), 2)
    assert rej is not None and rej.field == "t_unix_s" and "late-data window" in rej.reason
    # Within the window it is accepted and released first.
    out, rej = asm.push_line(json.dumps({**ir, "t_unix_s": T0 + 8.5}), 3)
    assert rej is None
    assert asm.pending_scans == 2
    released = asm.flush()
    assert [(s.sensor, s.t_unix_s) for s in released] == [("geo-ir-1", T0 + 8.5), ("tpy2-1", T0 + 10)]


def test_scan_time_mismatch_rejected(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=5.0)
    base = {"sensor": "tpy2-1", "kind": "radar", "scan": 4, "az_deg": 90.0, "el_deg": 10.0}
    _, rej = asm.push_line(json.dumps({**base, "t_unix_s": T0, "range_m": 1e5}), 1)
    assert rej is None
    _, rej = asm.push_line(json.dumps({**base, "t_unix_s": T0 + 0.5, "range_m": 2e5}), 2)
    assert rej is not None and rej.field == "t_unix_s" and "differs" in rej.reason


def test_release_waits_for_watermark(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=5.0)
    base = {"sensor": "tpy2-1", "kind": "radar", "range_m": 1e5, "az_deg": 90.0, "el_deg": 10.0}
    released: list[Scan] = []
    for k in range(12):
        out, rej = asm.push_line(json.dumps({**base, "t_unix_s": T0 + k, "scan": k}), k + 1)
        assert rej is None
        released += out
    # Newest 11 -> watermark 6: scans 0..5 released, 6..11 pending.
    assert [s.scan for s in released] == [0, 1, 2, 3, 4, 5]
    assert asm.watermark_s == T0 + 6
    assert [s.scan for s in asm.flush()] == [6, 7, 8, 9, 10, 11]


def test_memory_flat_for_long_stream(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=5.0)
    base = {"sensor": "tpy2-1", "kind": "radar", "az_deg": 90.0, "el_deg": 10.0}
    peak_records = 0
    n_scans = 0
    for k in range(20000):
        for j in range(3):
            out, rej = asm.push_line(
                json.dumps({**base, "t_unix_s": T0 + 0.5 * k, "scan": k, "range_m": 1e4 + j}), k
            )
            assert rej is None
            n_scans += len(out)
        peak_records = max(peak_records, asm.pending_records)
    # Window 5 s at 2 scans/s: at most 11 pending scans of 3 records, whatever the stream length.
    assert peak_records <= 33
    assert len(asm._released) == 1  # one entry per sensor
    assert n_scans + len(asm.flush()) == 20000


def test_read_file_with_bad_bytes(sensors: SensorSet, tmp_path: Path) -> None:
    records = _feed(5, 10)
    path = tmp_path / "measurements.jsonl"
    body = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    path.write_bytes(b"\xff\xfe garbage\n" + body + b"\n")
    items = list(read_measurements_file(path, sensors, 5.0))
    rejected = [i for i in items if isinstance(i, Rejected)]
    scans = [i for i in items if isinstance(i, Scan)]
    assert [(r.line, r.file) for r in rejected] == [(1, str(path)), (len(records) + 2, str(path))]
    assert "UTF-8" in rejected[0].reason and rejected[1].reason == "empty line"
    assert sum(len(s) for s in scans) == len(records)
    assert min(int(s.lines.min()) for s in scans if len(s)) == 2


def test_bad_lag() -> None:
    with pytest.raises(ValueError, match="lag_s"):
        ScanAssembler(SensorSet(()), lag_s=-1.0)
