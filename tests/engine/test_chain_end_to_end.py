"""The whole chain on a small bundled scenario: contract files, replay, live stream, no missed zone.

`rocket-barrage` (22 rockets and mortars, a counter-battery radar, 5-15 s to shelter) is small enough
to run end to end in a test; the ballistic scenarios run in the benchmarks and in `make demo`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tocsin.cli.evaluate_cmd import run_evaluate
from tocsin.cli.run_cmd import run_chain
from tocsin.sim.simulate import simulate
from tocsin.store.eventlog import EventLog
from tocsin.store.replay import replay_events

# The shared contract checker sits beside the repository (../shared); a clone elsewhere (CI) finds it
# through TOCSIN_CONTRACT_CHECKER or the workplace's fixed location.
_CANDIDATES = [
    Path(os.environ.get("TOCSIN_CONTRACT_CHECKER", "/nonexistent")),
    Path(__file__).resolve().parents[3] / "shared" / "tools" / "check_contract.py",
    Path("/work/shared/tools/check_contract.py"),
]
CHECKER = next((p for p in _CANDIDATES if p.is_file()), _CANDIDATES[1])


@pytest.fixture(scope="module")
def barrage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("barrage")
    scen, run = root / "scenario", root / "run"
    simulate("rocket-barrage", scen, seed=3)
    run_chain(scen / "sensors.json", str(scen / "measurements.jsonl"), scen / "zones.geojson", run)
    return scen, run


def test_outputs_pass_the_contract_checker(barrage: tuple[Path, Path]) -> None:
    scen, run = barrage
    if not CHECKER.exists():
        pytest.skip(f"contract checker not found at {CHECKER}")
    res = subprocess.run(
        [sys.executable, str(CHECKER), str(scen), str(run)], capture_output=True, text=True, check=False
    )
    assert res.returncode == 0, res.stdout
    for name in ("tracks.jsonl", "predictions.jsonl", "alerts.jsonl"):
        assert (run / name).stat().st_size > 0, name
    assert len(list((run / "cap").glob("*.xml"))) == len((run / "alerts.jsonl").read_text().splitlines())


def test_replay_of_the_event_log_is_identical(barrage: tuple[Path, Path]) -> None:
    _, run = barrage
    with EventLog(run / "events.sqlite", create=False) as log:
        result = replay_events(log.iter_events())
    assert result.identical, result.first_difference
    assert result.n_logged > 0


def test_no_struck_zone_missed_or_late(barrage: tuple[Path, Path], tmp_path: Path) -> None:
    scen, run = barrage
    card, base, _ = run_evaluate(scen, run, tmp_path, baselines=True, report=False)
    t = card.total
    assert t.struck_pairs > 0
    assert t.missed == 0
    assert t.late == 0
    doc = json.loads((tmp_path / "scorecard.json").read_text())
    assert set(doc["baselines"]) >= {"oracle", "whole-area"}
    # Warning early: at least 80 % of the physically possible lead (the oracle warns at first detection).
    assert t.warning_efficiency_median >= 0.8 * base["oracle"].total.warning_efficiency_median


def test_same_input_same_alerts_bit_for_bit(barrage: tuple[Path, Path], tmp_path: Path) -> None:
    scen, run = barrage
    run_chain(scen / "sensors.json", str(scen / "measurements.jsonl"), scen / "zones.geojson", tmp_path)
    for name in ("alerts.jsonl", "predictions.jsonl", "tracks.jsonl"):
        assert (tmp_path / name).read_bytes() == (run / name).read_bytes(), name


def test_bad_and_repeated_records_change_no_decision(barrage: tuple[Path, Path], tmp_path: Path) -> None:
    scen, run = barrage
    lines = (scen / "measurements.jsonl").read_text().splitlines()
    noisy: list[str] = []
    for i, line in enumerate(lines):
        noisy.append(line)
        if i % 97 == 5:
            noisy.append(line)  # an at-least-once feed re-delivering
        if i % 211 == 7:
            noisy.append('{"t_unix_s": "soon", "sensor": "x"}')
        if i % 389 == 11:
            rec = json.loads(line)
            if rec["kind"] == "radar":
                rec["range_m"] = -5.0
                noisy.append(json.dumps(rec))
    bad = tmp_path / "noisy.jsonl"
    bad.write_text("\n".join(noisy) + "\n")
    out = tmp_path / "run"
    counts = run_chain(scen / "sensors.json", str(bad), scen / "zones.geojson", out)
    assert counts["rejected"] >= len(noisy) - len(lines)
    strip = [
        {k: v for k, v in json.loads(x).items()} for x in (run / "alerts.jsonl").read_text().splitlines()
    ]
    got = [json.loads(x) for x in (out / "alerts.jsonl").read_text().splitlines()]
    assert got == strip


def test_live_stream_on_stdin_flushes_each_alert(barrage: tuple[Path, Path], tmp_path: Path) -> None:
    scen, run = barrage
    tocsin = Path(sys.executable).with_name("tocsin")
    cmd = [
        str(tocsin),
        "run",
        "--sensors",
        str(scen / "sensors.json"),
        "--measurements",
        "-",
        "--zones",
        str(scen / "zones.geojson"),
        "--out",
        str(tmp_path),
    ]
    with (scen / "measurements.jsonl").open("rb") as stdin:
        res = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr.decode()[-2000:]
    streamed = [json.loads(x) for x in res.stdout.decode().splitlines()]
    assert streamed == [json.loads(x) for x in (run / "alerts.jsonl").read_text().splitlines()]
