"""True object states for the simulator: many sampled trajectories, queried at any times at once.

A :class:`TrajectoryBank` concatenates the samples of all objects into flat arrays and answers
"where is object i at time t" for arrays of (i, t) pairs with one ``searchsorted`` and a cubic
Hermite interpolation between the bracketing samples (positions and velocities are both sampled, so
the cubic matches both at each end: error O(dt^4 * jerk), centimetres for 0.5 s samples).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tocsin._types import FloatArray, IntArray

PHASE_NAMES = ("boost", "midcourse", "reentry")


@dataclass(frozen=True)
class TrajectoryBank:
    """Samples of N objects, flat. Object i owns rows ``start[i]:start[i + 1]`` (times ascending).

    ``t_unix_s`` (M,), ``pos_ecef_m`` (M, 3), ``vel_ecef_mps`` (M, 3), ``phase`` (M,) ints
    (0 boost, 1 midcourse, 2 re-entry); ``t_first``/``t_last`` (N,) bound each object's samples.
    """

    t_unix_s: FloatArray
    pos_ecef_m: FloatArray
    vel_ecef_mps: FloatArray
    phase: IntArray
    start: IntArray
    t_ref_unix_s: float
    span_s: float

    @classmethod
    def from_arrays(
        cls, times: list[FloatArray], pos: list[FloatArray], vel: list[FloatArray], phase: list[IntArray]
    ) -> TrajectoryBank:
        """Bank from per-object sample arrays (times strictly ascending within each object)."""
        counts = np.array([len(t) for t in times], dtype=np.int64)
        if np.any(counts < 2):
            raise ValueError("every trajectory needs at least two samples")
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        t = np.concatenate(times).astype(np.float64)
        t_ref = float(t.min())
        # A key span larger than any object's time range keeps objects apart in the combined key.
        span = float(2.0 ** np.ceil(np.log2(max(float(t.max()) - t_ref, 1.0) + 2.0)))
        return cls(
            t_unix_s=t,
            pos_ecef_m=np.concatenate(pos).astype(np.float64),
            vel_ecef_mps=np.concatenate(vel).astype(np.float64),
            phase=np.concatenate(phase).astype(np.int64),
            start=start,
            t_ref_unix_s=t_ref,
            span_s=span,
        )

    @property
    def n_objects(self) -> int:
        """Number of objects."""
        return int(len(self.start) - 1)

    @property
    def t_first(self) -> FloatArray:
        """First sample time of each object (unix s)."""
        return self.t_unix_s[self.start[:-1]]

    @property
    def t_last(self) -> FloatArray:
        """Last sample time of each object (unix s)."""
        return self.t_unix_s[self.start[1:] - 1]

    def _key(self, obj: IntArray, t_unix_s: FloatArray) -> FloatArray:
        return np.asarray(obj, dtype=np.float64) * self.span_s + (np.asarray(t_unix_s) - self.t_ref_unix_s)

    def interpolate(self, obj: IntArray, t_unix_s: FloatArray) -> tuple[FloatArray, FloatArray, IntArray]:
        """Position (m), velocity (m/s), ECEF, and phase of objects ``obj`` at times ``t_unix_s``.

        Times must lie within each object's sampled interval. Phase is the phase of the sample at or
        before the time. Cubic Hermite on [p0, v0, p1, v1] (e.g. Burden & Faires, Numerical
        Analysis, sec. 3.4); the velocity is the derivative of the same cubic.
        """
        obj = np.asarray(obj, dtype=np.int64)
        tq = np.asarray(t_unix_s, dtype=np.float64)
        keys = self._key(np.repeat(np.arange(self.n_objects), np.diff(self.start)), self.t_unix_s)
        j = np.searchsorted(keys, self._key(obj, tq), side="right") - 1
        # Clamp to each object's last interval so a query at its final sample uses [K-2, K-1].
        j = np.clip(j, self.start[obj], self.start[obj + 1] - 2)
        t0 = self.t_unix_s[j]
        h = self.t_unix_s[j + 1] - t0
        s = ((tq - t0) / h)[:, None]
        hh = h[:, None]
        p0, p1 = self.pos_ecef_m[j], self.pos_ecef_m[j + 1]
        v0, v1 = self.vel_ecef_mps[j], self.vel_ecef_mps[j + 1]
        s2 = s * s
        s3 = s2 * s
        pos = (
            (2 * s3 - 3 * s2 + 1) * p0
            + (s3 - 2 * s2 + s) * hh * v0
            + (-2 * s3 + 3 * s2) * p1
            + (s3 - s2) * hh * v1
        )
        vel = (
            (6 * s2 - 6 * s) * p0 / hh
            + (3 * s2 - 4 * s + 1) * v0
            + (-6 * s2 + 6 * s) * p1 / hh
            + (3 * s2 - 2 * s) * v1
        )
        ph = np.where(tq >= self.t_unix_s[j + 1], self.phase[j + 1], self.phase[j])
        return np.asarray(pos, dtype=np.float64), np.asarray(vel, dtype=np.float64), np.asarray(ph)
