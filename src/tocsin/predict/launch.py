"""Launch point and time from the early part of each track (algorithms.md section 3.5).

A :class:`LaunchEstimator` keeps, per track id, the posterior states of its first ``window_s`` seconds
(the predictor is called after every tracker update) and, when the engine hands it the raw scans
(:meth:`LaunchEstimator.observe`), the raw measurements of those seconds: infrared lines of sight and
radar plots, each scan's nearest one inside the track's gate. The model is chosen per track:

- ballistic (rockets, mortars: the tracker's early posteriors are one ballistic arc after the first
  seconds, by a chi-square gate on a back-propagation of the newest posterior): ballistic
  back-extrapolation of the newest early posterior to the launch height with drag, J2 and rotation by
  an unscented transform;
- boosting, with raw measurements (and always for tracks seen only by infrared sensors, which see
  only hot objects): a batch least-squares fit of a class-free boost trajectory (vertical rise,
  pitch-over, gravity turn under constant thrust with linear mass loss, then coast) to the raw
  measurements (Shapiro 1958 batch fit; Li, Kirubarajan, Bar-Shalom, Yeddanapudi, IEEE Aerospace Conf.
  1999 boost template), with burn-through pseudo-measurements from infrared detection floors and weak
  physical priors; covariance from the Jacobian;
- boosting, posteriors only: a kinematic template p_L + a tau^2 / 2 + j tau^3 / 6 per local axis fitted
  to the early posterior positions.

The launch height comes from the terrain model (``terrain``) under the estimate. State kept between
calls is plain arrays in a dict keyed by track id, and a time-bounded buffer of raw measurements.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from scipy.optimize import OptimizeResult, least_squares

from tocsin._types import BoolArray, FloatArray, IntArray
from tocsin.geo.frames import (
    aer_to_enu,
    altitude_fast_m,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_rotation,
    enu_to_ecef,
    geodetic_to_ecef,
)
from tocsin.geo.wgs84 import GM_M3_S2, OMEGA_RAD_S
from tocsin.physics.atmosphere import density_fast_kg_m3
from tocsin.physics.dynamics import rk4_step
from tocsin.predict.ground import Terrain, propagate_batch_to_ground
from tocsin.track.types import TrackSnapshot

_MIN_POINTS_TEMPLATE = 6
# Ballistic gate: ignore the first seconds of a track (a rocket's burn, the filter settling), RK4 step
# of the back-propagation, position floor for filter lag (m), and the chi-square per dof threshold.
_GATE_GUARD_S = 2.0
_GATE_STEP_S = 0.25
_GATE_FLOOR_M = 10.0
_GATE_CHI2 = 25.0
_MIN_FIT_MEASUREMENTS = 8
_ASSOC_GATE_CHI2 = 25.0
_TL_SEARCH_S = 150.0  # launch at most this long before the first track point
_TL_GRID_S = 0.25
# Launch-time model floors (1 sigma, s), measured on rocket-barrage and al-asad-2020 (benchmarks/
# bench_launch.py): a rocket's motor burn (0.5-2 s) is flown back as a ballistic arc, so its launch comes
# 0.6-0.9 s late against 0.16-0.22 s of arc sigma; the boost fit's generic rise and pitch-over and the
# boost drag it folds into the thrust put SRBM launches 1.4-3.1 s early even on a known pad, and 24-72 m
# off when radar plots pin the boost (tests/predict/scenarios/launch-radar.yaml; 19-50 m of fit sigma).
_BALLISTIC_T_FLOOR_S = 0.5
_FIT_T_FLOOR_S = 3.0
_FIT_POS_FLOOR_M = 50.0  # per horizontal axis


@dataclass(frozen=True)
class LaunchEstimates:
    """Launch estimates aligned with a snapshot's tracks; NaN where not (yet) estimated."""

    lat_deg: FloatArray  # (N,)
    lon_deg: FloatArray  # (N,)
    t_unix_s: FloatArray  # (N,)
    t_sigma_s: FloatArray  # (N,)
    cov_en_m2: FloatArray  # (N, 2, 2)
    # From a track's boost fit (None: not computed; NaN rows: no fit, the fit does not show the end of
    # thrust, or the track is boosting or its filter velocity already tighter than any fit can be).
    # Burnout: time (Unix s), ECEF position (m) and velocity (m/s), and the (N, 7, 7) covariance
    # of (time, position, velocity). Coasting state: ECEF position and velocity (N, 6) at the track's
    # update time, with its (N, 6, 6) covariance (see ``boost_fit_states``).
    burnout_t_unix_s: FloatArray | None = None  # (N,)
    burnout_pos_ecef_m: FloatArray | None = None  # (N, 3)
    burnout_vel_ecef_mps: FloatArray | None = None  # (N, 3)
    burnout_cov: FloatArray | None = None  # (N, 7, 7)
    fit_state_t_unix_s: FloatArray | None = None  # (N,)
    fit_state_pos_ecef_m: FloatArray | None = None  # (N, 3)
    fit_state_vel_ecef_mps: FloatArray | None = None  # (N, 3)
    fit_state_cov: FloatArray | None = None  # (N, 6, 6)

    def select(self, idx: IntArray) -> LaunchEstimates:
        """The estimates at positions ``idx`` (in that order)."""

        def pick(a: FloatArray | None) -> FloatArray | None:
            return None if a is None else a[idx]

        return LaunchEstimates(
            self.lat_deg[idx],
            self.lon_deg[idx],
            self.t_unix_s[idx],
            self.t_sigma_s[idx],
            self.cov_en_m2[idx],
            pick(self.burnout_t_unix_s),
            pick(self.burnout_pos_ecef_m),
            pick(self.burnout_vel_ecef_mps),
            pick(self.burnout_cov),
            pick(self.fit_state_t_unix_s),
            pick(self.fit_state_pos_ecef_m),
            pick(self.fit_state_vel_ecef_mps),
            pick(self.fit_state_cov),
        )


@dataclass
class _History:
    t: list[float] = field(default_factory=list)
    x: list[FloatArray] = field(default_factory=list)
    P: list[FloatArray] = field(default_factory=list)
    boost: list[float] = field(default_factory=list)
    acc: list[FloatArray] = field(default_factory=list)
    meas: list[FloatArray] = field(default_factory=list)  # associated raw measurement rows (_ROW)
    t_checked: float = -np.inf  # raw measurements up to this time have been offered to the track
    theta: FloatArray | None = None  # boost-model parameters of the last raw-measurement fit
    result: tuple[float, float, float, float, FloatArray] | None = None
    dirty: bool = True
    t_estimated: float = -np.inf  # track time of the last estimate (s)
    job: _FitJob | None = None  # a boost fit in progress over several updates
    fit: BoostFitState | None = None  # the last converged boost fit (for its burnout state)
    states: tuple[BoostFitState, float, FitStates] | None = None  # cache: fit, evaluation time, states
    was_boosting: bool = False  # the track's boost mode has been likely
    burnout_fit: bool = False  # the final fit of this burnout (boost mode no longer likely) has begun
    t_boosting: float = -np.inf  # track time of the newest update with the boost mode likely


@dataclass
class _FitJob:
    """A boost fit spread over updates: its data and frame are fixed when it begins, one least-squares
    run per step; its estimate is published when the last start has run (the same estimate as the fit
    run at once when it began, only later). ``t``, ``x``, ``P``, ``alt`` are the early history it
    began with, for the template fit that stands in when the boost fit fails."""

    seq: int
    data: BoostData
    frame: BoostFitFrame
    t: FloatArray
    x: FloatArray
    P: FloatArray
    alt: float
    next_start: int = 0
    best: OptimizeResult | None = None
    revisit_s: float = 0.0  # longest revisit of the infrared sensors in the data (s)


# Buffer row: t, kind (0 ray, 1 point), sensor origin or plot position (3), unit LOS (3), sigma,
# detection floor, revisit, sensor key (rays) / whitening matrix (9, points, from column 11).
_ROW = 21  # ... column 20: the buffer's serial number of the measurement (ownership, ``_owner``)


@dataclass(frozen=True)
class LaunchSensor:
    """What the launch estimator needs of a sensor (SI units, radians).

    ``kind`` "ir": ``pos_ecef_m`` and ``sigma_los_rad``. ``kind`` "radar": the site (``lat_rad``,
    ``lon_rad``, ``alt_m``, ``pos_ecef_m``) and the range, azimuth and elevation sigmas.
    """

    kind: str
    pos_ecef_m: FloatArray
    sigma_los_rad: float = 0.0
    lat_rad: float = 0.0
    lon_rad: float = 0.0
    alt_m: float = 0.0
    sigma_range_m: float = 0.0
    sigma_az_rad: float = 0.0
    sigma_el_rad: float = 0.0
    min_target_alt_m: float = 0.0  # infrared: no detection below this height (burn-through), m
    revisit_s: float = 0.0


class ScanLike(Protocol):
    """The fields of an assembled scan the estimator reads (``tocsin.ingest.stream.Scan``)."""

    @property
    def sensor(self) -> str: ...
    @property
    def t_unix_s(self) -> float: ...
    @property
    def range_m(self) -> FloatArray: ...
    @property
    def az_rad(self) -> FloatArray: ...
    @property
    def el_rad(self) -> FloatArray: ...
    @property
    def los_ecef(self) -> FloatArray: ...


