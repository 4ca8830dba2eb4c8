"""Engine configuration: every stage's settings in one frozen, JSON-round-trippable object.

The event log stores ``config_to_json(config)`` so that ``tocsin replay`` rebuilds the very same
engine; a settings field added later takes its default when an older log is replayed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tocsin.alert.types import AlertConfig
from tocsin.ingest.records import IngestLimits
from tocsin.predict.impact import PredictConfig
from tocsin.track.launch_detect import LaunchDetectConfig
from tocsin.track.tracker import TrackerConfig
from tocsin.zones.reach import ReachConfig
from tocsin.zones.threat import ThreatEvalConfig


@dataclass(frozen=True)
class EngineConfig:
    """Settings of the warning chain (times in seconds of data time).

    ``lag_s``: how late a record may arrive and still be used (contract section 2: a few seconds).
    ``eager_release``: process a scan as soon as a later record arrives instead of waiting ``lag_s``
    (no added latency on an in-order feed; late scans become out-of-sequence updates).
    ``cycle_s``: prediction and alert decisions run at most this often (and after every scan when 0).
    ``predict_period_fraction``/``predict_max_period_s``: how often each track's impact is re-predicted.
    ``ingest``: plausibility limits on record times (implausible times, clock jumps).
    ``predict_stagger``: spread of re-prediction times across tracks (0 = off).
    ``terrain_m``: ground height (m above the WGS-84 ellipsoid) where impacts end and launches start,
    one constant for the whole theatre; when given it replaces ``predict.terrain.default_alt_m``
    (``predict.terrain.boxes`` still override it inside their lat/lon boxes). None keeps the default.
    """

    lag_s: float = 5.0
    eager_release: bool = True
    cycle_s: float = 1.0
    # A track's impact is re-predicted when its last prediction is older than
    # clip(fraction * time-to-go, cycle_s, max_period_s): every second near impact, every few
    # seconds minutes before it, when predictions change slowly and cost the most.
    predict_period_fraction: float = 0.05
    predict_max_period_s: float = 5.0
    # Stagger s in [0, 1): each track re-predicts after (1 - s * phase) of its period, phase in [0, 1)
    # fixed by its id, so tracks first predicted together (a salvo) spread their re-predictions over
    # cycles instead of all falling due in one. Never later than unstaggered; 0 turns it off.
    predict_stagger: float = 0.0
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    ingest: IngestLimits = field(default_factory=IngestLimits)
    predict: PredictConfig = field(default_factory=PredictConfig)
    threat: ThreatEvalConfig = field(default_factory=ThreatEvalConfig)
    alert: AlertConfig = field(default_factory=AlertConfig)
    # Launch reports from an infrared sensor that no other sees (tocsin.track.launch_detect) and their
    # credible region, every zone within reach (tocsin.zones.reach).
    launch_detect: LaunchDetectConfig = field(default_factory=LaunchDetectConfig)
    reach: ReachConfig = field(default_factory=ReachConfig)
    terrain_m: float | None = None

    def __post_init__(self) -> None:
        if self.terrain_m is None:
            return
        h = float(self.terrain_m)
        # Dead Sea shore (-430 m) to above Everest: a typo (feet, km) must not move every impact.
        if not (math.isfinite(h) and -500.0 <= h <= 9000.0):
            raise ValueError(f"terrain_m must be a height in metres in [-500, 9000], got {self.terrain_m!r}")
        terrain = dataclasses.replace(self.predict.terrain, default_alt_m=h)
        object.__setattr__(self, "terrain_m", h)
        object.__setattr__(self, "predict", dataclasses.replace(self.predict, terrain=terrain))


T = TypeVar("T")


def _to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_to_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    return value


def _from_plain(cls: type[T], data: Any) -> T:
    """Rebuild a (nested) frozen dataclass from ``_to_plain`` output, tuples restored from lists."""
    kwargs: dict[str, Any] = {}
    defaults = cls()
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        current = getattr(defaults, f.name)
        kwargs[f.name] = _revive(current, data[f.name])
    return cls(**kwargs)


def _revive(template: Any, value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__float__"}:
        return float(value["__float__"])
    if dataclasses.is_dataclass(template) and not isinstance(template, type):
        return _from_plain(type(template), value)
    if isinstance(template, tuple):
        inner = template[0] if template else None
        return tuple(_revive(inner, v) for v in value)
    if isinstance(template, dict):
        sample = next(iter(template.values()), None)
        return {k: _revive(sample, v) for k, v in value.items()}
    if isinstance(template, float) and isinstance(value, int):
        return float(value)
    return value


def config_to_json(config: EngineConfig) -> dict[str, Any]:
    """The configuration as JSON-ready plain data (non-finite floats tagged, tuples as lists)."""
    out: dict[str, Any] = _to_plain(config)
    return out


def config_from_json(data: dict[str, Any]) -> EngineConfig:
    """Inverse of :func:`config_to_json`; unknown keys are ignored, missing ones take defaults."""
    return _from_plain(EngineConfig, data)
