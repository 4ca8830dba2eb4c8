"""Warning scorecard, exactly as defined in interfaces.md section 7.

Definitions (all times effective: alert ``t_unix_s`` + dissemination delay ``d``, default 3 s):

- **Episode** of a zone: opened by a ``take_cover`` when none is open (a ``take_cover`` inside an open
  episode opens and extends nothing); closed by the next ``all_clear`` or ``cancel``. ``pre_alert``
  opens nothing (counted separately). ``all_clear``/``cancel`` with no open episode change nothing.
  An episode is *in force* over [start, end); a never-closed episode is in force from its start on.
- **Struck** (z, o): o has a known impact point (failed objects included; a null impact counts nothing)
  and the distance from it to z's polygon is <= o's ``danger_radius_m``.
- For each struck (z, o) with impact time T, the episode of z in force at T decides: **timely** if it
  started at or before T - shelter_s(z), **late** if after, **missed** if none is in force.
  **Lead time** = T - start (timely and late pairs); **warning efficiency** = lead time / (T - first
  detection of o by any sensor), undefined when o was never detected or T <= first detection.
- **False zone alert**: an episode during which (in force at T) no object struck its zone.
- **Over-warning** = episodes / struck pairs; **population over-warning** = Σ population over episodes
  / Σ population over struck pairs (zones without population weigh 0). Undefined (null) when the
  denominator is 0.
- **All-clear delay** = all_clear time - last impact in the zone during the episode it closes (episodes
  closed by all_clear that saw an impact).
- **Shelter time** = Σ over episodes (end - start) in zone-seconds, and Σ population·(end - start) in
  person-seconds; an episode never closed ends one hour after the last impact of the scenario
  (``shelter_horizon_t_unix_s``; without any impact, one hour after the last effective alert).

Per object class: pair figures over the pairs of the class; episode figures over the episodes struck
(during the episode) by an object of the class (an episode struck by two classes counts in both).
Episodes struck by nothing, i.e. the false alerts, are reported under the class ``unattributed``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tocsin.eval.truth import ObjectEvent
from tocsin.zones.load import ZoneSet

DEFAULT_DELAY_S = 3.0
UNCLOSED_EXTRA_S = 3600.0
UNATTRIBUTED = "unattributed"
SCORECARD_VERSION = 1
LEVELS = ("pre_alert", "take_cover", "all_clear", "cancel")


@dataclass(frozen=True)
class Episode:
    """One take_cover episode of a zone (effective times, s). ``end_s`` is +inf when never closed;
    ``shelter_end_s`` is the end used for shelter time. ``struck_by`` lists objects (sorted) whose
    impact struck the zone while the episode was in force."""

    zone: str
    zone_index: int
    start_s: float
    end_s: float
    closed_by: str | None
    shelter_end_s: float
    struck_by: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        """Shelter duration, seconds."""
        return self.shelter_end_s - self.start_s


@dataclass(frozen=True)
class PairOutcome:
    """Outcome of one struck (zone, object) pair. Lead time and efficiency are NaN when undefined."""

    zone: str
    object: str
    object_class: str
    impact_t_unix_s: float
    outcome: str  # "timely" | "late" | "missed"
    episode_start_s: float
    lead_time_s: float
    warning_efficiency: float
    pre_alerted: bool


@dataclass(frozen=True)
class Figures:
    """Scorecard figures for one scope (all objects, or one class). NaN means undefined."""

    struck_pairs: int
    timely: int
    late: int
    missed: int
    timely_fraction: float
    lead_time_median_s: float
    lead_time_p10_s: float
    warning_efficiency_median: float
    warning_efficiency_mean: float
    episodes: int
    false_alerts: int
    cancelled_episodes: int
    unclosed_episodes: int
    over_warning: float
    over_warning_population: float
    all_clears: int
    all_clear_delay_median_s: float
    all_clear_delay_max_s: float
    shelter_zone_s: float
    shelter_person_s: float
    pre_alerted_pairs: int


@dataclass(frozen=True)
class Scorecard:
    """A scored run: totals, per-class figures, and the pairs and episodes they came from."""

    delay_s: float
    shelter_horizon_t_unix_s: float
    total: Figures
    per_class: dict[str, Figures]
    pairs: tuple[PairOutcome, ...]
    episodes: tuple[Episode, ...]
    pre_alerts: int
    pre_alert_zones: int
    unknown_zone_alerts: int
    objects_without_impact: int
    first_detection_t_unix_s: dict[str, float] = field(default_factory=dict)


def _episodes(
    alerts: Sequence[Mapping[str, Any]], zones: ZoneSet, delay_s: float
) -> tuple[list[tuple[int, float, float, str | None]], dict[int, list[float]], int, int]:
    """Episodes (zone index, start, end or inf, closing level), pre-alert times per zone, pre-alert count,
    alerts for unknown zones."""
    order = sorted(range(len(alerts)), key=lambda i: (float(alerts[i]["t_unix_s"]), i))
    open_start: dict[int, float] = {}
    episodes: list[tuple[int, float, float, str | None]] = []
    pre: dict[int, list[float]] = {}
    n_pre = 0
    unknown = 0
    for i in order:
        a = alerts[i]
        z = zones.index.get(str(a["zone"]))
        if z is None:
            unknown += 1
            continue
        t = float(a["t_unix_s"]) + delay_s
        level = a["level"]
        if level == "take_cover":
            open_start.setdefault(z, t)
        elif level in ("all_clear", "cancel"):
            start = open_start.pop(z, None)
            if start is not None:
                episodes.append((z, start, t, str(level)))
        elif level == "pre_alert":
            n_pre += 1
            pre.setdefault(z, []).append(t)
    episodes.extend((z, start, math.inf, None) for z, start in open_start.items())
    episodes.sort(key=lambda e: (e[1], e[0]))
    return episodes, pre, n_pre, unknown


def _stat(values: Sequence[float], how: str) -> float:
    arr = np.asarray([v for v in values if math.isfinite(v)], dtype=np.float64)
    if arr.size == 0:
        return math.nan
    if how == "median":
        return float(np.median(arr))
    if how == "p10":
        return float(np.percentile(arr, 10.0))
    if how == "mean":
        return float(np.mean(arr))
    return float(np.max(arr))


def _figures(
    pairs: Sequence[PairOutcome],
    episodes: Sequence[Episode],
    zones: ZoneSet,
    all_clear_delays: Sequence[float],
) -> Figures:
    pop = np.nan_to_num(zones.population, nan=0.0)
    n_pairs = len(pairs)
    timely = sum(p.outcome == "timely" for p in pairs)
    late = sum(p.outcome == "late" for p in pairs)
    leads = [p.lead_time_s for p in pairs if p.outcome != "missed"]
    eff = [p.warning_efficiency for p in pairs]
    pair_pop = float(sum(pop[zones.index[p.zone]] for p in pairs))
    ep_pop = float(sum(pop[e.zone_index] for e in episodes))
    return Figures(
        struck_pairs=n_pairs,
        timely=timely,
        late=late,
        missed=n_pairs - timely - late,
        timely_fraction=timely / n_pairs if n_pairs else math.nan,
        lead_time_median_s=_stat(leads, "median"),
        lead_time_p10_s=_stat(leads, "p10"),
        warning_efficiency_median=_stat(eff, "median"),
        warning_efficiency_mean=_stat(eff, "mean"),
        episodes=len(episodes),
        false_alerts=sum(not e.struck_by for e in episodes),
        cancelled_episodes=sum(e.closed_by == "cancel" for e in episodes),
        unclosed_episodes=sum(e.closed_by is None for e in episodes),
        over_warning=len(episodes) / n_pairs if n_pairs else math.nan,
        over_warning_population=ep_pop / pair_pop if pair_pop > 0 else math.nan,
        all_clears=sum(e.closed_by == "all_clear" for e in episodes),
        all_clear_delay_median_s=_stat(all_clear_delays, "median"),
        all_clear_delay_max_s=_stat(all_clear_delays, "max"),
        shelter_zone_s=float(sum(e.duration_s for e in episodes)),
        shelter_person_s=float(sum(pop[e.zone_index] * e.duration_s for e in episodes)),
        pre_alerted_pairs=sum(p.pre_alerted for p in pairs),
    )


def score_alerts(
    alerts: Sequence[Mapping[str, Any]],
    zones: ZoneSet,
    objects: Iterable[ObjectEvent],
    first_detection_t_unix_s: Mapping[str, float],
    delay_s: float = DEFAULT_DELAY_S,
) -> Scorecard:
    """Score alerts (dicts as in ``alerts.jsonl``, issue order) against truth (section 7).

    ``objects`` are the ``events.json`` objects, ``first_detection_t_unix_s`` the first detection time
    of each object (seconds; absent if never detected), ``delay_s`` the dissemination delay in seconds.
    """
    objs = list(objects)
    raw_eps, pre_times, n_pre, unknown = _episodes(alerts, zones, delay_s)

    # Struck pairs, in a stable order: impact time, then zone index, then object id.
    struck: list[tuple[float, int, ObjectEvent]] = []
    with_impact = [o for o in objs if o.has_impact]
    if with_impact and len(zones):
        hit = zones.zones_struck(
            np.array([o.impact_lat_deg for o in with_impact]),
            np.array([o.impact_lon_deg for o in with_impact]),
            np.array([o.danger_radius_m for o in with_impact]),
        )
        struck = [(o.impact_t_unix_s, z, o) for o, zs in zip(with_impact, hit, strict=True) for z in zs]
    struck.sort(key=lambda s: (s[0], s[1], s[2].object))

    if with_impact:
        horizon = max(o.impact_t_unix_s for o in with_impact) + UNCLOSED_EXTRA_S
    elif raw_eps:
        horizon = max(max(e[1], e[2] if math.isfinite(e[2]) else e[1]) for e in raw_eps) + UNCLOSED_EXTRA_S
    else:
        horizon = math.nan

    by_zone: dict[int, list[int]] = {}
    for k, (z, _s, _e, _c) in enumerate(raw_eps):
        by_zone.setdefault(z, []).append(k)
    episode_hits: list[list[ObjectEvent]] = [[] for _ in raw_eps]

    pairs: list[PairOutcome] = []
    for t_imp, z, o in struck:
        in_force = [k for k in by_zone.get(z, []) if raw_eps[k][1] <= t_imp < raw_eps[k][2]]
        pre_alerted = any(t <= t_imp for t in pre_times.get(z, []))
        fd = first_detection_t_unix_s.get(o.object, math.nan)
        if not in_force:
            pairs.append(
                PairOutcome(
                    zones.ids[z],
                    o.object,
                    o.object_class,
                    t_imp,
                    "missed",
                    math.nan,
                    math.nan,
                    math.nan,
                    pre_alerted,
                )
            )
            continue
        k = in_force[0]  # episodes of one zone never overlap
        episode_hits[k].append(o)
        start = raw_eps[k][1]
        lead = t_imp - start
        outcome = "timely" if start <= t_imp - float(zones.shelter_s[z]) else "late"
        window = t_imp - fd
        eff = lead / window if math.isfinite(window) and window > 0 else math.nan
        pairs.append(
            PairOutcome(zones.ids[z], o.object, o.object_class, t_imp, outcome, start, lead, eff, pre_alerted)
        )

    episodes: list[Episode] = []
    delays: list[float] = []
    delay_classes: list[set[str]] = []
    for k, (z, start, end, closed_by) in enumerate(raw_eps):
        hits = episode_hits[k]
        shelter_end = end if math.isfinite(end) else max(start, horizon)
        struck_by = tuple(sorted({o.object for o in hits}))
        episodes.append(Episode(zones.ids[z], z, start, end, closed_by, shelter_end, struck_by))
        if closed_by == "all_clear" and hits:
            delays.append(end - max(o.impact_t_unix_s for o in hits))
            delay_classes.append({o.object_class for o in hits})

    classes = sorted({o.object_class for o in objs})
    class_of = {o.object: o.object_class for o in objs}
    per_class: dict[str, Figures] = {}
    for c in classes:
        eps_c = [e for e in episodes if any(class_of[ob] == c for ob in e.struck_by)]
        delays_c = [d for d, cs in zip(delays, delay_classes, strict=True) if c in cs]
        per_class[c] = _figures([p for p in pairs if p.object_class == c], eps_c, zones, delays_c)
    false_eps = [e for e in episodes if not e.struck_by]
    if false_eps:
        per_class[UNATTRIBUTED] = _figures([], false_eps, zones, [])

    return Scorecard(
        delay_s=float(delay_s),
        shelter_horizon_t_unix_s=horizon,
        total=_figures(pairs, episodes, zones, delays),
        per_class=per_class,
        pairs=tuple(pairs),
        episodes=tuple(episodes),
        pre_alerts=n_pre,
        pre_alert_zones=len(pre_times),
        unknown_zone_alerts=unknown,
        objects_without_impact=len(objs) - len(with_impact),
        first_detection_t_unix_s=dict(sorted(first_detection_t_unix_s.items())),
    )


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


FIGURE_DOCS: dict[str, str] = {
    "struck_pairs": "struck (zone, object) pairs",
    "timely": "pairs whose episode started at or before impact - shelter_s",
    "late": "pairs whose episode started after impact - shelter_s",
    "missed": "pairs with no episode in force at impact",
    "timely_fraction": "timely / struck_pairs",
    "lead_time_median_s": "median of impact - episode start over timely and late pairs, s",
    "lead_time_p10_s": "10th percentile of the lead time, s",
    "warning_efficiency_median": "median of lead time / (impact - first detection)",
    "warning_efficiency_mean": "mean of lead time / (impact - first detection)",
    "episodes": "take_cover zone-episodes",
    "false_alerts": "episodes during which no object struck the zone",
    "cancelled_episodes": "episodes closed by cancel",
    "unclosed_episodes": "episodes never closed",
    "over_warning": "episodes / struck_pairs",
    "over_warning_population": "population-weighted episodes / struck_pairs",
    "all_clears": "episodes closed by all_clear",
    "all_clear_delay_median_s": "median of all_clear - last impact in the zone during the episode, s",
    "all_clear_delay_max_s": "maximum all-clear delay, s",
    "shelter_zone_s": "sum of episode durations, zone-seconds",
    "shelter_person_s": "sum of population x episode duration, person-seconds",
    "pre_alerted_pairs": "struck pairs whose zone had a pre_alert in effect at or before impact",
}


def figures_to_json(fig: Figures) -> dict[str, int | float | None]:
    """One scope's figures as a JSON object in a fixed key order (NaN -> null)."""
    out: dict[str, int | float | None] = {}
    for name in FIGURE_DOCS:
        value = getattr(fig, name)
        out[name] = value if isinstance(value, int) else _num(value)
    return out


