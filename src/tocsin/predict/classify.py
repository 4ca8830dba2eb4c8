"""Threat class probabilities from a track, against the class catalogue, robust to unseen airframes.

Features (all from the posterior state): the range the object's energy could reach (minimum-energy
range of the equivalent surface burnout speed, a lower bound while boosting), the Kepler range
already committed (ballistic), the ballistic coefficient estimate ln beta with its variance, and the
observed burn duration. Each class's likelihood is a product of soft (Gaussian-edged) window terms, so
a type that is not in the catalogue gets a spread of probabilities, never 1: the result is mixed with
a uniform floor, and when no class explains the track at all, the probabilities fall back to the
range classes nearest in energy (``range_class``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.wgs84 import GM_M3_S2, MEAN_RADIUS_M
from tocsin.physics.catalogue import CATALOGUE, MissileClass

#: Probability mass spread uniformly over all classes: no class is ever certain.
UNIFORM_FLOOR = 0.05
#: Below this largest raw likelihood no catalogue class explains the track: fall back to energy.
UNEXPLAINED_LIKELIHOOD = 1e-3
#: Relative softness of the range window edges, and spread of a class's ln beta (kg/m^2) about its value.
RANGE_EDGE_FRACTION = 0.15
LN_BETA_CLASS_SIGMA = 0.6

#: Range classes by energy (m): upper bounds and names (domain.md 3.2 time-to-shelter scale).
RANGE_CLASS_BOUNDS_M = (10e3, 100e3, 1000e3, 3000e3, np.inf)
RANGE_CLASS_NAMES = ("mortar-rocket-short", "rocket-long", "srbm", "mrbm", "irbm-plus")


@dataclass(frozen=True)
class ClassEstimate:
    """Class probabilities for N tracks over ``class_names`` and the energy range class."""

    class_names: tuple[str, ...]
    prob: FloatArray  # (N, C)
    energy_range_m: FloatArray  # (N,) minimum-energy range reachable with the current energy
    range_class: tuple[str, ...]  # (N,)
    explained: BoolArray  # (N,) False where the fallback by energy was used
    danger_radius_m: FloatArray  # (N,) largest danger radius among classes with p >= 0.1


def class_list() -> tuple[MissileClass, ...]:
    """The catalogue classes, in a fixed (sorted by name) column order."""
    return tuple(CATALOGUE[k] for k in sorted(CATALOGUE))


def energy_range_m(pos_ecef_m: FloatArray, vel_ecef_mps: FloatArray) -> FloatArray:
    """Minimum-energy ground range (m) reachable with the specific orbital energy of ECEF states.

    Equivalent surface speed v^2 = 2 (E + mu/R); range angle from nu = v^2 R / mu,
    sin(phi/2) = nu / (2 - nu) (minimum-energy trajectory, Regan & Anandakrishnan, Dynamics of
    Atmospheric Re-entry, sec. 2.4); nu >= 1 means orbital energy (infinite range).
    """
    r = np.linalg.norm(pos_ecef_m, axis=-1)
    # Inertial speed: add w x r to the ECEF velocity (Earth rotation contributes energy).
    w = np.array([0.0, 0.0, 7.292115e-5])
    v_i = vel_ecef_mps + np.cross(w, pos_ecef_m)
    with np.errstate(divide="ignore", invalid="ignore"):  # zero/NaN rows of invalid tracks
        energy = 0.5 * np.einsum("...i,...i->...", v_i, v_i) - GM_M3_S2 / r
    nu = np.maximum(2.0 * (energy + GM_M3_S2 / MEAN_RADIUS_M), 0.0) * MEAN_RADIUS_M / GM_M3_S2
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.clip(nu / (2.0 - nu), 0.0, 1.0)
    phi = 2.0 * np.arcsin(s)
    return np.asarray(np.where(nu >= 1.0, np.inf, MEAN_RADIUS_M * phi), dtype=np.float64)


def energy_speed_mps(range_m: FloatArray) -> FloatArray:
    """Equivalent surface speed (m/s) of the minimum-energy trajectory to a ground range (m): the
    inverse of :func:`energy_range_m` (nu = 2 s / (1 + s), s = sin(phi / 2), v^2 = nu mu / R).

    NaN or infinite ranges (orbital energy) give the first cosmic speed sqrt(mu / R), which no
    ballistic object exceeds at the surface.
    """
    rng = np.asarray(range_m, dtype=np.float64)
    phi = np.clip(np.nan_to_num(rng, nan=np.inf), 0.0, math.pi * MEAN_RADIUS_M) / MEAN_RADIUS_M
    s = np.sin(0.5 * phi)
    nu = 2.0 * s / (1.0 + s)
    v = np.sqrt(nu * GM_M3_S2 / MEAN_RADIUS_M)
    return np.asarray(np.where(np.isfinite(rng), v, math.sqrt(GM_M3_S2 / MEAN_RADIUS_M)), dtype=np.float64)


def min_energy_flight_time_s(range_m: FloatArray) -> FloatArray:
    """Time of flight (s) of the minimum-energy ballistic trajectory over a ground range (m), burnout and
    impact on a spherical Earth of radius R_e, no drag, no rotation.

    Range angle L = range / R_e; burnout speed nu = 2 s / (1 + s), s = sin(L / 2) (as in
    :func:`energy_speed_mps`) and flight-path angle gamma = (pi - L) / 4 (Bate, Mueller & White,
    Fundamentals of Astrodynamics, sec. 6.3); the orbit has a = R_e / (2 - nu) and
    p = R_e nu cos^2 gamma, and the flight runs symmetrically about apogee from eccentric anomaly E1 to
    2 pi - E1, cos E1 = (1 - R_e / a) / e, so t = sqrt(a^3 / mu) (2 pi - 2 E1 + 2 e sin E1) (Kepler's
    equation). Ranges at or beyond half the circumference give NaN.
    """
    rng = np.asarray(range_m, dtype=np.float64)
    lam = np.where((rng > 0.0) & (rng < math.pi * MEAN_RADIUS_M), rng / MEAN_RADIUS_M, np.nan)
    s = np.sin(0.5 * lam)
    nu = 2.0 * s / (1.0 + s)
    gamma = 0.25 * (math.pi - lam)
    a = MEAN_RADIUS_M / (2.0 - nu)
    e = np.sqrt(np.maximum(1.0 - MEAN_RADIUS_M * nu * np.cos(gamma) ** 2 / a, 1e-30))
    e1 = np.arccos(np.clip((1.0 - MEAN_RADIUS_M / a) / e, -1.0, 1.0))
    t = np.sqrt(a**3 / GM_M3_S2) * (2.0 * math.pi - 2.0 * e1 + 2.0 * e * np.sin(e1))
    return np.asarray(np.where(rng <= 0.0, 0.0, t), dtype=np.float64)


def _soft_window(x: FloatArray, lo: float, hi: float) -> FloatArray:
    """1 inside [lo, hi], Gaussian tails of width RANGE_EDGE_FRACTION*bound outside (unnormalised)."""
    s_lo = RANGE_EDGE_FRACTION * max(lo, 1.0)
    s_hi = RANGE_EDGE_FRACTION * hi
    below = np.where(x < lo, ((lo - x) / s_lo) ** 2, 0.0)
    above = np.where(x > hi, ((x - hi) / s_hi) ** 2, 0.0)
    return np.asarray(np.exp(-0.5 * (below + above)), dtype=np.float64)


def range_class_of(range_m: FloatArray) -> tuple[str, ...]:
    """Range-class names for ranges (m) by :data:`RANGE_CLASS_BOUNDS_M`."""
    i = np.searchsorted(np.asarray(RANGE_CLASS_BOUNDS_M), np.nan_to_num(range_m, nan=0.0, posinf=1e12))
    return tuple(RANGE_CLASS_NAMES[min(int(k), len(RANGE_CLASS_NAMES) - 1)] for k in i)


def classify(
    pos_ecef_m: FloatArray,
    vel_ecef_mps: FloatArray,
    ln_beta: FloatArray,
    ln_beta_var: FloatArray,
    boosting: BoolArray,
    burn_observed_s: FloatArray,
    committed_range_m: FloatArray,
) -> ClassEstimate:
    """Class probabilities for N tracks.

    Inputs are (N, 3) ECEF position (m) and velocity (m/s), ln beta (ln kg/m^2) and its variance,
    whether the track is still boosting, how long it has been seen boosting (s), and the ground range
    (m) from the first track point to the current impact estimate (NaN if unknown). While boosting the
    energy range is only a lower bound on the class's maximum range, and ln beta is not used.
    """
    classes = class_list()
    e_rng = energy_range_m(np.atleast_2d(pos_ecef_m), np.atleast_2d(vel_ecef_mps))
    n = e_rng.shape[0]
    like = np.ones((n, len(classes)))
    lb = np.asarray(ln_beta, dtype=np.float64)
    lb_var = np.asarray(ln_beta_var, dtype=np.float64)
    boost = np.asarray(boosting, dtype=bool)
    burn = np.asarray(burn_observed_s, dtype=np.float64)
    committed = np.asarray(committed_range_m, dtype=np.float64)
    for k, c in enumerate(classes):
        # Ballistic: the energy range must lie within what the class flies (lofted shots need more
        # energy than the minimum, so only the upper edge is hard; the lower edge is soft via the
        # committed range).
        upper = _soft_window(e_rng, 0.0, c.range_max_m * 1.05)
        in_band = _soft_window(
            np.where(np.isfinite(committed), committed, c.range_min_m), c.range_min_m, c.range_max_m
        )
        # Boosting: the class must be able to burn at least as long as already seen.
        burn_ok = np.where(boost, _soft_window(burn, 0.0, c.burn_s * 1.1 + 1.0), 1.0)
        sig2 = lb_var + LN_BETA_CLASS_SIGMA**2
        beta_term = np.where(
            boost | ~np.isfinite(lb), 1.0, np.exp(-0.5 * (lb - np.log(c.beta_kg_m2)) ** 2 / sig2)
        )
        like[:, k] = upper * np.where(boost, burn_ok, in_band * beta_term)
    best = like.max(axis=1)
    explained = best >= UNEXPLAINED_LIKELIHOOD
    # Fallback: closeness in log range between the energy range and each class's maximum range.
    r_max = np.array([c.range_max_m for c in classes])
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log(np.nan_to_num(e_rng, posinf=1e9)[:, None] / r_max[None, :])
    fallback = np.exp(-0.5 * (d / 0.5) ** 2) + 1e-12
    raw = np.where(explained[:, None], like, fallback)
    p = raw / raw.sum(axis=1, keepdims=True)
    p = (1.0 - UNIFORM_FLOOR) * p + UNIFORM_FLOOR / len(classes)
    radii = np.array([c.danger_radius_m for c in classes])
    danger = np.max(np.where(p >= 0.1, radii[None, :], 0.0), axis=1)
    danger = np.where(danger > 0.0, danger, radii.max())
    return ClassEstimate(
        class_names=tuple(c.name for c in classes),
        prob=p,
        energy_range_m=e_rng,
        # Drag in re-entry drains the energy: a falling SRBM has a rocket's energy range. The range
        # from the launch estimate to the impact, where known, keeps the label on the whole flight.
        range_class=range_class_of(np.fmax(e_rng, committed)),
        explained=explained,
        danger_radius_m=danger,
    )