def radar_points_ecef(
    sensor: LaunchSensor, range_m: FloatArray, az_rad: FloatArray, el_rad: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Radar plots as ECEF points (N, 3) m and whitening matrices (N, 3, 3) (inverse Cholesky factors).

    Converted-measurement covariance J diag(sigma^2) J^T with J the Jacobian of the spherical to ENU
    map (Bar-Shalom, Li, Kirubarajan, Estimation with Applications to Tracking..., sec. 10.4; the
    conversion bias R sigma^2 / 2 is < 1 m here), rotated to ECEF.
    """
    r, az, el = range_m, az_rad, el_rad
    enu = aer_to_enu(az, el, r)
    pos = enu_to_ecef(enu, sensor.lat_rad, sensor.lon_rad, sensor.alt_m)
    ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
    J = np.zeros((r.size, 3, 3))
    J[:, :, 0] = np.stack([ce * sa, ce * ca, se], axis=1)
    J[:, :, 1] = np.stack([r * ce * ca, -r * ce * sa, np.zeros_like(r)], axis=1)
    J[:, :, 2] = np.stack([-r * se * sa, -r * se * ca, r * ce], axis=1)
    sig2 = np.array([sensor.sigma_range_m**2, sensor.sigma_az_rad**2, sensor.sigma_el_rad**2])
    rot = enu_rotation(sensor.lat_rad, sensor.lon_rad).T  # ENU -> ECEF
    C = np.einsum("ij,njk,k,nlk,ml->nim", rot, J, sig2, J, rot)
    C += np.eye(3) * 1.0  # 1 m floor keeps the factor well conditioned
    white = np.linalg.inv(np.linalg.cholesky(C))
    return pos, white


@dataclass
class _MeasurementBuffer:
    rows: FloatArray = field(default_factory=lambda: np.zeros((0, _ROW)))
    next_id: int = 0

    def _numbered(self, block: FloatArray) -> FloatArray:
        block[:, 20] = np.arange(self.next_id, self.next_id + block.shape[0])
        self.next_id += block.shape[0]
        return block

    def add_rays(self, t: float, sensor: LaunchSensor, u: FloatArray, key: float) -> None:
        m = u.shape[0]
        block = np.zeros((m, _ROW))
        block[:, 0] = t
        block[:, 2:5] = sensor.pos_ecef_m
        block[:, 5:8] = u
        block[:, 8] = sensor.sigma_los_rad
        block[:, 9] = sensor.min_target_alt_m
        block[:, 10] = sensor.revisit_s
        block[:, 11] = key
        self.rows = np.concatenate([self.rows, self._numbered(block)])

    def add_points(self, t: float, pos: FloatArray, white: FloatArray) -> None:
        m = pos.shape[0]
        block = np.zeros((m, _ROW))
        block[:, 0] = t
        block[:, 1] = 1.0
        block[:, 2:5] = pos
        block[:, 11:20] = white.reshape(m, 9)
        self.rows = np.concatenate([self.rows, self._numbered(block)])

    def prune(self, t_min: float) -> None:
        if self.rows.shape[0] and self.rows[0, 0] < t_min:
            self.rows = self.rows[self.rows[:, 0] >= t_min]


# Rockets and mortars (unguided, no boost seen by a counter-battery radar) fly at most ~1 km/s; faster
# objects first seen ballistic are missiles whose boost was not observed.
_MAX_BALLISTIC_LAUNCH_SPEED_MPS = 1200.0


@dataclass
class LaunchEstimator:
    """Per-track early-history store and launch-point estimator (SI units, heights in m)."""

    window_s: float = 60.0
    max_points: int = 60
    boost_threshold: float = 0.5
    min_points: int = 3
    # The fit is costly and the launch point changes little between updates: refit at most this often
    # (s of track time), and always once the early window is complete.
    refit_s: float = 10.0
    # A fit costs 0.2-0.8 s of CPU per least-squares start, and the first and final fits run 3-4 starts;
    # in a salvo tens of boosting tracks fall due together and made the scan-to-decision p99 4-13 s
    # (bench_latency.py on national and salvo-200). At most this many fit steps run per update: a whole
    # ballistic or template fit, or one start of a boost fit (a multi-start boost fit runs over
    # consecutive updates, fits in progress first). Then the most needed fits begin (no estimate yet,
    # then the final fit of a complete window, then the stalest); the rest stay due for the next
    # updates. Chosen from data only: deterministic.
    max_fit_steps_per_update: int = 1
    terrain: Terrain = field(default_factory=Terrain)
    sensors: dict[str, LaunchSensor] = field(default_factory=dict)
    # Raw measurements are kept this long (s of data time) for tracks confirmed after them, and a track
    # takes measurements from this long before its first update (the scans that confirmed it).
    buffer_s: float = 120.0
    pre_s: float = 12.0
    max_track_measurements: int = 400
    tracks: dict[str, _History] = field(default_factory=dict)
    _buf: _MeasurementBuffer = field(default_factory=_MeasurementBuffer)
    _job_seq: int = 0
    # Per buffered measurement (serial number): the smallest gate distance squared any track took it
    # with, and that track's id. A measurement serves the track it fits best; in a salvo the
    # back-extrapolated gate of a late-confirmed track reaches lines of sight of neighbours that their
    # own tracks took with far smaller distances (al-asad-2020-ir).
    _owner: dict[int, tuple[float, str]] = field(default_factory=dict)
    _owner_floor: int = 0  # serial numbers below this were forgotten

    def observe(self, scan: ScanLike) -> None:
        """Keep one scan's raw measurements (radar plots as ECEF points, infrared lines of sight).

        Scans of sensors not in ``sensors`` are ignored; the buffer forgets what is older than
        ``buffer_s`` before the newest scan.
        """
        sensor = self.sensors.get(scan.sensor)
        if sensor is None:
            return
        t = float(scan.t_unix_s)
        if sensor.kind == "ir":
            u = np.asarray(scan.los_ecef, dtype=np.float64).reshape(-1, 3)
            if u.shape[0]:
                key = float(sorted(self.sensors).index(scan.sensor))
                self._buf.add_rays(t, sensor, u, key)
        else:
            rng = np.asarray(scan.range_m, dtype=np.float64)
            if rng.size:
                pos, white = radar_points_ecef(sensor, rng, np.asarray(scan.az_rad), np.asarray(scan.el_rad))
                self._buf.add_points(t, pos, white)
        self._buf.prune(t - self.buffer_s)
        # Forget the owners of measurements the buffer no longer holds, in batches (a dict rebuild per
        # scan would cost O(owners) on every scan of a salvo).
        if self._buf.rows.shape[0] and int(self._buf.rows[0, 20]) - self._owner_floor > 4096:
            self._owner_floor = int(self._buf.rows[0, 20])
            self._owner = {k: v for k, v in self._owner.items() if k >= self._owner_floor}

    def update(self, snapshot: TrackSnapshot) -> LaunchEstimates:
        """Record the snapshot's early states and return launch estimates for its tracks."""
        n = len(snapshot)
        out_lat = np.full(n, np.nan)
        out_lon = np.full(n, np.nan)
        out_t = np.full(n, np.nan)
        out_ts = np.full(n, np.nan)
        out_cov = np.full((n, 2, 2), np.nan)
        live = set(snapshot.track_ids)
        wanted: list[tuple[tuple[bool, bool, float, int], int, str, bool]] = []
        for tid in [k for k in self.tracks if k not in live]:
            del self.tracks[tid]  # dropped tracks: forget them (ids are not reused by the tracker)
        for i, tid in enumerate(snapshot.track_ids):
            h = self.tracks.setdefault(tid, _History())
            t = float(snapshot.t_update_unix_s[i])
            first = float(snapshot.first_t_unix_s[i])
            if (
                t - first <= self.window_s
                and len(h.t) < self.max_points
                and (not h.t or t > h.t[-1])
                and np.isfinite(snapshot.x[i]).all()
                and np.isfinite(snapshot.P[i]).all()
            ):
                h.t.append(t)
                h.x.append(np.array(snapshot.x[i], dtype=np.float64))
                h.P.append(np.array(snapshot.P[i], dtype=np.float64))
                h.boost.append(float(snapshot.mode_prob[i][0]))
                h.acc.append(np.array(snapshot.boost_accel_mps2[i], dtype=np.float64))
                h.dirty = True
            if h.t and t - first <= self.window_s and t > h.t_checked and self._associate(tid, h, first, t):
                h.dirty = True
            window_done = t - first > self.window_s or len(h.t) >= self.max_points
            # The boost mode no longer likely after it was: the thrust has ended (for an infrared-only
            # track, the plume's misses). Refit once with all data, as a final fit, so that the fit sees
            # the coast after burnout and its burnout state is measured (issue 5: IR-only impact).
            boosting = float(snapshot.mode_prob[i][0]) >= self.boost_threshold
            if boosting:
                h.was_boosting = True
                h.burnout_fit = False
                h.t_boosting = max(h.t_boosting, t)
            burnt = h.was_boosting and not boosting and not h.burnout_fit
            final = window_done or burnt
            due = h.result is None or final or h.t[-1] - h.t_estimated >= self.refit_s
            if h.job is None and h.dirty and len(h.t) >= self.min_points and due:
                # Rank: no estimate yet, then final fits, then the stalest; the snapshot order breaks ties.
                rank = (h.result is not None, not final, -(h.t[-1] - h.t_estimated), i)
                wanted.append((rank, i, tid, final))
        budget = max(self.max_fit_steps_per_update, 0)
        running = sorted((h.job.seq, tid) for tid, h in self.tracks.items() if h.job is not None)
        for _seq, tid in running[:budget]:
            self._step(self.tracks[tid])
        budget -= min(len(running), budget)
        for _, _i, tid, final in sorted(wanted)[:budget]:
            h = self.tracks[tid]
            h.dirty = False
            h.burnout_fit = h.burnout_fit or (h.was_boosting and final)
            h.t_estimated = h.t[-1]
            got = self._estimate(h, final=final, tid=tid)
            if isinstance(got, _FitJob):
                h.job = got
                self._step(h)
            else:
                h.result = got
        bo = np.full((n, 7), np.nan)
        bo_cov = np.full((n, 7, 7), np.nan)
        st_t = np.full(n, np.nan)
        st_x = np.full((n, 6), np.nan)
        st_P = np.full((n, 6, 6), np.nan)
        for i, tid in enumerate(snapshot.track_ids):
            h = self.tracks[tid]
            if h.result is not None:
                out_lat[i], out_lon[i], out_t[i], out_ts[i], out_cov[i] = h.result
            # The fit's states serve only coasting tracks whose filter velocity is looser than the fit's
            # model floor can ever be (``fuse_fit_states`` takes the tighter): a radar track's filter
            # beats any fit, and a boosting one is not fused. 17 boost-model runs per new fit or track
            # time otherwise cost ~35 ms per track per cycle (national: launch stage 226 s -> 2 s).
            if (
                h.fit is not None
                and float(snapshot.mode_prob[i][0]) < self.boost_threshold
                and float(np.trace(snapshot.P[i][3:6, 3:6])) > 3.0 * _FIT_STATE_FLOOR_VEL_MPS**2
            ):
                t = float(snapshot.t_update_unix_s[i])
                # Cached per fit and track time: a track's state time changes only with its updates.
                if h.states is None or h.states[0] is not h.fit or h.states[1] != t:
                    h.states = (h.fit, t, boost_fit_states(h.fit, t, burnout_by_unix_s=self._burnout_by(h)))
                fs = h.states[2]
                bo[i], bo_cov[i] = fs.burnout, fs.burnout_cov
                st_t[i], st_x[i], st_P[i] = fs.coast_t_unix_s, fs.coast_state, fs.coast_cov
        return LaunchEstimates(
            out_lat,
            out_lon,
            out_t,
            out_ts,
            out_cov,
            bo[:, 0],
            bo[:, 1:4],
            bo[:, 4:7],
            bo_cov,
            st_t,
            st_x[:, :3],
            st_x[:, 3:],
            st_P,
        )

    @staticmethod
    def _burnout_by(h: _History) -> float | None:
        """The time by which the thrust of a track's fitted boost has ended, when known: an infrared
        sensor sees the object only while it is hot (thrusting, or just after burnout), so for a fit
        to infrared lines of sight only whose newest ray is the plume's last sighting (within a revisit
        of the track's last boosting update, so the early window did not cut the data short) the
        thrust ended by that ray. None otherwise."""
        fit = h.fit
        if fit is None or not fit.ir_only or not h.was_boosting:
            return None
        if fit.t_last_unix_s < h.t_boosting - fit.revisit_s - 0.5:
            return None
        return fit.t_last_unix_s

    def _own_rows(self, tid: str, mm: FloatArray) -> BoolArray:
        """Which of a track's measurement rows (``_ROW``) no other track took with a smaller gate distance."""
        owner = self._owner
        return np.array([owner.get(int(k), (0.0, tid))[1] == tid for k in mm[:, 20]], dtype=bool)

    def _associate(self, tid: str, h: _History, first_t: float, t_now: float) -> bool:
        """Give the track the nearest raw measurement of each scan inside its gate; True if any taken.

        The track position at a measurement time is extrapolated from the nearest early posterior with
        its velocity and thrust acceleration; gates are 5 sigma of the measurement and posterior errors
        plus a slack for the extrapolation.
        """
        rows = self._buf.rows
        sel = (rows[:, 0] > h.t_checked) & (rows[:, 0] <= t_now) & (rows[:, 0] >= first_t - self.pre_s)
        h.t_checked = t_now
        if not sel.any() or len(h.meas) >= self.max_track_measurements:
            return False
        m = rows[sel]
        ht = np.array(h.t)
        k = np.clip(np.searchsorted(ht, m[:, 0]), 0, ht.size - 1)
        k0 = np.clip(k - 1, 0, ht.size - 1)
        k = np.where(np.abs(ht[k0] - m[:, 0]) < np.abs(ht[k] - m[:, 0]), k0, k)
        xs = np.array(h.x)[k]
        acc = np.array(h.acc)[k]
        dt = (m[:, 0] - ht[k])[:, None]
        p = xs[:, :3] + xs[:, 3:6] * dt + 0.5 * acc * dt**2
        Pp = np.array(h.P)[k][:, :3, :3]
        slack = 500.0 + 0.5 * 20.0 * dt[:, 0] ** 2  # unmodelled thrust change, m
        var_p = np.trace(Pp, axis1=1, axis2=2) / 3.0 + slack**2
        ray = m[:, 1] == 0.0
        d2 = np.full(m.shape[0], np.inf)
        if ray.any():
            w = p[ray] - m[ray, 2:5]
            along = np.einsum("ij,ij->i", w, m[ray, 5:8])
            perp = w - along[:, None] * m[ray, 5:8]
            var = (m[ray, 8] * np.maximum(along, 0.0)) ** 2 + var_p[ray]
            d2[ray] = np.einsum("ij,ij->i", perp, perp) / var
        pt = ~ray
        if pt.any():
            r = p[pt] - m[pt, 2:5]
            W = m[pt, 11:20].reshape(-1, 3, 3)
            C = np.linalg.inv(np.einsum("nji,njk->nik", W, W))  # measurement covariance
            S = C + np.eye(3) * var_p[pt, None, None]
            d2[pt] = np.einsum("ni,ni->n", r, np.linalg.solve(S, r[..., None])[..., 0])
        ok = d2 <= _ASSOC_GATE_CHI2
        if not ok.any():
            return False
        # One measurement per scan (time and kind): the nearest.
        taken = 0
        key = m[:, 0] * 4.0 + m[:, 1]
        order = np.lexsort((d2, key))
        last_key = None
        for j in order.tolist():
            if not ok[j] or key[j] == last_key:
                continue
            last_key = key[j]
            h.meas.append(m[j].copy())
            taken += 1
            serial = int(m[j, 20])
            held = self._owner.get(serial)
            if held is None or d2[j] < held[0]:
                self._owner[serial] = (float(d2[j]), tid)
        return taken > 0

    def _step(self, h: _History) -> None:
        """Run the next start of the track's boost fit; after the last one, publish its estimate."""
        job = h.job
        assert job is not None
        start = job.frame.starts[job.next_start]
        job.best = boost_fit_better(job.best, boost_fit_run(job.data, job.frame, start))
        job.next_start += 1
        if job.next_start < len(job.frame.starts):
            return
        h.job = None
        fit = boost_fit_result(job.frame, job.best)
        cov = boost_fit_parameter_cov(job.best) if fit is not None and job.best is not None else None
        h.fit = None
        if fit is not None and cov is not None:
            ir_only = job.data.pt_t.size == 0
            t_last = max(
                float(np.max(job.data.ray_t, initial=-np.inf)), float(np.max(job.data.pt_t, initial=-np.inf))
            )
            h.fit = BoostFitState(job.frame, fit[1], cov, t_last, ir_only, job.revisit_s)
        if fit is not None:
            h.theta = fit[1]
            h.result = fit[0]
        else:
            h.result = self._template(job.t, job.x, job.P, job.alt)

    def _estimate(
        self, h: _History, final: bool = False, tid: str | None = None
    ) -> tuple[float, float, float, float, FloatArray] | _FitJob | None:
        """The launch estimate from the track's early history, or the boost fit to run for it; with the
        track id ``tid``, measurements another track took with a smaller gate distance are left out."""
        t = np.array(h.t)
        x = np.array(h.x)
        P = np.array(h.P)
        # Launch height from the terrain under the first track point; refined below under the estimate.
        la0, lo0, _ = ecef_to_geodetic(x[0, :3])
        alt = float(self.terrain.height_m(np.degrees(la0), np.degrees(lo0)))
        kinds = np.array([m[1] for m in h.meas])
        # Seen only by infrared sensors (none sees below the burn-through height): a hot, thrusting
        # object; its posteriors are too loose for the ballistic gate to tell, so fit the boost model.
        ir_only = kinds.size >= _MIN_FIT_MEASUREMENTS and not kinds.any()
        if not ir_only and ballistic_consistent(t, x, P):
            if float(np.linalg.norm(x[0, 3:6])) > _MAX_BALLISTIC_LAUNCH_SPEED_MPS:
                # First seen after a burnout we did not observe: a ballistic arc back to the ground
                # would ignore the boost and land beyond the true launch point; fly it back to a
                # burnout point and add a feasible boost instead.
                return self._post_burnout(t, x, P, alt)
            res = ballistic_back_extrapolation(t[-1], x[-1], P[-1], launch_alt_m=alt)
            if res is not None:
                alt2 = float(self.terrain.height_m(np.array(res[0]), np.array(res[1])))
                if abs(alt2 - alt) > 1.0:
                    res = ballistic_back_extrapolation(t[-1], x[-1], P[-1], launch_alt_m=alt2)
            return res
        if len(h.meas) >= _MIN_FIT_MEASUREMENTS:
            mm = np.array(h.meas)
            if tid is not None:
                mm = mm[self._own_rows(tid, mm)]
            mm = mm[_corroborated(mm)]
            ray = mm[:, 1] == 0.0
            data = BoostData(
                ray_t=mm[ray, 0],
                ray_origin=mm[ray, 2:5],
                ray_u=mm[ray, 5:8],
                ray_sigma=mm[ray, 8],
                pt_t=mm[~ray, 0],
                pt_pos=mm[~ray, 2:5],
                pt_white=mm[~ray, 11:20].reshape(-1, 3, 3),
                **_burn_through(mm[ray]),
            )
            if data.size >= _MIN_FIT_MEASUREMENTS:
                frame = boost_fit_frame(
                    x[0, :3], x[0, 3:6], float(t[0]), terrain=self.terrain, warm=h.theta, multi_start=final
                )
                self._job_seq += 1
                revisit = float(np.max(mm[ray, 10], initial=0.0))
                return _FitJob(self._job_seq, data, frame, t, x, P, alt, revisit_s=revisit)
        return self._template(t, x, P, alt)

    def _post_burnout(
        self, t: FloatArray, x: FloatArray, P: FloatArray, alt: float
    ) -> tuple[float, float, float, float, FloatArray] | None:
        """Launch estimate of a track first seen after burnout (:func:`post_burnout_launch`), from its
        newest early posterior; the pad height from the terrain under the estimate."""
        t_bo_max = float(t[0]) + _GATE_GUARD_S
        res = post_burnout_launch(float(t[-1]), x[-1], P[-1], t_burnout_max_unix_s=t_bo_max, launch_alt_m=alt)
        if res is not None:
            alt2 = float(self.terrain.height_m(np.array(res[0]), np.array(res[1])))
            if abs(alt2 - alt) > 1.0:
                res = post_burnout_launch(
                    float(t[-1]), x[-1], P[-1], t_burnout_max_unix_s=t_bo_max, launch_alt_m=alt2
                )
        return res

    def _template(
        self, t: FloatArray, x: FloatArray, P: FloatArray, alt: float
    ) -> tuple[float, float, float, float, FloatArray] | None:
        """Kinematic boost-template launch estimate from early posteriors (None if too few)."""
        if t.size < _MIN_POINTS_TEMPLATE:
            return None
        res = boost_template_fit(t, x[:, :3], P[:, :3, :3], launch_alt_m=alt)
        if res is not None:
            alt2 = float(self.terrain.height_m(np.array(res[0]), np.array(res[1])))
            if abs(alt2 - alt) > 1.0:
                res = boost_template_fit(t, x[:, :3], P[:, :3, :3], launch_alt_m=alt2)
        return res


def _corroborated(mm: FloatArray) -> BoolArray:
    """Rows of a track's raw measurements (``_ROW``) to keep: all but the infrared lines of sight that
    come more than two revisits before every other infrared sensor with a detection floor saw anything.

    Sensors with a floor all start seeing a climbing object when it crosses that height, within a
    revisit or two of each other (pd ~0.9). Lines of sight of one sensor that come far earlier belong
    to another object: before the track's own plume crossed the floor, the nearest line of sight in a
    back-extrapolated gate is a salvo neighbour launched earlier and seen along nearly the same line
    (al-asad-2020-ir: srbm-800 tracks took one satellite's lines of sight 7-11 s before the other's
    first, their burn-through anchor came 9-13 sigma early and their launch times 17-33 s early).
    """
    keep = np.ones(mm.shape[0], dtype=bool)
    ray = (mm[:, 1] == 0.0) & (mm[:, 9] > 0.0)
    keys = np.unique(mm[ray, 11])
    if keys.size < 2:
        return keep
    firsts = np.array([mm[ray & (mm[:, 11] == k), 0].min() for k in keys])
    cutoff = float(firsts.max()) - 2.0 * float(mm[ray, 10].max()) - 0.5
    out: BoolArray = keep & ~((mm[:, 1] == 0.0) & (mm[:, 0] < cutoff))
    return out


def _burn_through(rays: FloatArray) -> dict[str, FloatArray]:
    """Burn-through pseudo-measurements from the first ray of each infrared sensor with a floor.

    A sensor that cannot see below ``min_target_alt_m`` first reports a climbing object in the scan
    after it crossed that height: the crossing lies in the revisit before the first ray (uniform:
    sigma revisit / sqrt(12), widened for a missed first look). Used only when that first ray comes
    within two revisits of the track's first ray (the early scans were not lost to confirmation).
    """
    out_t, out_h, out_s = [], [], []
    if rays.shape[0]:
        t_first = float(rays[:, 0].min())
        for key in np.unique(rays[:, 11]).tolist():
            r = rays[rays[:, 11] == key]
            j = int(np.argmin(r[:, 0]))
            floor, revisit = float(r[j, 9]), float(r[j, 10])
            if floor > 0.0 and revisit > 0.0 and r[j, 0] <= t_first + 2.0 * revisit:
                out_t.append(float(r[j, 0]) - 0.5 * revisit)
                out_h.append(floor)
                out_s.append(revisit * 0.45)
    return {"alt_t": np.array(out_t), "alt_h": np.array(out_h), "alt_sig_t": np.array(out_s)}


def ballistic_consistent(
    t_unix_s: FloatArray,
    x: FloatArray,
    P: FloatArray,
    *,
    guard_s: float = _GATE_GUARD_S,
    gate: float = _GATE_CHI2,
) -> bool:
    """True when an early track history is one ballistic arc (no thrust after its first ``guard_s`` s).

    The newest posterior x (M, 7) is flown back with drag, J2 and rotation to every earlier posterior
    time and compared with those positions: the mean chi-square per degree of freedom of the position
    differences under the earlier posterior covariances (M, 7, 7) (plus a floor for the filter lag)
    must stay below ``gate``. A boosting missile accelerates by tens of m/s^2 and fails it by orders
    of magnitude; a rocket whose short burn ended at the start of the track passes.
    """
    t = np.asarray(t_unix_s, dtype=np.float64)
    keep = (t >= t[0] + guard_s) & (t < t[-1])
    if int(keep.sum()) < 2:
        return True  # too short to tell: treat as ballistic
    dt = t[keep] - t[-1]  # (K,) negative
    n_steps = max(math.ceil(float(np.max(-dt)) / _GATE_STEP_S), 1)
    h = dt / n_steps
    beta = float(np.exp(x[-1, 6]))
    s = np.repeat(x[-1:, :6], dt.size, axis=0)
    for _ in range(n_steps):
        s = rk4_step(s, h, beta)
    r = s[:, :3] - x[keep, :3]
    S = P[keep][:, :3, :3] + np.eye(3) * _GATE_FLOOR_M**2
    d2 = np.einsum("ki,ki->k", r, np.linalg.solve(S, r[..., None])[..., 0])
    return bool(float(np.mean(d2)) / 3.0 < gate)


def _sigma_points(x: FloatArray, P: FloatArray, ut_lambda: float) -> tuple[FloatArray, FloatArray] | None:
    """Unscented sigma points (2n + 1, n) and weights of N(x, P) (Julier & Uhlmann 1997, scaling
    lambda = ``ut_lambda``); None when P is not positive definite."""
    nd = x.shape[0]
    try:
        L = np.linalg.cholesky(P) * math.sqrt(nd + ut_lambda)
    except np.linalg.LinAlgError:
        return None
    w = np.full(2 * nd + 1, 0.5 / (nd + ut_lambda))
    w[0] = ut_lambda / (nd + ut_lambda)
    return np.vstack([x, x + L.T, x - L.T]), w


def ballistic_back_extrapolation(
    t_unix_s: float, x: FloatArray, P: FloatArray, *, launch_alt_m: float = 0.0, ut_lambda: float = 1.0
) -> tuple[float, float, float, float, FloatArray] | None:
    """Launch point of a ballistic object from one posterior [r, v, ln beta] (7,) and covariance (7, 7).

    Returns (lat_deg, lon_deg, t_unix_s, t_sigma_s, cov_en_m2) or None when the back-propagation does
    not reach the launch height. Unscented transform, sigma points integrated backward in time.
    """
    pts = _sigma_points(x, P, ut_lambda)
    if pts is None:
        return None
    sig, w = pts
    hit = propagate_batch_to_ground(
        sig[:, :6], np.exp(sig[:, 6]), ground_alt_m=launch_alt_m, backward=True, max_time_s=900.0
    )
    if not hit.reached.all():
        return None
    lat0, lon0, _ = ecef_to_geodetic(hit.pos_ecef_m[0])
    enu = ecef_to_enu(hit.pos_ecef_m, lat0, lon0, launch_alt_m)[:, :2]
    z = np.column_stack([enu, hit.t_s])
    m = w @ z
    d = z - m
    cov = (w[:, None] * d).T @ d
    mean = enu_to_ecef(np.array([m[0], m[1], 0.0]), lat0, lon0, launch_alt_m)
    la, lo, _ = ecef_to_geodetic(mean)
    return (
        float(np.degrees(la)),
        float(np.degrees(lo)),
        t_unix_s + float(m[2]),
        math.sqrt(cov[2, 2] + _BALLISTIC_T_FLOOR_S**2),
        cov[:2, :2],
    )


# --- tracks first seen after burnout ------------------------------------------------------------------
# A missile first tracked in its ballistic coast gives the arc after burnout only. The arc flown back to
# the ground would ignore the powered ascent (the pad is much nearer the burnout point and the launch
# much later than the ballistic arc says), so the arc is flown back only to a burnout point, and the
# boost from the pad to that point comes from a class-free table of gravity-turn ascents: every table
# ascent whose burnout speed and flight-path angle match the arc at its burnout height places the pad
# its boost ground range behind that arc point and the launch its burn time before it. Weighted over the
# table, these give the launch point mean, its east/north covariance and the launch-time sigma.
_BO_TABLE_SIZE = 4096
_BO_RISE_STEPS = 4
_BO_PITCH_STEPS = 6
_BO_TURN_STEPS = 60
# Table priors (uniform), class-free: effective exhaust velocity of solid and storable-liquid motors
# (Isp 205-300 s), propellant mass fraction of single-stage ballistic missiles, lift-off thrust over
# weight (Sutton & Biblarz, Rocket Propulsion Elements, 9th ed., ch. 4 and tables 2-1, 4-1), full burn
# time, range-control thrust cut-off (fraction of the full burn), pitch-over elevation, vertical rise
# and pitch-over durations (algorithms.md 3.5: SRBMs rise 4-6 s and pitch over in ~10 s).
_BO_EXHAUST_MPS = (2000.0, 2950.0)
_BO_MASS_FRACTION = (0.55, 0.90)
_BO_THRUST_TO_WEIGHT = (1.3, 4.0)
_BO_BURN_S = (20.0, 150.0)
_BO_CUTOFF = (0.6, 1.0)
_BO_LOFT_RAD = (math.radians(35.0), math.radians(89.0))
_BO_RISE_S = (3.0, 8.0)
_BO_PITCH_S = (6.0, 14.0)
# Lift-off ballistic coefficient m0 / (C_D A) (kg/m^2): published launch masses and diameters of SRBMs
# and MRBMs (3,600-17,000 kg, 0.6-1.3 m) with a mean boost C_D of 0.3 [D]; it falls with the mass.
_BO_BETA0_KG_M2 = (15_000.0, 60_000.0)
_G0_MPS2 = 9.80665
_R_EARTH_M = 6_371_000.0  # mean radius of the spherical-Earth table ascents
# Arc flown back from the posterior: RK4 step, time cap, and the lowest burnout height looked for.
_BO_ARC_STEP_S = 2.0
_BO_ARC_MAX_S = 900.0
_BO_MIN_ALT_M = 5_000.0
_BO_MAX_SPEED_MPS = 8_000.0
# Match tolerances: the table ascents have a mean drag and a fixed pitch programme (real drag losses
# are 2-5 % of the ideal speed, Sutton & Biblarz ch. 4.4), so a table burnout matches within these.
_BO_SPEED_FRAC = 0.05
_BO_GAMMA_SIGMA_RAD = math.radians(3.0)
# Model floor added to the launch-point covariance: the spherical, drag-free table ascent against a
# real one (Earth rotation, drag, steering) (m) and to the launch time (s).
_BO_FLOOR_M = 2_000.0
_BO_FLOOR_T_S = 3.0
_BO_MIN_EFFECTIVE = 5.0
_BO_MAX_FAILED_SIGMA = 2  # of the 14 outer sigma points


@dataclass(frozen=True)
class BurnoutTable:
    """Burnout states of class-free gravity-turn ascents from a pad at rest (flat-sea spherical Earth).

    ``alt_m`` burnout height above the pad, ``speed_mps`` burnout speed, ``gamma_rad`` flight-path
    angle above the local horizontal, ``ground_m`` ground range from the pad, ``t_s`` time from
    launch, all (N,).
    """

    alt_m: FloatArray
    speed_mps: FloatArray
    gamma_rad: FloatArray
    ground_m: FloatArray
    t_s: FloatArray


@functools.cache
def burnout_table() -> BurnoutTable:
    """The table of ascents (computed once, deterministically: a fixed Halton sequence over the priors).

    Each ascent: vertical rise, thrust along a fixed direction of elevation ``loft``, then a gravity
    turn (thrust along the velocity; Wiesel, Spaceflight Dynamics, sec. 6.3) with constant thrust and
    linear mass loss, a(tau) = a0 / (1 - q tau) (Tsiolkovsky), under point-mass gravity and US76 drag
    in the plane of flight; no Earth rotation. RK4 on a per-phase grid (no step straddles a phase end).
    """
    from scipy.stats import qmc

    u = qmc.Halton(d=8, scramble=False).random(_BO_TABLE_SIZE + 1)[1:]  # skip the all-zero point

    def span(k: int, lo_hi: tuple[float, float]) -> FloatArray:
        return np.asarray(lo_hi[0] + (lo_hi[1] - lo_hi[0]) * u[:, k], dtype=np.float64)

    c = span(0, _BO_EXHAUST_MPS)
    zeta = span(1, _BO_MASS_FRACTION)
    t_full = span(2, _BO_BURN_S)
    t_bo = span(3, _BO_CUTOFF) * t_full
    loft = span(4, _BO_LOFT_RAD)
    rise = span(5, _BO_RISE_S)
    pitch = span(6, _BO_PITCH_S)
    beta0 = span(7, _BO_BETA0_KG_M2)
    q = zeta / t_full  # mass flow over initial mass (1/s)
    a0 = c * q  # thrust over initial mass: c mdot / m0 (m/s^2)
    tw = a0 / _G0_MPS2
    ok = (tw >= _BO_THRUST_TO_WEIGHT[0]) & (tw <= _BO_THRUST_TO_WEIGHT[1]) & (t_bo > rise + pitch + 2.0)
    q, a0, t_bo, loft, rise, pitch, beta0 = (a[ok] for a in (q, a0, t_bo, loft, rise, pitch, beta0))
    n = a0.size
    s = np.zeros((n, 4))  # x (downrange), y (up through the pad), vx, vy, Earth centre at (0, -R)
    s[:, 1] = _R_EARTH_M
    d_kick = np.column_stack([np.cos(loft), np.sin(loft)])
    up = np.column_stack([np.zeros(n), np.ones(n)])

    def deriv(st: FloatArray, tau: FloatArray, phase: int) -> FloatArray:
        r, v = st[:, :2], st[:, 2:]
        rn = np.sqrt(np.einsum("ij,ij->i", r, r))
        vn = np.sqrt(np.einsum("ij,ij->i", v, v))
        mass = 1.0 - q * tau  # mass over initial mass
        # Point-mass gravity, thrust, and drag -rho |v| v / (2 beta) with beta = beta0 m / m0 (US76).
        a = r * (-GM_M3_S2 / rn**3)[:, None]
        a -= (density_fast_kg_m3(rn - _R_EARTH_M) * vn / (2.0 * beta0 * mass))[:, None] * v
        if phase == 0:
            d = up
        elif phase == 1:
            d = d_kick
        else:
            d = v / np.maximum(vn, 1e-3)[:, None]
        a = a + (a0 / mass)[:, None] * d
        return np.concatenate([st[:, 2:], a], axis=1)

    tau = np.zeros(n)
    for steps, dur, phase in (
        (_BO_RISE_STEPS, rise, 0),
        (_BO_PITCH_STEPS, pitch, 1),
        (_BO_TURN_STEPS, t_bo - rise - pitch, 2),
    ):
        h = dur / steps
        hh = h[:, None]
        for _ in range(steps):
            # Classical RK4 (Butcher 2008, eq. 235a), one step size per ascent.
            k1 = deriv(s, tau, phase)
            k2 = deriv(s + 0.5 * hh * k1, tau + 0.5 * h, phase)
            k3 = deriv(s + 0.5 * hh * k2, tau + 0.5 * h, phase)
            k4 = deriv(s + hh * k3, tau + h, phase)
            s = s + hh / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            tau = tau + h
    r = s[:, :2]
    rn = np.linalg.norm(r, axis=1)
    v = s[:, 2:]
    vn = np.linalg.norm(v, axis=1)
    gamma = np.arcsin(np.clip(np.einsum("ij,ij->i", r, v) / (rn * vn), -1.0, 1.0))
    ground = _R_EARTH_M * np.arctan2(r[:, 0], r[:, 1])
    keep = (rn - _R_EARTH_M > _BO_MIN_ALT_M) & (gamma > math.radians(5.0))
    return BurnoutTable(
        alt_m=(rn - _R_EARTH_M)[keep],
        speed_mps=vn[keep],
        gamma_rad=gamma[keep],
        ground_m=ground[keep],
        t_s=t_bo[keep],
    )


def post_burnout_launch(
    t_unix_s: float,
    x: FloatArray,
    P: FloatArray,
    *,
    t_burnout_max_unix_s: float,
    launch_alt_m: float = 0.0,
    table: BurnoutTable | None = None,
    ut_lambda: float = 1.0,
) -> tuple[float, float, float, float, FloatArray] | None:
    """Launch point of a missile first tracked after burnout, from one ballistic posterior.

    ``x`` [r, v, ln beta] (7,) and ``P`` (7, 7) at ``t_unix_s``; the burnout happened before
    ``t_burnout_max_unix_s`` (the track was ballistic from then on) and above the pad height
    ``launch_alt_m``. Each sigma point of the posterior (unscented transform) is flown back (drag, J2,
    rotation) over its ascending branch; each ascent of :func:`burnout_table` burning out at a height
    on that branch is weighted by how well its burnout speed and flight-path angle match the arc's
    there; its pad lies its ground range behind the arc point along the ground track, its launch its
    burn time before. Returns (lat_deg, lon_deg, t_unix_s, t_sigma_s, cov_en_m2): the mean over sigma
    points and ascents, the spread over both plus a model floor; None when no ascent fits the arc.
    """
    tab = table if table is not None else burnout_table()
    pts = _sigma_points(x, P, ut_lambda)
    if pts is None:
        return None
    sig, w_ut = pts
    # Arcs flown back in time, to below the lowest burnout height (climbing in forward time) or the cap.
    beta = np.exp(sig[:, 6])
    floor = launch_alt_m + _BO_MIN_ALT_M
    s = sig[:, :6].copy()
    states = [s]
    live = np.ones(s.shape[0], dtype=bool)
    for _ in range(int(_BO_ARC_MAX_S / _BO_ARC_STEP_S)):
        # An arc stops (keeps its last state) once below the floor and climbing in forward time, or
        # when, flown back into dense air, it gains speed without bound (a sigma point's low beta).
        s = np.where(live[:, None], rk4_step(s, -_BO_ARC_STEP_S, beta), s)
        states.append(s)
        climbing = np.einsum("ij,ij->i", s[:, :3], s[:, 3:]) > 0.0
        live &= ~((altitude_fast_m(s[:, :3]) < floor) & climbing)
        live &= np.einsum("ij,ij->i", s[:, 3:], s[:, 3:]) < _BO_MAX_SPEED_MPS**2
        if not live.any():
            break
    arcs = np.stack(states[::-1], axis=1)  # (2 nd + 1, K, 6), forward time order
    t_arc = t_unix_s - _BO_ARC_STEP_S * np.arange(arcs.shape[1], dtype=np.float64)[::-1]
    frame: tuple[float, float] | None = None
    got: list[tuple[float, FloatArray, FloatArray, float, float]] = []
    failed = 0
    for k in range(arcs.shape[0]):
        res = _match_arc(arcs[k], t_arc, t_burnout_max_unix_s, launch_alt_m, tab, frame)
        if res is None:
            if k == 0:
                return None
            failed += 1
            continue
        if frame is None:
            frame = res[0]
        got.append((float(w_ut[k]), *res[1:]))
    assert frame is not None
    if failed > _BO_MAX_FAILED_SIGMA:
        return None  # many sigma points fit no feasible boost: the posterior is too loose to say
    wk = np.array([g[0] for g in got])
    wk /= wk.sum()
    means = np.array([g[1] for g in got])
    m = wk @ means
    d = means - m
    # Total covariance over the mixture of sigma points (law of total variance).
    cov = np.einsum("k,kij->ij", wk, np.array([g[2] for g in got])) + (wk[:, None] * d).T @ d
    tms = np.array([g[3] for g in got])
    tm = float(wk @ tms)
    t_var = float(wk @ (np.array([g[4] for g in got]) + (tms - tm) ** 2))
    cov = cov + np.eye(2) * _BO_FLOOR_M**2
    lat0, lon0 = frame
    mean = enu_to_ecef(np.array([m[0], m[1], 0.0]), lat0, lon0, launch_alt_m)
    la1, lo1, _ = ecef_to_geodetic(mean)
    return (
        float(np.degrees(la1)),
        float(np.degrees(lo1)),
        tm,
        math.sqrt(t_var + _BO_FLOOR_T_S**2),
        cov,
    )


def _match_arc(
    S: FloatArray,
    t_arc: FloatArray,
    t_burnout_max_unix_s: float,
    launch_alt_m: float,
    tab: BurnoutTable,
    frame: tuple[float, float] | None,
) -> tuple[tuple[float, float], FloatArray, FloatArray, float, float] | None:
    """Pads of the table ascents that fit one arc (K, 6) at times (K,) (forward order): the frame
    (lat, lon rad of its east/north origin), weighted mean (2,) and covariance (2, 2) of the pad
    east/north (m), mean and variance of the launch time; None when no ascent fits."""
    # An arc that stopped early repeats its last state, and one that ran away is cut where it did.
    fast = np.flatnonzero(np.einsum("ij,ij->i", S[:, 3:], S[:, 3:]) >= _BO_MAX_SPEED_MPS**2)
    same = np.flatnonzero(np.any(S[0] != S, axis=1))
    first = max(int(fast[-1]) + 1 if fast.size else 0, int(same[0]) - 1 if same.size else S.shape[0] - 1)
    S, t_arc = S[first:], t_arc[first:]
    if S.shape[0] < 2:
        return None
    la, lo, alt = ecef_to_geodetic(S[:, :3])
    # Ascending branch up to the latest possible burnout: from the first point to the apogee.
    asc = np.arange(int(np.argmax(alt)) + 1)
    asc = asc[t_arc[asc] <= t_burnout_max_unix_s]
    if asc.size < 2:
        return None
    la, lo, alt, t_a, S = la[asc], lo[asc], alt[asc], t_arc[asc], S[asc]
    h_rel = alt - launch_alt_m
    if np.any(np.diff(h_rel) <= 0.0):
        return None
    # Local frame at the ground point under the lowest arc point (of the central arc): the arc's ground
    # points and its ground-track direction (horizontal unit velocity) in it.
    lat0, lon0 = frame if frame is not None else (float(la[0]), float(lo[0]))
    R = enu_rotation(lat0, lon0)
    sub = geodetic_to_ecef(la, lo, np.full(la.shape, launch_alt_m))
    g_en = ecef_to_enu(sub, lat0, lon0, launch_alt_m)[:, :2]
    v_en = (S[:, 3:] @ R.T)[:, :2]
    uh = v_en / np.linalg.norm(v_en, axis=1, keepdims=True)
    # Flight-path angle against each point's own vertical (geodetic normal).
    up_pt = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    speed = np.linalg.norm(S[:, 3:], axis=1)
    gamma = np.arcsin(np.clip(np.einsum("ij,ij->i", S[:, 3:], up_pt) / speed, -1.0, 1.0))
    # Each table ascent at its burnout height on the arc.
    inside = (tab.alt_m >= h_rel[0]) & (tab.alt_m <= h_rel[-1])
    if not inside.any():
        return None
    hb = tab.alt_m[inside]
    v_arc = np.interp(hb, h_rel, speed)
    g_arc = np.interp(hb, h_rel, gamma)
    dv = (v_arc - tab.speed_mps[inside]) / (_BO_SPEED_FRAC * v_arc)
    dg = (g_arc - tab.gamma_rad[inside]) / _BO_GAMMA_SIGMA_RAD
    w = np.exp(-0.5 * (dv**2 + dg**2))
    w_sum = float(w.sum())
    # Too few ascents fit (effective sample size): not the arc of a feasible single-stage boost.
    if w_sum <= 0.0 or w_sum**2 / float(w @ w) < _BO_MIN_EFFECTIVE:
        return None
    w = w / w_sum
    bo_en = np.column_stack([np.interp(hb, h_rel, g_en[:, 0]), np.interp(hb, h_rel, g_en[:, 1])])
    dirs = np.column_stack([np.interp(hb, h_rel, uh[:, 0]), np.interp(hb, h_rel, uh[:, 1])])
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    pad = bo_en - tab.ground_m[inside, None] * dirs
    t_l = np.interp(hb, h_rel, t_a) - tab.t_s[inside]
    m = w @ pad
    d = pad - m
    tm = float(w @ t_l)
    return (lat0, lon0), m, (w[:, None] * d).T @ d, tm, float(w @ (t_l - tm) ** 2)


def _template_lsq(tau: FloatArray, y: FloatArray, w: FloatArray) -> tuple[FloatArray, float, FloatArray]:
    """Weighted LS of y (M, 3) on the template with launch height pinned; (params, chi2, cov of p_L e/n)."""
    t2 = 0.5 * tau**2
    t3 = tau**3 / 6.0
    chi2 = 0.0
    params = np.zeros((3, 3))
    cov_pl = np.zeros(2)
    for ax in range(3):
        A = np.column_stack([np.ones_like(tau), t2, t3]) if ax < 2 else np.column_stack([t2, t3])
        Aw = A * np.sqrt(w[:, ax])[:, None]
        yw = y[:, ax] * np.sqrt(w[:, ax])
        sol, *_ = np.linalg.lstsq(Aw, yw, rcond=None)
        res = yw - Aw @ sol
        chi2 += float(res @ res)
        if ax < 2:
            params[ax] = sol
            cov_pl[ax] = float(np.linalg.inv(Aw.T @ Aw)[0, 0])
        else:
            params[ax, 1:] = sol
    return params, chi2, cov_pl


def boost_template_fit(
    t_unix_s: FloatArray, pos_ecef_m: FloatArray, cov_pos_m2: FloatArray, *, launch_alt_m: float = 0.0
) -> tuple[float, float, float, float, FloatArray] | None:
    """Launch point and time of a boosting object from early positions (M, 3) (m) at times (M,) (s).

    Returns (lat_deg, lon_deg, t_unix_s, t_sigma_s, cov_en_m2), or None with too few points. The fit
    treats the posterior positions as independent; their covariances (M, 3, 3) weight it, and the
    result covariance is scaled by the reduced chi-square when that exceeds 1.
    """
    t = np.asarray(t_unix_s, dtype=np.float64)
    if t.size < _MIN_POINTS_TEMPLATE:
        return None
    lat0, lon0, _ = ecef_to_geodetic(pos_ecef_m[0])
    y = ecef_to_enu(pos_ecef_m, lat0, lon0, launch_alt_m)
    R = enu_rotation(lat0, lon0)
    var = np.einsum("ij,mjk,ik->mi", R, cov_pos_m2, R)
    w = 1.0 / np.maximum(var, 1.0)
    grid = t[0] - np.arange(_TL_GRID_S, _TL_SEARCH_S, _TL_GRID_S)
    chi = np.array([_template_lsq(t - tl, y, w)[1] for tl in grid])
    k = int(np.argmin(chi))
    # Parabolic refinement of the minimum and its curvature (delta chi2 = 1 gives one sigma).
    if 0 < k < grid.size - 1:
        c0, c1, c2 = chi[k - 1], chi[k], chi[k + 1]
        denom = c0 - 2.0 * c1 + c2
        off = 0.5 * (c0 - c2) / denom if denom > 0 else 0.0
        curv = denom / _TL_GRID_S**2
        tl = grid[k] - off * _TL_GRID_S  # grid runs backward in time
    else:
        curv = 0.0
        tl = grid[k]
    params, chi2, cov_pl = _template_lsq(t - tl, y, w)
    dof = max(3 * t.size - 8, 1)
    scale = max(chi2 / dof, 1.0)
    sig_t = math.sqrt(2.0 * scale / curv) if curv > 0 else _TL_SEARCH_S
    # Launch point moves with t_L: add that sensitivity (finite difference) to the covariance.
    p_plus, _, _ = _template_lsq(t - (tl + sig_t), y, w)
    p_minus, _, _ = _template_lsq(t - (tl - sig_t), y, w)
    dp = 0.5 * (p_plus[:2, 0] - p_minus[:2, 0])
    cov = np.diag(cov_pl * scale) + np.outer(dp, dp)
    mean = enu_to_ecef(np.array([params[0, 0], params[1, 0], 0.0]), lat0, lon0, launch_alt_m)
    la, lo, _ = ecef_to_geodetic(mean)
    return float(np.degrees(la)), float(np.degrees(lo)), float(tl), sig_t, cov


# --- raw-measurement boost fit -----------------------------------------------------------------------
# Pitch programme of the fitted boost model: vertical rise, then thrust along a fixed direction, then a
# gravity turn (thrust along the velocity) to burnout (Wiesel, Spaceflight Dynamics, sec. 6.3). The
# rise and pitch-over durations are generic (liquid and solid SRBMs rise for 4-6 s and pitch over in
# ~10 s, algorithms.md 3.5); the pitch-over elevation, thrust, mass flow and burn time are fitted.
_RISE_S = 5.0
_PITCH_S = 10.0
_FIT_STEP_S = 2.0  # RK4 step of the boost model (thrust changes on ~10 s scales)
_W2 = OMEGA_RAD_S * OMEGA_RAD_S
_COAST_STEPS_MAX = 200
# RK4 step after burnout: gravity alone (the fit's model has no drag) varies on orbital scales, so 5 s steps
# lose nothing (against 2 s steps over a 185 s coast: positions within 0.1 mm, velocities within
# 0.1 mm/s) at 40 % of the coast's cost.
_COAST_STEP_S = 5.0
_PRIOR_ACCEL_MPS2 = 25.0
_PRIOR_ACCEL_SIGMA = 8.0
_PRIOR_MASS_FRACTION = 0.7
_PRIOR_MASS_FRACTION_SIGMA = 0.1
_PAD_SIGMA_FLOOR_M = 5.0
_MAX_NFEV = 100
# east_km, north_km, t_launch_s, azimuth, loft, accel0/10, flow*100, burn_s/10, pad height offset km
_N_PAR = 9
_LOFT_BOUNDS = (math.radians(20.0), math.radians(89.5))
# The pad height is fitted about the terrain model's height with the model's own sigma: without a DEM at
# the launch site (the theatre constant) a pad 1,320 m above it made every launch of al-asad-2020 come out
# 5-10 s early with 57 x 143 m ellipses holding 18 % of the truths; free, that time error is in sigma.
_PAD_BOUNDS_KM = (-3.0, 6.0)
_LB = np.array([-np.inf, -np.inf, -np.inf, -np.inf, _LOFT_BOUNDS[0], 0.5, 0.0, 0.6, _PAD_BOUNDS_KM[0]])
_UB = np.array([np.inf, np.inf, np.inf, np.inf, _LOFT_BOUNDS[1], 12.0, 1.8, 30.0, _PAD_BOUNDS_KM[1]])


@dataclass(frozen=True)
class BoostData:
    """Raw early measurements of one track for the boost fit (SI units, ECEF).

    Rays (infrared): times (R,), sensor positions (R, 3), unit lines of sight (R, 3), sigma (R,) rad.
    Points (radar plots converted to ECEF): times (Q,), positions (Q, 3), inverse Cholesky factors
    (Q, 3, 3) of their covariances (whitening matrices).
    """

    ray_t: FloatArray
    ray_origin: FloatArray
    ray_u: FloatArray
    ray_sigma: FloatArray
    pt_t: FloatArray
    pt_pos: FloatArray
    pt_white: FloatArray
    # Burn-through pseudo-measurements: the object crossed height alt_h (m) about time alt_t (s), with
    # a time sigma alt_sig_t (s) (first detection by an infrared sensor with a detection floor).
    alt_t: FloatArray = field(default_factory=lambda: np.zeros(0))
    alt_h: FloatArray = field(default_factory=lambda: np.zeros(0))
    alt_sig_t: FloatArray = field(default_factory=lambda: np.zeros(0))

    @property
    def size(self) -> int:
        """Number of measurements."""
        return int(self.ray_t.size + self.pt_t.size)


def _unpack(theta: FloatArray) -> tuple[FloatArray, ...]:
    e = theta[:, 0] * 1000.0
    n = theta[:, 1] * 1000.0
    return (
        e,
        n,
        theta[:, 2],
        theta[:, 3],
        theta[:, 4],
        theta[:, 5] * 10.0,
        theta[:, 6] / 100.0,
        theta[:, 7] * 10.0,
        theta[:, 8] * 1000.0,
    )


def boost_model_positions(
    theta: FloatArray, t_rel_s: FloatArray, lat0_rad: float, lon0_rad: float, alt0_m: float
) -> FloatArray:
    """ECEF positions (K, M, 3) of K boost-model parameter sets at times t_rel_s (M,) (s after t_ref).

    theta (K, 9): launch east/north (km) about the reference point (lat0, lon0, alt0 = terrain model
    height), launch time (s after t_ref), azimuth and pitch-over elevation (rad), initial thrust
    acceleration (10 m/s^2), mass flow over initial mass (1/100 s), burn time (10 s), pad height above
    alt0 (km). Thrust acceleration
    a0 / (1 - q tau) (constant thrust, linear mass loss: Tsiolkovsky); J2 gravity and the rotating-frame
    terms (physics.dynamics); no drag (absorbed into the fitted thrust). Integrated by RK4 on a
    per-phase grid so that no step straddles a phase change; positions between nodes are cubic
    Hermite interpolated. Before launch the position is the launch point.
    """
    th = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    tq, T, S, p0, _ = _boost_model_nodes(
        th, np.asarray(t_rel_s, dtype=np.float64), lat0_rad, lon0_rad, alt0_m
    )
    p, _ = _hermite(T, S, tq, velocity=False)
    return np.where((tq < 0.0)[..., None], p0[:, None, :], p)


def boost_model_states(
    theta: FloatArray, t_rel_s: FloatArray, lat0_rad: float, lon0_rad: float, alt0_m: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Model states of K parameter sets (same model and arguments as :func:`boost_model_positions`).

    Returns the ECEF position (K, M, 3) m and velocity (K, M, 3) m/s at times ``t_rel_s`` (M,) (s after
    t_ref; the pad and zero velocity before launch), and each set's burnout state (K, 7): time (s after
    t_ref), ECEF position (m) and velocity (m/s) at the end of thrust (an integration node).
    """
    th = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    tq, T, S, p0, j_bo = _boost_model_nodes(
        th, np.asarray(t_rel_s, dtype=np.float64), lat0_rad, lon0_rad, alt0_m
    )
    p, v = _hermite(T, S, tq, velocity=True)
    assert v is not None
    pre = (tq < 0.0)[..., None]
    p = np.where(pre, p0[:, None, :], p)
    v = np.where(pre, 0.0, v)
    t_l = th[:, 2]
    burnout = np.concatenate([(t_l + T[:, j_bo])[:, None], S[:, j_bo]], axis=1)
    return p, v, burnout


def _boost_model_nodes(
    th: FloatArray, t_rel_s: FloatArray, lat0_rad: float, lon0_rad: float, alt0_m: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, int]:
    """Integrate the boost model (see :func:`boost_model_positions`) of parameter sets th (K, 8) over
    the times t_rel_s (M,): query times since launch (K, M), node times since launch (K, S), node
    states (K, S, 6), pads (K, 3) and the node index of the end of thrust."""
    k = th.shape[0]
    e, n, t_l, az, loft, a0, q, tb, dh = _unpack(th)
    tb = np.maximum(tb, _RISE_S + _PITCH_S + 1.0)
    q = np.minimum(q, 0.9 / tb)
    R = enu_rotation(lat0_rad, lon0_rad)  # rows: east, north, up in ECEF
    up = R[2]
    p0 = enu_to_ecef(np.column_stack([e, n, dh]), lat0_rad, lon0_rad, alt0_m)
    up_k = np.broadcast_to(up, (k, 3))
    d_pitch = (
        np.cos(loft)[:, None] * (np.sin(az)[:, None] * R[0] + np.cos(az)[:, None] * R[1])
        + np.sin(loft)[:, None] * up
    )
    tau_max = max(float(np.max(t_rel_s)) - float(np.min(t_l)), _RISE_S + _PITCH_S) + _FIT_STEP_S
    coast = np.maximum(tau_max - tb, _FIT_STEP_S)
    n_coast = min(max(math.ceil(float(np.max(coast)) / _COAST_STEP_S), 1), _COAST_STEPS_MAX)
    n_turn = max(math.ceil(float(np.max(tb - _RISE_S - _PITCH_S)) / _FIT_STEP_S), 1)
    phases = [
        (math.ceil(_RISE_S / _FIT_STEP_S), np.full(k, _RISE_S), 0),
        (math.ceil(_PITCH_S / _FIT_STEP_S), np.full(k, _PITCH_S), 1),
        (n_turn, tb - _RISE_S - _PITCH_S, 2),
        (n_coast, coast, 3),
    ]
    j_burnout = phases[0][0] + phases[1][0] + phases[2][0]

    # The state derivative's linear part as one matrix product, s (K, 6) @ F: d r/dt = v, and the
    # centrifugal (w^2 x, w^2 y) and Coriolis (2 w v_y, -2 w v_x) accelerations of the rotating frame
    # (Vallado, 4th ed., sec. 3.7; physics.dynamics).
    F = np.zeros((6, 6))
    F[3:, :3] = np.eye(3)
    F[0, 3] = F[1, 4] = _W2
    F[4, 3] = 2.0 * OMEGA_RAD_S
    F[3, 4] = -2.0 * OMEGA_RAD_S
    ones3 = np.ones(3)
    thrust_dir = {0: up_k, 1: d_pitch}

    def deriv(s: FloatArray, tau: FloatArray, phase: int) -> FloatArray:
        # Point-mass gravity plus the rotating-frame terms; J2 changes the boost arc by tens of metres,
        # far below the fit noise.
        r = s[:, :3]
        out = s @ F
        acc = out[:, 3:]
        acc += r * (-GM_M3_S2 * ((r * r) @ ones3) ** -1.5)[:, None]
        if phase < 3:
            mag = a0 / (1.0 - q * tau)
            if phase < 2:
                acc += mag[:, None] * thrust_dir[phase]
            else:
                v = s[:, 3:]
                acc += v * (mag / np.maximum(np.sqrt((v * v) @ ones3), 1e-3))[:, None]
        return out

    # This runs ~60 RK4 steps per residual call and hundreds of calls per fit on arrays of 9 rows: numpy
    # call overhead is the cost, so every operation saved per step counts (the node derivatives of the
    # Hermite interpolation are the node velocities, no extra model evaluation).
    s = np.concatenate([p0, np.zeros((k, 3))], axis=1)
    tau = np.zeros(k)
    nodes_t = [tau]
    nodes_s = [s]
    for steps, dur, phase in phases:
        h = dur / steps
        hh = h[:, None]
        half_hh = 0.5 * hh
        sixth_hh = hh / 6.0
        half_h = 0.5 * h
        for _ in range(steps):
            # Classical RK4 (Butcher 2008, eq. 235a), one step size per parameter set.
            tau_mid = tau + half_h
            k1 = deriv(s, tau, phase)
            k2 = deriv(s + half_hh * k1, tau_mid, phase)
            k3 = deriv(s + half_hh * k2, tau_mid, phase)
            k4 = deriv(s + hh * k3, tau + h, phase)
            s = s + sixth_hh * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            tau = tau + h
            nodes_t.append(tau)
            nodes_s.append(s)
    T = np.stack(nodes_t, axis=1)  # (K, S)
    S = np.stack(nodes_s, axis=1)  # (K, S, 6)
    tq = t_rel_s[None, :] - t_l[:, None]  # (K, M) time since launch
    return tq, T, S, p0, j_burnout


def _hermite(
    T: FloatArray, S: FloatArray, tq: FloatArray, *, velocity: bool
) -> tuple[FloatArray, FloatArray | None]:
    """Cubic Hermite interpolation of node states S (K, S, 6) at node times T (K, S) to query times
    tq (K, M): positions (K, M, 3) and, with ``velocity``, their time derivative (K, M, 3)."""
    # Node index left of each query time, per parameter set (searchsorted "right" - 1 on each row).
    j = np.clip((T[:, None, :] <= tq[:, :, None]).sum(axis=2) - 1, 0, T.shape[1] - 2)  # (K, M)
    t0 = np.take_along_axis(T, j, axis=1)
    t1 = np.take_along_axis(T, j + 1, axis=1)
    hseg = np.where(t1 > t0, t1 - t0, 1.0)
    u = np.clip((tq - t0) / hseg, 0.0, 1.0)[..., None]
    S0 = np.take_along_axis(S, j[..., None], axis=1)  # (K, M, 6): position, velocity at the nodes
    S1 = np.take_along_axis(S, (j + 1)[..., None], axis=1)
    # Cubic Hermite on [0, 1] with position and velocity at both nodes (Burden & Faires, 3.4).
    h00 = 2 * u**3 - 3 * u**2 + 1
    h10 = u**3 - 2 * u**2 + u
    h01 = -2 * u**3 + 3 * u**2
    h11 = u**3 - u**2
    hs = hseg[..., None]
    p = h00 * S0[..., :3] + h10 * hs * S0[..., 3:] + h01 * S1[..., :3] + h11 * hs * S1[..., 3:]
    if not velocity:
        return p, None
    # d/dt of the same polynomial: the basis derivatives over the segment length.
    d00 = (6 * u**2 - 6 * u) / hs
    d10 = 3 * u**2 - 4 * u + 1
    d01 = (-6 * u**2 + 6 * u) / hs
    d11 = 3 * u**2 - 2 * u
    v = d00 * S0[..., :3] + d10 * S0[..., 3:] + d01 * S1[..., :3] + d11 * S1[..., 3:]
    return p, v


def _residuals(theta: FloatArray, data: BoostData, frame: BoostFitFrame) -> FloatArray:
    """Whitened residuals (K, 2R + 3Q + priors) of K parameter sets in ``frame``: burn-through
    heights, ray angles, plot positions, then the priors."""
    t_ref, lat0, lon0, alt0 = frame.t_ref_unix_s, frame.lat0_rad, frame.lon0_rad, frame.alt0_m
    th = np.atleast_2d(theta)
    na = data.alt_t.size
    t_all = np.concatenate([data.ray_t, data.pt_t, data.alt_t - 0.5, data.alt_t + 0.5]) - t_ref
    pos = boost_model_positions(th, t_all, lat0, lon0, alt0)
    nr = data.ray_t.size
    nq = nr + data.pt_t.size
    out = []
    if na:
        h_lo = altitude_fast_m(pos[:, nq : nq + na])
        h_hi = altitude_fast_m(pos[:, nq + na :])
        vz = np.maximum(h_hi - h_lo, 50.0)  # climb rate (m/s) over the 1 s difference
        # Height error at the crossing time expressed as a time error (s) over its sigma.
        out.append((0.5 * (h_lo + h_hi) - data.alt_h[None]) / (vz * data.alt_sig_t[None]))
    if nr:
        w = pos[:, :nr] - data.ray_origin[None]
        uh = w / np.linalg.norm(w, axis=2, keepdims=True)
        # Angular residual in the plane normal to the measured line of sight (small-angle, rad / sigma).
        d = (uh - data.ray_u[None]) / data.ray_sigma[None, :, None]
        b1, b2 = _normal_basis(data.ray_u)
        out += [np.einsum("kmi,mi->km", d, b1), np.einsum("kmi,mi->km", d, b2)]
    if data.pt_t.size:
        r = pos[:, nr:nq] - data.pt_pos[None]
        wr = np.einsum("mij,kmj->kmi", data.pt_white, r)
        out.append(wr.reshape(th.shape[0], -1))
    # Weak class-free priors that fix the rocket-equation degeneracy between launch time and thrust
    # (a(t) = a0 / (1 - q (t - t_L)) is the same curve for a family of (a0, q, t_L)): lift-off thrust
    # acceleration of ballistic missiles ~ T/W 1.5-3.5 and single-stage propellant mass fraction
    # 0.55-0.85 (Sutton & Biblarz, Rocket Propulsion Elements, 9th ed., ch. 4 and table 4-1).
    out.append(((th[:, 5] * 10.0 - _PRIOR_ACCEL_MPS2) / _PRIOR_ACCEL_SIGMA)[:, None])
    out.append(
        ((th[:, 6] / 100.0 * th[:, 7] * 10.0 - _PRIOR_MASS_FRACTION) / _PRIOR_MASS_FRACTION_SIGMA)[:, None]
    )
    # Pad height: the terrain model's height with its sigma (a floor keeps a known height well posed).
    out.append((th[:, 8] * 1000.0 / max(frame.pad_sigma_m, _PAD_SIGMA_FLOOR_M))[:, None])
    return np.concatenate(out, axis=1)


def _normal_basis(u: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Two unit vectors (M, 3) orthogonal to unit vectors u (M, 3) and to each other."""
    ref = np.where((np.abs(u[:, 2]) < 0.9)[:, None], np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0]))
    b1 = np.cross(u, ref)
    b1 /= np.linalg.norm(b1, axis=1, keepdims=True)
    return b1, np.cross(u, b1)


