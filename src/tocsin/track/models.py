"""Sensor measurement models of the tracker: radar (range, az, el, range rate) and IR angles-only.

The tracker imports only ``geo`` and ``physics``, so it carries its own sensor descriptions, filled by
the engine from ``sensors.json``. Every kernel works on a batch of B (state, measurement) pairs; the
state layout is the tracker's internal ``[r_ecef (3), v_ecef (3), ln beta, a_thrust (3)]`` (only the
first 6 columns are read). Jacobians are analytic and checked against central differences in
``tests/track/test_models.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.frames import altitude_fast_m, enu_rotation, geodetic_to_ecef
from tocsin.geo.los import line_of_sight_clear

#: Internal filter state dimension: r (3), v (3), ln beta, thrust acceleration (3).
NX = 10
_MIN_CLUTTER_PER_SCAN = 1e-3  # keeps the clutter density (and the association cost) finite


@dataclass(frozen=True)
class RadarModel:
    """A ground radar at a geodetic site; angles in radians, clockwise azimuth from true north.

    The field of regard (``min/max_range_m``, ``az_min/max_rad`` (may wrap through north),
    ``el_min/max_rad``) sets the clutter density and which tracks count as missed when undetected.
    """

    sensor_id: str
    site_lat_rad: float
    site_lon_rad: float
    site_alt_m: float
    sigma_range_m: float
    sigma_az_rad: float
    sigma_el_rad: float
    sigma_range_rate_mps: float | None = None
    pd: float = 0.9
    clutter_per_scan: float = 0.0
    min_range_m: float = 0.0
    max_range_m: float = 3.0e6
    az_min_rad: float = 0.0
    az_max_rad: float = 2.0 * math.pi
    el_min_rad: float = 0.0
    el_max_rad: float = 0.5 * math.pi
    max_range_rate_mps: float = 8000.0  # range-rate span used for the clutter density only
    kind: str = field(default="radar", init=False)

    @cached_property
    def site_ecef_m(self) -> FloatArray:
        """Site position in ECEF (m)."""
        return geodetic_to_ecef(self.site_lat_rad, self.site_lon_rad, self.site_alt_m)

    @cached_property
    def rot_enu(self) -> FloatArray:
        """ECEF -> ENU rotation at the site (3, 3)."""
        return enu_rotation(self.site_lat_rad, self.site_lon_rad)

    @property
    def meas_dim(self) -> int:
        """3 without Doppler, 4 with range rate."""
        return 3 if self.sigma_range_rate_mps is None else 4

    @cached_property
    def R(self) -> FloatArray:
        """Measurement noise covariance (m, rad, m/s units), (meas_dim, meas_dim)."""
        sig = [self.sigma_range_m, self.sigma_az_rad, self.sigma_el_rad]
        if self.sigma_range_rate_mps is not None:
            sig.append(self.sigma_range_rate_mps)
        return np.diag(np.square(np.asarray(sig, dtype=np.float64)))

    @cached_property
    def az_span_rad(self) -> float:
        """Azimuth width of the field of regard (rad), wrapping through north allowed."""
        span = (self.az_max_rad - self.az_min_rad) % (2.0 * math.pi)
        return 2.0 * math.pi if span == 0.0 else span

    @cached_property
    def clutter_density(self) -> float:
        """Clutter spatial density in measurement space (per m rad^2 [per m/s]), uniform over the FoR."""
        vol = (self.max_range_m - self.min_range_m) * self.az_span_rad * (self.el_max_rad - self.el_min_rad)
        if self.sigma_range_rate_mps is not None:
            vol *= 2.0 * self.max_range_rate_mps
        return max(self.clutter_per_scan, _MIN_CLUTTER_PER_SCAN) / vol

    def in_coverage(self, r_ecef_m: FloatArray, margin_rad: float = 0.0) -> BoolArray:
        """True where ECEF positions (N, 3) lie inside the field of regard (angles widened by margin)."""
        rng, az, el = radar_aer(r_ecef_m, self)
        daz = (az - self.az_min_rad) % (2.0 * math.pi)
        in_az = (daz <= self.az_span_rad + margin_rad) | (daz >= 2.0 * math.pi - margin_rad)
        ok = (rng >= self.min_range_m) & (rng <= self.max_range_m) & in_az
        ok &= (el >= self.el_min_rad - margin_rad) & (el <= self.el_max_rad + margin_rad)
        return np.asarray(ok, dtype=np.bool_)


@dataclass(frozen=True)
class IrModel:
    """An infrared sensor (usually on a satellite) reporting unit lines of sight in ECEF."""

    sensor_id: str
    pos_ecef_m: FloatArray
    sigma_los_rad: float
    pd: float = 0.9
    clutter_per_scan: float = 0.0
    min_target_alt_m: float = 12000.0
    field_of_regard_sr: float = 0.08  # solid angle of the Earth disc seen from GEO, for clutter density
    kind: str = field(default="ir", init=False)

    @cached_property
    def R(self) -> FloatArray:
        """2-D angular noise covariance (rad^2) in the plane perpendicular to the line of sight."""
        return np.eye(2) * self.sigma_los_rad**2

    @property
    def meas_dim(self) -> int:
        """Three components of the unit line of sight (the residual is 2-D)."""
        return 3

    @cached_property
    def clutter_density(self) -> float:
        """Clutter density per steradian over the field of regard."""
        return max(self.clutter_per_scan, _MIN_CLUTTER_PER_SCAN) / self.field_of_regard_sr

    def in_coverage(self, r_ecef_m: FloatArray) -> BoolArray:
        """True where targets are high enough to be seen and the line of sight clears the Earth."""
        r = np.asarray(r_ecef_m, dtype=np.float64)
        high = altitude_fast_m(r) >= self.min_target_alt_m
        pos = np.broadcast_to(np.asarray(self.pos_ecef_m, dtype=np.float64), r.shape)
        return np.asarray(high & line_of_sight_clear(pos, r), dtype=np.bool_)


SensorModel = RadarModel | IrModel


@dataclass(frozen=True)
class ScanInput:
    """One sensor scan: every detection of one revisit at one time.

    ``z`` is radar ``(M, 3)`` or ``(M, 4)`` ``[range_m, az_rad, el_rad, (range_rate_mps)]``, or IR
    ``(M, 3)`` unit lines of sight in ECEF. ``M`` may be 0.
    """

    sensor_id: str
    t_unix_s: float
    z: FloatArray


# --------------------------------------------------------------------------------------------------
# Radar


def radar_aer(r_ecef_m: FloatArray, radar: RadarModel) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Slant range (m), azimuth (rad, [0, 2pi)) and elevation (rad) of ECEF points (N, 3) from a radar."""
    d = np.asarray(r_ecef_m, dtype=np.float64) - radar.site_ecef_m
    enu = d @ radar.rot_enu.T
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horiz = np.hypot(e, n)
    return np.hypot(horiz, u), np.mod(np.arctan2(e, n), 2.0 * np.pi), np.arctan2(u, horiz)


