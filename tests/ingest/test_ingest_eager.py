"""Eager scan release: in-order feeds are processed with no added latency, scans stay whole."""

from __future__ import annotations

import json

from tocsin.ingest.sensors import SensorSet
from tocsin.ingest.stream import Scan, ScanAssembler

T0 = 1578436200.0


def _radar(t: float, scan: int, r: float) -> str:
    return json.dumps(
        {
            "t_unix_s": t,
            "sensor": "tpy2-1",
            "kind": "radar",
            "scan": scan,
            "range_m": r,
            "az_deg": 90.0,
            "el_deg": 10.0,
        }
    )


def _ir(t: float, scan: int) -> str:
    return json.dumps(
        {"t_unix_s": t, "sensor": "geo-ir-1", "kind": "ir", "scan": scan, "los_ecef": [0.0, 1.0, 0.0]}
    )


def test_scan_released_by_first_later_record(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=5.0, eager=True)
    assert asm.push_line(_radar(T0, 0, 1e5), 1) == ([], None)
    assert asm.push_line(_radar(T0, 0, 2e5), 2) == ([], None)
    # Same time, another sensor: not yet later, nothing released.
    released, rej = asm.push_line(_ir(T0, 0), 3)
    assert released == [] and rej is None
    # The first strictly later record completes both scans at T0, in (t, sensor) order.
    released, rej = asm.push_line(_radar(T0 + 0.5, 1, 3e5), 4)
    assert rej is None
    assert [(s.sensor, s.scan, len(s)) for s in released] == [("geo-ir-1", 0, 1), ("tpy2-1", 0, 2)]
    assert asm.newest_unix_s == T0 + 0.5


def test_watermark_mode_waits_for_lag(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=2.0, eager=False)
    asm.push_line(_radar(T0, 0, 1e5), 1)
    released, _ = asm.push_line(_radar(T0 + 1.0, 1, 1e5), 2)
    assert released == []
    released, _ = asm.push_line(_radar(T0 + 2.5, 2, 1e5), 3)
    assert [s.scan for s in released] == [0]


def test_late_scan_of_another_sensor_inside_window(sensors: SensorSet) -> None:
    """A sensor 2 s late still gets its scans through whole, as out-of-sequence scans."""
    asm = ScanAssembler(sensors, lag_s=5.0, eager=True)
    out: list[Scan] = []
    lines = [
        _radar(T0 + 2.0, 2, 1e5),
        _radar(T0 + 3.0, 3, 1e5),
        _ir(T0 + 1.0, 0),
        _ir(T0 + 1.0, 0)[:-1] + " }",
    ]
    for i, text in enumerate(lines, 1):
        released, rej = asm.push_line(text, i)
        out.extend(released)
        if i == 4:
            # An exact repeat (same record, other whitespace) of a pending record is dropped.
            assert rej is not None and "repeat" in rej.reason
    out.extend(asm.flush())
    assert [(s.sensor, s.scan) for s in out] == [("tpy2-1", 2), ("geo-ir-1", 0), ("tpy2-1", 3)]
