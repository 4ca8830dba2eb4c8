"""Mach-dependent drag of the simulated truth (a beta that changes in flight), against references."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from tocsin.geo import geodetic_deg_to_ecef
from tocsin.physics import catalogue
from tocsin.physics._stepping import cd_mach_ratio
from tocsin.physics.atmosphere import speed_of_sound_mps
from tocsin.physics.flight import FlightPlan, fly

from .reference import reference_impact

# US Standard Atmosphere 1976, table I: speed of sound (m/s) at geometric altitude (m).
US76_SOUND = [(0.0, 340.294), (11_000.0, 295.154), (20_000.0, 295.069), (32_000.0, 303.02)]


def test_speed_of_sound_matches_the_us76_table() -> None:
    for alt, want in US76_SOUND:
        assert abs(float(speed_of_sound_mps(alt)) - want) < 0.3, (alt, want)


def test_drag_ratio_is_one_hypersonic_and_peaks_transonic() -> None:
    r = cd_mach_ratio(np.array([0.5, 1.2, 5.0, 8.0, 25.0]))
    assert r[2] == r[3] == r[4] == 1.0
    assert r[1] == r.max() and 1.5 < r[1] < 2.0
    assert 0.7 < r[0] < 1.0


# A body light enough to slow through the transonic range (beta 2,500 kg/m^2 hypersonic).
BETA = 2500.0


@pytest.fixture
def mach_class(monkeypatch: pytest.MonkeyPatch) -> str:
    base = catalogue.CATALOGUE["srbm-500"]
    cls = dataclasses.replace(base, name="srbm-500-mach", beta_kg_m2=BETA, mach_drag=True)
    monkeypatch.setitem(catalogue.CATALOGUE, cls.name, cls)
    return cls.name


def _independent_sound_mps(alt_m: float) -> float:
    # US76 temperature (geopotential layers 0-11-20-32-47 km, lapse -6.5, 0, +1, +2.8 K/km), sqrt(gamma R T).
    h = 6356766.0 * alt_m / (6356766.0 + alt_m)
    layers = [
        (0.0, 288.15, -0.0065),
        (11000.0, 216.65, 0.0),
        (20000.0, 216.65, 0.001),
        (32000.0, 228.65, 0.0028),
    ]
    hb, tb, lb = max((x for x in layers if h >= x[0]), key=lambda x: x[0], default=layers[0])
    t = tb + lb * (min(h, 47000.0) - hb)
    return math.sqrt(1.4 * 287.053 * t)


def test_fly_with_mach_drag_matches_solve_ivp_and_lands_short(mach_class: str) -> None:
    plan = FlightPlan(mach_class, 34.3, 47.1, 1300.0, 0.0, 255.0, math.radians(70.0))
    tr = fly([plan], sample_dt_s=0.5)[0]
    k = int(np.argmax(~tr.thrusting))
    s0 = np.concatenate([tr.pos_ecef_m[k], tr.vel_ecef_mps[k]])

    def beta_of(alt: float, speed: float) -> float:
        mach = speed / _independent_sound_mps(min(max(alt, 0.0), 47000.0))
        return BETA / float(cd_mach_ratio(np.array([mach]))[0])

    t_ref, s_ref = reference_impact(s0, BETA, beta_of=beta_of)
    impact = geodetic_deg_to_ecef(tr.impact_lat_deg, tr.impact_lon_deg, 0.0)
    assert np.linalg.norm(impact - s_ref[:3]) < 5.0
    assert abs(tr.impact_t_unix_s - (tr.t_unix_s[k] + t_ref)) < 0.05
    # The same body with a constant beta lands farther: the transonic drag rise costs range.
    t_const, s_const = reference_impact(s0, BETA)
    assert np.linalg.norm(s_const[:3] - s_ref[:3]) > 100.0
    assert t_ref > t_const