def radar_h(x: FloatArray, radar: RadarModel) -> tuple[FloatArray, FloatArray]:
    """Predicted radar measurement and its Jacobian for states x (B, >=6).

    Returns ``zhat`` (B, m) = [range_m, az_rad, el_rad, (range_rate_mps)] and ``H`` (B, m, NX).
    Range rate is d/dt |r - site| = (r - site)·v / |r - site| (the site is fixed in ECEF).
    """
    x = np.asarray(x, dtype=np.float64)
    b = x.shape[0]
    m = radar.meas_dim
    rot = radar.rot_enu
    d = x[:, 0:3] - radar.site_ecef_m
    v = x[:, 3:6]
    enu = d @ rot.T
    e, n, u = enu[:, 0], enu[:, 1], enu[:, 2]
    h2 = e * e + n * n
    hz = np.sqrt(h2)
    rho2 = h2 + u * u
    rho = np.sqrt(rho2)
    zhat = np.empty((b, m))
    zhat[:, 0] = rho
    zhat[:, 1] = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    zhat[:, 2] = np.arctan2(u, hz)
    # Partial derivatives in ENU, rotated back to ECEF by the rows of rot.
    d_rng = enu / rho[:, None]
    d_az = np.stack([n / h2, -e / h2, np.zeros(b)], axis=-1)
    d_el = np.stack([-e * u / (rho2 * hz), -n * u / (rho2 * hz), hz / rho2], axis=-1)
    H = np.zeros((b, m, NX))
    H[:, 0, 0:3] = d_rng @ rot
    H[:, 1, 0:3] = d_az @ rot
    H[:, 2, 0:3] = d_el @ rot
    if m == 4:
        los = d / rho[:, None]
        rr = np.einsum("bi,bi->b", los, v)
        zhat[:, 3] = rr
        H[:, 3, 0:3] = (v - rr[:, None] * los) / rho[:, None]
        H[:, 3, 3:6] = los
    return zhat, H


