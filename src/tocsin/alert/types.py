"""Alert policy data: levels, operator posture changes, decisions and the policy configuration.

Everything here is plain data (frozen dataclasses of numbers, strings and tuples) so that the engine can
log and replay it. ``AlertDecision.to_record()`` is one line of ``alerts.jsonl`` (interfaces.md
section 5) with the extra fields ``rule``, ``episode`` and ``zone_index``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

LEVEL_NONE: Final = 0
LEVEL_PRE_ALERT: Final = 1
LEVEL_TAKE_COVER: Final = 2
#: alerts.jsonl ``level`` values (contract section 5).
LEVELS: Final = ("pre_alert", "take_cover", "all_clear", "cancel")

POSTURES: Final = ("normal", "elevated", "imminent")

#: Rules that can issue a decision (the ``rule`` extra field).
RULES: Final = (
    "p_threshold",  # take_cover: p_zone >= the zone's cost-loss threshold
    "time_to_shelter",  # take_cover: waiting one more update would leave too little time to shelter
    "credible_region",  # take_cover: inside a wide threat's credible impact region at the deadline
    "posture_imminent",  # take_cover: operator set the zone's group to imminent
    "pre_alert_threshold",  # pre_alert: p_zone >= the low pre-alert threshold, impact still far
    "pre_alert_region",  # pre_alert: inside a wide threat's credible impact region, impact still far
    "cleared",  # cancel: every threat of the episode moved away with a confident prediction
    "landed",  # all_clear: every threat of the episode landed (or was lost) and the hold passed
    "posture_stand_down",  # all_clear: an operator-ordered shelter without threats is lifted
    "threats_update",  # take_cover re-sent inside an open episode with a new threat list (optional)
)


@dataclass(frozen=True)
class PostureChange:
    """Operator input: set the readiness posture of a zone group from ``t_unix_s`` on.

    ``posture`` is one of ``POSTURES``. The group is ``zone_ids`` plus every zone whose ``kind`` is in
    ``kinds``; both empty means every zone. ``imminent`` orders take_cover for the group at once (with
    or without a launch); ``elevated`` lowers thresholds and widens pre-alerts.
    """

    t_unix_s: float
    posture: str
    zone_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if self.posture not in POSTURES:
            raise ValueError(f"posture must be one of {POSTURES}, got {self.posture!r}")
        if not math.isfinite(self.t_unix_s):
            raise ValueError("posture change t_unix_s must be finite")

    def to_record(self) -> dict[str, Any]:
        """JSON-ready dict (for the event log)."""
        return {
            "t_unix_s": self.t_unix_s,
            "posture": self.posture,
            "zone_ids": list(self.zone_ids),
            "kinds": list(self.kinds),
            "note": self.note,
        }

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> PostureChange:
        """Inverse of ``to_record``."""
        return cls(
            t_unix_s=float(rec["t_unix_s"]),
            posture=str(rec["posture"]),
            zone_ids=tuple(str(z) for z in rec.get("zone_ids", ())),
            kinds=tuple(str(k) for k in rec.get("kinds", ())),
            note=str(rec.get("note", "")),
        )


@dataclass(frozen=True)
class AlertDecision:
    """One alert state change of one zone, with its provenance.

    ``t_unix_s`` is the decision time (newest measurement used; dissemination delay not added);
    ``p_impact`` the zone probability at that time; ``impact_t_unix_s`` the earliest expected impact
    time of the zone's threats (None when there is none, e.g. an operator-ordered shelter);
    ``reason`` a human-readable sentence; ``rule`` one of ``RULES``; ``episode`` the zone episode id
    (one per warning, from the first pre_alert or take_cover to the cancel or all_clear closing it).
    """

    t_unix_s: float
    zone: str
    zone_index: int
    level: str
    threats: tuple[str, ...]
    p_impact: float
    impact_t_unix_s: float | None
    reason: str
    rule: str
    episode: int

    def to_record(self) -> dict[str, Any]:
        """The ``alerts.jsonl`` line (contract section 5) plus ``rule``, ``episode``, ``zone_index``."""
        return {
            "t_unix_s": self.t_unix_s,
            "zone": self.zone,
            "level": self.level,
            "threats": list(self.threats),
            "p_impact": self.p_impact,
            "impact_t_unix_s": self.impact_t_unix_s,
            "reason": self.reason,
            "rule": self.rule,
            "episode": self.episode,
            "zone_index": self.zone_index,
        }


def _default_theta_by_kind() -> dict[str, float]:
    # Cost-loss thresholds C/L (algorithms.md 8.1): low where many exposed people stand to lose much
    # (quarters, towns, flight lines), high where little is at stake (open ground), in between for
    # hardened shelters whose occupants are already protected. These are the floors reached at the
    # zone's deadline; far from it ``theta_far_factor`` raises them (see AlertConfig).
    return {
        "quarters": 0.05,
        "town": 0.05,
        "headquarters": 0.05,
        "flight_line": 0.05,
        "hangar": 0.08,
        "aircraft_shelter": 0.10,
        "open": 0.30,
    }


def _default_hold_by_class() -> dict[str, float]:
    # Matched as name prefixes of the predictor's class names (catalogue names like "srbm-500").
    return {"mortar": 60.0, "rocket": 60.0, "srbm": 180.0, "mrbm": 240.0, "irbm": 300.0}


def _default_posture_scale() -> dict[str, float]:
    return {"normal": 1.0, "elevated": 0.5, "imminent": 0.25}


@dataclass(frozen=True)
class AlertConfig:
    """Alert policy settings (probabilities 0..1, times s, distances m), with documented defaults.

    Take cover (scorecard: effective start <= T - shelter_s):
      ``theta_by_kind``/``theta_default``: cost-loss threshold on p_zone per zone kind;
      ``p_negligible``: the lowest p that still counts; with it, the time-to-shelter rule fires when
      ``t + decision_margin_s >= t_early - shelter_s - dissemination_delay_s``, t_early being the earliest
      plausible impact in the zone (``decision_margin_s`` must cover one update interval plus slack).
    Pre-alert: ``p_pre_alert_on`` (off below ``p_pre_alert_off`` for ``off_updates`` updates and after
      ``pre_alert_min_dwell_s``) while the earliest impact is at least ``pre_alert_min_lead_s`` away.
      ``theta_far_factor`` multiplies that floor while the zone's deadline (earliest plausible impact -
      shelter - delay - margin) is at least ``theta_ramp_s`` away, falling linearly to the floor at the
      deadline: minutes before impact, with ~1-1.5 km impact sigma and zones 1-2 km apart, p of 0.05
      is mostly an unrefined cloud over every zone of a base (tuned with tocsin.eval.tune: factor 4
      halves take_cover episodes and shelter time on al-asad-2020 for -0.1 warning efficiency; the
      floor at the deadline keeps short-flight rockets warned as early as before).
    Cancel: p_zone < ``p_cancel`` for ``off_updates`` consecutive updates and for at least
      ``cancel_confirm_s`` (a prediction that flickers away for a few updates must not cancel and re-warn),
      or ``cancel_confirm_frac`` of the time left to the threats' predicted impact when that is shorter (a
      short rocket flight cannot wait 20 s), every threat of the episode ballistic (not boosting) with
      sigma_max <= ``cancel_max_sigma_m``, before its impact, and at least ``take_cover_min_dwell_s`` after
      the take_cover. Re-opening: for ``reopen_memory_s`` after a cancel, a zone whose current threats were
      all in the cancelled episode takes cover by probability only at p >= ``p_reopen`` (hysteresis; the
      time-to-shelter rule is unchanged).
    All clear: every threat landed (predicted late impact time + ``impact_margin_s`` passed, or the
      track ended at the ground) or was lost (then its last predicted time counts), plus the hold of its
      class (``hold_by_class`` prefix match on every class with probability >= ``hold_class_min_prob``,
      the longest wins; ``hold_default_s`` when none matches); pre-alert-only episodes use
      ``pre_alert_hold_s``. A wide threat (credible-region rule) instead lands, per zone, at the zone's own
      latest plausible impact time from its region plus ``region_hold_s``, and a live wide threat whose
      credible region no longer holds the zone counts as cleared for it. A threat seen down (track ended at
      the ground, or followed with a confident prediction until within ``landing_seen_window_s`` of its
      predicted late impact) holds only ``hold_observed_landing_s`` (the class hold covers a landing that was
      not seen). With ``release_unwarranted``, a threat that joined the episode but would not warn the zone
      now (p below the cost-loss floor and its deadline more than ``release_guard_s`` away) does not hold it
      open; likewise a wide threat whose region deadline for the zone is more than ``release_guard_s`` away
      does not hold a take-cover, and (``region_lost_out_clears``) a lost wide threat whose last region
      leaves the zone out does not hold it at all.
    Radar watch: a lost or infrared-only wide threat's earliest time at a zone watched by a reporting radar is
      max(earliest, now + watch lead) (``tocsin.zones.watch``, margins in ``WatchConfig``): it orders no
      shelter and holds none while the radar would still see the object coming in time.
    Posture: thresholds (theta, pre-alert) multiplied by ``posture_scale``; ``imminent`` orders
      take_cover when ``imminent_orders_shelter``.
    """

    dissemination_delay_s: float = 3.0
    decision_margin_s: float = 5.0
    theta_by_kind: Mapping[str, float] = field(default_factory=_default_theta_by_kind)
    theta_default: float = 0.10
    p_negligible: float = 0.01
    # Credible-region rule (wide clouds): when a threat's impact spread (largest 1-sigma axis) exceeds
    # region_min_sigma_m, per-zone sample probabilities are tiny for every small zone and cannot tell
    # the target apart, so every zone inside the threat's credible region takes cover by its own
    # deadline, and is pre-alerted while the impact is still far (infrared-only warning, domain.md
    # 1.6 and 3.4). The region is remembered after the track is lost, until its latest impact time.
    region_min_sigma_m: float = 5000.0
    # A spread beyond this (a track's first, unconverged predictions) says nothing about where the
    # threat lands: such predictions open no region.
    region_max_sigma_m: float = 1.0e6
    region_match_s: float = 60.0  # time slack when a narrow track explains a lost wide one (s)
    # All clear of a zone warned for a wide threat: that zone's own latest plausible impact time from
    # the threat's region (late quantile of the cloud's time plane at the zone, which already spans the
    # impact-time spread) plus this hold, instead of the class hold after the whole cloud's late time:
    # one wave's warnings then end before the next wave's begin (al-asad-2020-ir).
    region_hold_s: float = 30.0
    # A live wide threat clears a zone only after its credible region has left the zone out for this
    # long without a break: successive noisy clouds move the region's edge back and forth, and without
    # this a zone on the edge flapped take cover / cancel every ~19 s (national seed 1: 5,912 cancels).
    region_clear_confirm_s: float = 30.0
    # A lost wide threat whose last credible region leaves a zone out cannot land there by its own last
    # word: it no longer holds that zone (False: it holds it until its late impact time, as before).
    region_lost_out_clears: bool = True
    # A new wide track's first clouds place the impact nowhere in time (infrared-only boost: 5-95 %
    # impact times spanning -600 to +3,500 s): while a live wide threat's impact-time spread exceeds
    # region_time_spread_ratio x its time to go, its region pre-alerts but orders no shelter, for at
    # most region_defer_s after the track was first seen (al-asad-2020-ir: such clouds ordered shelter
    # within 10-20 s of each wave's first detection, ~4 min before any converged prediction needed it).
    region_time_spread_ratio: float = 1.0
    region_defer_s: float = 30.0
    # ... but never while the cloud's mean impact is less than this away (a short flight cannot wait).
    region_defer_min_tgo_s: float = 60.0
    p_pre_alert_on: float = 0.02
    p_pre_alert_off: float = 0.005
    pre_alert_min_lead_s: float = 30.0
    pre_alert_min_dwell_s: float = 20.0
    p_cancel: float = 0.005
    off_updates: int = 3
    cancel_confirm_s: float = 20.0
    cancel_confirm_frac: float = 0.25
    p_reopen: float = 0.25
    reopen_memory_s: float = 300.0
    theta_far_factor: float = 4.0
    theta_ramp_s: float = 30.0
    # After a landing seen at the ground (or followed to within landing_seen_window_s of it): with the
    # impact_margin_s and late-quantile slack before it, the all clear comes ~30 s after the impact (the
    # oracle baseline's hold): median all-clear delay 39 -> 29 s on al-asad-2020 and rocket-barrage.
    hold_observed_landing_s: float = 20.0
    landing_seen_window_s: float = 10.0
    release_unwarranted: bool = True
    release_guard_s: float = 120.0
    cancel_max_sigma_m: float = 2000.0
    take_cover_min_dwell_s: float = 5.0
    impact_margin_s: float = 5.0
    hold_by_class: Mapping[str, float] = field(default_factory=_default_hold_by_class)
    hold_default_s: float = 180.0
    hold_class_min_prob: float = 0.1
    pre_alert_hold_s: float = 0.0
    posture_scale: Mapping[str, float] = field(default_factory=_default_posture_scale)
    imminent_orders_shelter: bool = True
    emit_threat_updates: bool = False
    lost_memory_s: float = 600.0

    def theta_for_kind(self, kind: str | None) -> float:
        """Take-cover threshold of a zone kind (probability)."""
        if kind is None:
            return self.theta_default
        return float(self.theta_by_kind.get(kind, self.theta_default))
