"""The deterministic core of tocsin: measurement lines in, tracks, predictions and alerts out.

One :class:`Engine` wires the stages for one sensor set and one zone set:

    line -> ingest (validate, de-duplicate, assemble scans) -> track -> predict -> zones -> alert

It does no I/O and reads no clock: time is the newest valid measurement time, so the same lines (and
operator posture changes, at the same places in the stream) give the same outputs bit for bit. That
is what makes ``tocsin replay`` exact. The adapters (files, stdin, event log, CAP writer) live in
``tocsin.cli`` and ``tocsin.store``.
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from tocsin._types import IntArray
from tocsin.alert.policy import AlertPolicy
from tocsin.alert.types import LEVEL_NONE, AlertDecision, PostureChange
from tocsin.engine.config import EngineConfig
from tocsin.engine.sensors import launch_sensors, track_models
from tocsin.ingest.records import Rejected
from tocsin.ingest.sensors import SensorSet
from tocsin.ingest.stream import Scan, ScanAssembler
from tocsin.predict.impact import predict_impacts, prediction_rows
from tocsin.predict.launch import LaunchEstimator
from tocsin.predict.types import ImpactPredictions
from tocsin.track.launch_detect import LaunchDetector
from tocsin.track.models import IrModel, ScanInput
from tocsin.track.tracker import Tracker
from tocsin.track.types import TrackSnapshot
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.load import ZoneSet
from tocsin.zones.reach import launch_reach_eval
from tocsin.zones.threat import ThreatEval, ThreatEvaluator
from tocsin.zones.watch import RadarWatch

#: Longest the clock runs on after the input ends, waiting for warnings to close (s).
DRAIN_LIMIT_S = 3600.0


@dataclass
class EngineOutput:
    """What one input (a line, a posture change, the end of input) caused, in order of issue."""

    rejected: list[Rejected] = field(default_factory=list)
    track_rows: list[dict[str, Any]] = field(default_factory=list)
    prediction_rows: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[AlertDecision] = field(default_factory=list)
    scans: int = 0
    cycles: int = 0

    def extend(self, other: EngineOutput) -> None:
        """Append another output after this one."""
        self.rejected.extend(other.rejected)
        self.track_rows.extend(other.track_rows)
        self.prediction_rows.extend(other.prediction_rows)
        self.decisions.extend(other.decisions)
        self.scans += other.scans
        self.cycles += other.cycles


def scan_to_input(scan: Scan) -> ScanInput:
    """An assembled scan (ingest) as the tracker's input: radar [range, az, el, range-rate] or IR LOS."""
    if scan.kind == "radar":
        z = np.stack([scan.range_m, scan.az_rad, scan.el_rad, scan.range_rate_mps], axis=-1)
        if z.size and np.all(np.isnan(z[:, 3])):
            z = z[:, :3]
    else:
        z = np.asarray(scan.los_ecef, dtype=np.float64).reshape(-1, 3)
    return ScanInput(sensor_id=scan.sensor, t_unix_s=scan.t_unix_s, z=z)


# Around each zone whose ground height the zones file gives, that height holds this far out (m): an impact
# or ground crossing near a defended site is computed on its ground, not on the theatre's default.
ZONE_TERRAIN_PAD_M = 5000.0


def with_zone_terrain(config: EngineConfig, zones: ZoneSet) -> EngineConfig:
    """``config`` with terrain boxes (zone bounds padded by ZONE_TERRAIN_PAD_M) at each zone's known height.

    Zone boxes go first, largest first, so smaller zones win inside larger ones and the configuration's
    own boxes win over all of them (the last box containing a point wins, ``predict.ground.Terrain``).
    A ballistic impact computed on sea level when the target stands 800 m up lands ~800 m long at a
    45 degree descent; the zones file is the one input that knows the ground at the targets.
    """
    alt = zones.ground_alt_m()
    known = np.flatnonzero(np.isfinite(alt))
    if known.size == 0:
        return config
    # Padded bounds in the zone set's own aeqd frame (metres), corners back to lon/lat: no degree
    # arithmetic. Boxes sorted largest first (by projected area).
    b = shapely.bounds(zones.geoms_m[known]) + np.array([-1.0, -1.0, 1.0, 1.0]) * ZONE_TERRAIN_PAD_M
    xs, ys = b[:, [0, 2, 2, 0]], b[:, [1, 1, 3, 3]]
    lon, lat = local_m_to_lonlat(xs, ys, zones.centre_lat_deg, zones.centre_lon_deg)
    order = np.argsort(-(b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), kind="stable")
    boxes = [
        (
            float(lat[j].min()),
            float(lat[j].max()),
            float(lon[j].min()),
            float(lon[j].max()),
            float(alt[known[j]]),
        )
        for j in order.tolist()
    ]
    terrain = config.predict.terrain
    terrain = dataclasses.replace(terrain, boxes=tuple(boxes) + tuple(terrain.boxes))
    return dataclasses.replace(config, predict=dataclasses.replace(config.predict, terrain=terrain))