def radar_residual(z: FloatArray, zhat: FloatArray) -> FloatArray:
    """z - zhat with the azimuth difference wrapped to [-pi, pi)."""
    y = np.asarray(z, dtype=np.float64) - zhat
    y[..., 1] = np.mod(y[..., 1] + np.pi, 2.0 * np.pi) - np.pi
    return y


def radar_to_ecef(z: FloatArray, radar: RadarModel) -> tuple[FloatArray, FloatArray]:
    """Radar plots (M, >=3) to ECEF positions (M, 3) (m) and their covariances (M, 3, 3) (m^2).

    First-order conversion of (range, az, el) noise (Bar-Shalom, Li, Kirubarajan 2001, sec. 10.4.3).
    """
    z = np.asarray(z, dtype=np.float64)
    rng, az, el = z[:, 0], z[:, 1], z[:, 2]
    ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
    enu = np.stack([rng * ce * sa, rng * ce * ca, rng * se], axis=-1)
    J = np.empty((z.shape[0], 3, 3))
    J[:, :, 0] = np.stack([ce * sa, ce * ca, se], axis=-1)
    J[:, :, 1] = np.stack([rng * ce * ca, -rng * ce * sa, np.zeros_like(rng)], axis=-1)
    J[:, :, 2] = np.stack([-rng * se * sa, -rng * se * ca, rng * ce], axis=-1)
    sig2 = np.array([radar.sigma_range_m**2, radar.sigma_az_rad**2, radar.sigma_el_rad**2])
    c_enu = np.einsum("mij,j,mkj->mik", J, sig2, J)
    rot = radar.rot_enu
    pos = enu @ rot + radar.site_ecef_m
    cov = np.einsum("ji,mjk,kl->mil", rot, c_enu, rot)
    return pos, cov


# --------------------------------------------------------------------------------------------------
# Infrared lines of sight


def los_basis(u: FloatArray) -> FloatArray:
    """Two orthonormal unit vectors perpendicular to unit vectors u (B, 3): returns (B, 2, 3).

    The helper axis is ECEF z unless u is within ~25 deg of it (then ECEF x), so the basis is a
    deterministic function of u.
    """
    u = np.asarray(u, dtype=np.float64)
    helper = np.zeros_like(u)
    near_pole = np.abs(u[:, 2]) > 0.9
    helper[:, 2] = np.where(near_pole, 0.0, 1.0)
    helper[:, 0] = np.where(near_pole, 1.0, 0.0)
    e1 = np.cross(helper, u)
    e1 /= np.linalg.norm(e1, axis=-1, keepdims=True)
    e2 = np.cross(u, e1)
    return np.stack([e1, e2], axis=1)


