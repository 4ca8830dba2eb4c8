"""Threat classes: missiles, rockets and mortars with the parameters the simulator and predictor need.

Every figure carries its provenance in ``source`` and a confidence tag in ``confidence`` using the tags
of domain.md: [C] confirmed, [R] one reputable outlet, [W] weak, [D] derived by calculation, [?] assumed.
Open sources publish launch mass, diameter, payload and range for most of these; burn times are
published for a few; thrust, propellant split and re-entry ballistic coefficients essentially never.
Those are sized so that this package's flight model (:mod:`tocsin.physics.flight`, US76 drag, J2,
rotating Earth) reaches the class's published maximum range, and are tagged [D].

Conventions:

- ``loft`` (the shape parameter of :class:`tocsin.physics.flight.FlightPlan`, radians) is, for
  missiles, the elevation of the thrust direction during the pitch-over manoeuvre that follows the
  vertical rise; for rockets and mortars, the elevation of the launch rail or tube.
- Missiles rise vertically for ``vertical_rise_s``, thrust along the fixed direction of elevation
  ``loft`` for ``pitch_over_s``, then fly a gravity turn (thrust along the air-relative velocity).
- Rockets leave the rail at elevation ``loft`` (thrust along it for ``pitch_over_s``, the rail and
  tip-off phase), then fly a gravity turn to burnout. Mortars are gun-launched: no burn, the round
  leaves the tube at ``muzzle_velocity_mps`` and elevation ``loft``.
- ``hot_coast_s``: how long after burnout an infrared sensor still sees the object. The plume vanishes
  within about a second of thrust termination; what stays bright is the nozzle and aft structure (and
  for solid motors the hot case and smouldering insulation/slag). Short-wave space sensors detect the
  plume, not a cold body, so the window is short: assumed 10 s for liquid engines (nozzle and
  turbopump exhaust duct cool quickly, residual propellant vents briefly), 20 s for large solid
  motors (a case heated through by a ~60 s burn), 3 s for small rockets, 0 for mortars (no burn;
  the muzzle flash is at the launch instant). All [?] assumed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

Kind = Literal["srbm", "mrbm", "rocket", "mortar"]


@dataclass(frozen=True)
class Stage:
    """One propulsive stage: burn time (s), mass at ignition (kg, this stage plus everything above it),
    propellant burnt (kg) and mean thrust (N). Mass flow is constant: propellant_kg / burn_s."""

    burn_s: float
    mass_initial_kg: float
    propellant_kg: float
    thrust_n: float

    @property
    def mass_flow_kg_s(self) -> float:
        """Propellant mass flow (kg/s)."""
        return self.propellant_kg / self.burn_s

    @property
    def isp_s(self) -> float:
        """Effective specific impulse (s) implied by thrust and mass flow (g0 = 9.80665 m/s^2)."""
        return self.thrust_n / (self.mass_flow_kg_s * 9.80665)


@dataclass(frozen=True)
class MissileClass:
    """A threat class. SI units; see the module docstring for ``loft`` and the flight programme."""

    name: str
    kind: Kind
    range_min_m: float
    range_max_m: float
    stages: tuple[Stage, ...]
    payload_kg: float
    beta_kg_m2: float  # ballistic coefficient m / (C_D A) of the body after burnout (re-entry body)
    cep_m: float
    danger_radius_m: float
    hot_coast_s: float
    launch_elevation_min_deg: float  # launcher elevation band; 90/90 for vertically launched missiles
    launch_elevation_max_deg: float
    loft_min_rad: float  # band the aim solver searches for ``loft`` (see module docstring)
    loft_max_rad: float
    diameter_m: float = 0.0
    boost_cd: float = 0.3  # mean drag coefficient during boost (subsonic to Mach 5 average)
    vertical_rise_s: float = 0.0
    pitch_over_s: float = 0.0
    muzzle_velocity_mps: float = 0.0  # gun-launched rounds only
    thrust_termination: bool = False  # True: the engine can be cut off early (liquid engines)
    burn_fraction_min: float = 1.0  # smallest burn fraction the aim solver may use
    # Truth only (the simulator; trackers never see it): the coasting body's drag coefficient follows
    # Mach number (``tocsin.physics._stepping.cd_mach_ratio``), beta_kg_m2 being its hypersonic value.
    mach_drag: bool = False
    source: str = ""
    confidence: str = "[?]"

    @property
    def burn_s(self) -> float:
        """Total burn time (s) of all stages (no coast between stages)."""
        return sum(s.burn_s for s in self.stages)

    @property
    def boost_cd_area_m2(self) -> float:
        """C_D * A (m^2) used for drag during boost, A the body cross-section."""
        return self.boost_cd * math.pi * self.diameter_m**2 / 4.0

    @property
    def gun_launched(self) -> bool:
        """True for rounds with no motor (mortars)."""
        return len(self.stages) == 0


class UnknownClassError(KeyError):
    """A class name that is not in :data:`CATALOGUE`."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown class"


