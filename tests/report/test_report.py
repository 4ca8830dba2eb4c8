"""After-action report, CZML and base map on the hand-made salvo of ``conftest.py``."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from czml3 import Document
from matplotlib.path import Path as MplPath

from tocsin.eval.scorecard import score_alerts
from tocsin.report.basemap import load_borders
from tocsin.report.czml import build_czml
from tocsin.report.data_model import alert_bars, load_report_data
from tocsin.report.figures import PAGE_SIZE_IN, prediction_errors
from tocsin.report.write import PAGES, PNG_DPI, write_report

CHECKER = Path("/work/shared/tools/check_contract.py")


@pytest.fixture(scope="module")
def report_dir(synthetic_dirs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    html = write_report(*synthetic_dirs, out)
    assert html == out / "report.html"
    return out


def test_fixture_passes_the_contract_checker(synthetic_dirs: tuple[Path, Path]) -> None:
    if not CHECKER.exists():
        pytest.skip("contract checker not available")
    res = subprocess.run(
        [sys.executable, str(CHECKER), *map(str, synthetic_dirs)], check=False, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stdout


def test_files_exist_and_are_not_empty(report_dir: Path) -> None:
    for name in ("report.html", "report.pdf", "replay.czml"):
        assert (report_dir / name).stat().st_size > 10_000, name
    assert sorted(p.name for p in (report_dir / "figures").iterdir()) == [
        f"page-{i}.png" for i in range(1, 6)
    ]


def test_png_pixel_size(report_dir: Path) -> None:
    want = (round(PAGE_SIZE_IN[0] * PNG_DPI), round(PAGE_SIZE_IN[1] * PNG_DPI))
    for png in (report_dir / "figures").iterdir():
        head = png.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", head[16:24]) == want, png.name


def test_html_is_self_contained(report_dir: Path) -> None:
    text = (report_dir / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://|\bsrc=(?![\"']?data:)|\bhref=|url\(|@import", text)
    assert text.count('src="data:image/png;base64,') == PAGES
    for heading in ("Warning scorecard", "Map", "Timeline", "Aimpoint and intent analysis"):
        assert heading in text
    # Baselines side by side with tocsin.
    for name in ("tocsin", "oracle", "whole-area", "circle"):
        assert f"<th>{name}</th>" in text


def test_pdf_page_count(report_dir: Path) -> None:
    pdf = (report_dir / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == PAGES
    assert b"/CreationDate" not in pdf


@pytest.mark.slow
def test_pdf_is_deterministic(synthetic_dirs: tuple[Path, Path], tmp_path: Path) -> None:
    # Same inputs, same bytes (scorecards passed in, so only the drawing is repeated).
    data = load_report_data(*synthetic_dirs)
    card = score_alerts(data.alerts, data.zones, data.events, data.first_detection_s)
    write_report(*synthetic_dirs, tmp_path, scorecard=card, baselines={})
    write_report(*synthetic_dirs, tmp_path / "again", scorecard=card, baselines={})
    assert (tmp_path / "report.pdf").read_bytes() == (tmp_path / "again" / "report.pdf").read_bytes()
    assert "<th>oracle</th>" not in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_czml_validates_with_one_packet_per_track(
    synthetic_dirs: tuple[Path, Path], report_dir: Path
) -> None:
    data = load_report_data(*synthetic_dirs)
    doc = build_czml(data)
    again = Document.model_validate_json(doc.dumps())  # czml3's own models validate the document
    ids = [p.id for p in again.packets]
    assert ids[0] == "document"
    tracks = [i for i in ids if i.startswith("track/")]
    assert sorted(tracks) == sorted(f"track/{k}" for k in data.tracks)
    assert len(tracks) == len(set(tracks)) == 8
    assert sum(i.startswith("impact/") for i in ids) == len(data.predictions)
    raw = json.loads((report_dir / "replay.czml").read_text(encoding="utf-8"))
    t1 = next(p for p in raw if p["id"] == "track/T1")
    samples = np.asarray(t1["position"]["cartographicDegrees"]).reshape(-1, 4)
    lat, lon, _ = data.tracks["T1"].geodetic_deg()
    assert np.allclose(samples[:, 1], lon) and np.allclose(samples[:, 2], lat)  # lon first
    assert samples[0, 0] >= 0.0 and np.all(np.diff(samples[:, 0]) > 0)
    assert "solidColor" in t1["path"]["material"]
    ell = next(p for p in raw if p["id"] == "impact/T1")["ellipse"]
    major = np.asarray(ell["semiMajorAxis"]["number"]).reshape(-1, 2)[:, 1]
    minor = np.asarray(ell["semiMinorAxis"]["number"]).reshape(-1, 2)[:, 1]
    assert np.all(major >= minor) and np.all(minor > 0)


def test_prediction_errors_shrink_to_the_true_impact(synthetic_dirs: tuple[Path, Path]) -> None:
    data = load_report_data(*synthetic_dirs)
    assert data.track_object == {f"T{i}": f"m0{i}" for i in range(1, 9)}
    errs = prediction_errors(data)
    assert {e.track for e in errs} == {f"T{i}" for i in range(1, 8)}  # T8's object failed: no impact
    for e in errs:
        # The fixture's error model: 40 m + 6 km (ttg / 330 s)^1.6, scaled by 0.6-0.9.
        late = e.ttg_s < 20.0
        assert np.all(e.miss_m[late] < 150.0)
        assert np.all(e.inside95)


def test_alert_bars_follow_episode_rules() -> None:
    rows = [
        {"t_unix_s": 10.0, "zone": "a", "level": "pre_alert"},
        {"t_unix_s": 20.0, "zone": "a", "level": "take_cover"},
        {"t_unix_s": 25.0, "zone": "a", "level": "take_cover"},  # inside the episode: nothing
        {"t_unix_s": 50.0, "zone": "a", "level": "all_clear"},
        {"t_unix_s": 30.0, "zone": "b", "level": "take_cover"},  # never closed
        {"t_unix_s": 40.0, "zone": "c", "level": "pre_alert"},
        {"t_unix_s": 45.0, "zone": "c", "level": "cancel"},
    ]
    bars = [(b.zone, b.level, b.start_s, b.end_s, b.closed_by) for b in alert_bars(rows, 3.0)]
    assert bars == [
        ("a", "pre_alert", 13.0, 23.0, "take_cover"),
        ("a", "take_cover", 23.0, 53.0, "all_clear"),
        ("b", "take_cover", 33.0, float("inf"), None),
        ("c", "pre_alert", 43.0, 48.0, "cancel"),
    ]


def _inside_land(lat_deg: float, lon_deg: float) -> bool:
    for poly in load_borders().land:
        ext = poly[0]
        if MplPath(ext).contains_point((lon_deg, lat_deg)):
            return not any(MplPath(h).contains_point((lon_deg, lat_deg)) for h in poly[1:])
    return False


def test_shipped_borders_are_natural_earth() -> None:
    b = load_borders()
    assert "Natural Earth" in b.attribution
    assert len(b.land) > 1000 and len(b.borders) > 300
    path = Path(__file__).parents[2] / "src/tocsin/report/data/ne_50m_borders.json"
    assert path.stat().st_size < 1_000_000
    assert _inside_land(33.7857, 42.4411)  # Al Asad
    assert not _inside_land(34.0, 34.0)  # eastern Mediterranean
    assert not _inside_land(27.0, 51.0)  # Persian Gulf


def test_scenario_name_from_scenario_json(tmp_path: Path) -> None:
    from tocsin.report.data_model import scenario_name

    d = tmp_path / "s"
    d.mkdir()
    assert scenario_name(d) == "s"
    (d / "events.json").write_text(json.dumps({"name": "from-events", "objects": []}))
    assert scenario_name(d) == "from-events"
    (d / "scenario.json").write_text(json.dumps({"scenario": {"name": "al-asad-2020"}}))
    assert scenario_name(d) == "al-asad-2020"


def test_target_panel_holds_the_struck_zones(synthetic_dirs: tuple[Path, Path]) -> None:
    from tocsin.report.figures import struck_zone_ids, target_panels

    data = load_report_data(*synthetic_dirs)
    main, _, _ = target_panels(data)
    assert main is not None
    struck = struck_zone_ids(data)
    assert struck and struck <= {data.zones.ids[i] for i in main.zones}
    # Every true impact of the hand-made salvo lands within a few km of the base: all in the panel.
    assert set(main.impacts) == {i for i, e in enumerate(data.events) if e.has_impact}


def test_accuracy_table_bins_errors_by_time_to_go(report_dir: Path) -> None:
    from tocsin.report.figures import ErrorSeries, accuracy_table

    # Two tracks; misses 100 m + 10 m per second to go, time errors 0.1 s per 10 s to go.
    ttg = np.array([125.0, 115.0, 62.0, 58.0, 31.0, 29.0, 5.0])
    series = [
        ErrorSeries(k, "o1", ttg, 100.0 + 10.0 * ttg, np.full(7, 5000.0), -0.01 * ttg, np.ones(7, bool))
        for k in ("T1", "T2")
    ]
    series[1] = ErrorSeries("T2", "o2", ttg, 100.0 + 10.0 * ttg, np.full(7, 5000.0), 0.01 * ttg, ttg < 50)
    header, rows = accuracy_table(series)
    assert header[0] == "time to go"
    by_bin = {r[0]: r for r in rows}
    assert by_bin["90-150 s"][1:4] == ["4", "1300 m", "1350 m"]  # 1250, 1250, 1350, 1350 m
    assert by_bin["50-70 s"][2] == "700 m" and by_bin["50-70 s"][4] == "0.6 s"
    assert by_bin["20-40 s"][5] == "100%" and by_bin["90-150 s"][5] == "50%"
    assert by_bin["0-10 s"][1] == "2"
    assert accuracy_table([])[1] == []
    # The report writes the table next to its plot (figures/page-4.png).
    csv = (report_dir / "accuracy_vs_ttg.csv").read_text().splitlines()
    assert csv[0].startswith("time to go,predictions,median miss")
    assert "Pooled over tracks, by time to go" in (report_dir / "report.html").read_text()
