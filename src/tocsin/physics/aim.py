"""Aim solver: the flight plan that puts a class's missile on a target, and CEP dispersion.

Shooting method over :func:`tocsin.physics.flight.fly` itself, so a solved plan flown by the simulator
lands where the solver said (to the solver tolerance) with no second model to disagree. Two unknowns
per missile: the launch azimuth and one range knob ``q``, which maps monotonically onto the range:

- missiles with thrust termination (liquid engines): ``loft`` stays at the maximum-range value and
  q in [1, 2] moves the burn fraction from ``burn_fraction_min`` to 1 (Scud-type range control by
  engine cut-off, so shorter shots keep a near minimum-energy shape);
- solid missiles: q in [1, 2] moves ``loft`` from the class's most lofted value (q = 1) to the
  maximum-range value (q = 2); shorter shots are therefore lofted (higher apogee, longer flight);
- rockets (low-angle fire): q in [1, 2] moves the rail elevation from its minimum to maximum range;
- mortars (high-angle fire): q in [1, 2] moves the tube elevation from its maximum to maximum range.

All missiles are solved together: each iteration flies one batch. The azimuth is corrected by the
impact's azimuth error (d az_impact / d az ~ 1); the knob by safeguarded Newton (finite-difference
derivative from a second flight per missile in the same batch, bisection whenever the step leaves the
bracket). Iterations start with a coarse 0.2 s boost step; the coarse solution is then polished with
the caller's ``dt_s`` keeping the last derivative (chord method), one flight per missile per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tocsin._types import FloatArray
from tocsin.errors import TocsinError
from tocsin.geo.geodesic import geodesic_azimuth_deg, geodesic_distance_m, geodesic_forward_deg
from tocsin.physics.catalogue import MissileClass, get_class
from tocsin.physics.flight import FlightPlan, fly

CEP_TO_SIGMA = 1.0 / 1.1774  # circular normal: CEP = sqrt(2 ln 2) sigma = 1.1774 sigma
_CAL_LAT_DEG = 33.0  # reference geometry for the per-class calibration (Middle East, westward fire)
_CAL_LON_DEG = 47.0
_CAL_AZ_DEG = 270.0
_COARSE_DT_S = 0.2


class OutOfRangeError(TocsinError, ValueError):
    """The target lies outside the ranges the class can reach from the launch point."""


class AimNotConvergedError(TocsinError, RuntimeError):
    """The shooting iteration did not reach the tolerance (should not happen inside the range band)."""


@dataclass(frozen=True)
class _Calibration:
    loft_opt_rad: float  # loft of maximum range at full burn
    q_lo: float  # smallest knob value allowed
    q_grid: FloatArray  # increasing knob values
    range_grid_m: FloatArray  # ranges at the reference geometry (increasing with q up to noise)


def _loft_burn(c: MissileClass, loft_opt: float, q: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Map knob values q in [1, 2] onto (loft rad, burn fraction) for class ``c``."""
    qq = np.asarray(q, dtype=np.float64)
    if c.thrust_termination:
        # Keep the maximum-range pitch programme and cut the engine off early (Scud-type range control).
        burn = c.burn_fraction_min + (qq - 1.0) * (1.0 - c.burn_fraction_min)
        return np.full_like(qq, loft_opt), burn
    end = c.loft_min_rad if c.kind == "rocket" else c.loft_max_rad
    return end + (qq - 1.0) * (loft_opt - end), np.ones_like(qq)


def _ranges(items: list[tuple[MissileClass, float, float]], *, drag: bool) -> FloatArray:
    """Ranges (m) at the reference geometry for (class, loft, burn fraction) triples, one batch."""
    plans = [
        FlightPlan(c.name, _CAL_LAT_DEG, _CAL_LON_DEG, 0.0, 0.0, _CAL_AZ_DEG, float(lo), float(b))
        for c, lo, b in items
    ]
    trs = fly(plans, dt_s=_COARSE_DT_S, drag=drag, coast_dt_max_s=10.0, sample_dt_s=1e9)
    lat = np.array([t.impact_lat_deg for t in trs])
    lon = np.array([t.impact_lon_deg for t in trs])
    r = geodesic_distance_m(_CAL_LAT_DEG, _CAL_LON_DEG, lat, lon)
    return np.asarray(np.where(np.isfinite(r), r, 0.0), dtype=np.float64)