def _deg(x: float) -> float:
    return math.radians(x)


CATALOGUE: dict[str, MissileClass] = {
    c.name: c
    for c in (
        MissileClass(
            name="srbm-300",
            kind="srbm",
            range_min_m=60e3,
            range_max_m=300e3,
            # Scud-B: 5,900 kg, 0.88 m, ~62 s burn, 985 kg warhead; propellant and thrust sized.
            stages=(Stage(burn_s=62.0, mass_initial_kg=5900.0, propellant_kg=3700.0, thrust_n=137e3),),
            payload_kg=985.0,
            beta_kg_m2=5000.0,
            cep_m=450.0,
            danger_radius_m=200.0,
            hot_coast_s=10.0,
            launch_elevation_min_deg=90.0,
            launch_elevation_max_deg=90.0,
            loft_min_rad=_deg(60.0),
            loft_max_rad=_deg(85.0),
            diameter_m=0.88,
            vertical_rise_s=5.0,
            pitch_over_s=10.0,
            thrust_termination=True,
            burn_fraction_min=0.4,
            source=(
                "Scud-B / Fateh-110 class. Launch mass 5,900 kg, diameter 0.88 m, warhead 985 kg, range "
                "300 km, CEP ~450 m: CSIS Missile Threat 'Scud-B' and Zaloga, Scud Ballistic Missile "
                "(Osprey 2006) [R/W]. Burn ~62 s [W]. Propellant and thrust sized so the model reaches "
                "300 km [D]. Re-entry beta 5,000 kg/m^2 assumed for a non-separating, partly tumbling "
                "body [?]. Minimum range 60 km by engine cut-off [?]."
            ),
            confidence="[R] mass/size/range, [D] propulsion, [?] beta/CEP/danger radius",
        ),
        MissileClass(
            name="srbm-500",
            kind="srbm",
            range_min_m=200e3,
            range_max_m=500e3,
            stages=(Stage(burn_s=50.0, mass_initial_kg=3600.0, propellant_kg=2500.0, thrust_n=113e3),),
            payload_kg=450.0,
            beta_kg_m2=10000.0,
            cep_m=100.0,
            danger_radius_m=150.0,
            hot_coast_s=20.0,
            launch_elevation_min_deg=90.0,
            launch_elevation_max_deg=90.0,
            loft_min_rad=_deg(45.0),
            loft_max_rad=_deg(87.0),
            diameter_m=0.61,
            vertical_rise_s=4.0,
            pitch_over_s=10.0,
            source=(
                "Fateh-313 (solid, single stage): range 500 km, diameter 0.61 m, length ~8.9 m, warhead "
                "~450 kg: CSIS Missile Threat 'Fateh-110 / Fateh-313', IISS Military Balance [R/W]. "
                "Launch mass ~3,600 kg and 50 s burn assumed from the Fateh-110 family [?]; thrust and "
                "propellant sized to reach 500 km [D]. Guided Fateh family: CEP tens to a few hundred "
                "metres (domain.md 1.2), 100 m taken [?]. Beta 10,000 kg/m^2 for a slender finned body "
                "of ~1,100 kg at burnout (C_D ~0.35, A 0.29 m^2) [D]. No thrust termination: shorter "
                "ranges by lofting only, down to 200 km [?]."
            ),
            confidence="[R] range/diameter, [?] mass/burn/CEP, [D] propulsion/beta",
        ),
        MissileClass(
            name="srbm-800",
            kind="srbm",
            range_min_m=150e3,
            range_max_m=800e3,
            stages=(Stage(burn_s=85.0, mass_initial_kg=6155.0, propellant_kg=4700.0, thrust_n=130e3),),
            payload_kg=750.0,
            beta_kg_m2=6000.0,
            cep_m=500.0,
            danger_radius_m=200.0,
            hot_coast_s=10.0,
            launch_elevation_min_deg=90.0,
            launch_elevation_max_deg=90.0,
            loft_min_rad=_deg(60.0),
            loft_max_rad=_deg(85.0),
            diameter_m=0.88,
            vertical_rise_s=5.0,
            pitch_over_s=10.0,
            thrust_termination=True,
            burn_fraction_min=0.4,
            source=(
                "Qiam-1 (liquid, finless Scud derivative, separating warhead): range 750 km (Arms Control "
                "Association) to 800 km (Iran 2022 display), domain.md 1.2 [R]; launch mass 6,155 kg, "
                "diameter 0.88 m, payload 750 kg: CSIS Missile Threat 'Qiam-1' [R]. Burn time, thrust "
                "and propellant sized to reach 800 km [D]. Scud-derivative CEP several hundred metres, "
                "500 m taken [?]. Beta 6,000 kg/m^2: 750 kg cone, C_D ~0.2, base 0.6 m^2 [D]."
            ),
            confidence="[R] mass/size/range, [D] propulsion/beta, [?] CEP",
        ),
        MissileClass(
            name="mrbm-1300",
            kind="mrbm",
            range_min_m=300e3,
            range_max_m=1300e3,
            stages=(Stage(burn_s=100.0, mass_initial_kg=17410.0, propellant_kg=14000.0, thrust_n=354e3),),
            payload_kg=1000.0,
            beta_kg_m2=8000.0,
            cep_m=1000.0,
            danger_radius_m=250.0,
            hot_coast_s=10.0,
            launch_elevation_min_deg=90.0,
            launch_elevation_max_deg=90.0,
            loft_min_rad=_deg(55.0),
            loft_max_rad=_deg(85.0),
            diameter_m=1.25,
            vertical_rise_s=6.0,
            pitch_over_s=12.0,
            thrust_termination=True,
            burn_fraction_min=0.4,
            source=(
                "Shahab-3 / Ghadr-1 (liquid, Nodong derivative): launch mass 17,410 kg, diameter 1.25 m, "
                "payload 750-1,200 kg, range 1,300 km (Shahab-3) to ~1,950 km (Ghadr): CSIS Missile "
                "Threat 'Shahab-3' [R]. Nodong engine ~26.6 tf, burn ~110 s [W]; thrust and propellant "
                "sized to reach 1,300 km with 1,000 kg [D]. CEP 1,000 m assumed [?]. Beta 8,000 kg/m^2 "
                "for the triconic re-entry vehicle [?]."
            ),
            confidence="[R] mass/size/range, [W] burn, [D] propulsion, [?] CEP/beta",
        ),
        MissileClass(
            name="mrbm-2000",
            kind="mrbm",
            range_min_m=800e3,
            range_max_m=2000e3,
            stages=(
                Stage(burn_s=60.0, mass_initial_kg=23600.0, propellant_kg=12500.0, thrust_n=552e3),
                Stage(burn_s=50.0, mass_initial_kg=8500.0, propellant_kg=5800.0, thrust_n=287.5e3),
            ),
            payload_kg=650.0,
            beta_kg_m2=10000.0,
            cep_m=1000.0,
            danger_radius_m=200.0,
            hot_coast_s=20.0,
            launch_elevation_min_deg=90.0,
            launch_elevation_max_deg=90.0,
            loft_min_rad=_deg(55.0),
            loft_max_rad=_deg(87.0),
            diameter_m=1.25,
            vertical_rise_s=6.0,
            pitch_over_s=12.0,
            source=(
                "Sejjil-2 (two-stage solid): launch mass ~23,600 kg, diameter 1.25 m, length 18 m, payload "
                "~650 kg, range ~2,000 km: CSIS Missile Threat 'Sejjil' [R]; Iran's declared 2,000 km cap "
                "(domain.md 5.2) [R]. Stage split, burn times and thrusts assumed and sized to reach "
                "2,000 km [D]. CEP 1,000 m and beta 10,000 kg/m^2 assumed [?]. No thrust termination: "
                "shorter ranges by lofting only [?]."
            ),
            confidence="[R] mass/size/range, [D] stages, [?] CEP/beta",
        ),
        MissileClass(
            name="rocket-107",
            kind="rocket",
            range_min_m=1.5e3,
            range_max_m=8.5e3,
            stages=(Stage(burn_s=0.8, mass_initial_kg=18.8, propellant_kg=3.4, thrust_n=10.5e3),),
            payload_kg=8.3,
            beta_kg_m2=4100.0,
            cep_m=100.0,
            danger_radius_m=30.0,
            hot_coast_s=3.0,
            launch_elevation_min_deg=3.0,
            launch_elevation_max_deg=50.0,
            loft_min_rad=_deg(3.0),
            loft_max_rad=_deg(50.0),
            diameter_m=0.107,
            boost_cd=0.35,
            pitch_over_s=0.3,
            source=(
                "107 mm Type 63 rocket: mass 18.8 kg, warhead ~8.3 kg, range ~8.5 km (domain.md 5.1, "
                "not confirmed) [?/W]. Burn, propellant and thrust assumed; beta sized so the maximum "
                "range is ~8.5 km with US76 drag [D]. CEP ~1.2 % of range assumed [?]."
            ),
            confidence="[W] mass/range, [D] propulsion/beta, [?] CEP",
        ),
        MissileClass(
            name="rocket-122",
            kind="rocket",
            range_min_m=5e3,
            range_max_m=20.4e3,
            stages=(Stage(burn_s=1.8, mass_initial_kg=66.6, propellant_kg=20.45, thrust_n=24e3),),
            payload_kg=18.4,
            beta_kg_m2=7500.0,
            cep_m=250.0,
            danger_radius_m=50.0,
            hot_coast_s=3.0,
            launch_elevation_min_deg=6.0,
            launch_elevation_max_deg=55.0,
            loft_min_rad=_deg(6.0),
            loft_max_rad=_deg(55.0),
            diameter_m=0.122,
            boost_cd=0.35,
            pitch_over_s=0.3,
            source=(
                "122 mm Grad 9M22U: mass 66.6 kg, propellant 20.45 kg, warhead 18.4 kg, range 20.4 km, "
                "launcher elevation 0-55 deg (domain.md 5.1; Jane's Ammunition Handbook) [R/W]. Burn "
                "~1.8 s and thrust sized to ~690 m/s burnout speed [W/D]; beta sized so the maximum "
                "range is 20.4 km with US76 drag [D]. CEP ~1.2 % of range assumed [?]. Minimum range "
                "~5 km at the 6 deg minimum elevation modelled here [D]."
            ),
            confidence="[R] mass/range, [D] thrust/beta, [?] CEP",
        ),
        MissileClass(
            name="mortar-81",
            kind="mortar",
            range_min_m=1.1e3,
            range_max_m=5.6e3,
            stages=(),
            payload_kg=4.2,
            beta_kg_m2=11000.0,
            cep_m=50.0,
            danger_radius_m=25.0,
            hot_coast_s=0.0,
            launch_elevation_min_deg=45.0,
            launch_elevation_max_deg=85.0,
            loft_min_rad=_deg(45.0),
            loft_max_rad=_deg(85.0),
            diameter_m=0.081,
            muzzle_velocity_mps=265.0,
            source=(
                "81 mm mortar (M252 with M821/M889 HE): range ~5.6 km (domain.md 5.1, commonly cited) "
                "[?]; round 4.2 kg [W]; muzzle velocity ~265 m/s at maximum charge [W]. Beta sized so "
                "the 45 deg range is ~5.6 km (it implies C_D ~0.07 with a constant beta: the quoted "
                "muzzle velocity is probably low) [D]. High-angle fire, 45-85 deg [W]. CEP 50 m "
                "assumed [?]. Only the full charge is modelled, so the minimum range (85 deg) is "
                "~1.1 km; real crews use smaller charges."
            ),
            confidence="[?] range, [W] round/muzzle velocity, [D] beta, [?] CEP",
        ),
        MissileClass(
            name="mortar-120",
            kind="mortar",
            range_min_m=1.4e3,
            range_max_m=7.2e3,
            stages=(),
            payload_kg=13.6,
            beta_kg_m2=9600.0,
            cep_m=70.0,
            danger_radius_m=50.0,
            hot_coast_s=0.0,
            launch_elevation_min_deg=45.0,
            launch_elevation_max_deg=85.0,
            loft_min_rad=_deg(45.0),
            loft_max_rad=_deg(85.0),
            diameter_m=0.12,
            muzzle_velocity_mps=318.0,
            source=(
                "120 mm mortar (M120 with M934 HE, 13.6 kg): range 7.2 km (domain.md 5.1) [?/W]; muzzle "
                "velocity ~318 m/s at maximum charge [W]. Beta sized so the 45 deg range is ~7.2 km [D]. "
                "High-angle fire, 45-85 deg [W]. CEP 70 m assumed [?]. Full charge only: "
                "minimum range (85 deg) ~1.4 km."
            ),
            confidence="[W] range/round, [D] beta, [?] CEP",
        ),
    )
}


