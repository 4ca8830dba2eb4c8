"""Staged alert policy: a deterministic state machine per zone (pre_alert, take_cover, cancel, all_clear).

The policy turns each step's threat evaluation (``tocsin.zones.threat.ThreatEval``) into alert state
changes per zone (algorithms.md section 8.6, domain.md sections 3-4):

- ``pre_alert`` when p_zone >= a low threshold while the earliest plausible impact is still at least
  ``pre_alert_min_lead_s`` away (wide boost clouds warn a wide area early, as HFC's pre-notices do);
- ``take_cover`` when p_zone >= the zone kind's cost-loss threshold (``p_threshold``), or when waiting
  one more update would leave less than shelter_s + dissemination delay + margin before the earliest
  plausible impact with p >= ``p_negligible`` (``time_to_shelter``: never too late to matter), or when the
  operator set the zone's group to ``imminent``;
- one episode per zone whatever the number of threats: a take_cover inside an open episode is not
  re-issued, the episode's threat list just grows;
- ``cancel`` when every threat of the episode has been cleared by a confident refined prediction before
  its impact, for ``off_updates`` consecutive updates and ``cancel_confirm_s`` seconds, after a minimum
  dwell (hysteresis: the cancel threshold is far below the take-cover one); after a cancel, the same
  threats re-open the zone by probability only at the clearly higher ``p_reopen``;
- ``all_clear`` once every threat of the episode has landed or been lost, after the per-class hold (the
  short observed-landing hold when the track was followed down to its impact). A lost track never ends
  a warning silently: it counts as landing at its last predicted late impact time. A wide threat (the
  credible-region rule) lands, for each zone, at that zone's own latest plausible impact time (plus the
  short ``region_hold_s``), and clears the zones its latest credible region leaves out (live or lost). A
  newly joined threat that would not warn the zone by itself (and is not near its deadline) does not hold
  the episode open; a wide threat holds a zone's shelter only from ``release_guard_s`` before its region
  deadline for that zone (before that it warrants a pre-alert, and the region rule orders shelter anew).
- radar watch (negative information, ``tocsin.zones.watch``): for a wide threat that is lost or fed by
  infrared only, a zone that a reporting radar watches towards the threat's launch area cannot be
  struck sooner than the watch lead after the object appears on that radar; until then the zone's
  earliest time from that threat is max(earliest, now + lead). With a lead longer than the zone's
  shelter + delay + margin the region only pre-alerts it (and holds no shelter): the radar's own track
  warns if the object comes. A threat a radar has updated is never deferred; a radar that stops
  reporting watches nothing.

No clock: time is the ``t_unix_s`` passed to ``step`` (newest measurement). State is plain data:
``state()`` returns JSON-ready dicts and lists, ``AlertPolicy.from_state`` restores it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tocsin._types import BoolArray, FloatArray, IntArray
from tocsin.alert.types import (
    LEVEL_NONE,
    LEVEL_PRE_ALERT,
    LEVEL_TAKE_COVER,
    POSTURES,
    AlertConfig,
    AlertDecision,
    PostureChange,
)
from tocsin.zones.load import ZoneSet
from tocsin.zones.threat import ThreatEval, zone_probability

STATE_VERSION = 1
_ISSUE_ORDER = {"take_cover": 0, "pre_alert": 1, "cancel": 2, "all_clear": 3}
_IMMINENT = POSTURES.index("imminent")


@dataclass
class ThreatMemory:
    """What the policy remembers of one threat (times Unix s, distances m).

    ``t_land_unix_s`` is the latest predicted late impact time plus margin (or the time the track
    ended at the ground); ``usable`` whether the latest step gave a usable prediction (False once lost).
    """

    t_seen_unix_s: float
    t_land_unix_s: float
    hold_s: float
    usable: bool
    boosting: bool
    ended: bool
    sigma_max_m: float
    t_last_usable_unix_s: float = -math.inf
    # A lost track whose object a live narrow track now follows (an infrared track handed over to a
    # radar under a new id, a duplicate track): it no longer holds any warning open by itself.
    explained_by: str = ""
    # First time the threat was seen, and whether its latest usable prediction placed the impact in
    # time (impact-time spread no wider than the time to go allows; see AlertConfig.region_defer_s).
    t_first_unix_s: float = math.nan
    timed: bool = True
    # Fed by infrared only (no radar update) at its latest usable evaluation: the radar watch may defer
    # its region while it is live too (a radar that tracks it makes it a radar track).
    ir_only: bool = False

    def to_record(self) -> dict[str, Any]:
        return {
            "t_seen_unix_s": self.t_seen_unix_s,
            "t_land_unix_s": self.t_land_unix_s,
            "hold_s": self.hold_s,
            "usable": self.usable,
            "boosting": self.boosting,
            "ended": self.ended,
            "sigma_max_m": self.sigma_max_m,
            "t_last_usable_unix_s": self.t_last_usable_unix_s
            if math.isfinite(self.t_last_usable_unix_s)
            else None,
            "explained_by": self.explained_by,
            "t_first_unix_s": self.t_first_unix_s if math.isfinite(self.t_first_unix_s) else None,
            "timed": self.timed,
            "ir_only": self.ir_only,
        }


def hold_for_classes(class_names: Sequence[str], class_prob: FloatArray, config: AlertConfig) -> FloatArray:
    """All-clear hold (s) per threat from its class probabilities, shape (N,).

    The longest hold among classes with probability >= ``hold_class_min_prob`` (prefix match of
    ``hold_by_class``; unmatched classes and empty rows give ``hold_default_s``): a wrong class estimate
    errs towards holding longer.
    """
    prob = np.asarray(class_prob, dtype=np.float64).reshape(-1, len(class_names))
    per_class = np.array(
        [
            next(
                (h for p, h in config.hold_by_class.items() if name.lower().startswith(p)),
                config.hold_default_s,
            )
            for name in class_names
        ],
        dtype=np.float64,
    )
    if len(class_names) == 0:
        return np.full(prob.shape[0], config.hold_default_s)
    sel = np.nan_to_num(prob, nan=1.0) >= config.hold_class_min_prob
    held = np.where(sel, per_class[None, :], -np.inf).max(axis=1)
    return np.where(np.isfinite(held), held, config.hold_default_s)


def _opt_list(a: FloatArray) -> list[float | None]:
    return [None if not math.isfinite(v) else v for v in a.tolist()]


def _from_opt_list(v: Sequence[float | None]) -> FloatArray:
    return np.array([math.nan if x is None else float(x) for x in v], dtype=np.float64)


# A wide threat's credible region: zone indices (ascending), earliest and latest impact time per zone,
# radar-watch lead per zone (s, NaN: no radar watches it; tocsin.zones.watch) and the watching radars'
# bit mask.
Region = tuple[IntArray, FloatArray, FloatArray, FloatArray, IntArray]


def make_region(
    zones: Sequence[int],
    t_lo_unix_s: Sequence[float],
    t_hi_unix_s: Sequence[float],
    watch_lead_s: Sequence[float | None] | FloatArray | None = None,
    watch_mask: Sequence[int] | IntArray | None = None,
) -> Region:
    """A region from per-zone lists (any order): zone indices ascending, times (Unix s), radar-watch
    leads (s; None/NaN or omitted: unwatched) and radar masks (omitted: 0) aligned."""
    z = np.asarray(zones, dtype=np.int64).reshape(-1)
    order = np.argsort(z, kind="stable")
    lead = (
        np.full(z.size, np.nan)
        if watch_lead_s is None
        else np.array(
            [math.nan if v is None else float(v) for v in np.asarray(watch_lead_s, dtype=object).reshape(-1)]
        )
    )
    mask = np.zeros(z.size, dtype=np.int64) if watch_mask is None else np.asarray(watch_mask, dtype=np.int64)
    return (
        z[order],
        np.asarray(t_lo_unix_s, dtype=np.float64).reshape(-1)[order],
        np.asarray(t_hi_unix_s, dtype=np.float64).reshape(-1)[order],
        lead.reshape(-1)[order],
        mask.reshape(-1)[order],
    )


def _runs(keys: IntArray) -> list[tuple[int, int, int]]:
    """(key, start, end) of each run of equal values in a sorted integer array (empty: no runs)."""
    if not keys.size:
        return []
    firsts, starts = np.unique(keys, return_index=True)
    ends = np.append(starts[1:], keys.size)
    return list(zip(firsts.tolist(), starts.tolist(), ends.tolist(), strict=True))


def _fmt_t(t: float, now: float) -> str:
    return "n/a" if not math.isfinite(t) else f"{t - now:+.1f} s"


@dataclass
class AlertPolicy:
    """The alert state machine over one zone set. See the module docstring for the rules.

    Use ``AlertPolicy(zones, config)``, then ``step(t_unix_s, threat_eval, postures)`` once per update in
    time order; ``state()``/``from_state()`` to log and restore.
    """

    zones: ZoneSet
    config: AlertConfig = field(default_factory=AlertConfig)
    level: IntArray = field(init=False)
    episode: IntArray = field(init=False)
    level_t_unix_s: FloatArray = field(init=False)
    low_updates: IntArray = field(init=False)
    low_since_t_unix_s: FloatArray = field(init=False)
    cancel_t_unix_s: FloatArray = field(init=False)
    cancel_threats: dict[int, list[str]] = field(init=False, default_factory=dict)
    posture: IntArray = field(init=False)
    ep_threats: dict[int, list[str]] = field(init=False, default_factory=dict)
    ep_last_p: dict[int, dict[str, float]] = field(init=False, default_factory=dict)
    threats: dict[str, ThreatMemory] = field(init=False, default_factory=dict)
    # Wide threats' credible regions: threat id -> (zone indices, ascending; earliest and latest impact
    # time per zone), as of the threat's last usable evaluation (empty arrays: it touched no zone), kept
    # while it is lost, until each zone's latest impact time. Arrays, not lists: a national raid holds
    # hundreds of thousands of (threat, zone) region pairs, looked up per open zone every step.
    regions: dict[str, Region] = field(init=False, default_factory=dict)
    # (threat, zone) -> since when the threat's live credible region has left the zone out (Unix s).
    region_out_since: dict[tuple[str, int], float] = field(init=False, default_factory=dict)
    next_episode: int = field(init=False, default=1)
    last_t_unix_s: float = field(init=False, default=-math.inf)
    # Radars reporting at the last step (bit mask, ThreatEval.radars_alive_mask): only they can watch.
    radars_alive_mask: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        n = len(self.zones)
        self.level = np.zeros(n, dtype=np.int64)
        self.episode = np.zeros(n, dtype=np.int64)
        self.level_t_unix_s = np.full(n, np.nan)
        self.low_updates = np.zeros(n, dtype=np.int64)
        self.low_since_t_unix_s = np.full(n, np.nan)
        self.cancel_t_unix_s = np.full(n, np.nan)
        self.posture = np.zeros(n, dtype=np.int64)
        self._theta_kind = np.array(
            [self.config.theta_for_kind(k) for k in self.zones.kind], dtype=np.float64
        )
        self._posture_scale = np.array([self.config.posture_scale.get(p, 1.0) for p in POSTURES])
        self._kinds = [k or "" for k in self.zones.kind]
        # Per zone: how long before an impact the take-cover decision must be taken (s): shelter time,
        # dissemination delay and decision margin. A deadline is an earliest impact time minus this.
        c = self.config
        self._lead_s = self.zones.shelter_s + c.dissemination_delay_s + c.decision_margin_s

    # ------------------------------------------------------------------ state
    def state(self) -> dict[str, Any]:
        """The whole policy state as JSON-ready plain data (lists, numbers, strings)."""
        return {
            "version": STATE_VERSION,
            "zone_ids": list(self.zones.ids),
            "level": self.level.tolist(),
            "episode": self.episode.tolist(),
            "level_t_unix_s": [None if not math.isfinite(v) else v for v in self.level_t_unix_s.tolist()],
            "low_updates": self.low_updates.tolist(),
            "low_since_t_unix_s": _opt_list(self.low_since_t_unix_s),
            "cancel_t_unix_s": _opt_list(self.cancel_t_unix_s),
            "cancel_threats": {str(z): list(v) for z, v in sorted(self.cancel_threats.items())},
            "posture": [POSTURES[p] for p in self.posture.tolist()],
            "ep_threats": {str(z): list(v) for z, v in sorted(self.ep_threats.items())},
            "ep_last_p": {str(z): dict(sorted(v.items())) for z, v in sorted(self.ep_last_p.items())},
            "threats": {k: m.to_record() for k, m in sorted(self.threats.items())},
            "regions": {
                k: [z.tolist(), a.tolist(), b.tolist(), _opt_list(w), m.tolist()]
                for k, (z, a, b, w, m) in sorted(self.regions.items())
            },
            "radars_alive_mask": self.radars_alive_mask,
            "region_out_since": [[k[0], k[1], v] for k, v in sorted(self.region_out_since.items())],
            "next_episode": self.next_episode,
            "last_t_unix_s": self.last_t_unix_s if math.isfinite(self.last_t_unix_s) else None,
        }

    @classmethod
    def from_state(cls, zones: ZoneSet, config: AlertConfig, state: dict[str, Any]) -> AlertPolicy:
        """Restore a policy saved by ``state()`` (the zone ids must match, in order)."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported alert policy state version {state.get('version')!r}")
        if list(state["zone_ids"]) != list(zones.ids):
            raise ValueError("alert policy state was saved for another zone set")
        p = cls(zones, config)
        p.level = np.asarray(state["level"], dtype=np.int64)
        p.episode = np.asarray(state["episode"], dtype=np.int64)
        p.level_t_unix_s = np.array(
            [math.nan if v is None else float(v) for v in state["level_t_unix_s"]], dtype=np.float64
        )
        p.low_updates = np.asarray(state["low_updates"], dtype=np.int64)
        n = len(zones)
        p.low_since_t_unix_s = _from_opt_list(state.get("low_since_t_unix_s", [None] * n))
        p.cancel_t_unix_s = _from_opt_list(state.get("cancel_t_unix_s", [None] * n))
        p.cancel_threats = {int(z): [str(t) for t in v] for z, v in state.get("cancel_threats", {}).items()}
        p.posture = np.array([POSTURES.index(s) for s in state["posture"]], dtype=np.int64)
        p.ep_threats = {int(z): [str(t) for t in v] for z, v in state["ep_threats"].items()}
        p.ep_last_p = {
            int(z): {str(k): float(x) for k, x in v.items()} for z, v in state["ep_last_p"].items()
        }
        p.threats = {
            k: ThreatMemory(
                **{
                    **v,
                    "t_last_usable_unix_s": -math.inf
                    if v.get("t_last_usable_unix_s") is None
                    else float(v["t_last_usable_unix_s"]),
                    "t_first_unix_s": math.nan
                    if v.get("t_first_unix_s") is None
                    else float(v["t_first_unix_s"]),
                }
            )
            for k, v in state["threats"].items()
        }
        p.regions = {
            k: make_region(
                v[0],
                v[1],
                # A scalar latest time (states written before per-zone times) holds for every zone.
                v[2] if isinstance(v[2], list) else [float(v[2])] * len(v[0]),
                v[3] if len(v) > 3 else None,
                v[4] if len(v) > 4 else None,
            )
            for k, v in state.get("regions", {}).items()
        }
        p.radars_alive_mask = int(state.get("radars_alive_mask", 0))
        p.region_out_since = {(str(a), int(b)): float(v) for a, b, v in state.get("region_out_since", [])}
        p.next_episode = int(state["next_episode"])
        last = state["last_t_unix_s"]
        p.last_t_unix_s = -math.inf if last is None else float(last)
        return p

    # ------------------------------------------------------------------ helpers
    def _apply_postures(self, postures: Iterable[PostureChange]) -> None:
        for pc in sorted(postures, key=lambda c: c.t_unix_s):
            sel = np.zeros(len(self.zones), dtype=bool)
            if not pc.zone_ids and not pc.kinds:
                sel[:] = True
            for zid in pc.zone_ids:
                if zid not in self.zones.index:
                    raise ValueError(f"posture change names unknown zone {zid!r}")
                sel[self.zones.index[zid]] = True
            if pc.kinds:
                sel |= np.isin(np.array(self._kinds, dtype=object), list(pc.kinds))
            self.posture[sel] = POSTURES.index(pc.posture)

    def _update_threats(self, t: float, ev: ThreatEval) -> None:
        c = self.config
        holds = hold_for_classes(ev.class_names, ev.class_prob, c)
        ir_only = ev.ir_only_mask()
        seen = set()
        for i, tid in enumerate(ev.track_ids):
            seen.add(tid)
            m = self.threats.get(tid)
            if m is None:
                m = ThreatMemory(
                    t, math.nan, float(holds[i]), False, False, False, math.nan, t_first_unix_s=t
                )
                self.threats[tid] = m
            m.t_seen_unix_s = t
            if ev.landed[i]:
                # The track ended at the ground: it landed now (first time seen so).
                if not m.ended:
                    m.t_land_unix_s = t
                m.ended = True
                m.usable = False
            elif ev.usable[i]:
                m.t_land_unix_s = float(ev.impact_t_late_unix_s[i]) + c.impact_margin_s
                m.t_last_usable_unix_s = t
                m.hold_s = float(holds[i])
                m.usable = True
                m.boosting = bool(ev.boosting[i])
                m.sigma_max_m = float(ev.sigma_max_m[i])
                m.ir_only = bool(ir_only[i])
                spread = float(ev.impact_t_late_unix_s[i] - ev.impact_t_early_unix_s[i])
                t_go = float(ev.impact_t_unix_s[i]) - t
                # Short flights are never deferred (t_go below region_defer_min_tgo_s: rockets, late finds).
                m.timed = bool(spread <= c.region_time_spread_ratio * t_go or t_go < c.region_defer_min_tgo_s)
            else:
                # no_impact / invalid: treated as lost for every zone it threatened (t_land kept).
                m.usable = False
        for tid, m in self.threats.items():
            if tid not in seen:
                m.usable = False
        # Credible regions of wide, usable threats (replaced by each new usable evaluation).
        sig = np.nan_to_num(ev.sigma_max_m, nan=np.inf)
        wide = ev.usable & (sig >= c.region_min_sigma_m)
        informative = sig <= c.region_max_sigma_m
        for i, tid in enumerate(ev.track_ids):
            if ev.usable[i] and not wide[i]:
                self.regions.pop(tid, None)  # the threat is now narrow: the probability rules apply
        if ev.region_threat.size:
            # Pairs of informative wide threats whose earliest impact near the zone is still ahead (an
            # unconverged track can predict an impact already in the past).
            sel = (
                wide[ev.region_threat]
                & informative[ev.region_threat]
                & (ev.region_t_early_unix_s >= t - c.impact_margin_s)
            )
            r_thr, r_zone = ev.region_threat[sel], ev.region_zone[sel]
            r_lo = ev.region_t_early_unix_s[sel]
            # Never before the zone's earliest time (a degenerate time plane).
            r_hi = np.maximum(ev.region_late_unix_s()[sel], r_lo)
            r_w, r_m = ev.watch_lead()[sel], ev.watch_mask()[sel]
            order = np.lexsort((r_zone, r_thr))
            r_thr, r_zone, r_lo, r_hi = r_thr[order], r_zone[order], r_lo[order], r_hi[order]
            r_w, r_m = r_w[order], r_m[order]
            for i, a, b in _runs(r_thr):
                self.regions[ev.track_ids[i]] = (r_zone[a:b], r_lo[a:b], r_hi[a:b], r_w[a:b], r_m[a:b])
        has_region = np.bincount(ev.region_threat, minlength=len(ev.track_ids)) > 0
        for i, tid in enumerate(ev.track_ids):
            if wide[i] and informative[i] and not has_region[i]:
                # Wide but touching no zone (any more): an empty region, which clears the zones it left.
                self.regions[tid] = make_region([], [], [])
        # A lost wide threat whose object is now followed by a narrow track (typically an infrared
        # track handed over to a radar under a new id): a narrow usable threat with a non-negligible p
        # on one of the region's zones, landing inside the region's time window, explains it.
        narrow_pairs = ev.usable[ev.pair_threat] & ~wide[ev.pair_threat] & (ev.pair_p >= c.p_negligible)
        if np.any(narrow_pairs):
            nz_zone = ev.pair_zone[narrow_pairs]
            nz_t = ev.impact_t_unix_s[ev.pair_threat[narrow_pairs]]
            live = {tid for i, tid in enumerate(ev.track_ids) if ev.usable[i]}
            for tid in [k for k, v in self.regions.items() if k not in live and v[0].size]:
                zones_i, t_lo, t_hi = self.regions[tid][:3]
                hit = (
                    np.isin(nz_zone, zones_i)
                    & (nz_t >= t_lo.min() - c.region_match_s)
                    & (nz_t <= t_hi.max() + c.region_match_s)
                )
                if np.any(hit):
                    del self.regions[tid]
                    m = self.threats.get(tid)
                    if m is not None and not m.usable and not m.ended:
                        who = sorted({ev.track_ids[int(k)] for k in ev.pair_threat[narrow_pairs][hit]})
                        m.explained_by = who[0]

    def _deferred(self, t: float) -> set[str]:
        """Live wide threats whose predictions cannot yet place the impact in time (a new track's first
        clouds: impact-time spread wider than ``region_time_spread_ratio`` x the time to go), for at most
        ``region_defer_s`` after the threat was first seen: their regions pre-alert but do not yet order
        shelter (the next prediction comes within seconds; a lost one keeps its region as it is)."""
        c = self.config
        return {
            tid
            for tid in self.regions
            if (m := self.threats.get(tid)) is not None
            and m.usable
            and not m.timed
            and t - m.t_first_unix_s < c.region_defer_s
        }

    def _watched_lo(self, tid: str, reg: Region, t: float) -> FloatArray:
        """Earliest impact time per region zone (Unix s), with the radar watch applied.

        A wide threat that is lost, or live but fed by infrared only, cannot strike a zone that a
        reporting radar watches sooner than the watch lead after the object shows up on that radar
        (tocsin.zones.watch): until then its earliest time there is max(t_early, now + lead), and the
        radar's own track warns when it comes. A threat a radar has updated is never deferred (else
        the radar's own track of it would defer itself).
        """
        lo = reg[1]
        m = self.threats.get(tid)
        # (A threat forgotten by _forget is long lost; its region outlives its memory.)
        eligible = m is None or (not m.ended and (not m.usable or m.ir_only))
        if not eligible or not self.radars_alive_mask:
            return lo
        on = np.isfinite(reg[3]) & ((reg[4] & np.int64(self.radars_alive_mask)) != 0)
        if not np.any(on):
            return lo
        return np.where(on, np.maximum(lo, t + np.where(on, reg[3], 0.0)), lo)

    def _watch_note(self, z: int, tids: Sequence[str], t: float) -> str:
        """Reason text naming the region threats whose time at zone z the radar watch holds off."""
        held = []
        for tid in tids:
            reg = self.regions.get(tid)
            if reg is None:
                continue
            k = int(np.searchsorted(reg[0], z))
            if k < reg[0].size and reg[0][k] == z and self._watched_lo(tid, reg, t)[k] > reg[1][k]:
                held.append(f"{tid} {reg[3][k]:.0f} s")
        if not held:
            return ""
        return (
            "; radar watch: a reporting radar would track the object at least this long before impact, "
            f"so no shelter until it does ({', '.join(held)})"
        )

    def _held_pairs(self, ev: ThreatEval, usable_pair: BoolArray) -> BoolArray:
        """Usable probability pairs (aligned with ``ev.pair_*[usable_pair]``) the radar watch holds off:
        threat fed by infrared only, a reporting radar watching the zone with a lead longer than the
        zone's shelter + delay + margin."""
        n = int(np.count_nonzero(usable_pair))
        if not self.radars_alive_mask or n == 0:
            return np.zeros(n, dtype=bool)
        lead = ev.pair_watch_lead()[usable_pair]
        mask = ev.pair_watch_bits()[usable_pair]
        thr = ev.pair_threat[usable_pair]
        zone = ev.pair_zone[usable_pair]
        ir = ev.ir_only_mask()[thr]
        on = ir & np.isfinite(lead) & ((mask & np.int64(self.radars_alive_mask)) != 0)
        return np.asarray(on & (np.where(on, lead, 0.0) > self._lead_s[zone]), dtype=bool)

    def _region_view(
        self, t: float, skip: set[str] | None = None
    ) -> tuple[FloatArray, dict[int, list[str]], FloatArray]:
        """Per zone: earliest impact of the pending regions containing it (Unix s, inf where none),
        those threats (in threat id order), and the same earliest time leaving out the region zones
        whose time the radar watch holds off (their deadline does not come nearer while it watches)."""
        t_reg = np.full(len(self.zones), np.inf)
        items = [
            (tid, reg)
            for tid, reg in sorted(self.regions.items())
            if reg[0].size and not (skip and tid in skip)
        ]
        if not items:
            return t_reg, {}, t_reg.copy()
        zs = np.concatenate([r[0] for _, r in items])
        lo = np.concatenate([self._watched_lo(tid, r, t) for tid, r in items])
        raw = np.concatenate([r[1] for _, r in items])
        hi = np.concatenate([r[2] for _, r in items])
        owner = np.repeat(np.arange(len(items)), [r[0].size for _, r in items])
        # A zone whose latest plausible time has passed: the threat landed near it.
        ok = t <= hi + self.config.impact_margin_s
        zs, lo, raw, owner = zs[ok], lo[ok], raw[ok], owner[ok]
        np.minimum.at(t_reg, zs, lo)
        t_unwatched = np.full(len(self.zones), np.inf)
        free = lo <= raw
        np.minimum.at(t_unwatched, zs[free], lo[free])
        order = np.lexsort((owner, zs))
        zs, owner = zs[order], owner[order]
        names = [tid for tid, _ in items]
        owners = [names[o] for o in owner.tolist()]
        return t_reg, {z: owners[a:b] for z, a, b in _runs(zs)}, t_unwatched

    def _forget(self, t: float) -> None:
        referenced = {tid for v in self.ep_threats.values() for tid in v}
        for tid in [k for k, m in self.threats.items() if not m.usable and k not in referenced]:
            if t - self.threats[tid].t_seen_unix_s > self.config.lost_memory_s:
                del self.threats[tid]
        for tid in [
            k
            for k, reg in self.regions.items()
            if (t > reg[2].max() + self.config.lost_memory_s if reg[2].size else k not in self.threats)
        ]:
            del self.regions[tid]
        for key in [
            k for k in self.region_out_since if k[0] not in self.regions or k[1] not in self.ep_threats
        ]:
            del self.region_out_since[key]

    # ------------------------------------------------------------------ step
    def step(
        self, t_unix_s: float, threat_eval: ThreatEval, postures: Iterable[PostureChange] = ()
    ) -> list[AlertDecision]:
        """Advance to ``t_unix_s`` (newest measurement time, s) and return the alert changes, in issue order.

        ``threat_eval`` is this step's evaluation (its threats are all current tracks; a track missing
        from it counts as lost); ``postures`` the operator posture changes that take effect at or before
        ``t_unix_s`` (applied in time order before the decision, so a replay gives the same result).
        Decisions are ordered take_cover, pre_alert, cancel, all_clear, then by zone index.
        """
        c = self.config
        t = float(t_unix_s)
        if t < self.last_t_unix_s:
            raise ValueError(f"alert policy stepped back in time: {t} < {self.last_t_unix_s}")
        if threat_eval.n_zones != len(self.zones):
            raise ValueError("threat evaluation was made for another zone set")
        self.last_t_unix_s = t
        ev = threat_eval
        self.radars_alive_mask = int(getattr(ev, "radars_alive_mask", 0))
        nz = len(self.zones)
        self._apply_postures(postures)
        self._update_threats(t, ev)

        # ---- per-zone aggregates (vectorised over pairs)
        p_pair = np.where(np.isnan(ev.pair_p), 1.0, ev.pair_p)
        usable_pair = ev.usable[ev.pair_threat] if ev.pair_threat.size else np.zeros(0, dtype=bool)
        pz, pp = ev.pair_zone[usable_pair], p_pair[usable_pair]
        pth = ev.pair_threat[usable_pair]
        p_zone = zone_probability(pz, pp, nz)
        rel = pp >= c.p_negligible
        t_early = np.full(nz, np.inf)
        np.minimum.at(t_early, pz[rel], ev.pair_t_early_unix_s[usable_pair][rel])
        # Radar watch on probability pairs: an infrared-only threat over a zone that a reporting radar
        # watches with a lead longer than the zone's own (shelter + delay + margin) neither orders nor
        # holds shelter there by its samples: the radar's track of the object will, in time. It still
        # pre-alerts. (Lost threats have no pairs; their regions are deferred in _watched_lo.)
        held = self._held_pairs(ev, usable_pair)
        if np.any(held):
            p_zone_tc = zone_probability(pz[~held], pp[~held], nz)
            t_early_tc = np.full(nz, np.inf)
            rel_tc = rel & ~held
            np.minimum.at(t_early_tc, pz[rel_tc], ev.pair_t_early_unix_s[usable_pair][rel_tc])
        else:
            p_zone_tc, t_early_tc = p_zone, t_early
        t_mean = np.full(nz, np.inf)
        np.minimum.at(t_mean, pz[rel], ev.pair_t_mean_unix_s[usable_pair][rel])
        # Pairs sorted by zone, then decreasing p, then threat, turned into Python lists once: each
        # zone's threat list is then a slice (the per-zone loops below run over every open zone).
        zorder = np.lexsort((pth, -pp, pz))
        zbound = np.searchsorted(pz[zorder], np.arange(nz + 1)).tolist()
        zs_ids = [ev.track_ids[i] for i in pth[zorder].tolist()]
        zs_p = pp[zorder].tolist()

        def zone_pairs(z: int) -> tuple[list[str], list[float]]:
            a, b = zbound[z], zbound[z + 1]
            return zs_ids[a:b], zs_p[a:b]

        scale = self._posture_scale[self.posture]
        p_pre = c.p_pre_alert_on * scale
        shelter = self.zones.shelter_s
        deadline = t_early_tc - self._lead_s
        # Take-cover threshold falling with time to the zone's deadline (algorithms.md 8.1/8.6: p
        # sharpens as t_go falls, so far from the deadline a low p is mostly an unrefined cloud):
        # theta_far_factor x the floor while the deadline is >= theta_ramp_s away, the cost-loss floor
        # from the deadline on (the time_to_shelter rule still guarantees timeliness below it).
        ramp = np.clip((deadline - t) / max(c.theta_ramp_s, 1e-9), 0.0, 1.0)
        theta_floor = self._theta_kind * scale
        theta = theta_floor * (1.0 + (c.theta_far_factor - 1.0) * np.nan_to_num(ramp, nan=0.0))
        # Re-opening hysteresis: a zone whose warning was cancelled less than reopen_memory_s ago, with
        # no threat beyond the cancelled ones, needs p >= p_reopen (a clearly higher p than the one that
        # first warned it) to take cover again by probability; the time rule is unchanged.
        recent = (t - self.cancel_t_unix_s) < c.reopen_memory_s
        for z in np.flatnonzero(recent & (p_zone_tc >= theta) & (p_zone_tc < c.p_reopen)).tolist():
            ids = [i for i, p in zip(*zone_pairs(z), strict=True) if p >= c.p_negligible]
            if set(ids) <= set(self.cancel_threats.get(z, [])):
                theta[z] = max(theta[z], c.p_reopen)
        by_p = p_zone_tc >= theta
        by_time = (p_zone_tc >= c.p_negligible) & (t >= deadline)
        t_reg, reg_who, t_reg_g = self._region_view(t)
        deferred = self._deferred(t)
        t_reg_tc = self._region_view(t, deferred)[0] if deferred else t_reg
        reg_deadline = t_reg_tc - self._lead_s
        by_region = np.isfinite(t_reg_tc) & (t >= reg_deadline)
        by_time = by_time | by_region
        by_posture = (self.posture == _IMMINENT) & c.imminent_orders_shelter
        want_tc = by_p | by_time | by_posture
        # What keeps a landed episode open although its own threats are done: a threat that would warn
        # the zone now, or one whose time-to-shelter deadline is less than release_guard_s away (an
        # all_clear followed by a new take_cover moments later helps nobody).
        # A region time the radar watch holds off never comes nearer: no guard before it (the radar's own
        # track warns in time), only its deadline itself (watch lead shorter than the zone's lead).
        near = (
            ((p_zone_tc >= c.p_negligible) & (t >= deadline - c.release_guard_s))
            | (np.isfinite(t_reg_g) & (t >= t_reg_g - self._lead_s - c.release_guard_s))
            | (np.isfinite(t_reg) & (t >= t_reg - self._lead_s))
        )
        keep = (p_zone_tc >= theta_floor) | near | by_posture
        want_pre = ~want_tc & (
            ((p_zone >= p_pre) & (t_early - t >= c.pre_alert_min_lead_s))
            | (np.isfinite(t_reg) & (t_reg - t >= c.pre_alert_min_lead_s))
        )

        # Consecutive low updates per zone (cancel / pre-alert off hysteresis).
        low_thr = np.where(self.level == LEVEL_TAKE_COVER, c.p_cancel, c.p_pre_alert_off)
        low = p_zone < low_thr
        self.low_updates = np.where(low, self.low_updates + 1, 0)
        self.low_since_t_unix_s = np.where(
            low, np.where(np.isnan(self.low_since_t_unix_s), t, self.low_since_t_unix_s), np.nan
        )

        out: list[AlertDecision] = []

        def emit(z: int, level: str, rule: str, reason: str, threats: Sequence[str], t_imp: float) -> None:
            out.append(
                AlertDecision(
                    t_unix_s=t,
                    zone=self.zones.ids[z],
                    zone_index=z,
                    level=level,
                    threats=tuple(threats),
                    p_impact=float(p_zone[z]),
                    impact_t_unix_s=float(t_imp) if math.isfinite(t_imp) else None,
                    reason=reason,
                    rule=rule,
                    episode=int(self.episode[z]),
                )
            )

        def join_threats(z: int, new: Sequence[str]) -> list[str]:
            cur = self.ep_threats.setdefault(z, [])
            have = set(cur)
            for tid in new:
                if tid not in have:
                    cur.append(tid)
                    have.add(tid)
            return cur

        # A threat belongs to a zone's episode from the lowest probability that can warn the zone.
        rel_thr = np.minimum(np.minimum(theta, p_pre), c.p_negligible)

        def rel_threats(z: int) -> tuple[list[str], list[float]]:
            ids, ps = zone_pairs(z)
            keep = [k for k, p in enumerate(ps) if p >= rel_thr[z]]
            out_ids, out_ps = [ids[k] for k in keep], [ps[k] for k in keep]
            have = set(out_ids)
            for tid in reg_who.get(z, []):
                if tid not in have:
                    out_ids.append(tid)
                    out_ps.append(0.0)
            return out_ids, out_ps

        # ---- openings: take_cover, then pre_alert
        for z in np.flatnonzero(want_tc & (self.level < LEVEL_TAKE_COVER)).tolist():
            ids, ps = rel_threats(z)
            if self.level[z] == LEVEL_NONE:
                self.episode[z] = self.next_episode
                self.next_episode += 1
            self.level[z] = LEVEL_TAKE_COVER
            self.level_t_unix_s[z] = t
            self.low_updates[z] = 0
            self.low_since_t_unix_s[z] = np.nan
            threats = join_threats(z, ids)
            plist = ", ".join(f"{i} p={p:.3f}" for i, p in zip(ids, ps, strict=True)) or "none"
            common = (
                f"p_zone={p_zone[z]:.3f}, earliest impact {_fmt_t(t_early[z], t)}, "
                f"shelter {shelter[z]:.0f} s, posture {POSTURES[self.posture[z]]}; threats: {plist}"
            )
            if by_p[z]:
                rule = "p_threshold"
                reason = f"take cover: p_zone {p_zone[z]:.3f} >= threshold {theta[z]:.3f}; {common}"
            elif by_region[z] and not (p_zone[z] >= c.p_negligible and t >= deadline[z]):
                rule = "credible_region"
                reason = (
                    f"take cover: inside the credible impact region of a wide threat "
                    f"({', '.join(reg_who.get(z, []))}), deadline reached (shelter {shelter[z]:.0f} s "
                    f"+ delay {c.dissemination_delay_s:.0f} s + margin {c.decision_margin_s:.0f} s "
                    f"before its earliest impact {_fmt_t(t_reg[z], t)}); {common}"
                )
            elif by_time[z]:
                rule = "time_to_shelter"
                reason = (
                    f"take cover: waiting longer would leave less than shelter {shelter[z]:.0f} s + delay "
                    f"{c.dissemination_delay_s:.0f} s + margin {c.decision_margin_s:.0f} s before the "
                    f"earliest plausible impact; {common}"
                )
            else:
                rule = "posture_imminent"
                reason = f"take cover: operator posture imminent for this zone; {common}"
            emit(z, "take_cover", rule, reason, threats, min(t_mean[z], t_reg[z]))
        for z in np.flatnonzero(want_pre & (self.level == LEVEL_NONE)).tolist():
            ids, ps = rel_threats(z)
            self.episode[z] = self.next_episode
            self.next_episode += 1
            self.level[z] = LEVEL_PRE_ALERT
            self.level_t_unix_s[z] = t
            self.low_updates[z] = 0
            self.low_since_t_unix_s[z] = np.nan
            threats = join_threats(z, ids)
            plist = ", ".join(f"{i} p={p:.3f}" for i, p in zip(ids, ps, strict=True))
            if p_zone[z] >= p_pre[z]:
                rule = "pre_alert_threshold"
                reason = (
                    f"pre-alert: p_zone {p_zone[z]:.3f} >= {p_pre[z]:.3f}, earliest impact "
                    f"{_fmt_t(t_early[z], t)}; threats: {plist}"
                )
            else:
                rule = "pre_alert_region"
                reason = (
                    f"pre-alert: inside the credible impact region of a wide threat "
                    f"({', '.join(reg_who.get(z, []))}), earliest impact {_fmt_t(t_reg[z], t)}"
                    + self._watch_note(z, reg_who.get(z, []), t)
                )
            emit(z, "pre_alert", rule, reason, threats, min(t_mean[z], t_reg[z]))

        # ---- open episodes: grow threat lists, then cancel / all_clear
        opened_now = {d.zone_index for d in out}
        for z in np.flatnonzero(self.level > LEVEL_NONE).tolist():
            if z in opened_now:
                continue
            ids, _ = rel_threats(z)
            before = len(self.ep_threats.get(z, []))
            threats = join_threats(z, ids)
            # Last probability each episode threat gave this zone while its prediction was usable.
            all_ids, all_ps = zone_pairs(z)
            now_p = dict(zip(all_ids, all_ps, strict=True))
            last = self.ep_last_p.setdefault(z, {})
            for tid in threats:
                m = self.threats.get(tid)
                if m is not None and m.usable:
                    last[tid] = now_p.get(tid, 0.0)
            if c.emit_threat_updates and self.level[z] == LEVEL_TAKE_COVER and len(threats) > before:
                emit(
                    z,
                    "take_cover",
                    "threats_update",
                    f"threat list updated: {', '.join(threats)}",
                    threats,
                    t_mean[z],
                )
            if (
                self.posture[z] == _IMMINENT
                and c.imminent_orders_shelter
                and self.level[z] == LEVEL_TAKE_COVER
            ):
                continue
            self._maybe_close(z, t, p_zone, t_mean, threats, emit, bool(keep[z]), reg_who.get(z, []))

        self._forget(t)
        out.sort(key=lambda d: (_ISSUE_ORDER[d.level], d.zone_index))
        return out

    def _maybe_close(
        self,
        z: int,
        t: float,
        p_zone: FloatArray,
        t_mean: FloatArray,
        threats: list[str],
        emit: Any,
        wanted: bool = True,
        in_region_of: Sequence[str] = (),
    ) -> None:
        c = self.config
        lvl = int(self.level[z])
        tc = lvl == LEVEL_TAKE_COVER
        if not threats:
            # An operator-ordered shelter with no threat: lifted as soon as the posture is.
            self._close(z)
            emit(
                z,
                "all_clear",
                "posture_stand_down",
                "all clear: operator posture lowered, no threat",
                (),
                math.nan,
            )
            return
        p_off = c.p_cancel if tc else c.p_pre_alert_off
        in_region = set(in_region_of)
        landed_due: list[float] = []
        explained: list[str] = []
        all_cleared = True
        for tid in threats:
            m = self.threats.get(tid)
            if m is None:
                return  # unknown (forgotten) threats never end a warning
            if m.explained_by and not m.usable:
                explained.append(f"{tid} by {m.explained_by}")
                continue  # followed by a live narrow track, which holds the zone if it must
            reg = self.regions.get(tid)
            if reg is not None and not m.ended:
                # A wide threat (credible-region rule): its region of the latest informative evaluation
                # decides for this zone, with this zone's own latest plausible impact time.
                k = int(np.searchsorted(reg[0], z))
                if k < reg[0].size and reg[0][k] == z:
                    self.region_out_since.pop((tid, z), None)
                    t_hi_z = float(reg[2][k]) + c.impact_margin_s
                    if t < t_hi_z:
                        # Still plausibly ahead for this zone: it holds a take-cover from its deadline for
                        # the zone (earliest impact - shelter - delay - margin) less release_guard_s on.
                        # Before that it would not order shelter by itself, so it does not hold a shelter
                        # that others opened; the region rule orders it anew at its deadline. (A pre-alert
                        # over the region is what it warrants until then, and it keeps that.)
                        lo_z = float(self._watched_lo(tid, reg, t)[k])
                        reg_deadline = lo_z - float(self._lead_s[z])
                        # (No guard before a time the radar watch holds off: it does not come nearer.)
                        guard = 0.0 if lo_z > float(reg[1][k]) else c.release_guard_s
                        if not (tc and c.release_unwarranted and t < reg_deadline - guard):
                            return
                    else:
                        landed_due.append(t_hi_z + (c.region_hold_s if tc else c.pre_alert_hold_s))
                        all_cleared = False
                    continue
                elif not m.usable:
                    # Lost, and its last region left this zone out: by its last word it cannot land here.
                    if not c.region_lost_out_clears:
                        landed_due.append(m.t_land_unix_s if math.isfinite(m.t_land_unix_s) else t)
                        all_cleared = False
                else:
                    # Live, and its current credible region leaves the zone out: cleared once that has
                    # held for region_clear_confirm_s (hysteresis against a region edge that wobbles).
                    since = self.region_out_since.setdefault((tid, z), t)
                    if t - since < c.region_clear_confirm_s:
                        landed_due.append(math.inf)  # not yet: the zone stays as it is
                        all_cleared = False
                continue
            landed = m.ended or (math.isfinite(m.t_land_unix_s) and t >= m.t_land_unix_s)
            if landed:
                # Landed away from the zone (its last confident prediction gave the zone ~0): no hold.
                away = (
                    self.ep_last_p.get(z, {}).get(tid, 1.0) < p_off
                    and not m.boosting
                    and m.sigma_max_m <= c.cancel_max_sigma_m
                )
                # An impact seen at the ground (track ended there) needs only the short observed-landing
                # hold (debris, follow-on rounds get their own warnings); a lost track keeps its class hold.
                # Seen down: ended at the ground, or tracked with a confident prediction until within
                # landing_seen_window_s of its predicted (late) impact time and gone at that time.
                seen_down = m.ended or (
                    m.sigma_max_m <= c.cancel_max_sigma_m
                    and m.t_land_unix_s - c.impact_margin_s - m.t_last_usable_unix_s
                    <= c.landing_seen_window_s
                )
                class_hold = min(m.hold_s, c.hold_observed_landing_s) if seen_down else m.hold_s
                hold = 0.0 if away else class_hold if tc else c.pre_alert_hold_s
                landed_due.append(m.t_land_unix_s + hold)
                all_cleared = False
                continue
            # Not landed: it must be cleared by a confident current prediction, else the zone stays. A
            # wide threat whose credible region holds the zone clears nothing (its per-zone p is ~0
            # everywhere: that is what made it wide).
            if tid in in_region:
                return
            confident = m.usable and (not tc or (not m.boosting and m.sigma_max_m <= c.cancel_max_sigma_m))
            unwarranted = c.release_unwarranted and not wanted and not all_cleared
            if not (confident and p_zone[z] < p_off) and not unwarranted:
                return
        dwell = t - self.level_t_unix_s[z]
        if all_cleared:
            min_dwell = c.take_cover_min_dwell_s if tc else c.pre_alert_min_dwell_s
            low_for = t - self.low_since_t_unix_s[z]
            # The clearing must hold for cancel_confirm_s, or for cancel_confirm_frac of the time left
            # to the episode threats' earliest predicted impact when that is shorter: a confirmation
            # that outlasts the flight keeps people sheltered from a rocket already seen to miss.
            t_left = min(
                (
                    self.threats[tid].t_land_unix_s - c.impact_margin_s - t
                    for tid in threats
                    if self.threats[tid].usable and math.isfinite(self.threats[tid].t_land_unix_s)
                ),
                default=math.inf,
            )
            confirm = min(c.cancel_confirm_s, c.cancel_confirm_frac * max(t_left, 0.0)) if tc else 0.0
            if self.low_updates[z] >= c.off_updates and dwell >= min_dwell and low_for >= confirm:
                reason = (
                    f"cancel: p_zone {p_zone[z]:.4f} < {p_off:.4f} for {int(self.low_updates[z])} updates "
                    f"({low_for:.0f} s) with confident predictions of every threat ({', '.join(threats)}) "
                    "before impact"
                    + (f"; lost tracks followed by live ones: {', '.join(explained)}" if explained else "")
                )
                if tc:
                    self.cancel_t_unix_s[z] = t
                    self.cancel_threats[z] = list(threats)
                self._close(z)
                emit(z, "cancel", "cleared", reason, threats, t_mean[z])
            return
        # A threat that still shows p >= p_negligible but would not open this zone's warning now (below
        # the cost-loss floor, before its time-to-shelter deadline) does not hold a landed episode open:
        # if it later warrants shelter it opens its own warning (the time rule keeps it timely).
        due = max(landed_due) if landed_due else t
        quiet = p_zone[z] < c.p_negligible or (c.release_unwarranted and not wanted)
        if t >= due and quiet:
            reason = (
                f"all clear: every threat ({', '.join(threats)}) landed (away from the zone without hold, "
                f"a wide one after this zone's latest plausible impact time plus {c.region_hold_s:.0f} s, "
                f"else after its class hold), was lost or moved away; due {_fmt_t(due, t)}"
                + (f"; lost tracks followed by live ones: {', '.join(explained)}" if explained else "")
            )
            self._close(z)
            emit(z, "all_clear", "landed", reason, threats, math.nan)

    def _close(self, z: int) -> None:
        self.level[z] = LEVEL_NONE
        self.level_t_unix_s[z] = np.nan
        self.low_updates[z] = 0
        self.low_since_t_unix_s[z] = np.nan
        self.ep_threats.pop(z, None)
        self.ep_last_p.pop(z, None)