def scorecard_to_json(card: Scorecard) -> dict[str, Any]:
    """``scorecard.json``: stable key order, times as effective Unix seconds, undefined figures null.

    Layout: ``format``, ``version``, ``definitions`` (interfaces.md §7), ``delay_s``,
    ``shelter_horizon_t_unix_s``, ``total`` and ``per_class`` (figures, keys documented in
    ``figures_doc``), counts of pre-alerts, then the ``pairs`` and ``episodes`` scored.
    """
    return {
        "format": "tocsin-scorecard",
        "version": SCORECARD_VERSION,
        "definitions": "tocsin interfaces.md section 7 (warning scorecard)",
        "delay_s": card.delay_s,
        "shelter_horizon_t_unix_s": _num(card.shelter_horizon_t_unix_s),
        "total": figures_to_json(card.total),
        "per_class": {c: figures_to_json(f) for c, f in sorted(card.per_class.items())},
        "pre_alerts": card.pre_alerts,
        "pre_alert_zones": card.pre_alert_zones,
        "unknown_zone_alerts": card.unknown_zone_alerts,
        "objects_without_impact": card.objects_without_impact,
        "first_detection_t_unix_s": dict(card.first_detection_t_unix_s),
        "pairs": [
            {
                "zone": p.zone,
                "object": p.object,
                "class": p.object_class,
                "impact_t_unix_s": p.impact_t_unix_s,
                "outcome": p.outcome,
                "episode_start_t_unix_s": _num(p.episode_start_s),
                "lead_time_s": _num(p.lead_time_s),
                "warning_efficiency": _num(p.warning_efficiency),
                "pre_alerted": p.pre_alerted,
            }
            for p in card.pairs
        ],
        "episodes": [
            {
                "zone": e.zone,
                "start_t_unix_s": e.start_s,
                "end_t_unix_s": _num(e.end_s),
                "closed_by": e.closed_by,
                "shelter_s": e.duration_s,
                "struck_by": list(e.struck_by),
            }
            for e in card.episodes
        ],
        "figures_doc": dict(FIGURE_DOCS),
    }


def _fmt(value: int | float, name: str) -> str:
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return "-"
    if name.endswith("person_s") or name.endswith("zone_s"):
        return f"{value:,.0f}"
    if name.endswith("_s"):
        return f"{value:.1f}"
    return f"{value:.2f}"


def scorecard_table(card: Scorecard, title: str = "Warning scorecard") -> Any:
    """A ``rich.table.Table``: one row per figure, columns total and each class."""
    from rich.table import Table

    table = Table(title=f"{title} (dissemination delay {card.delay_s:g} s)")
    table.add_column("figure")
    table.add_column("total", justify="right")
    classes = sorted(card.per_class)
    for c in classes:
        table.add_column(c, justify="right")
    for name in FIGURE_DOCS:
        row = [name, _fmt(getattr(card.total, name), name)]
        row += [_fmt(getattr(card.per_class[c], name), name) for c in classes]
        table.add_row(*row)
    return table