@dataclass(frozen=True)
class BoostFitFrame:
    """The fixed frame of one boost fit: reference point (rad, rad, m above the ellipsoid: the terrain
    model's height), reference time (Unix s), the parameter sets (9,) its least-squares runs start from,
    in order, and the terrain model's height sigma there (m; the pad height's prior)."""

    lat0_rad: float
    lon0_rad: float
    alt0_m: float
    t_ref_unix_s: float
    starts: tuple[FloatArray, ...]
    pad_sigma_m: float = 0.0


def boost_fit_frame(
    guess_ecef_m: FloatArray,
    guess_vel_mps: FloatArray,
    guess_t_unix_s: float,
    *,
    terrain: Terrain,
    warm: FloatArray | None = None,
    multi_start: bool = False,
) -> BoostFitFrame:
    """Reference frame and starting points of a boost fit (see :func:`boost_measurement_fit`)."""
    la, lo, h = ecef_to_geodetic(guess_ecef_m)
    lat0, lon0 = float(la), float(lon0_ := lo)
    alt0 = float(terrain.height_m(np.degrees(lat0), np.degrees(lon0_)))
    pad_sigma = float(terrain.height_sigma_m(np.degrees(lat0), np.degrees(lon0_)))
    R = enu_rotation(lat0, lon0)
    v_enu = R @ guess_vel_mps
    az0 = math.atan2(v_enu[0], v_enu[1])
    h_up = max(float(h) - alt0, 1000.0)
    # Time to climb h_up from rest at the prior net acceleration (a0 - g): independent of the track's
    # early velocity, which is poor for infrared-only tracks.
    tau0 = min(max(math.sqrt(2.0 * h_up / (_PRIOR_ACCEL_MPS2 - 9.81)), 10.0), 120.0)
    # Launch point: back along the horizontal velocity by the mean horizontal speed (half the current).
    back = 0.5 * tau0 * 0.5 * v_enu[:2]
    starts = [
        np.array([-back[0] / 1000, -back[1] / 1000, -tau0, az0, math.radians(loft_deg), 2.5, 1.0, 7.0, 0.0])
        for loft_deg in (60.0, 75.0, 85.0)
    ]
    if warm is not None and warm.size < _N_PAR:
        warm = np.concatenate([warm, np.zeros(_N_PAR - warm.size)])  # a fit kept before the pad height
    if warm is not None:
        # Refits start from the last solution; the final fit (``multi_start``) also from the fresh
        # starts, so that an early local minimum is not carried to the end.
        starts = [warm, *starts] if multi_start else [warm]
    return BoostFitFrame(lat0, lon0, alt0, guess_t_unix_s, tuple(starts), pad_sigma)


