"""Credible region of a launch seen by one infrared sensor only: every zone the missile could reach.

A :class:`tocsin.track.launch_detect.LaunchDetection` says where a plume was first seen (its line of
sight at the sensor's detection floor) and when, but nothing of its heading or speed. So its credible
impact region is the disc of the longest range any catalogue missile that climbs above the floor can
fly (``range_max_m``), around the launch area, and its impact time at a zone at ground distance D lies
in a flight-time envelope around the minimum-energy time t_me(D)
(:func:`tocsin.predict.classify.min_energy_flight_time_s`):

    earliest = t_first - launch_lead_max_s + t_min_factor * t_me(D) + t_min_extra_s
    latest   = t_first - launch_lead_min_s + t_max_factor * t_me(D) + t_max_extra_s, and at most
               t_last + t_me(D) + after_sighting_extra_s + after_sighting_per_s * (t_last - t_first)

The factors bound the catalogue's own flights from launch to impact (every climbing class over its loft
band and burn fractions 0.3-1, 175 flights, ``tests/engine/test_mono_ir.py``): at least
0.6 t_me(D) + 51 s (a depressed full burn) and at most t_me(D) + 729 s (a lofted short shot: mrbm-2000
lands 543 km out after 1,071 s), so without the class the latest time is most of that longest flight;
the defaults (20 s, 800 s) keep a margin for airframes the catalogue does not know. How long the plume
was seen tells more: the catalogue's missiles seen under 40 s land at most t_me(D) + 178 s after their
last sighting, those seen 70-100 s up to t_me(D) + 599 s (the second bound). D is
measured from the first sighting's floor point less ``pad_radius_m`` (the pad lies within that of it)
and less the zone's half-diagonal for the earliest time, plus them for the latest, so each zone's
earliest time errs early and its latest late. The alert policy then takes each zone in the region to
shelter by its own deadline (its credible-region rule), holds it until the zone's latest time, and the
radar watch defers zones a reporting radar covers (the radar's track warns in time).

The result is a :class:`tocsin.zones.threat.ThreatEval` with region pairs only (no probability pairs:
a launch report places no impact point), to be concatenated with the tracks' evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tocsin._types import FloatArray, IntArray
from tocsin.geo.geodesic import geodesic_distance_m
from tocsin.physics.catalogue import CATALOGUE
from tocsin.predict.classify import class_list, min_energy_flight_time_s
from tocsin.predict.types import STATUS_BOOSTING
from tocsin.track.launch_detect import LaunchDetection
from tocsin.zones.threat import ThreatEval, ThreatEvaluator
from tocsin.zones.watch import ORBITAL_SPEED_MPS

#: Catalogue kinds whose plume climbs above an infrared detection floor (rockets and mortars do not).
_CLIMBING_KINDS = ("srbm", "mrbm", "irbm", "icbm")


@dataclass(frozen=True)
class ReachConfig:
    """Envelope of a one-sensor launch report (times s, distances m). ``range_max_m`` None: the
    longest-range catalogue missile whose plume climbs above the floor."""

    range_max_m: float | None = None
    pad_radius_m: float = 50_000.0
    launch_lead_min_s: float = 5.0  # the launch precedes the first sighting by at least this
    launch_lead_max_s: float = 90.0  # ... and at most this (plume through a 12 km floor)
    t_min_factor: float = 0.6
    t_max_factor: float = 1.0
    t_min_extra_s: float = 20.0
    t_max_extra_s: float = 800.0
    # Latest impact after the plume's last sighting (the motor has burnt out by then, hot coast aside):
    # a plume seen for w s lands at most t_me(D) + extra + per_s x w after it. The catalogue's flights
    # need 66 s + 6.5 w (a longer-burning, higher-energy missile may loft further: mrbm-2000 seen 93 s
    # lands 543 km out 941 s after); the extra keeps 134 s of margin for unknown airframes and for a
    # last sighting a revisit before the plume went cold.
    after_sighting_extra_s: float = 200.0
    after_sighting_per_s: float = 6.5


def climbing_classes() -> list[str]:
    """Catalogue classes whose plume an infrared detection floor can see (missiles, not rockets)."""
    return [c.name for c in class_list() if c.kind in _CLIMBING_KINDS]


def reach_range_m(config: ReachConfig) -> float:
    """The region's radius (m): ``config.range_max_m`` or the longest climbing class's range."""
    if config.range_max_m is not None:
        return float(config.range_max_m)
    return max(CATALOGUE[k].range_max_m for k in climbing_classes())


def _after_sighting_bound(d: LaunchDetection, t_me: FloatArray, cfg: ReachConfig) -> FloatArray:
    """Latest impact (Unix s) from the plume's last sighting: a plume seen for w = t_last - t_first s
    lands at most t_me + after_sighting_extra_s + after_sighting_per_s x w after its last sighting."""
    w = max(d.t_last_unix_s - d.t_first_unix_s, 0.0)
    extra = cfg.after_sighting_extra_s + cfg.after_sighting_per_s * w
    return np.asarray(d.t_last_unix_s + t_me + extra, dtype=np.float64)


def launch_reach_eval(
    evaluator: ThreatEvaluator,
    detections: Sequence[LaunchDetection],
    t_unix_s: float,
    config: ReachConfig | None = None,
) -> ThreatEval:
    """Zone evaluation of one-sensor launch reports at decision time ``t_unix_s`` (see module docstring).

    Every report is a usable, boosting, infrared-only threat whose credible region is the zones within
    reach; its whole-cloud times span the region's earliest and latest times; its width (sigma_max) is
    half the reach radius, so the policy treats it as wide.
    """
    cfg = config or ReachConfig()
    zones = evaluator.zones
    n = len(detections)
    n_z = len(zones)
    classes = class_list()
    names = tuple(c.name for c in classes)
    climb = [i for i, c in enumerate(classes) if c.kind in _CLIMBING_KINDS]
    prob = np.zeros((n, len(names)))
    if climb:
        prob[:, climb] = 1.0 / len(climb)
    radius = float(max((classes[i].danger_radius_m for i in climb), default=300.0))
    r_eff = evaluator.effective_radius_m(np.full(n, radius))
    reach = reach_range_m(cfg)
    zlat, zlon = evaluator.zone_centroids_deg()
    half = evaluator.zone_half_diag_m()
    r_thr: list[IntArray] = []
    r_zone: list[IntArray] = []
    r_lo: list[FloatArray] = []
    r_hi: list[FloatArray] = []
    t_lo_all = np.full(n, np.nan)
    t_hi_all = np.full(n, np.nan)
    for i, d in enumerate(detections):
        dist = np.asarray(geodesic_distance_m(d.lat_deg, d.lon_deg, zlat, zlon), dtype=np.float64)
        near = np.maximum(dist - cfg.pad_radius_m - half - r_eff[i], 0.0)
        far = dist + cfg.pad_radius_m + half
        # A report handed over to a track holds no zone: the track warns for the object.
        inside = np.flatnonzero(near <= reach) if not d.handed_over else np.zeros(0, dtype=np.int64)
        lo = d.t_first_unix_s - cfg.launch_lead_max_s + cfg.t_min_factor * min_energy_flight_time_s(near)
        # Never before now: the policy keeps a region pair only while its earliest time is ahead, and
        # for a report that places nothing the earliest plausible impact of a zone already due is now.
        lo = np.maximum(lo + cfg.t_min_extra_s, float(t_unix_s))
        t_me_far = min_energy_flight_time_s(far)
        hi = d.t_first_unix_s - cfg.launch_lead_min_s + cfg.t_max_factor * t_me_far + cfg.t_max_extra_s
        hi = np.minimum(hi, _after_sighting_bound(d, t_me_far, cfg))
        r_thr.append(np.full(inside.size, i, dtype=np.int64))
        r_zone.append(inside)
        r_lo.append(lo[inside])
        r_hi.append(hi[inside])
        edge_far = reach + cfg.pad_radius_m
        t_lo_all[i] = d.t_first_unix_s - cfg.launch_lead_max_s + cfg.t_min_extra_s
        t_me_edge = min_energy_flight_time_s(np.array(edge_far))
        t_hi_all[i] = min(
            d.t_first_unix_s
            - cfg.launch_lead_min_s
            + cfg.t_max_factor * float(t_me_edge)
            + cfg.t_max_extra_s,
            float(_after_sighting_bound(d, t_me_edge, cfg)),
        )
    thr = np.concatenate(r_thr).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    zone = np.concatenate(r_zone).astype(np.int64) if n else np.zeros(0, dtype=np.int64)
    lo_t = np.concatenate(r_lo) if n else np.zeros(0)
    hi_t = np.concatenate(r_hi) if n else np.zeros(0)
    if evaluator.watch is not None and thr.size:
        lat = np.array([d.lat_deg for d in detections])[thr]
        lon = np.array([d.lon_deg for d in detections])[thr]
        w_lead, w_mask = evaluator.watch.lead_s(zone, lat, lon, np.full(thr.size, ORBITAL_SPEED_MPS))
    else:
        w_lead, w_mask = np.full(thr.size, np.nan), np.zeros(thr.size, dtype=np.int64)
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0)
    return ThreatEval(
        t_unix_s=float(t_unix_s),
        n_zones=n_z,
        track_ids=tuple(d.detection_id for d in detections),
        status=np.full(n, STATUS_BOOSTING, dtype=np.int64),
        usable=np.ones(n, dtype=bool),
        boosting=np.ones(n, dtype=bool),
        landed=np.zeros(n, dtype=bool),
        impact_t_unix_s=0.5 * (t_lo_all + t_hi_all),
        impact_t_early_unix_s=t_lo_all,
        impact_t_late_unix_s=t_hi_all,
        # A uniform disc of radius R has a 1-sigma axis of R / 2: wide (region rule), and within the
        # policy's region_max_sigma_m (1,000 km) for the catalogue's 2,000 km reach.
        sigma_max_m=np.full(n, 0.5 * reach),
        radius_m=r_eff,
        class_names=names,
        class_prob=prob,
        pair_threat=empty_i,
        pair_zone=empty_i,
        pair_p=empty_f,
        pair_t_mean_unix_s=empty_f,
        pair_t_early_unix_s=empty_f,
        region_threat=thr,
        region_zone=zone,
        region_t_early_unix_s=lo_t,
        region_t_late_unix_s=hi_t,
        region_watch_lead_s=w_lead,
        region_watch_mask=w_mask,
        pair_watch_lead_s=empty_f,
        pair_watch_mask=empty_i,
        ir_only=np.ones(n, dtype=bool),
    )