def ir_project(
    x: FloatArray, sensor_pos_ecef_m: FloatArray, basis: FloatArray, axis: FloatArray
) -> FloatArray:
    """Gnomonic coordinates (rad) of the target direction in a fixed frame (axis, basis (B, 2, 3)).

    h_i = e_i·d / (axis·d), d = r - sensor: zero when the target lies on the axis.
    """
    d = np.asarray(x, dtype=np.float64)[:, 0:3] - sensor_pos_ecef_m
    h: FloatArray = np.einsum("bki,bi->bk", basis, d) / np.einsum("bi,bi->b", axis, d)[:, None]
    return h


def ir_residual(x: FloatArray, ir: IrModel, u_meas: FloatArray) -> tuple[FloatArray, FloatArray]:
    """2-D angular residual (rad) and Jacobian for lines of sight u_meas (B, 3) against states x (B, >=6).

    The residual is the gnomonic projection of the measured LOS onto the plane perpendicular to the
    predicted LOS: y_i = e_i·u / (û·u); its Jacobian w.r.t. r is E / |d| (E ⟂ û), so the update is an
    ordinary 2-D EKF update with R = sigma^2 I (angles-only tracking, e.g. Blackman & Popoli 1999, 9.3).
    """
    d = np.asarray(x, dtype=np.float64)[:, 0:3] - ir.pos_ecef_m
    rng = np.linalg.norm(d, axis=-1)
    uhat = d / rng[:, None]
    basis = los_basis(uhat)
    um = np.asarray(u_meas, dtype=np.float64)
    y = np.einsum("bki,bi->bk", basis, um) / np.einsum("bi,bi->b", uhat, um)[:, None]
    H = np.zeros((d.shape[0], 2, NX))
    H[:, :, 0:3] = basis / rng[:, None, None]
    return y, H


def triangulate_los(
    p1: FloatArray, u1: FloatArray, p2: FloatArray, u2: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Closest approach of line pairs p + s u (all (B, 3)): midpoint (m), miss distance (m), s1, s2 (m).

    Standard two-line closest approach (e.g. MATLAB ``triangulateLOS``); accuracy follows Taff
    (MIT LL TR-741, 1986): sigma_R ~ sigma R^2 csc(theta) / baseline.
    """
    w0 = p1 - p2
    a = np.einsum("bi,bi->b", u1, u1)
    b = np.einsum("bi,bi->b", u1, u2)
    c = np.einsum("bi,bi->b", u2, u2)
    d = np.einsum("bi,bi->b", u1, w0)
    e = np.einsum("bi,bi->b", u2, w0)
    den = a * c - b * b
    den = np.where(np.abs(den) < 1e-12, np.nan, den)
    s1 = (b * e - c * d) / den
    s2 = (a * e - b * d) / den
    q1 = p1 + s1[:, None] * u1
    q2 = p2 + s2[:, None] * u2
    return 0.5 * (q1 + q2), np.linalg.norm(q1 - q2, axis=-1), s1, s2


def triangulation_cov(points: FloatArray, sensors: FloatArray, sigmas: FloatArray) -> FloatArray:
    """Position covariance (m^2) of a point fixed by K lines of sight: inverse of the summed information.

    Each LOS from sensor k gives information (I - u uᵀ) / (sigma_k R_k)^2 across its direction
    (points (B, 3), sensors (B, K, 3), sigmas (B, K) rad). For two sensors this reproduces Taff's
    sigma_R ~ sigma R^2 csc(theta) / baseline along the poorly observed direction.
    """
    d = points[:, None, :] - sensors
    rng = np.linalg.norm(d, axis=-1)
    u = d / rng[..., None]
    w = 1.0 / (sigmas * rng) ** 2
    info = np.einsum("bk,bkij->bij", w, np.eye(3) - u[..., :, None] * u[..., None, :])
    return np.asarray(np.linalg.inv(info), dtype=np.float64)
