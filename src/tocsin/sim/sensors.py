"""Sensor models of the simulator: radars (incl. counter-battery) and space infrared, vectorised.

Each model turns true object states at its scan times into contract measurements (interfaces.md
section 2): noisy range/azimuth/elevation(/range-rate) for radars, noisy unit lines of sight for
infrared. Detection is decided on the truth (field of regard, Earth blockage, heat, Pd); noise is added
afterwards, so a reported value may lie a fraction of a sigma outside the field of regard, as with
a real radar whose beam centre is inside it. False detections (clutter) are Poisson per scan and
look exactly like real ones in the output.

Inputs are *pairs* (scan index, object index) with the object's ECEF state at that scan time: the
simulator builds only the pairs where the object is in flight (or hot), so the cost is linear in the
number of object-scans, never scans x objects.

Every random draw comes from the ``np.random.Generator`` passed in, in a fixed order, so one seed
gives one output, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tocsin._types import BoolArray, FloatArray, IntArray
from tocsin.geo.frames import altitude_fast_m, ecef_to_enu, geodetic_to_ecef
from tocsin.geo.los import line_of_sight_clear, ray_ellipsoid_intersection
from tocsin.geo.wgs84 import B_M

TWO_PI = 2.0 * math.pi

# Output rounding (contract files): 1 cm in range, 1e-6 deg (~0.1 m at 6,000 km) in angle, 1 mm/s
# in range rate, 1e-9 in a unit line of sight (~6 mm at GEO range), 1 us in time. All are far below
# any sensor noise here, and they make the JSON short and byte-stable.
ROUND_RANGE_M = 2
ROUND_ANGLE_DEG = 6
ROUND_RANGE_RATE_MPS = 3
ROUND_LOS = 9
ROUND_TIME_S = 6


@dataclass(frozen=True)
class RadarModel:
    """A radar (also a counter-battery radar) at a fixed site, in SI units and radians.

    ``az_width_rad`` is the clockwise extent of the azimuth sector from ``az_min_rad`` (2π = full
    circle), so sectors through north need no special case. ``sigma_range_rate_mps`` is None for a
    radar without Doppler. ``max_range_m`` must be finite: clutter is spread over the instrumented
    range. ``clutter_max_range_rate_mps`` bounds the range rate given to false detections.
    ``scan_offset_s`` is the time of scan 0 after the simulation start (s).
    """

    id: str
    lat_rad: float
    lon_rad: float
    alt_m: float
    sigma_range_m: float
    sigma_az_rad: float
    sigma_el_rad: float
    sigma_range_rate_mps: float | None
    min_range_m: float
    max_range_m: float
    az_min_rad: float
    az_width_rad: float
    el_min_rad: float
    el_max_rad: float
    revisit_s: float
    pd: float
    clutter_per_scan: float
    scan_offset_s: float = 0.0
    clutter_max_range_rate_mps: float = 3000.0

    @property
    def kind(self) -> str:
        """Contract sensor kind."""
        return "radar"

    @property
    def pos_ecef_m(self) -> FloatArray:
        """Site position, ECEF (m)."""
        return geodetic_to_ecef(self.lat_rad, self.lon_rad, self.alt_m)

    def in_azimuth_sector(self, az_rad: FloatArray) -> BoolArray:
        """True where azimuths (rad) fall in the clockwise sector, which may wrap through north."""
        if self.az_width_rad >= TWO_PI:
            return np.ones(np.shape(az_rad), dtype=bool)
        return np.asarray(np.mod(np.asarray(az_rad) - self.az_min_rad, TWO_PI) <= self.az_width_rad)


@dataclass(frozen=True)
class IrModel:
    """A space (or any platform) infrared sensor at a fixed ECEF position (m), angles in radians.

    It reports lines of sight to hot objects above ``min_target_alt_m``. With ``boresight_ecef_m``
    and ``fov_half_angle_rad`` set it is a staring sensor: it sees (and produces clutter) only inside
    that cone; without them it covers the whole Earth disc, like a GEO scanner. ``grazing_alt_m``
    raises the Earth for the blockage test (the dense lower atmosphere absorbs short-wave IR).
    """

    id: str
    pos_ecef_m: tuple[float, float, float]
    sigma_los_rad: float
    revisit_s: float
    pd: float
    clutter_per_scan: float
    min_target_alt_m: float
    scan_offset_s: float = 0.0
    boresight_ecef_m: tuple[float, float, float] | None = None
    fov_half_angle_rad: float | None = None
    grazing_alt_m: float = 0.0

    @property
    def kind(self) -> str:
        """Contract sensor kind."""
        return "ir"

    def cone(self) -> tuple[FloatArray, float]:
        """Axis (unit ECEF vector) and half-angle (rad) of the region this sensor looks at."""
        p = np.asarray(self.pos_ecef_m, dtype=np.float64)
        if self.boresight_ecef_m is not None and self.fov_half_angle_rad is not None:
            axis = np.asarray(self.boresight_ecef_m, dtype=np.float64) - p
            return axis / np.linalg.norm(axis), float(self.fov_half_angle_rad)
        r = float(np.linalg.norm(p))
        # Whole disc: the cone tangent to a sphere of the polar radius, so every ray hits the ellipsoid.
        return -p / r, math.asin(min(1.0, B_M / r))


SensorModel = RadarModel | IrModel


@dataclass(frozen=True)
class Detections:
    """Detections of one sensor, columnar, grouped by scan in time order.

    ``obj`` is the index of the true object, or -1 for clutter (internal truth: never written to the
    measurements file). ``values`` holds range_m, az_deg, el_deg, range_rate_mps (NaN without Doppler)
    for a radar, or the unit line of sight (3 components) for an IR sensor, already rounded.
    """

    sensor: str
    kind: str
    t_unix_s: FloatArray
    scan: IntArray
    obj: IntArray
    values: FloatArray

    def __len__(self) -> int:
        return int(self.t_unix_s.shape[0])

    @property
    def n_clutter(self) -> int:
        """Number of false detections."""
        return int(np.count_nonzero(self.obj < 0))


def scan_schedule(
    revisit_s: float, t_start_unix_s: float, t_end_unix_s: float, offset_s: float = 0.0
) -> tuple[FloatArray, IntArray]:
    """Scan times (unix s, rounded to 1 µs) and scan numbers (0, 1, ...) of a sensor over a window.

    Scan k happens at ``t_start + offset + k * revisit`` for every such time <= ``t_end``.
    """
    t0 = t_start_unix_s + offset_s
    n = max(0, math.floor((t_end_unix_s - t0) / revisit_s + 1e-9) + 1)
    k = np.arange(n, dtype=np.int64)
    return np.round(t0 + k * revisit_s, ROUND_TIME_S), k


def active_pairs(
    scan_t_unix_s: FloatArray, t_begin_unix_s: FloatArray, t_end_unix_s: FloatArray
) -> tuple[IntArray, IntArray]:
    """All (scan index, object index) pairs with t_begin[obj] <= scan time <= t_end[obj].

    Pairs come object-major, scans ascending within an object. Ragged expansion without a Python
    loop: repeat each object by its scan count, then add a running offset inside each group.
    """
    first = np.searchsorted(scan_t_unix_s, t_begin_unix_s, side="left")
    last = np.searchsorted(scan_t_unix_s, t_end_unix_s, side="right")
    counts = np.maximum(last - first, 0)
    obj = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    within = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return (np.repeat(first, counts) + within).astype(np.int64), obj


def _finish(
    sensor: str,
    kind: str,
    scan_t: FloatArray,
    scan_no: IntArray,
    scan_idx: IntArray,
    obj: IntArray,
    values: FloatArray,
    rng: np.random.Generator,
) -> Detections:
    # Scan order first; inside a scan a random (seeded) order, so the output never lists real
    # objects before clutter or in object order: a tracker must not learn anything from the order.
    key = rng.random(len(scan_idx))
    order = np.lexsort((key, scan_idx))
    si = scan_idx[order]
    return Detections(
        sensor=sensor, kind=kind, t_unix_s=scan_t[si], scan=scan_no[si], obj=obj[order], values=values[order]
    )


def radar_detect(
    radar: RadarModel,
    scan_t_unix_s: FloatArray,
    scan_no: IntArray,
    pair_scan: IntArray,
    pair_obj: IntArray,
    pos_ecef_m: FloatArray,
    vel_ecef_mps: FloatArray,
    rng: np.random.Generator,
) -> Detections:
    """Radar detections for all scans: real ones from the (scan, object) pairs, plus clutter.

    ``pos_ecef_m``/``vel_ecef_mps`` (P, 3) are the true states of the pairs at their scan times (m,
    m/s, ECEF). An object is detectable when its true slant range is within [min, max], its azimuth
    in the sector, its elevation in the band and the straight line from the radar clears the
    ellipsoid (no refraction); then it is detected with probability ``pd``. Measured values are the
    true ones plus independent Gaussian noise. Range rate is the projection of the ECEF velocity on
    the line of sight (the site is fixed in ECEF).
    """
    site = radar.pos_ecef_m
    pos = np.asarray(pos_ecef_m, dtype=np.float64).reshape(-1, 3)
    vel = np.asarray(vel_ecef_mps, dtype=np.float64).reshape(-1, 3)
    enu = ecef_to_enu(pos, radar.lat_rad, radar.lon_rad, radar.alt_m)
    horiz = np.hypot(enu[:, 0], enu[:, 1])
    rng_m = np.sqrt(horiz * horiz + enu[:, 2] ** 2)
    az = np.mod(np.arctan2(enu[:, 0], enu[:, 1]), TWO_PI)
    el = np.arctan2(enu[:, 2], horiz)
    visible = (
        (rng_m >= radar.min_range_m)
        & (rng_m <= radar.max_range_m)
        & radar.in_azimuth_sector(az)
        & (el >= radar.el_min_rad)
        & (el <= radar.el_max_rad)
        & line_of_sight_clear(np.broadcast_to(site, pos.shape), pos)
    )
    detected = visible & (rng.random(len(pos)) < radar.pd)
    rr = np.einsum("ij,ij->i", pos - site, vel) / np.maximum(rng_m, 1e-9)

    n = int(np.count_nonzero(detected))
    noise = rng.standard_normal((n, 4))
    r_meas = rng_m[detected] + radar.sigma_range_m * noise[:, 0]
    az_meas = az[detected] + radar.sigma_az_rad * noise[:, 1]
    el_meas = el[detected] + radar.sigma_el_rad * noise[:, 2]
    if radar.sigma_range_rate_mps is not None:
        rr_meas = rr[detected] + radar.sigma_range_rate_mps * noise[:, 3]
    else:
        rr_meas = np.full(n, np.nan)

    # Clutter: Poisson count per scan, uniform over the field of regard in each coordinate.
    n_scans = len(scan_t_unix_s)
    counts = (
        rng.poisson(radar.clutter_per_scan, n_scans)
        if radar.clutter_per_scan > 0
        else np.zeros(n_scans, dtype=np.int64)
    )
    m = int(counts.sum())
    u = rng.random((m, 4))
    c_scan = np.repeat(np.arange(n_scans, dtype=np.int64), counts)
    c_r = radar.min_range_m + u[:, 0] * (radar.max_range_m - radar.min_range_m)
    c_az = radar.az_min_rad + u[:, 1] * min(radar.az_width_rad, TWO_PI)
    c_el = radar.el_min_rad + u[:, 2] * (radar.el_max_rad - radar.el_min_rad)
    if radar.sigma_range_rate_mps is not None:
        c_rr = radar.clutter_max_range_rate_mps * (2.0 * u[:, 3] - 1.0)
    else:
        c_rr = np.full(m, np.nan)

    r_all = np.concatenate([r_meas, c_r])
    # A range can never be reported as zero or negative (a contract violation); the floor is far
    # below any sensor's blind range.
    r_all = np.maximum(r_all, 1.0)
    az_all = np.mod(np.degrees(np.concatenate([az_meas, c_az])), 360.0)
    el_all = np.clip(np.degrees(np.concatenate([el_meas, c_el])), -90.0, 90.0)
    rr_all = np.concatenate([rr_meas, c_rr])
    values = np.stack(
        [
            np.round(r_all, ROUND_RANGE_M),
            np.mod(np.round(az_all, ROUND_ANGLE_DEG), 360.0),
            np.round(el_all, ROUND_ANGLE_DEG),
            np.round(rr_all, ROUND_RANGE_RATE_MPS),
        ],
        axis=1,
    )
    scan_idx = np.concatenate([np.asarray(pair_scan, dtype=np.int64)[detected], c_scan])
    obj = np.concatenate([np.asarray(pair_obj, dtype=np.int64)[detected], np.full(m, -1, dtype=np.int64)])
    return _finish(radar.id, "radar", scan_t_unix_s, scan_no, scan_idx, obj, values, rng)


def _perpendicular_basis(u: FloatArray) -> tuple[FloatArray, FloatArray]:
    # Two unit vectors orthogonal to each row of u (unit), built against the axis least aligned
    # with u so the cross product never degenerates.
    ref = np.zeros_like(u)
    idx = np.argmin(np.abs(u), axis=1)
    ref[np.arange(len(u)), idx] = 1.0
    e1 = np.cross(u, ref)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(u, e1)
    return e1, e2


def perturb_los(u: FloatArray, sigma_rad: float, rng: np.random.Generator) -> FloatArray:
    """Unit vectors (N, 3) turned by Gaussian angular noise of ``sigma_rad`` per transverse axis."""
    u = np.asarray(u, dtype=np.float64).reshape(-1, 3)
    if len(u) == 0:
        return u.copy()
    e1, e2 = _perpendicular_basis(u)
    n = rng.standard_normal((len(u), 2))
    # Small-angle rotation: u + a e1 + b e2 renormalised turns u by (a, b) to first order; the
    # tangent form (not the sine) keeps the angle exact in each plane for sigma up to degrees.
    w = u + np.tan(sigma_rad * n[:, :1]) * e1 + np.tan(sigma_rad * n[:, 1:]) * e2
    return np.asarray(w / np.linalg.norm(w, axis=1, keepdims=True), dtype=np.float64)


def random_los_in_cone(
    axis: FloatArray, half_angle_rad: float, n: int, rng: np.random.Generator
) -> FloatArray:
    """``n`` unit vectors uniform in solid angle within a cone about a unit ``axis`` (3,)."""
    a = np.asarray(axis, dtype=np.float64).reshape(1, 3)
    e1, e2 = _perpendicular_basis(a)
    u = rng.random((n, 2))
    # Uniform on the spherical cap: cos(theta) uniform in [cos(alpha), 1] (Archimedes' hat-box theorem).
    cos_t = 1.0 - u[:, 0] * (1.0 - math.cos(half_angle_rad))
    sin_t = np.sqrt(np.maximum(0.0, 1.0 - cos_t * cos_t))
    phi = TWO_PI * u[:, 1]
    v = cos_t[:, None] * a + (sin_t * np.cos(phi))[:, None] * e1 + (sin_t * np.sin(phi))[:, None] * e2
    return np.asarray(v / np.linalg.norm(v, axis=1, keepdims=True), dtype=np.float64)


def ir_detect(
    ir: IrModel,
    scan_t_unix_s: FloatArray,
    scan_no: IntArray,
    pair_scan: IntArray,
    pair_obj: IntArray,
    pos_ecef_m: FloatArray,
    hot: BoolArray,
    rng: np.random.Generator,
) -> Detections:
    """Infrared line-of-sight detections for all scans: real ones from hot pairs, plus clutter.

    ``pos_ecef_m`` (P, 3) are true positions (m) at the scan times and ``hot`` (P,) says whether the
    object radiates enough to be seen (thrusting, or just after burnout: the caller decides). A pair
    is detectable when hot, above ``min_target_alt_m``, inside the sensor's cone, and the line from
    the sensor clears the ellipsoid raised by ``grazing_alt_m``; then it is detected with
    probability ``pd``. Clutter lines of sight are uniform in solid angle over the Earth's disc (or
    the staring cone) and always point at the ground.
    """
    p_s = np.asarray(ir.pos_ecef_m, dtype=np.float64)
    pos = np.asarray(pos_ecef_m, dtype=np.float64).reshape(-1, 3)
    d = pos - p_s
    dist = np.linalg.norm(d, axis=1)
    u = d / np.maximum(dist, 1e-9)[:, None]
    axis, half = ir.cone()
    visible = (
        np.asarray(hot, dtype=bool)
        & (altitude_fast_m(pos) >= ir.min_target_alt_m)
        & (u @ axis >= math.cos(half))
        & line_of_sight_clear(np.broadcast_to(p_s, pos.shape), pos, ir.grazing_alt_m)
    )
    detected = visible & (rng.random(len(pos)) < ir.pd)
    los = perturb_los(u[detected], ir.sigma_los_rad, rng)

    n_scans = len(scan_t_unix_s)
    counts = (
        rng.poisson(ir.clutter_per_scan, n_scans)
        if ir.clutter_per_scan > 0
        else np.zeros(n_scans, dtype=np.int64)
    )
    m = int(counts.sum())
    c_scan = np.repeat(np.arange(n_scans, dtype=np.int64), counts)
    c_los = random_los_in_cone(axis, half, m, rng)
    # A staring cone may reach past the limb: redraw (a bounded number of times) the rays that miss
    # the Earth, so every false detection looks like a glint or fire on the ground.
    for _ in range(50):
        _, hit = ray_ellipsoid_intersection(np.broadcast_to(p_s, c_los.shape), c_los)
        miss = ~hit
        if not miss.any():
            break
        c_los[miss] = random_los_in_cone(axis, half, int(miss.sum()), rng)

    values = np.round(np.concatenate([los, c_los]), ROUND_LOS)
    scan_idx = np.concatenate([np.asarray(pair_scan, dtype=np.int64)[detected], c_scan])
    obj = np.concatenate([np.asarray(pair_obj, dtype=np.int64)[detected], np.full(m, -1, dtype=np.int64)])
    return _finish(ir.id, "ir", scan_t_unix_s, scan_no, scan_idx, obj, values, rng)
