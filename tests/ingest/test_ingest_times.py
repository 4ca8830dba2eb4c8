"""Record times: implausible values are rejected, a lone far-future time never moves the feed's clock,
a confirmed clock jump (a silent feed) is followed, and the engine's drain ends for any float time."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tocsin.alert.types import LEVEL_TAKE_COVER
from tocsin.engine.config import EngineConfig
from tocsin.engine.core import Engine
from tocsin.ingest.records import IngestLimits, Rejected, parse_record
from tocsin.ingest.sensors import SensorSet
from tocsin.ingest.stream import ScanAssembler, iter_measurements
from tocsin.zones.synthetic import ring_zone_set

T0 = 1578436200.0


def _radar(t: float, scan: int, r: float = 1e5, **extra: object) -> str:
    rec: dict[str, object] = {
        "t_unix_s": t,
        "sensor": "tpy2-1",
        "kind": "radar",
        "scan": scan,
        "range_m": r,
        "az_deg": 90.0,
        "el_deg": 10.0,
    }
    rec.update(extra)
    return json.dumps(rec)


@pytest.mark.parametrize(
    "t_text",
    [
        "1e308",
        "-1e308",
        "1578436200000.0",
        "-5.0",
        "7258118400.0",
        "1" + "0" * 400,
        "1e400",
        "NaN",
        "Infinity",
    ],
)
def test_implausible_times_are_rejected_naming_the_field(sensors: SensorSet, t_text: str) -> None:
    text = _radar(T0, 1).replace(f"{T0!r}", t_text)
    out = parse_record(text, 7, sensors, "m.jsonl")
    assert isinstance(out, Rejected)
    assert (out.file, out.line, out.field) == ("m.jsonl", 7, "t_unix_s")


def test_the_time_window_is_configurable(sensors: SensorSet) -> None:
    limits = IngestLimits(t_min_unix_s=T0 - 10.0, t_max_unix_s=T0 + 10.0)
    assert not isinstance(parse_record(_radar(T0, 1), 1, sensors, limits=limits), Rejected)
    late = parse_record(_radar(T0 + 20.0, 1), 1, sensors, limits=limits)
    assert isinstance(late, Rejected) and late.field == "t_unix_s"
    with pytest.raises(ValueError):
        IngestLimits(t_min_unix_s=1.0, t_max_unix_s=0.0)
    with pytest.raises(ValueError):
        IngestLimits(max_future_s=math.nan)


@pytest.mark.parametrize(
    ("field", "value"),
    [("range_m", 1e308), ("range_m", 2e6), ("range_rate_mps", 1e308), ("range_rate_mps", -3e4)],
)
def test_impossible_radar_values_are_rejected(sensors: SensorSet, field: str, value: float) -> None:
    rec = json.loads(_radar(T0, 1, range_rate_mps=10.0))
    rec[field] = value
    out = parse_record(json.dumps(rec), 3, sensors)
    assert isinstance(out, Rejected) and out.field == field


def test_1e308_does_not_make_later_records_late(sensors: SensorSet) -> None:
    lines = [_radar(T0, 0), _radar(1e308, 1), _radar(T0 + 1.0, 2), _radar(T0 + 2.0, 3)]
    got = list(iter_measurements(lines, sensors, eager=True))
    rejected = [g for g in got if isinstance(g, Rejected)]
    assert [(r.line, r.field) for r in rejected] == [(2, "t_unix_s")]
    assert [s.scan for s in got if not isinstance(s, Rejected)] == [0, 2, 3]


def test_a_lone_far_future_record_is_held_then_rejected(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=5.0, eager=True)
    assert asm.push_line(_radar(T0, 0), 1) == ([], None)
    # One hour ahead: a wrong clock, or the first record after a silence. Held, not used yet.
    assert asm.push_line(_radar(T0 + 3600.0, 1), 2) == ([], None)
    assert asm.held_records == 1 and asm.newest_unix_s == T0
    # The feed goes on at the old time: the jump was not real.
    released, rej = asm.push_line(_radar(T0 + 1.0, 2), 3)
    assert rej is None and [s.scan for s in released] == [0]
    dropped = asm.take_rejected()
    assert [(r.line, r.field) for r in dropped] == [(2, "t_unix_s")]
    assert "did not jump" in dropped[0].reason
    assert asm.take_rejected() == [] and asm.held_records == 0


def test_a_far_future_record_at_the_end_is_rejected(sensors: SensorSet) -> None:
    got = list(iter_measurements([_radar(T0, 0), _radar(T0 + 3600.0, 1)], sensors, eager=True))
    rejected = [g for g in got if isinstance(g, Rejected)]
    assert [(r.line, r.field) for r in rejected] == [(2, "t_unix_s")]
    assert [s.scan for s in got if not isinstance(s, Rejected)] == [0]


def test_a_confirmed_clock_jump_is_followed_and_uses_the_held_records(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=5.0, eager=True)
    asm.push_line(_radar(T0, 0), 1)
    assert asm.push_line(_radar(T0 + 900.0, 1, 2e5), 2) == ([], None)
    # A second scan agreeing with the first: the feed was silent for 15 minutes.
    released, rej = asm.push_line(_radar(T0 + 901.0, 2, 3e5), 3)
    assert rej is None and asm.take_rejected() == []
    assert [(s.scan, s.t_unix_s) for s in released] == [(0, T0), (1, T0 + 900.0)]
    assert asm.newest_unix_s == T0 + 901.0
    assert [s.scan for s in asm.flush()] == [2]


def test_repeats_of_one_far_future_scan_do_not_confirm_a_jump(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=5.0, eager=True)
    asm.push_line(_radar(T0, 0), 1)
    for i in range(5):
        assert asm.push_line(_radar(T0 + 900.0, 1, 1e5 + i), 2 + i) == ([], None)
    assert asm.newest_unix_s == T0 and asm.held_records == 5


def test_disagreeing_future_records_do_not_confirm_each_other(sensors: SensorSet) -> None:
    asm = ScanAssembler(sensors, lag_s=5.0, eager=True)
    asm.push_line(_radar(T0, 0), 1)
    asm.push_line(_radar(T0 + 900.0, 1), 2)
    assert asm.push_line(_radar(T0 + 90000.0, 2), 3) == ([], None)
    assert [r.line for r in asm.take_rejected()] == [2]
    assert asm.newest_unix_s == T0


def test_drain_ends_for_any_float_time(sensors: SensorSet) -> None:
    """Engine.finish with an open warning at t = 1e308 (where t + 1 == t) returns."""
    zones = ring_zone_set(np.zeros((1, 2)), 500.0, kinds=["quarters"])
    config = EngineConfig(ingest=IngestLimits(t_max_unix_s=1.7e308))
    engine = Engine(sensors, zones, config)
    out = engine.push_line(_radar(1e308, 0), 1)
    assert out.rejected == []
    engine.policy.level[:] = LEVEL_TAKE_COVER
    engine.finish()  # must terminate; before the fix it looped forever
    assert engine.now_unix_s == 1e308