_CALIBRATIONS: dict[tuple[str, bool], _Calibration] = {}


def _calibrations(names: Sequence[str], drag: bool) -> list[_Calibration]:
    """Maximum-range loft and a range-vs-knob table per class at the reference geometry (cached).

    Classes not yet calibrated are flown together: a 13-point loft scan refined twice around its
    maximum, then a 13-point table of range against the knob for the initial guesses.
    """
    todo = sorted({nm for nm in names if (nm, drag) not in _CALIBRATIONS})
    if todo:
        cs = [get_class(nm) for nm in todo]
        lo = np.array([c.loft_min_rad for c in cs])
        hi = np.array([c.loft_max_rad for c in cs])
        best = np.zeros(len(cs))
        for _ in range(3):
            grid = np.linspace(lo, hi, 13, axis=1)  # (classes, 13)
            r = _ranges(
                [(c, float(x), 1.0) for c, row in zip(cs, grid, strict=True) for x in row], drag=drag
            ).reshape(grid.shape)
            k = np.argmax(r, axis=1)
            rows = np.arange(len(cs))
            best = grid[rows, k]
            lo, hi = grid[rows, np.maximum(k - 1, 0)], grid[rows, np.minimum(k + 1, 12)]
        q_tables = []
        items: list[tuple[MissileClass, float, float]] = []
        for c, lopt in zip(cs, best, strict=True):
            q_lo = 1.0
            qs = np.linspace(1.0, 2.0, 13)
            loft, burn = _loft_burn(c, float(lopt), qs)
            q_tables.append((q_lo, qs))
            items += [(c, float(a), float(b)) for a, b in zip(loft, burn, strict=True)]
        rg = _ranges(items, drag=drag)
        start = 0
        for nm, lopt, (q_lo, qs) in zip(todo, best, q_tables, strict=True):
            part = rg[start : start + qs.size]
            start += qs.size
            _CALIBRATIONS[nm, drag] = _Calibration(float(lopt), q_lo, qs, np.maximum.accumulate(part))
    return [_CALIBRATIONS[nm, drag] for nm in names]


def class_reach_m(class_name: str, *, drag: bool = True) -> tuple[float, float]:
    """(minimum, maximum) range (m) the aim solver can reach for a class, at the reference geometry
    (33 N, firing west; Earth rotation changes the maximum by about 1 % with the azimuth)."""
    cal = _calibrations([class_name], drag)[0]
    return float(cal.range_grid_m[0]), float(cal.range_grid_m[-1])


def _as_array(x: float | Sequence[float], n: int) -> FloatArray:
    return np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)).copy()


def aim(
    class_name: str,
    launch_lat_deg: float,
    launch_lon_deg: float,
    launch_alt_m: float,
    target_lat_deg: float,
    target_lon_deg: float,
    target_alt_m: float = 0.0,
    *,
    t_launch_unix_s: float = 0.0,
    drag: bool = True,
    dt_s: float = 0.05,
    tol_m: float = 2.0,
) -> FlightPlan:
    """The :class:`FlightPlan` that lands a ``class_name`` missile launched from (deg, deg, m) on the
    target (deg, deg, m) when flown by :func:`fly` with this ``dt_s`` and ``drag`` (and ground at
    ``target_alt_m``); raises :class:`OutOfRangeError` if the target is outside the class's reach.
    """
    return aim_many(
        [class_name],
        [launch_lat_deg],
        [launch_lon_deg],
        [launch_alt_m],
        [target_lat_deg],
        [target_lon_deg],
        [target_alt_m],
        t_launch_unix_s=[t_launch_unix_s],
        drag=drag,
        dt_s=dt_s,
        tol_m=tol_m,
    )[0]


