"""Everything the after-action report reads, from contract files only (interfaces.md sections 1-5).

A scenario directory (``zones.geojson``, ``events.json``; optionally ``sensors.json``,
``measurements.jsonl``, ``truth.jsonl``) and a run directory (``alerts.jsonl``; optionally
``tracks.jsonl``, ``predictions.jsonl``) are read into numpy arrays grouped per object and per track.
Also here: the track-to-truth association and the episode bars the figures draw.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tocsin._types import FloatArray
from tocsin.eval.truth import ObjectEvent, TruthTable, load_events, load_truth
from tocsin.geo.frames import ecef_to_geodetic
from tocsin.geo.geodesic import geodesic_distance_m
from tocsin.zones.load import ZoneSet, load_zones

# 95 % of a 2-D Gaussian lies inside the k-sigma ellipse with k² = χ²₂(0.95) = -2 ln(0.05) = 5.991.
K95_2D = math.sqrt(-2.0 * math.log(0.05))
LEVEL_RANK = {"pre_alert": 1, "take_cover": 2}


@dataclass(frozen=True)
class TrackSeries:
    """One track's states (``tracks.jsonl``): times (n,) s, ECEF positions (n, 3) m, covariances
    (n, 3, 3) m²."""

    track: str
    t_unix_s: FloatArray
    pos_ecef_m: FloatArray
    cov_pos_m2: FloatArray

    def geodetic_deg(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(lat_deg, lon_deg, alt_m) of every state."""
        lat, lon, alt = ecef_to_geodetic(self.pos_ecef_m)
        return np.degrees(lat), np.degrees(lon), alt


