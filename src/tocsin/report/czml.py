"""CZML export (czml3 4.0.0) of a run for a 3-D replay in Cesium: tracks and predicted impact ellipses.

Packets:
- ``document``: version and a clock spanning the run;
- ``track/<id>``: one per track, a time-tagged position (``cartographicDegrees``: seconds after the
  epoch, lon, lat, height, lon first), a point, a label and a trailing ``Path``;
- ``impact/<id>``: one per track with predictions, its mean predicted impact point over time with the
  95 % ellipse (semi-axes in metres, rotation in radians counter-clockwise from east: Cesium's
  convention), available from the first prediction to the last predicted impact;
- ``truth-impact/<object>``: true impact points when the scenario is given.

Gotchas handled (ecosystem.md §10): lon before lat; ``Path.material`` must be a ``PolylineMaterial``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from czml3 import CZML_VERSION, Document, Packet
from czml3.properties import (
    Clock,
    Color,
    Ellipse,
    Label,
    Material,
    Point,
    PolylineMaterial,
    Position,
    SolidColorMaterial,
)
from czml3.properties import (
    Path as CzmlPath,
)
from czml3.types import NumberValue, TimeInterval

if TYPE_CHECKING:
    from tocsin.report.data_model import PredictionSeries, ReportData, TrackSeries

PALETTE = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
]


def _iso(t_unix_s: float) -> str:
    return datetime.fromtimestamp(t_unix_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _track_packet(tr: TrackSeries, epoch_s: float, rgb: list[int]) -> Packet:
    lat, lon, alt = tr.geodetic_deg()
    samples = np.column_stack([tr.t_unix_s - epoch_s, lon, lat, alt]).ravel().tolist()
    return Packet(
        id=f"track/{tr.track}",
        name=f"track {tr.track}",
        availability=TimeInterval(start=_iso(float(tr.t_unix_s[0])), end=_iso(float(tr.t_unix_s[-1]))),
        position=Position.model_validate(
            {
                "epoch": _iso(epoch_s),
                "cartographicDegrees": samples,
                "interpolationAlgorithm": "LAGRANGE",
                "interpolationDegree": min(3, max(1, tr.t_unix_s.size - 1)),
            }
        ),
        point=Point(pixelSize=8, color=Color(rgba=[*rgb, 255])),
        label=Label(text=tr.track, show=True),
        path=CzmlPath(
            material=PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=[*rgb, 255]))),
            width=2,
            leadTime=0,
            trailTime=3600,
            resolution=5,
        ),
    )


def _impact_packet(p: PredictionSeries, epoch_s: float, rgb: list[int]) -> Packet:
    major, minor, angle = p.ellipse95_m()
    major = np.maximum(major, 1.0)
    minor = np.clip(minor, 1.0, major)
    dt = p.t_unix_s - epoch_s
    pos = np.column_stack([dt, p.impact_lon_deg, p.impact_lat_deg, np.zeros_like(dt)]).ravel().tolist()

    def series(v: np.ndarray) -> NumberValue:
        return NumberValue.model_validate(
            {"epoch": _iso(epoch_s), "number": np.column_stack([dt, v]).ravel().tolist()}
        )

    # Only plausible impact times bound the packet (a run's file may hold any number there).
    t_imp = np.asarray(p.impact_t_unix_s, dtype=np.float64)
    t_imp = t_imp[np.isfinite(t_imp) & (t_imp < float(p.t_unix_s[-1]) + 86400.0)]
    end = max(float(t_imp.max()) if t_imp.size else float(p.t_unix_s[-1]), float(p.t_unix_s[-1]))
    return Packet(
        id=f"impact/{p.track}",
        name=f"predicted impact {p.track} (95 %)",
        availability=TimeInterval(start=_iso(float(p.t_unix_s[0])), end=_iso(end)),
        position=Position.model_validate({"epoch": _iso(epoch_s), "cartographicDegrees": pos}),
        ellipse=Ellipse(
            semiMajorAxis=series(major),
            semiMinorAxis=series(minor),
            rotation=series(angle),
            material=Material(solidColor=SolidColorMaterial(color=Color(rgba=[*rgb, 80]))),
            outline=True,
            outlineColor=Color(rgba=[*rgb, 255]),
        ),
    )


def build_czml(data: ReportData) -> Document:
    """A czml3 ``Document`` of the run's tracks and predicted impact ellipses (and true impacts)."""
    times = [float(t.t_unix_s[0]) for t in data.tracks.values() if t.t_unix_s.size]
    times += [float(p.t_unix_s[0]) for p in data.predictions.values() if p.t_unix_s.size]
    ends = [float(t.t_unix_s[-1]) for t in data.tracks.values() if t.t_unix_s.size]
    ends += [e.impact_t_unix_s for e in data.events if e.has_impact]
    epoch = min(times) if times else data.t0_unix_s
    stop = max(ends) + 60.0 if ends else epoch + 60.0
    packets = [
        Packet(
            id="document",
            name=f"tocsin replay {data.scenario_dir.name}",
            version=CZML_VERSION,
            clock=Clock(
                interval=TimeInterval(start=_iso(epoch), end=_iso(stop)),
                currentTime=_iso(epoch),
                multiplier=10,
            ),
        )
    ]
    names = sorted(set(data.tracks) | set(data.predictions))
    for i, k in enumerate(names):
        rgb = PALETTE[i % len(PALETTE)]
        if k in data.tracks and data.tracks[k].t_unix_s.size:
            packets.append(_track_packet(data.tracks[k], epoch, rgb))
        if k in data.predictions and data.predictions[k].t_unix_s.size:
            packets.append(_impact_packet(data.predictions[k], epoch, rgb))
    for e in data.events:
        if e.has_impact and math.isfinite(e.impact_lat_deg):
            packets.append(
                Packet(
                    id=f"truth-impact/{e.object}",
                    name=f"true impact {e.object} ({e.object_class})",
                    availability=TimeInterval(start=_iso(e.impact_t_unix_s), end=_iso(stop)),
                    position=Position(cartographicDegrees=[e.impact_lon_deg, e.impact_lat_deg, 0.0]),
                    point=Point(pixelSize=10, color=Color(rgba=[0, 0, 0, 255])),
                    label=Label(text=e.object, show=True),
                )
            )
    return Document(packets=packets)


def write_czml(data: ReportData, path: str | Path) -> Path:
    """Write :func:`build_czml` as a ``.czml`` JSON file; returns its path."""
    out = Path(path)
    out.write_text(build_czml(data).dumps(), encoding="utf-8")
    return out