def aim_many(
    class_names: Sequence[str],
    launch_lat_deg: float | Sequence[float],
    launch_lon_deg: float | Sequence[float],
    launch_alt_m: float | Sequence[float],
    target_lat_deg: float | Sequence[float],
    target_lon_deg: float | Sequence[float],
    target_alt_m: float | Sequence[float] = 0.0,
    *,
    t_launch_unix_s: float | Sequence[float] = 0.0,
    drag: bool = True,
    dt_s: float = 0.05,
    tol_m: float = 2.0,
    max_iter: int = 25,
) -> list[FlightPlan]:
    """Solve many aim problems at once (one :func:`fly` batch per iteration); arguments as in
    :func:`aim`, each a scalar or one value per missile. Raises :class:`OutOfRangeError` naming the
    first missile whose target is out of range; the miss of every returned plan is below ``tol_m``.
    """
    n = len(class_names)
    if n == 0:
        return []
    classes = [get_class(name) for name in class_names]
    la, lo, alt = (_as_array(launch_lat_deg, n), _as_array(launch_lon_deg, n), _as_array(launch_alt_m, n))
    tla, tlo, talt = (_as_array(target_lat_deg, n), _as_array(target_lon_deg, n), _as_array(target_alt_m, n))
    t0 = _as_array(t_launch_unix_s, n)
    r_target = geodesic_distance_m(la, lo, tla, tlo)
    az_target = geodesic_azimuth_deg(la, lo, tla, tlo)
    cals = _calibrations([c.name for c in classes], drag)

    q = np.empty(n)
    q_a = np.empty(n)  # bracket: range(q_a) <= target <= range(q_b)
    q_b = np.full(n, 2.0)
    for i, (c, cal) in enumerate(zip(classes, cals, strict=True)):
        r_max, r_min = cal.range_grid_m[-1], max(0.97 * cal.range_grid_m[0], c.range_min_m)
        # 3 % slack on the reach: the reference geometry differs from this one (Earth rotation,
        # latitude, launch height); the iteration below finds the exact limits. The catalogue
        # minimum is firm.
        if r_target[i] > 1.03 * r_max or r_target[i] < r_min:
            raise OutOfRangeError(
                f"missile {i} ({c.name}): target at {r_target[i] / 1e3:.1f} km is outside the class's "
                f"reach of {r_min / 1e3:.1f}-{r_max / 1e3:.1f} km"
            )
        q[i] = float(np.interp(r_target[i], cal.range_grid_m, cal.q_grid))
        q_a[i] = cal.q_lo
    loft_opt = np.array([cal.loft_opt_rad for cal in cals])
    q_floor = q_a.copy()
    az = az_target.copy()
    slope = np.full(n, np.nan)  # d range / d q (m per unit q)
    miss = np.full(n, np.inf)
    done = np.zeros(n, dtype=bool)
    fine = False

    def plans_for(idx: np.ndarray, qv: FloatArray, azv: FloatArray) -> list[FlightPlan]:
        out = []
        for j, i in enumerate(idx):
            loft, burn = _loft_burn(classes[i], float(loft_opt[i]), np.asarray(qv[j]))
            out.append(
                FlightPlan(
                    classes[i].name,
                    float(la[i]),
                    float(lo[i]),
                    float(alt[i]),
                    float(t0[i]),
                    float(azv[j] % 360.0),
                    float(loft),
                    float(burn),
                )
            )
        return out

    for _ in range(2 * max_iter):
        idx = np.nonzero(~done)[0]
        if idx.size == 0:
            if fine:
                break
            # Coarse solution found: polish with the caller's step, keeping the last slope (chord method).
            fine = True
            done[:] = False
            continue
        # Coarse phase: Newton with a fresh finite-difference slope each iteration (the azimuth moves
        # too, so a secant across iterates would mix both effects).
        fd = idx if not fine else idx[:0]
        dq = np.where(q[fd] + 0.01 <= 2.0, 0.01, -0.01)
        batch = plans_for(idx, q[idx], az[idx]) + plans_for(fd, q[fd] + dq, az[fd])
        step = dt_s if fine else max(dt_s, _COARSE_DT_S)
        trs = fly(
            batch,
            dt_s=step,
            drag=drag,
            ground_alt_m=np.concatenate([talt[idx], talt[fd]]),
            coast_dt_max_s=1.0 if fine else 10.0,
            sample_dt_s=1e9,
        )
        ilat = np.array([t.impact_lat_deg for t in trs])
        ilon = np.array([t.impact_lon_deg for t in trs])
        m = idx.size
        landed = np.isfinite(ilat)
        r_imp = np.where(landed[:m], geodesic_distance_m(la[idx], lo[idx], ilat[:m], ilon[:m]), 0.0)
        e = r_imp - r_target[idx]
        if fd.size:
            r_fd = np.where(landed[m:], geodesic_distance_m(la[fd], lo[fd], ilat[m:], ilon[m:]), 0.0)
            slope[fd] = (r_fd - r_imp) / dq
        az_imp = np.where(
            landed[:m], geodesic_azimuth_deg(la[idx], lo[idx], ilat[:m], ilon[:m]), az_target[idx]
        )
        miss[idx] = np.where(landed[:m], geodesic_distance_m(tla[idx], tlo[idx], ilat[:m], ilon[:m]), np.inf)
        conv = miss[idx] < tol_m
        done[idx[conv]] = True
        # Bracket update and safeguarded Newton on the knob.
        short = e < 0
        q_a[idx] = np.where(short, np.maximum(q_a[idx], q[idx]), q_a[idx])
        q_b[idx] = np.where(short, q_b[idx], np.minimum(q_b[idx], q[idx]))
        # The azimuth moves between iterations and shifts the range a little, so an old bracket end
        # can become wrong; a bracket that has closed up without converging is reset.
        closed = q_b[idx] - q_a[idx] < 1e-7
        q_a[idx[closed]] = q_floor[idx[closed]]
        q_b[idx[closed]] = 2.0
        s = slope[idx]
        qi = q[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = qi - e / s
        ok = np.isfinite(raw) & (s > 0)
        # Out of reach: still long at the knob's floor, or still short at its top (maximum range).
        at_floor = qi <= q_floor[idx]
        at_top = qi >= 2.0
        pinned_lo = ~conv & ~short & at_floor
        pinned_hi = ~conv & short & at_top
        for j in np.nonzero(pinned_lo | pinned_hi)[0]:
            i = idx[j]
            raise OutOfRangeError(
                f"missile {i} ({classes[i].name}): target at {r_target[i] / 1e3:.1f} km is "
                f"{'beyond the maximum' if pinned_hi[j] else 'inside the minimum'} range "
                "from this launch point"
            )
        inside = ok & (raw > q_a[idx]) & (raw < q_b[idx])
        q_new = np.where(inside, raw, 0.5 * (q_a[idx] + q_b[idx]))
        # Newton pointing beyond an end of the knob: try that end exactly once.
        q_new = np.where(ok & ~short & (raw <= q_floor[idx]), q_floor[idx], q_new)
        q_new = np.where(ok & short & (raw >= 2.0), 2.0, q_new)
        upd = ~conv
        q[idx[upd]] = q_new[upd]
        daz = (az_target[idx] - az_imp + 180.0) % 360.0 - 180.0
        az[idx[upd]] += daz[upd]
    if not (fine and done.all()):
        worst = int(np.argmax(miss))
        raise AimNotConvergedError(f"aim did not converge: missile {worst} misses by {miss[worst]:.1f} m")
    return plans_for(np.arange(n), q, az)


def apply_cep(
    rng: np.random.Generator,
    target_lat_deg: FloatArray | float,
    target_lon_deg: FloatArray | float,
    cep_m: FloatArray | float,
) -> tuple[FloatArray, FloatArray]:
    """Dispersed aim points (deg): the target plus a circular normal error of CEP ``cep_m`` (m).

    sigma = CEP / 1.1774, since half the shots of a circular normal fall within sqrt(2 ln 2) sigma
    (Driels, Weaponeering, 2nd ed., eq. 6.3). Broadcasts over the inputs; draws 2 normals per point.
    """
    lat, lon, cep = np.broadcast_arrays(
        np.asarray(target_lat_deg, float), np.asarray(target_lon_deg, float), np.asarray(cep_m, float)
    )
    sigma = cep * CEP_TO_SIGMA
    en = rng.normal(size=(2, *lat.shape)) * sigma
    dist = np.hypot(en[0], en[1])
    az = np.degrees(np.arctan2(en[0], en[1]))
    out_lat, out_lon = geodesic_forward_deg(lat, lon, az, dist)
    return out_lat, out_lon


__all__ = ["CEP_TO_SIGMA", "AimNotConvergedError", "OutOfRangeError", "aim", "aim_many", "apply_cep"]
