"""Accurate path: propagate ECEF states with J2, Earth rotation and drag to the terrain, vectorised.

The physics package owns the one propagator (:func:`tocsin.physics.propagate.propagate_to_ground`:
batched RK4 with an impact-error-budget step rule, Hermite-located and RK4-polished ground crossing,
per-object terrain heights, an optional thrust phase of per-object length for boost samples, and
backward propagation for launch points). This module adds the terrain model and the prediction-side
interface on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.frames import ecef_to_geodetic
from tocsin.physics.propagate import DEFAULT_TOL_M, propagate_to_ground


@dataclass(frozen=True)
class Terrain:
    """Ground height model for impact: a constant, overridden inside lat/lon boxes (e.g. per zone).

    ``boxes`` rows are (lat_min_deg, lat_max_deg, lon_min_deg, lon_max_deg, alt_m); the last box that
    contains a point wins.
    """

    default_alt_m: float = 0.0
    boxes: tuple[tuple[float, float, float, float, float], ...] = field(default_factory=tuple)
    # How far the true ground may lie from the model (1 sigma, m): the theatre constant stands for land
    # from the coast to high plateaus (launch sites of 2020: 1,300-1,700 m), a box for a surveyed site.
    default_sigma_m: float = 1000.0
    box_sigma_m: float = 30.0

    def height_m(self, lat_deg: FloatArray, lon_deg: FloatArray) -> FloatArray:
        """Terrain height (m above the ellipsoid) at geodetic points (deg); NaN points get the default."""
        return self._by_box(lat_deg, lon_deg, self.default_alt_m, [b[4] for b in self.boxes])

    def height_sigma_m(self, lat_deg: FloatArray, lon_deg: FloatArray) -> FloatArray:
        """1-sigma error (m) of :meth:`height_m` at geodetic points (deg): a box's or the default's."""
        return self._by_box(lat_deg, lon_deg, self.default_sigma_m, [self.box_sigma_m] * len(self.boxes))

    def _by_box(
        self, lat_deg: FloatArray, lon_deg: FloatArray, default: float, per_box: list[float]
    ) -> FloatArray:
        lat = np.asarray(lat_deg, dtype=np.float64)
        lon = np.asarray(lon_deg, dtype=np.float64)
        out = np.full(lat.shape, default)
        for (la0, la1, lo0, lo1, _), value in zip(self.boxes, per_box, strict=True):
            inside = (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)
            out = np.where(inside, value, out)
        return out


@dataclass(frozen=True)
class GroundHit:
    """Where N propagated states reach their terrain height; NaN where ``reached`` is False."""

    t_s: FloatArray  # (N,) time from the start state to the crossing (negative when backward)
    pos_ecef_m: FloatArray  # (N, 3)
    vel_ecef_mps: FloatArray  # (N, 3)
    reached: BoolArray  # (N,)


def propagate_batch_to_ground(
    state0: FloatArray,
    beta_kg_m2: FloatArray | float,
    *,
    ground_alt_m: FloatArray | float = 0.0,
    max_time_s: float = 3600.0,
    backward: bool = False,
    drag: bool = True,
    j2: bool = True,
    rotation: bool = True,
    thrust_mps2: FloatArray | None = None,
    burn_s: FloatArray | None = None,
    burn_steps: int = 12,
    tol_m: float = DEFAULT_TOL_M,
) -> GroundHit:
    """Propagate ECEF states (N, 6) (m, m/s) until each descends through its ground height (m).

    ``beta_kg_m2`` is a scalar or (N,) ballistic coefficient (kg/m^2; inf for none). With ``backward``
    the states are integrated back in time (launch points); the time returned is then negative.
    Optionally each object first burns for ``burn_s`` (N,) seconds under a constant thrust
    acceleration ``thrust_mps2`` (N,) (m/s^2) along its velocity (a gravity turn: a warning system
    knows no steering program), in ``burn_steps`` RK4 steps of its own length. ``tol_m`` is the step
    rule's impact-error budget (m). States that stay up for ``max_time_s`` (s), escape or orbit are
    returned with ``reached`` False; a state already below its ground height and descending is
    reached at t = 0 (after any burn).
    """
    # Sigma points or samples far in a tail can leave the domain (escape, re-enter steeply with a tiny
    # beta) and overflow; they are dropped as not reached by the finiteness checks of the propagator,
    # so numpy's overflow/invalid warnings are expected here, not signs of a bug.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = propagate_to_ground(
            np.atleast_2d(np.asarray(state0, dtype=np.float64)),
            beta_kg_m2,
            ground_alt_m=ground_alt_m,
            max_time_s=max_time_s,
            drag=drag,
            j2=j2,
            rotation=rotation,
            tol_m=tol_m,
            backward=backward,
            thrust_mps2=thrust_mps2,
            burn_s=burn_s,
            burn_steps=burn_steps,
        )
    return GroundHit(t_s=g.t_s, pos_ecef_m=g.pos_ecef_m, vel_ecef_mps=g.vel_ecef_mps, reached=g.reached)


def geodetic_deg(pos_ecef_m: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Geodetic latitude and longitude (deg) of ECEF points (m)."""
    lat, lon, _ = ecef_to_geodetic(pos_ecef_m)
    return np.degrees(lat), np.degrees(lon)
