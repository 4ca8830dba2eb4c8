"""Measurement-noise adaptation per sensor: inflate a declared sigma that the innovations contradict.

A sensors file states each sensor's noise (``sigma_range_m``, ``sigma_los_deg``, ...), but a real sensor
(or another simulator) may be noisier than declared. Filtering with too small an R makes tracks
over-confident: gates reject good plots, tracks break, impact ellipses shrink around a wrong mean and
a struck zone can be warned late. The cure is covariance matching on the innovations (Mehra, "On the
identification of variances and adaptive Kalman filtering", IEEE TAC 15(2), 1970; Mohamed & Schwarz,
J. Geodesy 73, 1999): for a consistent filter each innovation component y_c, divided by its predicted
variance S_cc = (H P H^T)_cc + R_cc, is chi-square with one degree of freedom.

Per sensor and per measurement component (radar: range, azimuth, elevation, range rate; infrared: the
two line-of-sight components pooled) the tracker collects u_c = y_c^2 / S_cc of settled confirmed
tracks. When ``batch`` samples have accumulated, the component's variance scale lambda_c moves by
``gain`` times log(median(u_c) / 0.4549) in log space (0.4549 = median of chi-square(1); the median
ignores the few clutter plots that win an assignment), but only when the median is ``z_dead`` standard
errors away from 0.4549; the batch is then cleared, so every batch is scored against the R it was
filtered with. lambda stays in [1, ``max_scale``]: the declared sigma is
a floor (a sensor better than declared only costs width, never a missed zone). The state is plain
arrays, part of the tracker's rolled-back core, so out-of-sequence reprocessing stays exact.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from tocsin._types import FloatArray, IntArray
from tocsin.track.models import IrModel, RadarModel, SensorModel

# Median of the chi-square distribution with one degree of freedom (scipy.stats.chi2(1).median()).
_CHI2_1_MEDIAN = 0.45493642311957283
# 1 / (2 f(m)) for that median m, f the chi-square(1) density: exp(-m/2) / sqrt(2 pi m).
_MEDIAN_SE_1 = 1.0 / (2.0 * math.exp(-_CHI2_1_MEDIAN / 2.0) / math.sqrt(2.0 * math.pi * _CHI2_1_MEDIAN))


@dataclass(frozen=True)
class NoiseConfig:
    """Adaptation settings: samples per estimate, log-space gain (0..1], largest variance scale."""

    enabled: bool = True
    batch: int = 200
    gain: float = 0.5
    z_dead: float = 3.0  # move only when the batch median is this many standard errors off
    max_scale: float = 25.0  # variance: sigma up to 5x the declared value
    min_updates: int = 8  # a track's updates before its innovations count (filter settled)


@dataclass
class NoiseState:
    """Per-sensor log variance scales (4 components) and pending normalised squared innovations."""

    log_scale: dict[str, FloatArray] = field(default_factory=dict)
    pending: dict[str, FloatArray] = field(default_factory=dict)

    def copy(self) -> NoiseState:
        """Deep copy (the tracker's checkpoints must not share arrays)."""
        return NoiseState(
            {k: v.copy() for k, v in self.log_scale.items()}, {k: v.copy() for k, v in self.pending.items()}
        )

    def scales(self, sensor_id: str) -> FloatArray:
        """Variance multipliers (4,) of a sensor's components (range, az, el, range rate; IR in [0])."""
        got = self.log_scale.get(sensor_id)
        return np.ones(4) if got is None else np.exp(got)

    def to_plain(self) -> dict[str, dict[str, list[list[float]] | list[float]]]:
        """JSON-friendly form (for tracker checkpoints)."""
        return {
            sid: {
                "log_scale": self.log_scale[sid].tolist(),
                "pending": self.pending.get(sid, np.zeros((0, 4))).tolist(),
            }
            for sid in sorted(self.log_scale)
        }

    @staticmethod
    def from_plain(doc: dict[str, dict[str, list[list[float]] | list[float]]]) -> NoiseState:
        """Inverse of :meth:`to_plain`."""
        out = NoiseState()
        for sid, d in doc.items():
            out.log_scale[sid] = np.asarray(d["log_scale"], dtype=np.float64).reshape(4)
            out.pending[sid] = np.asarray(d["pending"], dtype=np.float64).reshape(-1, 4)
        return out


def scaled_sensor(sensor: SensorModel, scale: FloatArray) -> SensorModel:
    """The sensor with its sigmas multiplied by sqrt(scale) (variance multipliers (4,), see NoiseState)."""
    if np.all(scale == 1.0):
        return sensor
    s = np.sqrt(scale)
    if isinstance(sensor, RadarModel):
        rr = sensor.sigma_range_rate_mps
        return dataclasses.replace(
            sensor,
            sigma_range_m=sensor.sigma_range_m * float(s[0]),
            sigma_az_rad=sensor.sigma_az_rad * float(s[1]),
            sigma_el_rad=sensor.sigma_el_rad * float(s[2]),
            sigma_range_rate_mps=None if rr is None else rr * float(s[3]),
        )
    assert isinstance(sensor, IrModel)
    return dataclasses.replace(sensor, sigma_los_rad=sensor.sigma_los_rad * float(s[0]))


def normalised_squares(y: FloatArray, H: FloatArray, P: FloatArray, R: FloatArray, is_ir: bool) -> FloatArray:
    """u_c = y_c^2 / S_cc per pair (B, 4), NaN where a component does not exist.

    y (B, m) innovations, H (B, m, n) Jacobians, P (B, n, n) predicted covariances, R (m, m) the R used.
    Infrared's two line-of-sight components go to columns 0 and 1 (both scale column 0's lambda).
    """
    s_diag = np.einsum("bij,bjk,bik->bi", H, P, H) + np.diag(R)[None, :]
    u = y**2 / s_diag
    out = np.full((y.shape[0], 4), np.nan)
    out[:, : u.shape[1]] = u
    if is_ir:
        out[:, 2:] = np.nan
    return out


def learn(state: NoiseState, sensor_id: str, u: FloatArray, is_ir: bool, config: NoiseConfig) -> None:
    """Add samples u (B, 4) of one sensor and update its scales when a batch is complete (in place)."""
    if not config.enabled or u.shape[0] == 0:
        return
    pend = np.concatenate([state.pending.get(sensor_id, np.zeros((0, 4))), u])
    if pend.shape[0] < config.batch:
        state.pending[sensor_id] = pend
        return
    log_s = state.log_scale.get(sensor_id, np.zeros(4)).copy()
    groups: list[IntArray] = [np.array([0, 1])] if is_ir else [np.array([c]) for c in range(4)]
    for cols in groups:
        vals = pend[:, cols].ravel()
        vals = vals[np.isfinite(vals)]
        if vals.size < config.batch // 2:
            continue
        med = float(np.median(vals))
        # Standard error of a sample median, 1 / (2 f(m) sqrt(n)) with f the chi-square(1) density at its
        # median m (Cramer, Mathematical Methods of Statistics, 1946, 28.5): sampling noise alone must
        # not move lambda (it would ratchet up against the floor and make every filter conservative).
        if abs(med - _CHI2_1_MEDIAN) < config.z_dead * _MEDIAN_SE_1 / math.sqrt(vals.size):
            continue
        step = config.gain * math.log(max(med / _CHI2_1_MEDIAN, 1e-6))
        log_s[cols[0]] = min(max(log_s[cols[0]] + step, 0.0), math.log(config.max_scale))
    state.log_scale[sensor_id] = log_s
    state.pending[sensor_id] = np.zeros((0, 4))


def sigma_factors(state: NoiseState) -> dict[str, list[float]]:
    """Per sensor, the learnt sigma multipliers (sqrt of the variance scales), for logs and summaries."""
    return {
        sid: [round(float(v), 3) for v in np.sqrt(np.exp(ls))] for sid, ls in sorted(state.log_scale.items())
    }