#: Classes a scenario file defines for itself (``classes:``), active only inside ``scenario_classes``.
#: The simulator flies them; the tracker and predictor never see them (they infer class from
#: ``CATALOGUE`` only), which is what tests their robustness to airframes they do not know.
_SCENARIO_CLASSES: dict[str, MissileClass] = {}


def get_class(name: str) -> MissileClass:
    """The catalogue entry (or active scenario-defined class) called ``name``; raises
    :class:`UnknownClassError` naming the known classes."""
    found = CATALOGUE.get(name) or _SCENARIO_CLASSES.get(name)
    if found is None:
        known = ", ".join(sorted({*CATALOGUE, *_SCENARIO_CLASSES}))
        raise UnknownClassError(f"unknown missile class {name!r}; known classes: {known}")
    return found


@contextmanager
def scenario_classes(classes: Iterable[MissileClass]) -> Iterator[None]:
    """Make scenario-defined ``classes`` known to :func:`get_class` for the duration of the block
    (the simulator's flight, aim and sensor code look classes up by name)."""
    added = []
    for c in classes:
        if c.name in CATALOGUE:
            raise ValueError(f"class {c.name!r} is in the catalogue; give a scenario class its own name")
        _SCENARIO_CLASSES[c.name] = c
        added.append(c.name)
    try:
        yield
    finally:
        for name in added:
            _SCENARIO_CLASSES.pop(name, None)
