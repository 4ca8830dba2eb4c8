"""Impact and launch predictions handed from ``predict`` to ``zones``/``alert``: plain arrays.

Status codes say why a track has no usable impact point; a track that cannot reach the ground is
reported as such, never given a fake impact point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tocsin._types import FloatArray, IntArray

STATUS_OK = 0  # ballistic, impact predicted
STATUS_BOOSTING = 1  # still thrusting: impact spread over feasible burnouts (valid, wide)
STATUS_NO_IMPACT = 2  # escape or orbit: does not reach the ground
STATUS_BELOW_GROUND = 3  # state already below the terrain
STATUS_INVALID = 4  # NaN or non-positive-definite covariance
STATUS_NAMES = ("ok", "boosting", "no_impact", "below_ground", "invalid")


@dataclass(frozen=True)
class ImpactPredictions:
    """Predicted impact (and launch) for every confirmed track at one decision time.

    The sample cloud (``samples_*``, shape (N, S), equal weights, NaN where a sample does not reach the
    ground) is what zone probabilities are computed from; the mean and 2x2 east/north covariance
    summarise it for output. Launch fields are NaN until estimated.
    """

    t_unix_s: float
    track_ids: tuple[str, ...]
    status: IntArray  # (N,) STATUS_* codes
    reason: tuple[str, ...]  # (N,) human-readable reason for a non-OK status, "" when OK
    impact_t_unix_s: FloatArray  # (N,)
    impact_t_sigma_s: FloatArray  # (N,)
    impact_lat_deg: FloatArray  # (N,)
    impact_lon_deg: FloatArray  # (N,)
    impact_cov_en_m2: FloatArray  # (N, 2, 2)
    samples_lat_deg: FloatArray  # (N, S)
    samples_lon_deg: FloatArray  # (N, S)
    samples_t_unix_s: FloatArray  # (N, S)
    danger_radius_m: FloatArray  # (N,) from the class estimate
    class_names: tuple[str, ...]  # catalogue classes, column order of class_prob
    class_prob: FloatArray  # (N, C)
    launch_lat_deg: FloatArray  # (N,)
    launch_lon_deg: FloatArray  # (N,)
    launch_t_unix_s: FloatArray  # (N,)
    launch_cov_en_m2: FloatArray  # (N, 2, 2)
    range_class: tuple[str, ...] = ()  # (N,) range class by energy (classify.RANGE_CLASS_NAMES)
    energy_range_m: FloatArray = field(default_factory=lambda: np.zeros(0))  # (N,) min-energy range
    # (N,) radar updates of each track (0: infrared only; -1: not known). Empty where not given.
    radar_updates: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # (N,) 1-sigma of launch_t_unix_s (s); empty where not given.
    launch_t_sigma_s: FloatArray = field(default_factory=lambda: np.zeros(0))

    def __len__(self) -> int:
        return len(self.track_ids)

    def select(self, idx: IntArray) -> ImpactPredictions:
        """The predictions at positions ``idx`` (in that order)."""
        values: dict[str, object] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if f.name in ("track_ids", "reason"):
                values[f.name] = tuple(v[i] for i in idx.tolist())
            elif isinstance(v, np.ndarray):
                values[f.name] = v[idx]
            else:
                values[f.name] = v
        return ImpactPredictions(**values)  # type: ignore[arg-type]

    @staticmethod
    def concat(parts: Sequence[ImpactPredictions], t_unix_s: float) -> ImpactPredictions:
        """Several batches (same classes and sample count) as one set of predictions at ``t_unix_s``."""
        first = parts[0]
        values: dict[str, object] = {"t_unix_s": t_unix_s}
        for f in dataclasses.fields(first):
            if f.name == "t_unix_s":
                continue
            v = getattr(first, f.name)
            if f.name in ("track_ids", "reason"):
                values[f.name] = tuple(x for p in parts for x in getattr(p, f.name))
            elif isinstance(v, np.ndarray):
                values[f.name] = np.concatenate([getattr(p, f.name) for p in parts], axis=0)
            else:
                values[f.name] = v
        return ImpactPredictions(**values)  # type: ignore[arg-type]