def boost_fit_run(data: BoostData, frame: BoostFitFrame, start: FloatArray) -> OptimizeResult | None:
    """One least-squares run of the boost fit from ``start`` (9,); None when the solver fails.

    The unit of work of a fit (up to ``max_nfev`` model evaluations, ~0.1-0.3 s of CPU): a
    multi-start fit is several of these, and the launch estimator may spread them over updates.
    """
    # The model integration costs the same for 1 or 9 parameter sets (numpy call overhead), and the
    # solver asks for the Jacobian at the very point whose residuals it just took when it accepts a
    # step: so each residual call integrates the point with its 9 forward-difference neighbours and
    # keeps the Jacobian for that call (the launch-ir study: fit calls 1,630 -> 902, CPU -30 %).
    kept: dict[bytes, FloatArray] = {}

    def fun(th: FloatArray) -> FloatArray:
        r, J = _residuals_and_jacobian(th, data, frame)
        kept.clear()
        kept[th.tobytes()] = J
        return r

    def jac(th: FloatArray) -> FloatArray:
        got = kept.get(th.tobytes())
        return got if got is not None else _residuals_and_jacobian(th, data, frame)[1]

    x0 = np.clip(start, _LB + 1e-6, _UB - 1e-6)
    try:
        res: OptimizeResult = least_squares(
            fun,
            x0,
            jac=jac,
            bounds=(_LB, _UB),
            loss="soft_l1",
            f_scale=3.0,
            x_scale="jac",
            # 9 parameters with the pad height: the radar-plot fits of tests/predict/test_launch_fit.py
            # converge in 66-116 evaluations (60 stopped them 250 m and 2 s short).
            max_nfev=_MAX_NFEV,
        )
    except (ValueError, np.linalg.LinAlgError):
        return None
    return res


