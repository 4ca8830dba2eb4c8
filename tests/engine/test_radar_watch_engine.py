"""The engine tells the alert policy which radars are reporting (radar watch, tocsin.zones.watch)."""

from __future__ import annotations

from pathlib import Path

from tocsin.cli.files import load_sensors_doc, load_zones_doc
from tocsin.engine.core import Engine
from tocsin.sim.simulate import simulate


def test_reporting_radars_follow_the_scans_and_lapse_in_silence(tmp_path: Path) -> None:
    scen = tmp_path / "scen"
    simulate("rocket-barrage", scen, seed=3)
    sensors, _ = load_sensors_doc(scen / "sensors.json")
    zones, _ = load_zones_doc(scen / "zones.geojson")
    engine = Engine(sensors, zones)
    assert engine.threats.watch is not None and engine.threats.watch.radar_ids
    engine.cycle_capture = []
    lines = (scen / "measurements.jsonl").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines[:400], 1):
        engine.push_line(line, i)
    assert engine.cycle_capture, "decision cycles ran"
    every = engine.threats.watch.all_mask()
    assert engine.cycle_capture[-1][1].radars_alive_mask == every
    # Silence: a tick a minute after the newest measurement finds no radar reporting.
    n = len(engine.cycle_capture)
    engine.push_tick(engine.now_unix_s + 60.0)
    assert len(engine.cycle_capture) == n + 1
    assert engine.cycle_capture[-1][1].radars_alive_mask == 0
    assert engine.threats.watch.alive_mask(engine._radar_last_unix_s, engine.now_unix_s) == 0
