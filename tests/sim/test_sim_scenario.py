"""Scenario files: every bundled one validates; every kind of bad file names file, line and field."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import pytest
import shapely

from tocsin.errors import BadInputError
from tocsin.sim.scenario import bundled_names, load_scenario, parse_scenario
from tocsin.sim.zonegen import circle_polygon, hex_grid_zones, rect_polygon, zone_from_spec

GOOD = """\
name: demo
description: one Scud at a town
sources: [made up]
start_utc: "2020-01-07T22:30:00Z"
sites:
  - {id: s1, lat_deg: 34.3, lon_deg: 47.1, alt_m: 1300}
waves:
  - {id: w1, t_offset_s: 60}
launches:
  - site: s1
    wave: w1
    class: srbm-300
    aim: {zone: town}
sensors:
  - id: ir1
    kind: ir
    geo_lon_deg: 50
    sigma_los_deg: 0.005
    revisit_s: 2
    pd: 0.9
  - id: r1
    kind: radar
    lat_deg: 33.8
    lon_deg: 42.4
    alt_m: 200
    sigma_range_m: 15
    sigma_az_deg: 0.06
    sigma_el_deg: 0.06
    max_range_m: 1000000
    az_min_deg: 300
    az_max_deg: 60
    revisit_s: 1
    pd: 0.95
zones:
  - id: town
    shelter_s: 90
    circle: {lat_deg: 33.8, lon_deg: 44.0, radius_m: 2000}
  - id: box
    shelter_s: 60
    polygon_lonlat_deg: [[44.0, 33.0], [44.1, 33.0], [44.1, 33.1], [44.0, 33.1], [44.0, 33.0]]