def boost_fit_better(best: OptimizeResult | None, res: OptimizeResult | None) -> OptimizeResult | None:
    """The better of two runs (the lower cost; the earlier on a tie or a failed run)."""
    if res is None:
        return best
    return res if best is None or res.cost < best.cost else best


def boost_fit_parameter_cov(best: OptimizeResult) -> FloatArray | None:
    """Covariance (9, 9) of a boost fit's parameters: (J^T J)^+ scaled by the reduced chi-square when
    it exceeds 1 (model error; Bevington & Robinson, Data Reduction and Error Analysis, 3rd ed., 8.5),
    None when it cannot be formed."""
    J = best.jac
    r = best.fun
    dof = max(r.size - _N_PAR, 1)
    scale = max(float(r @ r) / dof, 1.0)
    try:
        C = np.linalg.pinv(J.T @ J) * scale
    except np.linalg.LinAlgError:
        return None
    return np.asarray(C, dtype=np.float64) if np.isfinite(C).all() else None


def boost_fit_result(
    frame: BoostFitFrame, best: OptimizeResult | None
) -> tuple[tuple[float, float, float, float, FloatArray], FloatArray] | None:
    """The launch estimate (lat_deg, lon_deg, t_unix_s, t_sigma_s, cov_en_m2) and parameters (9,) of
    the best run, or None when there is none or it is not finite."""
    if best is None or not np.isfinite(best.x).all():
        return None
    C = boost_fit_parameter_cov(best)
    if C is None:
        return None
    th = best.x
    lat0, lon0, alt0 = frame.lat0_rad, frame.lon0_rad, frame.alt0_m
    mean = enu_to_ecef(np.array([th[0] * 1000.0, th[1] * 1000.0, th[8] * 1000.0]), lat0, lon0, alt0)
    la1, lo1, _ = ecef_to_geodetic(mean)
    cov = C[:2, :2] * 1e6 + np.eye(2) * _FIT_POS_FLOOR_M**2
    est = (
        float(np.degrees(la1)),
        float(np.degrees(lo1)),
        frame.t_ref_unix_s + float(th[2]),
        math.sqrt(C[2, 2] + _FIT_T_FLOOR_S**2),
        cov,
    )
    return est, th


