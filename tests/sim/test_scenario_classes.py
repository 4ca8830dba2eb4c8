"""Scenario-defined airframes (``classes:``): the simulator flies them, the catalogue never learns them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tocsin.errors import BadInputError
from tocsin.physics.catalogue import CATALOGUE, UnknownClassError, get_class, scenario_classes
from tocsin.physics.flight import FlightPlan, fly
from tocsin.sim.scenario import parse_scenario
from tocsin.sim.simulate import simulate

DOC = """\
name: own-class
description: one heavy re-entry vehicle the catalogue does not hold
sources: [made up]
start_utc: "2020-01-07T22:30:00Z"
classes:
  - {name: heavy-rv, base: srbm-500, beta_kg_m2: 40000, cep_m: 20, note: "beta x4"}
  - name: slow-burn
    base: srbm-500
    stages: [{burn_s: 65, mass_initial_kg: 3600, propellant_kg: 2500, thrust_n: 87000}]
sites:
  - {id: s1, lat_deg: 34.3, lon_deg: 47.1, alt_m: 1300}
launches:
  - {site: s1, t_offset_s: 10, class: heavy-rv, aim: {zone: town}}
sensors:
  - {id: ir1, kind: ir, geo_lon_deg: 50, sigma_los_deg: 0.005, revisit_s: 2, pd: 0.9}
zones:
  - {id: town, shelter_s: 90, circle: {lat_deg: 33.8, lon_deg: 44.0, radius_m: 2000}}
"""


def test_spec_replaces_only_the_given_parameters() -> None:
    sc = parse_scenario(DOC, "own.yaml").scenario
    heavy, slow = (c.to_class() for c in sc.classes)
    base = CATALOGUE["srbm-500"]
    assert (heavy.name, heavy.beta_kg_m2, heavy.cep_m) == ("heavy-rv", 40000.0, 20.0)
    assert heavy.stages == base.stages and heavy.diameter_m == base.diameter_m
    assert slow.burn_s == 65.0 and slow.beta_kg_m2 == base.beta_kg_m2
    assert "heavy-rv" not in CATALOGUE


def test_scenario_classes_fly_and_do_not_leak() -> None:
    sc = parse_scenario(DOC, "own.yaml").scenario
    heavy = sc.classes[0].to_class()
    plans = [FlightPlan(n, 34.3, 47.1, 1300.0, 0.0, 250.0, 1.0, 1.0) for n in ("srbm-500", "heavy-rv")]
    with scenario_classes([heavy]):
        assert get_class("heavy-rv") is heavy
        light, dense = fly(plans, dt_s=0.5, sample_dt_s=1.0)
    with pytest.raises(UnknownClassError):
        get_class("heavy-rv")
    # Same boost, so the same path above the atmosphere; the denser body loses less speed on the way
    # down (drag deceleration ~ rho v^2 / (2 beta), beta 4x), so it lands farther and sooner.
    assert dense.impact_t_unix_s < light.impact_t_unix_s
    r_light = np.hypot(*(np.subtract(light.impact_lat_deg, 34.3), np.subtract(light.impact_lon_deg, 47.1)))
    r_dense = np.hypot(*(np.subtract(dense.impact_lat_deg, 34.3), np.subtract(dense.impact_lon_deg, 47.1)))
    assert r_dense > r_light


def test_simulating_an_own_class_writes_its_name_to_truth(tmp_path: Path) -> None:
    p = tmp_path / "own.yaml"
    p.write_text(DOC)
    simulate(p, tmp_path / "out", seed=1)
    events = json.loads((tmp_path / "out" / "events.json").read_text())
    assert [e["class"] for e in events["objects"]] == ["heavy-rv"]
    with pytest.raises(UnknownClassError):
        get_class("heavy-rv")


@pytest.mark.parametrize(
    ("change", "line", "field"),
    [
        (("class: heavy-rv, aim", "class: heavy-rx, aim"), 13, "launches[0].class"),
        (("base: srbm-500, beta", "base: srbm-501, beta"), 6, "classes[0].base"),
        (("{name: heavy-rv, base", "{name: srbm-300, base"), 6, "classes[0].name"),
        (("propellant_kg: 2500", "propellant_kg: 3600"), 9, "classes[1].stages[0]"),
        (("beta_kg_m2: 40000", "beta_kg_m2: 0"), 6, "classes[0].beta_kg_m2"),
        (("cep_m: 20,", "cep_m: 20, thrust: 5,"), 6, "classes[0].thrust"),
    ],
)
def test_bad_class_specs_name_line_and_field(change: tuple[str, str], line: int, field: str) -> None:
    doc = DOC.replace(*change)
    assert doc != DOC
    with pytest.raises(BadInputError) as e:
        parse_scenario(doc, "own.yaml")
    assert (e.value.where, e.value.field) == (line, field), str(e.value)