"""


def test_good_file_parses() -> None:
    ls = parse_scenario(GOOD, "demo.yaml")
    sc = ls.scenario
    assert sc.start_unix_s == 1578436200.0
    assert [s.id for s in sc.sensors] == ["ir1", "r1"]
    assert sc.launches[0].class_name == "srbm-300"


def bad(old: str, new: str) -> BadInputError:
    text = GOOD.replace(old, new, 1)
    assert text != GOOD
    with pytest.raises(BadInputError) as ei:
        parse_scenario(text, "bad.yaml")
    assert ei.value.file == "bad.yaml"
    return ei.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "field", "needle", "words"),
    [
        ("    sigma_range_m: 15\n", "", "sensors[1].sigma_range_m", "  - id: r1", "missing"),
        (
            "    sigma_los_deg: 0.005",
            "    sigma_los_deg: -0.005",
            "sensors[0].sigma_los_deg",
            "sigma_los_deg",
            "greater",
        ),
        (
            "    lat_deg: 33.8\n",
            "    lat_deg: 95\n",
            "sensors[1].lat_deg",
            "    lat_deg: 95",
            "less than or equal",
        ),
        ("    pd: 0.95", "    pd: .nan", "sensors[1].pd", "pd: .nan", "finite"),
        (
            "    class: srbm-300",
            "    class: scud-z",
            "launches[0].class",
            "class: scud-z",
            "unknown missile class",
        ),
        (
            "    sigma_az_deg: 0.06",
            "    sigma_az_deg: 0.06\n    sigma_az_rad: 0.001",
            "sensors[1].sigma_az_rad",
            "sigma_az_rad",
            "not permitted",
        ),
        (
            "[44.0, 33.1], [44.0, 33.0]]",
            "[44.0, 33.1]]",
            "zones[1].polygon_lonlat_deg",
            "polygon_lonlat_deg",
            "not closed",
        ),
        (
            "[[44.0, 33.0], [44.1, 33.0], [44.1, 33.1], [44.0, 33.1], [44.0, 33.0]]",
            "[[44.0, 33.0], [44.1, 33.1], [44.1, 33.0], [44.0, 33.1], [44.0, 33.0]]",
            "zones[1].polygon_lonlat_deg",
            "polygon_lonlat_deg",
            "cross itself",
        ),
        ("  - id: box", "  - id: town", "zones[1].id", "  - id: town\n    shelter_s: 60", "duplicate id"),
        (
            "    aim: {zone: town}",
            "    aim: {zone: nowhere}",
            "launches[0].aim.zone",
            "aim: {zone: nowhere}",
            "unknown zone",
        ),
        ("  - site: s1", "  - site: s9", "launches[0].site", "site: s9", "unknown site"),
        ("    wave: w1", "    wave: w7", "launches[0].wave", "wave: w7", "unknown wave"),
        (
            'start_utc: "2020-01-07T22:30:00Z"',
            "start_utc: 2020-01-07 22:30:00",
            "start_utc",
            "start_utc",
            "timezone",
        ),
        ("    az_max_deg: 60", "    az_max_deg: 300", "sensors[1]", "  - id: r1", "empty sector"),
        (
            "    max_range_m: 1000000",
            "    max_range_m: 1000000\n    min_range_m: 2000000",
            "sensors[1]",
            "  - id: r1",
            "must exceed",
        ),
        (
            "    geo_lon_deg: 50",
            "    geo_lon_deg: 50\n    pos_ecef_m: [42164000, 0, 0]",
            "sensors[0]",
            "  - id: ir1",
            "exactly one",
        ),
        ("    kind: radar", "    kind: sonar", "sensors[1].kind", "kind: sonar", "tag"),
    ],
)
def test_bad_files_name_file_line_and_field(old: str, new: str, field: str, needle: str, words: str) -> None:
    e = bad(old, new)
    text = GOOD.replace(old, new, 1)
    assert e.field == field
    first = needle.split("\n", maxsplit=1)[0]
    expected = line_of(text, first) if "\n" not in needle else text[: text.index(needle)].count("\n") + 1
    assert e.where == expected, str(e)
    assert words.lower() in e.message.lower(), e.message


def test_missing_top_level_field_and_yaml_errors() -> None:
    e = bad("name: demo\n", "")
    assert e.field == "name" and e.where == 1 and "missing" in e.message
    e = bad("  - id: town\n", "  - id: town\n  bad: [\n")
    assert e.field is None and isinstance(e.where, int) and "YAML" in e.message
    e = bad("    shelter_s: 90\n", "    shelter_s: 90\n    shelter_s: 30\n")
    assert e.field == "shelter_s" and "duplicate key" in e.message
    with pytest.raises(BadInputError) as ei:
        parse_scenario("- just\n- a list\n", "list.yaml")
    assert ei.value.file == "list.yaml"


def test_unknown_bundled_name_and_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="bundled"):
        load_scenario("no-such-scenario")
    with pytest.raises(BadInputError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")
    p = tmp_path / "x.yaml"
    p.write_text(GOOD.replace("pd: 0.9", "pd: 1.5"), encoding="utf-8")
    with pytest.raises(BadInputError) as ei:
        load_scenario(p)
    assert ei.value.file == str(p) and ei.value.field == "sensors[0].pd"


@pytest.mark.parametrize(
    "name",
    ["al-asad-2020", "al-asad-2020-ir", "rocket-barrage", "salvo-200", "national", "unknown-airframes"],
)
def test_bundled_scenarios_validate(name: str) -> None:
    assert name in bundled_names()
    ls = load_scenario(name)
    sc = ls.scenario
    assert sc.name == name and sc.sources and len(sc.description) > 200
    ids = [z.id for z in sc.zones]
    assert len(ids) == len(set(ids))
    for z in sc.zones:
        zone = zone_from_spec(z)
        assert zone.shape.is_valid and zone.shape.area > 0


def test_al_asad_matches_the_reconstruction() -> None:
    sc = load_scenario("al-asad-2020").scenario
    n = sum(la.count for la in sc.launches)
    failures = Counter(la.failure for la in sc.launches for _ in range(la.count))
    assert n == 16 and failures["none"] == 12 and sum(v for k, v in failures.items() if k != "none") == 4
    assert len({k for k in failures if k != "none"}) >= 3  # mixed modes
    al_asad = sum(
        la.count for la in sc.launches if la.failure == "none" and (la.aim.zone or "").startswith("aa-")
    )
    assert al_asad == 11
    assert {la.class_name for la in sc.launches} == {"srbm-500", "srbm-800"}
    assert len(sc.sites) == 3 and len(sc.waves) in (4, 5)
    offsets = sorted(w.t_offset_s for w in sc.waves)
    assert all(600 <= b - a <= 900 for a, b in itertools.pairwise(offsets))
    assert sc.start_utc.isoformat().startswith("2020-01-07T22:30")
    ir_only = load_scenario("al-asad-2020-ir").scenario
    assert [s.kind for s in ir_only.sensors] == ["ir", "ir"]


def test_salvo_200_scale() -> None:
    sc = load_scenario("salvo-200").scenario
    n = sum(la.count for la in sc.launches)
    assert 180 <= n <= 220
    assert len([s for s in sc.sensors if s.kind == "ir"]) == 2
    assert len([s for s in sc.sensors if s.kind == "radar"]) >= 2
    last = max((la.t_offset_s or 0) + la.interval_s * (la.count - 1) for la in sc.launches)
    assert last <= 15 * 60


def test_national_hex_grid_has_1500_zones_with_hfc_classes() -> None:
    sc = load_scenario("national").scenario
    zones = hex_grid_zones(sc.zone_grids[0])
    assert len(zones) >= 1500
    assert len({z.id for z in zones}) == len(zones)
    classes = Counter(z.properties["shelter_s"] for z in zones)
    assert set(classes) == {0.0, 15.0, 30.0, 45.0, 60.0, 90.0}
    assert all(z.shape.is_valid for z in zones)
    # Cells tile the land: total area within 1 % of the outline's (both measured in the same frame).
    land = shapely.geometry.Polygon([tuple(p) for p in sc.zone_grids[0].land_lonlat_deg])
    total = shapely.union_all([z.shape for z in zones]).area
    assert total == pytest.approx(land.area, rel=0.01)
    # Shelter time grows with distance from the threat border.
    d0 = [z.properties["threat_distance_km"] for z in zones if z.properties["shelter_s"] == 0.0]
    d90 = [z.properties["threat_distance_km"] for z in zones if z.properties["shelter_s"] == 90.0]
    assert max(d0) <= 7.0
    assert min(d90) > 50.0


def test_shapes_have_the_requested_size() -> None:
    c = circle_polygon(33.0, 44.0, 1000.0)
    # Area of a 48-gon inscribed in a 1 km circle, in degrees^2 at 33 N (1 deg lat = 110.9 km).
    area_m2 = c.area * 110.9e3 * 110.9e3 * math.cos(math.radians(33.0)) * (111.32 / 110.9)
    assert area_m2 == pytest.approx(48 / 2 * math.sin(2 * math.pi / 48) * 1e6, rel=0.01)
    r = rect_polygon(33.0, 44.0, 2000.0, 500.0, heading_deg=90.0)
    minx, miny, maxx, maxy = r.bounds
    assert (maxx - minx) * 111.32e3 * math.cos(math.radians(33.0)) == pytest.approx(2000.0, rel=0.01)
    assert (maxy - miny) * 110.9e3 == pytest.approx(500.0, rel=0.01)
    assert r.exterior.is_ccw and c.exterior.is_ccw
