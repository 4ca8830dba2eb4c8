"""The track picture handed from the tracker to prediction: plain arrays, no per-track objects.

State convention (every stage after ingest): ECEF WGS-84, SI units,
``x = [x_m, y_m, z_m, vx_mps, vy_mps, vz_mps, ln(beta_kg_m2)]`` (algorithms.md section 2: ln beta is
positive-definite and nearer Gaussian than beta).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tocsin._types import FloatArray, IntArray

STATE_DIM = 7
#: IMM flight-phase modes, in the column order of ``mode_prob``.
MODE_NAMES: tuple[str, ...] = ("boost", "ballistic", "reentry")


@dataclass(frozen=True)
class TrackSnapshot:
    """Confirmed tracks after a tracker step.

    Each track's state is given at its own last update time ``t_update_unix_s``; consumers propagate
    from there. ``boost_accel_mps2`` is the estimated non-gravitational (thrust) acceleration while the
    boost mode is likely, zeros otherwise.
    """

    t_unix_s: float  # time of the newest measurement the tracker has used
    track_ids: tuple[str, ...]
    t_update_unix_s: FloatArray  # (N,)
    x: FloatArray  # (N, 7)
    P: FloatArray  # (N, 7, 7)
    mode_prob: FloatArray  # (N, len(MODE_NAMES))
    boost_accel_mps2: FloatArray  # (N, 3)
    first_t_unix_s: FloatArray  # (N,) time of the track's first measurement
    n_updates: IntArray  # (N,)
    # (N,) radar updates per track (0: fed by infrared lines of sight only); empty where not known.
    n_radar: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.track_ids)

    def select(self, idx: IntArray) -> TrackSnapshot:
        """The tracks at positions ``idx`` (in that order), same time."""
        return TrackSnapshot(
            t_unix_s=self.t_unix_s,
            track_ids=tuple(self.track_ids[i] for i in idx.tolist()),
            t_update_unix_s=self.t_update_unix_s[idx],
            x=self.x[idx],
            P=self.P[idx],
            mode_prob=self.mode_prob[idx],
            boost_accel_mps2=self.boost_accel_mps2[idx],
            first_t_unix_s=self.first_t_unix_s[idx],
            n_updates=self.n_updates[idx],
            n_radar=self.n_radar[idx] if self.n_radar.shape == self.n_updates.shape else self.n_radar,
        )

    @staticmethod
    def empty(t_unix_s: float) -> TrackSnapshot:
        """A snapshot with no tracks."""
        return TrackSnapshot(
            t_unix_s=t_unix_s,
            track_ids=(),
            t_update_unix_s=np.zeros(0),
            x=np.zeros((0, STATE_DIM)),
            P=np.zeros((0, STATE_DIM, STATE_DIM)),
            mode_prob=np.zeros((0, len(MODE_NAMES))),
            boost_accel_mps2=np.zeros((0, 3)),
            first_t_unix_s=np.zeros(0),
            n_updates=np.zeros(0, dtype=np.int64),
        )
