"""tocsin.track: multi-sensor IMM tracker (ECEF, J2 + drag physics), association, initiation, OOSM."""

from tocsin.track.models import IrModel, RadarModel, ScanInput
from tocsin.track.tracker import Tracker, TrackerConfig
from tocsin.track.types import MODE_NAMES, STATE_DIM, TrackSnapshot

__all__ = [
    "MODE_NAMES",
    "STATE_DIM",
    "IrModel",
    "RadarModel",
    "ScanInput",
    "TrackSnapshot",
    "Tracker",
    "TrackerConfig",
]