def boost_measurement_fit(
    data: BoostData,
    guess_ecef_m: FloatArray,
    guess_vel_mps: FloatArray,
    guess_t_unix_s: float,
    *,
    terrain: Terrain,
    warm: FloatArray | None = None,
    multi_start: bool = False,
) -> tuple[tuple[float, float, float, float, FloatArray], FloatArray] | None:
    """Launch point and time from raw early measurements by a boost-model batch fit.

    Least squares (``scipy.optimize.least_squares``, trust-region reflective, soft-L1 loss against
    stray associations) of :func:`boost_model_positions` to the rays and plots, started from a few
    pitch-over elevations about a guess from the first track state (position (3,) m, velocity (3,)
    m/s at ``guess_t_unix_s``). Covariance from the Jacobian, (J^T J)^-1 scaled by the reduced
    chi-square when it exceeds 1 (model error). Returns (lat_deg, lon_deg, t_unix_s, t_sigma_s,
    cov_en_m2) and the fitted parameters (9,), or None when the fit fails. ``warm`` (parameters of
    an earlier fit with the same guess) replaces the multi-start. The same as
    :func:`boost_fit_frame`, then :func:`boost_fit_run` from each start, then :func:`boost_fit_result`.
    """
    if data.size < _MIN_FIT_MEASUREMENTS:
        return None
    frame = boost_fit_frame(
        guess_ecef_m, guess_vel_mps, guess_t_unix_s, terrain=terrain, warm=warm, multi_start=multi_start
    )
    best = None
    for start in frame.starts:
        best = boost_fit_better(best, boost_fit_run(data, frame, start))
    return boost_fit_result(frame, best)