@dataclass(frozen=True)
class PredictionSeries:
    """One track's impact predictions (``predictions.jsonl``), in time order; arrays (n,) unless noted."""

    track: str
    t_unix_s: FloatArray
    impact_t_unix_s: FloatArray
    impact_lat_deg: FloatArray
    impact_lon_deg: FloatArray
    impact_cov_en_m2: FloatArray  # (n, 2, 2), east/north at the mean impact point
    launch_lat_deg: FloatArray  # NaN until the launch point is estimated
    launch_lon_deg: FloatArray

    def ellipse95_m(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """95 % ellipse of every prediction: semi-major, semi-minor axes (m) and the major axis's
        direction (rad, counter-clockwise from east)."""
        w, v = np.linalg.eigh(self.impact_cov_en_m2)  # ascending eigenvalues
        w = np.clip(w, 0.0, None)
        major = K95_2D * np.sqrt(w[:, 1])
        minor = K95_2D * np.sqrt(w[:, 0])
        angle = np.arctan2(v[:, 1, 1], v[:, 0, 1])
        return major, minor, angle


@dataclass
class ReportData:
    """Scenario and run, read once. ``launch`` maps an object to (t_unix_s, lat_deg, lon_deg)."""

    scenario_dir: Path
    run_dir: Path
    zones: ZoneSet
    events: list[ObjectEvent]
    launch: dict[str, tuple[float, float, float]]
    truth: TruthTable | None
    radars: list[tuple[str, float, float]]  # id, lat_deg, lon_deg
    alerts: list[dict[str, Any]]
    tracks: dict[str, TrackSeries]
    predictions: dict[str, PredictionSeries]
    first_detection_s: dict[str, float] = field(default_factory=dict)
    track_object: dict[str, str] = field(default_factory=dict)  # track -> nearest truth object
    track_miss_m: dict[str, float] = field(default_factory=dict)  # its mean distance, m
    name: str = ""  # scenario name (scenario.json / events.json), else the directory name
    sensor_labels: list[str] = field(default_factory=list)  # "id (kind)" of every sensor

    @property
    def title(self) -> str:
        """The scenario's name for titles: ``name`` if set, else the scenario directory's name."""
        return self.name or self.scenario_dir.name

    @property
    def event_by_object(self) -> dict[str, ObjectEvent]:
        """Events keyed by object id."""
        return {e.object: e for e in self.events}

    @property
    def t0_unix_s(self) -> float:
        """Reference time of the figures: first launch, else first alert/prediction (Unix s)."""
        cands = [t for t, _, _ in self.launch.values()]
        if not cands:
            cands = [float(a["t_unix_s"]) for a in self.alerts]
            cands += [float(p.t_unix_s[0]) for p in self.predictions.values() if p.t_unix_s.size]
        return min(cands) if cands else 0.0


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _group(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    out: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        out.setdefault(str(r["track"]), []).append(r)
    for v in out.values():
        v.sort(key=lambda r: float(r["t_unix_s"]))
    return out


def _col(rows: Sequence[Mapping[str, Any]], key: str) -> FloatArray:
    return np.array([float(r[key]) if r.get(key) is not None else math.nan for r in rows], dtype=np.float64)


def read_tracks(path: Path) -> dict[str, TrackSeries]:
    """``tracks.jsonl`` grouped per track (empty if the file is absent)."""
    out: dict[str, TrackSeries] = {}
    for k, rows in _group(_jsonl(path)).items():
        out[k] = TrackSeries(
            k,
            _col(rows, "t_unix_s"),
            np.array([r["pos_ecef_m"] for r in rows], dtype=np.float64).reshape(-1, 3),
            np.array([r["cov_pos_m2"] for r in rows], dtype=np.float64).reshape(-1, 3, 3),
        )
    return out


def read_predictions(path: Path) -> dict[str, PredictionSeries]:
    """``predictions.jsonl`` grouped per track (empty if the file is absent)."""
    out: dict[str, PredictionSeries] = {}
    for k, rows in _group(_jsonl(path)).items():
        out[k] = PredictionSeries(
            k,
            _col(rows, "t_unix_s"),
            _col(rows, "impact_t_unix_s"),
            _col(rows, "impact_lat_deg"),
            _col(rows, "impact_lon_deg"),
            np.array([r["impact_cov_en_m2"] for r in rows], dtype=np.float64).reshape(-1, 2, 2),
            _col(rows, "launch_lat_deg"),
            _col(rows, "launch_lon_deg"),
        )
    return out


def associate_tracks(tracks: Mapping[str, TrackSeries], truth: TruthTable) -> dict[str, tuple[str, float]]:
    """Each track's nearest truth object: the one with the smallest mean distance (m) over the track's
    states that fall inside the object's truth span. Tracks overlapping no object are left out."""
    out: dict[str, tuple[str, float]] = {}
    k = len(truth.objects)
    if k == 0:
        return out
    for name, tr in tracks.items():
        total = np.zeros(k)
        count = np.zeros(k)
        for t, p in zip(tr.t_unix_s.tolist(), tr.pos_ecef_m, strict=True):
            pos, valid = truth.positions_at(t)
            d = np.linalg.norm(pos - p, axis=1)
            total[valid] += d[valid]
            count[valid] += 1
        mean = np.where(count > 0, total / np.maximum(count, 1), np.inf)
        j = int(np.argmin(mean))
        if math.isfinite(mean[j]):
            out[name] = (truth.objects[j], float(mean[j]))
    return out


def associate_by_prediction(
    predictions: Mapping[str, PredictionSeries], events: Sequence[ObjectEvent]
) -> dict[str, tuple[str, float]]:
    """Fallback without tracks or truth: each track's object is the one whose true impact is nearest
    (m) to the track's last predicted impact point."""
    hit = [e for e in events if e.has_impact]
    out: dict[str, tuple[str, float]] = {}
    if not hit:
        return out
    lat = np.array([e.impact_lat_deg for e in hit])
    lon = np.array([e.impact_lon_deg for e in hit])
    for name, p in predictions.items():
        if not p.t_unix_s.size:
            continue
        d = geodesic_distance_m(p.impact_lat_deg[-1], p.impact_lon_deg[-1], lat, lon)
        j = int(np.argmin(d))
        out[name] = (hit[j].object, float(np.asarray(d)[j]))
    return out


def scenario_name(scenario_dir: Path) -> str:
    """The scenario's name: ``scenario.json`` ``name`` (top level or under ``scenario``, as the simulator
    writes it), else an ``events.json`` ``scenario``/``name`` string, else the directory's name."""
    for fname in ("scenario.json", "events.json"):
        path = scenario_dir / fname
        if not path.exists():
            continue
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(doc, dict):
            continue
        inner = doc.get("scenario")
        for cand in (inner.get("name") if isinstance(inner, dict) else inner, doc.get("name")):
            if isinstance(cand, str) and cand.strip():
                return cand.strip()
    return scenario_dir.resolve().name


def load_report_data(
    scenario_dir: Path, run_dir: Path, first_detection_s: Mapping[str, float] | None = None
) -> ReportData:
    """Read a scenario and a run directory (contract files). First detections are computed by gating
    the measurements against truth (``tocsin.eval.detection``) unless given (Unix s per object)."""
    scenario_dir, run_dir = Path(scenario_dir), Path(run_dir)
    zones = load_zones(scenario_dir / "zones.geojson")
    events = load_events(scenario_dir / "events.json")
    raw = json.loads((scenario_dir / "events.json").read_text(encoding="utf-8"))
    launch: dict[str, tuple[float, float, float]] = {}
    for o in raw.get("objects", []):
        la = o.get("launch")
        if isinstance(la, dict) and all(
            isinstance(la.get(k), int | float) for k in ("t_unix_s", "lat_deg", "lon_deg")
        ):
            launch[str(o["object"])] = (float(la["t_unix_s"]), float(la["lat_deg"]), float(la["lon_deg"]))
    truth = load_truth(scenario_dir / "truth.jsonl") if (scenario_dir / "truth.jsonl").exists() else None
    radars: list[tuple[str, float, float]] = []
    sensor_labels: list[str] = []
    sensors = None
    if (scenario_dir / "sensors.json").exists():
        from tocsin.ingest.sensors import load_sensors

        sensors = load_sensors(scenario_dir / "sensors.json")
        radars = [(s.id, s.lat_deg, s.lon_deg) for s in sensors.radars]
        sensor_labels = [f"{s.id} ({s.kind})" for s in sensors.sensors]
    if first_detection_s is None:
        first: dict[str, float] = {}
        if sensors is not None and truth is not None and (scenario_dir / "measurements.jsonl").exists():
            from tocsin.eval.detection import first_detection_times
            from tocsin.ingest.stream import Scan, read_measurements_file

            scans = (
                s
                for s in read_measurements_file(scenario_dir / "measurements.jsonl", sensors)
                if isinstance(s, Scan)
            )
            first = first_detection_times(sensors, scans, truth)
    else:
        first = dict(first_detection_s)
    alerts = _jsonl(run_dir / "alerts.jsonl")
    tracks = read_tracks(run_dir / "tracks.jsonl")
    predictions = read_predictions(run_dir / "predictions.jsonl")
    data = ReportData(
        scenario_dir, run_dir, zones, events, launch, truth, radars, alerts, tracks, predictions, first
    )
    assoc = associate_tracks(tracks, truth) if truth is not None else {}
    for k, v in associate_by_prediction(
        {k: p for k, p in predictions.items() if k not in assoc}, events
    ).items():
        assoc[k] = v
    data.name = scenario_name(scenario_dir)
    data.sensor_labels = sensor_labels
    data.track_object = {k: v[0] for k, v in assoc.items()}
    data.track_miss_m = {k: v[1] for k, v in assoc.items()}
    return data


@dataclass(frozen=True)
class Bar:
    """One coloured bar of the timeline: a zone at ``level`` from ``start_s`` to ``end_s`` (effective
    Unix s; ``end_s`` may be +inf), closed by ``closed_by`` (None if never)."""

    zone: str
    level: str
    start_s: float
    end_s: float
    closed_by: str | None


def alert_bars(alerts: Sequence[Mapping[str, Any]], delay_s: float) -> list[Bar]:
    """pre_alert and take_cover intervals of every zone, at effective times (issue + ``delay_s``, s).

    Episodes follow contract section 7: a take_cover opens one (nothing if already open), all_clear or
    cancel closes it. A pre_alert runs until the zone's next take_cover, all_clear or cancel.
    """
    order = sorted(range(len(alerts)), key=lambda i: (float(alerts[i]["t_unix_s"]), i))
    cover: dict[str, float] = {}
    pre: dict[str, float] = {}
    bars: list[Bar] = []
    for i in order:
        a = alerts[i]
        z, level, t = str(a["zone"]), str(a["level"]), float(a["t_unix_s"]) + delay_s
        if level == "pre_alert":
            if z not in cover:
                pre.setdefault(z, t)
            continue
        if z in pre:
            bars.append(Bar(z, "pre_alert", pre.pop(z), t, level))
        if level == "take_cover":
            cover.setdefault(z, t)
        elif z in cover:
            bars.append(Bar(z, "take_cover", cover.pop(z), t, level))
    bars += [Bar(z, "pre_alert", t, math.inf, None) for z, t in pre.items()]
    bars += [Bar(z, "take_cover", t, math.inf, None) for z, t in cover.items()]
    return sorted(bars, key=lambda b: (b.zone, b.start_s, b.level))


def worst_level(alerts: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Per zone the worst level it was given: 2 take_cover, 1 pre_alert (absent: none)."""
    out: dict[str, int] = {}
    for a in alerts:
        r = LEVEL_RANK.get(str(a["level"]), 0)
        if r:
            z = str(a["zone"])
            out[z] = max(out.get(z, 0), r)
    return out