class Engine:
    """The warning chain for one sensor set and one zone set. See the module docstring."""

    def __init__(
        self, sensors: SensorSet, zones: ZoneSet, config: EngineConfig | None = None, *, source: str = "-"
    ) -> None:
        self.config = with_zone_terrain(config or EngineConfig(), zones)
        self.sensors = sensors
        self.zones = zones
        self.assembler = ScanAssembler(
            sensors, self.config.lag_s, source, eager=self.config.eager_release, limits=self.config.ingest
        )
        models = track_models(sensors)
        self.tracker = Tracker(models, self.config.tracker)
        irs = {k: m for k, m in models.items() if isinstance(m, IrModel)}
        self.launch_detect = LaunchDetector(
            irs, {k: sensors[k].revisit_s for k in irs}, self.config.launch_detect
        )
        self.launch = LaunchEstimator(terrain=self.config.predict.terrain, sensors=launch_sensors(sensors))
        self.threats = ThreatEvaluator(zones, self.config.threat, watch=RadarWatch.build(sensors, zones))
        # Last scan time per watching radar (Unix s, NaN: none yet): which radars are reporting.
        self._radar_k = (
            {rid: k for k, rid in enumerate(self.threats.watch.radar_ids)} if self.threats.watch else {}
        )
        self._radar_last_unix_s = np.full(len(self._radar_k), np.nan)
        self.policy = AlertPolicy(zones, self.config.alert)
        self.now_unix_s = -math.inf  # newest valid measurement time seen
        self._last_cycle_unix_s = -math.inf
        self._dirty = False  # tracks changed since the last decision cycle
        self._postures: list[PostureChange] = []
        self.last_predictions: ImpactPredictions | None = None
        self._pred_cache: dict[str, tuple[float, ImpactPredictions]] = {}  # id -> (t, 1-row prediction)
        self._eval_cache: dict[str, ThreatEval] = {}  # id -> zone evaluation of its cached prediction
        # Optional capture of every decision cycle's policy input (t, threat evaluation, postures), for
        # tuning the alert policy offline without re-running tracking and prediction.
        self.cycle_capture: list[tuple[float, ThreatEval, list[PostureChange]]] | None = None

    # -- inputs -------------------------------------------------------------------------------------
    def push_line(self, text: str, line: int) -> EngineOutput:
        """Take one measurement line (1-based line number); returns what it caused."""
        scans, rejected = self.assembler.push_line(text, line)
        out = EngineOutput()
        out.rejected.extend(self.assembler.take_rejected())
        if rejected is not None:
            out.rejected.append(rejected)
            return out
        self.now_unix_s = max(self.now_unix_s, self.assembler.newest_unix_s)
        out.extend(self._process(scans))
        return out

    def push_posture(self, change: PostureChange) -> EngineOutput:
        """Take an operator posture change; it acts at the next decision cycle at or after its time."""
        self._postures.append(change)
        self._dirty = True
        return EngineOutput()

    @property
    def needs_clock(self) -> bool:
        """Whether a tick could change anything: a track, an open warning, a pending scan or posture."""
        return bool(
            self._pred_cache
            or self._postures
            or self.assembler.pending_scans
            or np.any(self.policy.level != LEVEL_NONE)
        )

    def push_tick(self, t_unix_s: float) -> EngineOutput:
        """Let the clock run on to ``t_unix_s`` with no measurement (a heartbeat of a silent feed).

        Decisions that depend on time alone (an all clear after its hold, a time-to-shelter deadline)
        must not wait for the next measurement. A tick later than the newest time releases the scans
        that no record can join any more (older than the tick minus ``lag_s``), ends tracks not updated
        for the tracker's ``max_coast_s`` (as its next scan would) and runs a decision cycle when one is
        due. Ticks come from the adapter (``tocsin run --tick-s``), which logs them, so replay feeds the
        same ticks at the same places. A tick not later than the newest time changes nothing. The
        ingest watermark is not moved: records after a tick are judged late by the feed's clock only.
        """
        out = EngineOutput()
        if not (math.isfinite(t_unix_s) and t_unix_s > self.now_unix_s):
            return out
        self.now_unix_s = t_unix_s
        scans = self.assembler.release_until(t_unix_s)
        out.rejected.extend(self.assembler.take_rejected())
        for scan in scans:
            self._ingest(scan, out)
        if self.now_unix_s - self._last_cycle_unix_s >= self.config.cycle_s:
            out.extend(self._cycle(max_age_s=self.tracker.config.max_coast_s))
        return out

    def finish(self) -> EngineOutput:
        """End of input: process the scans still held back, run a last decision cycle, then drain.

        Draining lets the clock run on with no new measurement, every ``cycle_s`` seconds, until every
        open warning has been closed by its rules (all-clear holds after the last predicted impacts)
        or ``DRAIN_LIMIT_S`` has passed: a feed that stops must not leave people in shelter forever,
        and a warning is never ended early because the data stopped (lost tracks keep their holds).
        """
        scans = self.assembler.flush()
        out = EngineOutput(rejected=self.assembler.take_rejected())
        out.extend(self._process(scans))
        if self._dirty or self._postures:
            out.extend(self._cycle())
        if not math.isfinite(self.now_unix_s):
            return out
        t_end = self.now_unix_s
        no_threats = self.threats.evaluate(
            predict_impacts(TrackSnapshot.empty(t_end), config=self.config.predict)
        )
        if self.threats.watch is not None:
            # The drain replays a quiet sky after the data (no new track appears, as if the sensors went
            # on reporting nothing): the radars reporting when the data ended keep watching.
            alive = self.threats.watch.alive_mask(self._radar_last_unix_s, t_end)
            no_threats = dataclasses.replace(no_threats, radars_alive_mask=alive)
        step_s = max(self.config.cycle_s, 1.0)
        # Count steps instead of adding to t: at large |t| an addition may not change t (at 1e308
        # ``t += 1`` is a no-op), and a drain must end for every float time.
        t = t_end
        for k in range(1, math.ceil(DRAIN_LIMIT_S / step_s) + 1):
            if not bool(np.any(self.policy.level != LEVEL_NONE)):
                break
            t_next = t_end + k * step_s
            if not t_next > t:
                break
            t = t_next
            due = [p for p in self._postures if p.t_unix_s <= t]
            self._postures = [p for p in self._postures if p.t_unix_s > t]
            out.decisions.extend(self.policy.step(t, no_threats, due))
        return out

    # -- the loop -----------------------------------------------------------------------------------
    def _ingest(self, scan: Scan, out: EngineOutput) -> None:
        self.launch.observe(scan)  # raw measurements for the launch-point fit
        k = self._radar_k.get(scan.sensor)
        if k is not None:  # the radar is reporting (radar watch, tocsin.zones.watch)
            self._radar_last_unix_s[k] = np.fmax(self._radar_last_unix_s[k], scan.t_unix_s)
        inp = scan_to_input(scan)
        self.tracker.process(inp)
        out.track_rows.extend(self.tracker.track_rows())
        if inp.sensor_id in self.launch_detect.sensors:
            self.launch_detect.observe(inp.sensor_id, inp.t_unix_s, inp.z, self._track_positions)
        out.scans += 1
        self._dirty = True

    def _track_positions(self) -> tuple[Any, Any]:
        """Confirmed tracks' positions (K, 3, ECEF m) at the newest scan time and position sigmas (K,) (m)."""
        _, x, P = self.tracker.current_states()
        return x[:, :3], np.sqrt(np.trace(P[:, :3, :3], axis1=1, axis2=2))

    def _process(self, scans: list[Scan]) -> EngineOutput:
        out = EngineOutput()
        for scan in scans:
            self._ingest(scan, out)
        if self._dirty and self.now_unix_s - self._last_cycle_unix_s >= self.config.cycle_s:
            out.extend(self._cycle())
        return out

    def _due(self, snapshot: TrackSnapshot, t: float) -> IntArray:
        """Indices of the tracks whose impact prediction is due at ``t`` (new, or old for its time-to-go)."""
        cfg = self.config
        due: list[int] = []
        for i, tid in enumerate(snapshot.track_ids):
            cached = self._pred_cache.get(tid)
            if cached is None:
                due.append(i)
                continue
            t_pred, p = cached
            t_go = float(p.impact_t_unix_s[0]) - t
            period = (
                min(max(cfg.predict_period_fraction * t_go, cfg.cycle_s), cfg.predict_max_period_s)
                if math.isfinite(t_go)
                else cfg.cycle_s
            )
            if cfg.predict_stagger:
                # Phase from the id (CRC-32: Python's hash is salted), stable across runs and replays.
                period *= 1.0 - cfg.predict_stagger * (zlib.crc32(tid.encode()) / 4294967296.0)
            if t - t_pred >= period - 1e-9:
                due.append(i)
        return np.array(due, dtype=np.int64)

    def _cycle(self, max_age_s: float = math.inf) -> EngineOutput:
        """Predict every confirmed track, evaluate zones and step the alert policy at ``now``.

        ``max_age_s``: tracks whose last update is older than this at ``now`` are left out (lost).
        """
        out = EngineOutput(cycles=1)
        t = self.now_unix_s
        snapshot = self.tracker.snapshot()
        if math.isfinite(max_age_s) and len(snapshot):
            fresh_rows = np.flatnonzero(t - snapshot.t_update_unix_s <= max_age_s)
            if fresh_rows.size < len(snapshot):
                snapshot = snapshot.select(fresh_rows)
        launch = self.launch.update(snapshot)
        due = self._due(snapshot, t)
        if due.size:
            fresh = predict_impacts(
                snapshot.select(due), config=self.config.predict, launch_estimates=launch.select(due)
            )
            out.prediction_rows.extend(prediction_rows(fresh))
            # Zones are evaluated only for the tracks predicted this cycle; the others reuse their
            # cached per-track evaluation (a threat's evaluation depends on its own prediction only).
            fresh_eval = self.threats.evaluate(ImpactPredictions.concat([fresh], t)).split()
            for k, tid in enumerate(fresh.track_ids):
                self._pred_cache[tid] = (t, fresh.select(np.array([k])))
                self._eval_cache[tid] = fresh_eval[k]
        live = set(snapshot.track_ids)
        for tid in [k for k in self._pred_cache if k not in live]:
            del self._pred_cache[tid]
            self._eval_cache.pop(tid, None)
        if len(snapshot):
            preds = ImpactPredictions.concat([self._pred_cache[tid][1] for tid in snapshot.track_ids], t)
            # A prediction without a finite impact time is evaluated with the decision time as its
            # fallback time: re-evaluate those cached rows now, as a whole-batch evaluation would.
            stale = [
                i
                for i, tid in enumerate(snapshot.track_ids)
                if self._pred_cache[tid][0] != t and not math.isfinite(float(preds.impact_t_unix_s[i]))
            ]
            if stale:
                again = self.threats.evaluate(preds.select(np.array(stale, dtype=np.int64))).split()
                for i, e in zip(stale, again, strict=True):
                    self._eval_cache[snapshot.track_ids[i]] = e
            evaluation = ThreatEval.concat([self._eval_cache[tid] for tid in snapshot.track_ids], t)
        else:
            preds = predict_impacts(snapshot, config=self.config.predict)
            evaluation = self.threats.evaluate(preds)
        # Launch reports of an infrared sensor no other sees: every zone within reach, by its deadline.
        self.launch_detect.expire(t)
        # Handed-over reports stay a minute past their last sighting, with an empty region, so the zones
        # they held clear; ended ones drop out and the policy keeps their regions as lost wide threats'.
        reports = [
            d
            for d in self.launch_detect.current()
            if d.live or (d.handed_over and t - d.t_last_unix_s <= 60.0)
        ]
        if reports:
            reach = launch_reach_eval(self.threats, reports, t, self.config.reach)
            evaluation = ThreatEval.concat([evaluation, reach], t) if len(evaluation) else reach
        if self.threats.watch is not None:
            alive = self.threats.watch.alive_mask(self._radar_last_unix_s, t)
            evaluation = dataclasses.replace(evaluation, radars_alive_mask=alive)
        self.last_predictions = preds
        postures = [p for p in self._postures if p.t_unix_s <= t]
        self._postures = [p for p in self._postures if p.t_unix_s > t]
        if self.cycle_capture is not None:
            self.cycle_capture.append((t, evaluation, postures))
        out.decisions.extend(self.policy.step(t, evaluation, postures))
        self._last_cycle_unix_s = t
        self._dirty = False
        return out