def _residuals_and_jacobian(
    theta: FloatArray, data: BoostData, frame: BoostFitFrame
) -> tuple[FloatArray, FloatArray]:
    """Residuals (R,) at ``theta`` (9,) and their forward-difference Jacobian (R, 9), the point and
    its perturbed parameter sets integrated in one batch."""
    step = np.array([1e-3, 1e-3, 1e-2, 1e-5, 1e-5, 1e-4, 1e-4, 1e-3, 1e-3])
    th = np.repeat(np.asarray(theta, dtype=np.float64)[None], _N_PAR + 1, axis=0)
    th[1:] += np.diag(step)
    r = _residuals(th, data, frame)
    return r[0], np.asarray(((r[1:] - r[0]) / step[:, None]).T, dtype=np.float64)


# --- burnout and coasting state from the boost fit -------------------------------------------------------
# The fit pins the whole powered arc with 8 parameters, so its state at and after burnout is much tighter
# than an infrared-only filter's, whose thrust is a random walk (issue 5: IR-only impact). Its parameter
# covariance is carried to the state by Stirling interpolation (divided differences; Norgaard, Poulsen,
# Ravn, Automatica 36(11), 2000, DD1 with h^2 = 3, the Gaussian kurtosis): central differences along the
# columns of a square root of the parameter covariance, PSD by construction and robust to the bounded
# parameters that a sigma point far in a tail would leave.
_DD_H = math.sqrt(3.0)
# The thrust must have ended at least this many sigmas of the fitted burnout time before the newest
# fitted measurement (the data show the coast, so the burn time is measured, not extrapolated) and before
# the time of the coasting state.
_BURNOUT_MARGIN_SIGMA = 3.0
# Model-error floor (1 sigma) of the fitted state: the drag-free constant-thrust model with generic rise
# and pitch-over times against a real ascent (drag of 1-3 m/s^2 at 20-40 km absorbed into the thrust,
# staging, steering).
_FIT_STATE_FLOOR_POS_M = 300.0
_FIT_STATE_FLOOR_VEL_MPS = 15.0


