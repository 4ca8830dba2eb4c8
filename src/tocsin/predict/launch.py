"""Launch point and time from the early part of each track (algorithms.md section 3.5).

A :class:`LaunchEstimator` keeps, per track id, the posterior states of its first ``window_s`` seconds
(the predictor is called after every tracker update). From them:

- boosting tracks (boost mode seen): a boost-profile template fitted to the early positions by batch
  least squares, p(t) = p_L + a tau^2 / 2 + j tau^3 / 6 per local axis with tau = t - t_L and the
  launch on the ground (up(t_L) = launch height): a vertical rise under nearly constant thrust
  acceleration whose growth and pitch-over the jerk term absorbs (after Li, Kirubarajan, Bar-Shalom,
  Yeddanapudi, IEEE Aerospace Conf. 1999). t_L is found by a 1-D search, the rest is linear. Uses
  positions only, so it works for IR-only (triangulated) tracks;
- ballistic tracks (rockets, mortars, tracks first seen after burnout): ballistic back-extrapolation:
  the newest early posterior (which already fuses every early measurement) is carried back to the
  launch height with drag, J2 and rotation by an unscented transform, giving the launch point and
  time with covariance.

State kept between calls is plain arrays in a dict keyed by track id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tocsin._types import FloatArray, IntArray
from tocsin.geo.frames import ecef_to_enu, ecef_to_geodetic, enu_rotation, enu_to_ecef
from tocsin.predict.ground import propagate_batch_to_ground
from tocsin.track.types import TrackSnapshot

_MIN_POINTS_TEMPLATE = 6
_TL_SEARCH_S = 150.0  # launch at most this long before the first track point
_TL_GRID_S = 0.25


@dataclass(frozen=True)
class LaunchEstimates:
    """Launch estimates aligned with a snapshot's tracks; NaN where not (yet) estimated."""

    lat_deg: FloatArray  # (N,)
    lon_deg: FloatArray  # (N,)
    t_unix_s: FloatArray  # (N,)
    t_sigma_s: FloatArray  # (N,)
    cov_en_m2: FloatArray  # (N, 2, 2)

    def select(self, idx: IntArray) -> LaunchEstimates:
        """The estimates at positions ``idx`` (in that order)."""
        return LaunchEstimates(
            self.lat_deg[idx], self.lon_deg[idx], self.t_unix_s[idx], self.t_sigma_s[idx], self.cov_en_m2[idx]
        )


@dataclass
class _History:
    t: list[float] = field(default_factory=list)
    x: list[FloatArray] = field(default_factory=list)
    P: list[FloatArray] = field(default_factory=list)
    boost: list[float] = field(default_factory=list)
    result: tuple[float, float, float, float, FloatArray] | None = None
    dirty: bool = True
    t_estimated: float = -np.inf  # track time of the last estimate (s)


# Rockets and mortars (unguided, no boost seen by a counter-battery radar) fly at most ~1 km/s; faster
# objects first seen ballistic are missiles whose boost was not observed.
_MAX_BALLISTIC_LAUNCH_SPEED_MPS = 1200.0


@dataclass
class LaunchEstimator:
    """Per-track early-history store and launch-point estimator (SI units, heights in m)."""

    window_s: float = 40.0
    max_points: int = 60
    launch_alt_m: float = 0.0
    boost_threshold: float = 0.5
    min_points: int = 3
    # The fit is costly and the launch point changes little between updates: refit at most this often
    # (s of track time), and always once the early window is complete.
    refit_s: float = 5.0
    tracks: dict[str, _History] = field(default_factory=dict)

    def update(self, snapshot: TrackSnapshot) -> LaunchEstimates:
        """Record the snapshot's early states and return launch estimates for its tracks."""
        n = len(snapshot)
        out_lat = np.full(n, np.nan)
        out_lon = np.full(n, np.nan)
        out_t = np.full(n, np.nan)
        out_ts = np.full(n, np.nan)
        out_cov = np.full((n, 2, 2), np.nan)
        live = set(snapshot.track_ids)
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
                h.dirty = True
            window_done = t - first > self.window_s or len(h.t) >= self.max_points
            due = h.result is None or window_done or h.t[-1] - h.t_estimated >= self.refit_s
            if h.dirty and len(h.t) >= self.min_points and due:
                h.result = self._estimate(h)
                h.dirty = False
                h.t_estimated = h.t[-1]
            if h.result is not None:
                out_lat[i], out_lon[i], out_t[i], out_ts[i], out_cov[i] = h.result
        return LaunchEstimates(out_lat, out_lon, out_t, out_ts, out_cov)

    def _estimate(self, h: _History) -> tuple[float, float, float, float, FloatArray] | None:
        if max(h.boost) >= self.boost_threshold and len(h.t) >= _MIN_POINTS_TEMPLATE:
            return boost_template_fit(
                np.array(h.t), np.array(h.x)[:, :3], np.array(h.P)[:, :3, :3], launch_alt_m=self.launch_alt_m
            )
        if max(h.boost) >= self.boost_threshold:
            return None
        if float(np.linalg.norm(h.x[0][3:6])) > _MAX_BALLISTIC_LAUNCH_SPEED_MPS:
            # First seen after a burnout we did not observe: a ballistic arc back to the ground would
            # ignore the boost and land beyond the true launch point, so give no estimate.
            return None
        return ballistic_back_extrapolation(h.t[-1], h.x[-1], h.P[-1], launch_alt_m=self.launch_alt_m)


def ballistic_back_extrapolation(
    t_unix_s: float, x: FloatArray, P: FloatArray, *, launch_alt_m: float = 0.0, ut_lambda: float = 1.0
) -> tuple[float, float, float, float, FloatArray] | None:
    """Launch point of a ballistic object from one posterior [r, v, ln beta] (7,) and covariance (7, 7).

    Returns (lat_deg, lon_deg, t_unix_s, t_sigma_s, cov_en_m2) or None when the back-propagation does
    not reach the launch height. Unscented transform, sigma points integrated backward in time.
    """
    nd = 7
    try:
        L = np.linalg.cholesky(P) * math.sqrt(nd + ut_lambda)
    except np.linalg.LinAlgError:
        return None
    sig = np.vstack([x, x + L.T, x - L.T])
    w = np.full(2 * nd + 1, 0.5 / (nd + ut_lambda))
    w[0] = ut_lambda / (nd + ut_lambda)
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
        math.sqrt(cov[2, 2]),
        cov[:2, :2],
    )


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
