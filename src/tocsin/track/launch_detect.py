"""Launch detection from one infrared sensor that no other sees: the warning of last resort.

The tracker starts infrared tracks by triangulating lines of sight from two satellites (``tracker``);
a plume that only one satellite sees (the other satellite's Earth disc does not reach it, or there is
only one) never becomes a track, and with no radar in range nothing would be warned at all. This
module keeps, per infrared sensor, chains of detections that move like a climbing plume and that no
confirmed track explains; a chain of ``min_detections`` over at least ``min_span_s`` becomes a
:class:`LaunchDetection`: a launch happened near the chain's first line of sight, at about its first
time, and its impact can be anywhere the catalogue's missiles reach (``tocsin.zones.reach`` turns that
into a credible region with per-zone impact times). It is the early-warning satellite's launch report
without a stereo fix: wide, but no struck zone is left silent (domain.md 1.6: the 2020 warning came from
space infrared alone).

Gates (from GEO, ~36,000 km): a plume climbing at up to ``max_speed_mps`` moves at most
max_speed / range rad/s across the line of sight; the gate adds ``gate_sigmas`` line-of-sight sigmas
of the two detections. With clutter at 0.5 false plots per scan over the Earth disc (~0.08 sr) and a
~1e-6 sr gate, a clutter chain of four is ~1e-20 per scan: chains are objects.

Deterministic: chains are kept in creation order and matched greedily by angular distance in the
detections' input order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tocsin._types import BoolArray, FloatArray
from tocsin.geo.frames import ecef_to_geodetic
from tocsin.geo.los import line_of_sight_clear, ray_ellipsoid_intersection
from tocsin.track.models import IrModel


@dataclass(frozen=True)
class LaunchDetectConfig:
    """Chain and confirmation settings (times s, speeds m/s, heights m)."""

    enabled: bool = True
    # A report needs this many detections over this span, none explained by a confirmed track: a radar
    # that sees the boost (al-asad-2020: its track 7 s after the first infrared sighting) explains the
    # chain before it confirms, and the radar's track warns instead; alone, the satellite reports the
    # launch ~20 s after its first sighting, minutes before any impact.
    min_detections: int = 6
    min_span_s: float = 20.0
    # A chain ends after this many of its sensor's revisits without a detection: 5 misses in a row at
    # pd 0.9 is 1e-5 per look, so a chain ends with its plume (its span bounds the burn, zones.reach).
    max_gap_revisits: float = 5.0
    max_speed_mps: float = 6000.0
    gate_sigmas: float = 5.0
    # A confirmed track within this many of its own position sigmas (plus the line of sight's) of a
    # detection's line of sight explains it: the tracker already has the object.
    explain_sigmas: float = 4.0
    # Plume height assumed to place a line of sight on the ground: the sensor's detection floor is
    # where a climbing plume is first seen; ``stereo_check_alt_m`` is where another sensor would have to
    # see it for a stereo track to be possible.
    stereo_check_alt_m: float = 30000.0
    # Another infrared sensor sees the place when its line of sight clears the Earth raised by this
    # (the dense lower atmosphere blocks a grazing line of sight).
    stereo_grazing_alt_m: float = 10000.0


@dataclass(frozen=True)
class LaunchDetection:
    """A launch seen by one infrared sensor only.

    ``detection_id`` ("L1", "L2", ...); ``sensor_id``; ``t_first_unix_s``/``t_last_unix_s`` first and
    newest detection of the chain; ``lat_deg``/``lon_deg`` where its first line of sight crosses the
    sensor's detection floor (the plume's first sighting; the pad lies within a few tens of km);
    ``floor_m`` that floor height; ``live``: the chain was extended within its gap allowance;
    ``handed_over``: a confirmed track now explains the plume (a radar, or a stereo pair after all), so
    the report no longer stands for the object: its track warns.
    """

    detection_id: str
    sensor_id: str
    t_first_unix_s: float
    t_last_unix_s: float
    lat_deg: float
    lon_deg: float
    floor_m: float
    n_detections: int
    live: bool
    handed_over: bool = False


@dataclass
class _Chain:
    t: list[float] = field(default_factory=list)
    u: list[FloatArray] = field(default_factory=list)
    explained: bool = False  # some detection of it was explained by a confirmed track
    confirmed_id: str = ""


class LaunchDetector:
    """Chains of unexplained infrared detections per sensor; see the module docstring.

    ``sensors`` are every infrared sensor (the stereo check needs them all); ``revisit_s`` each one's
    revisit (s) for the gap allowance.
    """

    def __init__(
        self,
        sensors: dict[str, IrModel],
        revisit_s: dict[str, float],
        config: LaunchDetectConfig | None = None,
    ) -> None:
        self.config = config or LaunchDetectConfig()
        self.sensors = dict(sorted(sensors.items()))
        self.revisit_s = {k: max(float(revisit_s.get(k, 2.0)), 0.1) for k in self.sensors}
        self.chains: dict[str, list[_Chain]] = {k: [] for k in self.sensors}
        self.detections: dict[str, LaunchDetection] = {}
        self._next = 1

    def observe(
        self,
        sensor_id: str,
        t_unix_s: float,
        los_ecef: FloatArray,
        tracks: Callable[[], tuple[FloatArray, FloatArray]],
    ) -> None:
        """Take one infrared scan: unit lines of sight (M, 3) at ``t_unix_s`` (Unix s). ``tracks()`` gives
        the confirmed tracks' positions (K, 3, ECEF m) at that time and their position sigmas (K,) (m);
        it is called only when some detection is seen by this sensor alone."""
        model = self.sensors.get(sensor_id)
        if model is None or not self.config.enabled:
            return
        c = self.config
        t = float(t_unix_s)
        revisit = self.revisit_s[sensor_id]
        allowance = c.max_gap_revisits * revisit + 0.5
        chains = [ch for ch in self.chains[sensor_id] if t - ch.t[-1] <= allowance]
        for ch in self.chains[sensor_id]:
            if ch.confirmed_id and t - ch.t[-1] > allowance:
                self._publish(ch, sensor_id, live=False)
        u = np.asarray(los_ecef, dtype=np.float64).reshape(-1, 3)
        u = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
        # Only what no other infrared sensor can see: the rest is the stereo tracker's.
        u = u[~self._stereo_possible(sensor_id, u)]
        if u.shape[0]:
            pos, sig = tracks()
            explained = self._explained(np.asarray(model.pos_ecef_m, dtype=np.float64), u, pos, sig, model)
            self._extend(chains, model, t, u, explained)
        self.chains[sensor_id] = chains
        for ch in chains:
            if not ch.confirmed_id and self._confirmable(ch):
                ch.confirmed_id = f"L{self._next}"
                self._next += 1
            if ch.confirmed_id and ch.t[-1] == t:
                self._publish(ch, sensor_id, live=not ch.explained, handed_over=ch.explained)

    def _extend(
        self, chains: list[_Chain], model: IrModel, t: float, u: FloatArray, explained: BoolArray
    ) -> None:
        """Extend ``chains`` (in place) with the detections ``u`` (M, 3): each takes the nearest chain
        within its gate not yet extended at this scan, or starts a new one."""
        c = self.config
        # Range to the plume is at least the sensor's height above the Earth's surface.
        rng = max(float(np.linalg.norm(model.pos_ecef_m)) - 6.4e6, 1.0e5)
        used = [False] * len(chains)
        for k in range(u.shape[0]):
            best, best_d = -1, math.inf
            for j, ch in enumerate(chains):
                dt = t - ch.t[-1]
                if used[j] or dt <= 0.0:
                    continue
                gate = c.gate_sigmas * math.sqrt(2.0) * model.sigma_los_rad + c.max_speed_mps * dt / rng
                d = math.acos(min(1.0, max(-1.0, float(np.dot(ch.u[-1], u[k])))))
                if d <= gate and d < best_d:
                    best, best_d = j, d
            if best >= 0:
                ch = chains[best]
                used[best] = True
            else:
                ch = _Chain()
                chains.append(ch)
                used.append(True)
            ch.t.append(t)
            ch.u.append(u[k].copy())
            # A confirmed track explains the object from now on: the report hands over to it.
            ch.explained = ch.explained or bool(explained[k])

    def expire(self, t_unix_s: float) -> None:
        """Mark chains not extended within their gap allowance at ``t_unix_s`` as ended (not live):
        a scan without detections of them may never come (the sensor reports nothing)."""
        c = self.config
        for sid, chains in self.chains.items():
            keep = []
            for ch in chains:
                if float(t_unix_s) - ch.t[-1] <= c.max_gap_revisits * self.revisit_s[sid] + 0.5:
                    keep.append(ch)
                elif ch.confirmed_id:
                    self._publish(ch, sid, live=False)
            self.chains[sid] = keep

    def _publish(self, ch: _Chain, sensor_id: str, live: bool, handed_over: bool = False) -> None:
        model = self.sensors[sensor_id]
        p, hit = ray_ellipsoid_intersection(model.pos_ecef_m, ch.u[0], alt_m=model.min_target_alt_m)
        if not bool(hit):
            return
        lat, lon, _ = ecef_to_geodetic(p)
        self.detections[ch.confirmed_id] = LaunchDetection(
            ch.confirmed_id,
            sensor_id,
            ch.t[0],
            ch.t[-1],
            float(np.degrees(lat)),
            float(np.degrees(lon)),
            float(model.min_target_alt_m),
            len(ch.t),
            live,
            handed_over or ch.explained,
        )

    def _confirmable(self, ch: _Chain) -> bool:
        c = self.config
        return not ch.explained and len(ch.t) >= c.min_detections and ch.t[-1] - ch.t[0] >= c.min_span_s

    def _stereo_possible(self, sensor_id: str, u: FloatArray) -> BoolArray:
        """Per line of sight (M, 3): another infrared sensor sees where it crosses the stereo-check
        height, so the tracker can triangulate the object (a one-sensor report is not needed)."""
        c = self.config
        model = self.sensors[sensor_id]
        out = np.zeros(u.shape[0], dtype=bool)
        if u.shape[0] == 0:
            return out
        p, hit = ray_ellipsoid_intersection(
            np.broadcast_to(model.pos_ecef_m, u.shape), u, c.stereo_check_alt_m
        )
        for sid, other in self.sensors.items():
            if sid != sensor_id:
                pos = np.broadcast_to(np.asarray(other.pos_ecef_m, dtype=np.float64), u.shape)
                clear = line_of_sight_clear(pos, np.where(hit[:, None], p, 0.0), c.stereo_grazing_alt_m)
                out |= hit & clear
        return out

    def _explained(
        self, sat: FloatArray, u: FloatArray, pos: FloatArray, sigma_m: FloatArray, model: IrModel
    ) -> BoolArray:
        """Detections (M,) whose line of sight passes within the gate of a confirmed track's position."""
        out = np.zeros(u.shape[0], dtype=bool)
        if u.shape[0] == 0 or pos.shape[0] == 0:
            return out
        d = pos - sat
        rng = np.linalg.norm(d, axis=1)
        v = d / rng[:, None]
        ang = np.arccos(np.clip(u @ v.T, -1.0, 1.0))  # (M, K)
        sig = np.asarray(sigma_m, dtype=np.float64).reshape(-1)
        gate = self.config.explain_sigmas * np.hypot(sig / rng, model.sigma_los_rad)
        return np.asarray((ang <= gate[None, :]).any(axis=1), dtype=bool)

    def current(self) -> list[LaunchDetection]:
        """Every confirmed launch detection so far, in id order."""
        return [self.detections[k] for k in sorted(self.detections, key=lambda s: int(s[1:]))]