@dataclass(frozen=True)
class BoostFitState:
    """One converged boost fit kept for its state: frame, parameters (9,), parameter covariance
    (9, 9), the time (Unix s) of the newest measurement it fitted, whether it fitted infrared lines of
    sight only, and the longest revisit (s) of their sensors."""

    frame: BoostFitFrame
    theta: FloatArray
    cov: FloatArray
    t_last_unix_s: float
    ir_only: bool = False  # fitted to infrared lines of sight only
    revisit_s: float = 0.0  # longest revisit of the infrared sensors in the data (s)


@dataclass(frozen=True)
class FitStates:
    """States implied by a boost fit (SI units, ECEF). ``burnout`` (7,): burnout time (Unix s), position
    (m), velocity (m/s) with covariance ``burnout_cov`` (7, 7); ``coast_state`` (6,) position and velocity at
    ``coast_t_unix_s`` with covariance ``coast_cov`` (6, 6), NaN when the fit does not show the thrust
    ended by then (see :func:`boost_fit_states`)."""

    burnout: FloatArray
    burnout_cov: FloatArray
    coast_t_unix_s: float
    coast_state: FloatArray
    coast_cov: FloatArray


def boost_fit_states(
    fit: BoostFitState, t_eval_unix_s: float, *, burnout_by_unix_s: float | None = None
) -> FitStates:
    """Burnout state of a boost fit and its coasting state at ``t_eval_unix_s``, with covariances.

    The model (:func:`boost_model_states`) is integrated for the fitted parameters and for the
    parameters moved by +-h along each column of a square root of their covariance; state means are
    the centre's, covariances sum (f(+) - f(-))(f(+) - f(-))^T / (4 h^2) over the columns (DD1,
    Norgaard et al. 2000), plus a model-error floor on position and velocity.

    ``burnout_by_unix_s``: the thrust is known to have ended by then (an infrared-only track whose
    plume was seen until then: a sensor sees the object only while it is hot), so each parameter set's
    burn time is cut there. Without it the burn time is only measured when the fit saw the coast, so
    the coasting state is given only when the thrust ended ``_BURNOUT_MARGIN_SIGMA`` sigmas of the
    burnout time before the newest fitted measurement. Either way it needs ``t_eval_unix_s`` after
    the thrust; otherwise the coasting state is NaN.
    """
    fr = fit.frame
    lam, vec = np.linalg.eigh(0.5 * (fit.cov + fit.cov.T))
    root = vec * np.sqrt(np.maximum(lam, 0.0))  # columns: a square root of the covariance
    th = np.concatenate([fit.theta[None], fit.theta[None] + _DD_H * root.T, fit.theta[None] - _DD_H * root.T])
    if burnout_by_unix_s is not None:
        # Burn time (10 s units) of each set cut at the known end of thrust, relative to its launch.
        th[:, 7] = np.minimum(th[:, 7], (burnout_by_unix_s - fr.t_ref_unix_s - th[:, 2]) / 10.0)
    t_rel = np.array([t_eval_unix_s - fr.t_ref_unix_s])
    pos, vel, bo = boost_model_states(th, t_rel, fr.lat0_rad, fr.lon0_rad, fr.alt0_m)
    bo = bo.copy()
    bo[:, 0] += fr.t_ref_unix_s
    n = fit.theta.size

    def dd1(f: FloatArray) -> FloatArray:
        d = f[1 : n + 1] - f[n + 1 :]
        return np.asarray(d.T @ d / (4.0 * _DD_H**2), dtype=np.float64)

    floor = np.array([_FIT_STATE_FLOOR_POS_M] * 3 + [_FIT_STATE_FLOOR_VEL_MPS] * 3) ** 2
    bo_cov = dd1(bo)
    bo_cov[1:, 1:] += np.diag(floor)
    if burnout_by_unix_s is not None:
        ended = float(np.max(bo[:, 0]))  # every set's thrust has ended by this time
        measured = True
    else:
        ended = float(bo[0, 0]) + _BURNOUT_MARGIN_SIGMA * math.sqrt(max(float(bo_cov[0, 0]), 0.0))
        measured = ended <= fit.t_last_unix_s
    coast_state = np.full(6, np.nan)
    coast_cov = np.full((6, 6), np.nan)
    if measured and ended <= t_eval_unix_s and np.isfinite(bo_cov).all():
        x6 = np.concatenate([pos[:, 0], vel[:, 0]], axis=1)  # (2n + 1, 6)
        coast_state = x6[0].copy()
        coast_cov = dd1(x6) + np.diag(floor)
    return FitStates(bo[0].copy(), bo_cov, float(t_eval_unix_s), coast_state, coast_cov)
