"""Reference warning policies, scored exactly like tocsin's own alerts.

Each baseline returns ``alerts.jsonl``-style rows (contract section 5: ``t_unix_s``, ``zone``, ``level``,
``threats``, ``p_impact``, ``impact_t_unix_s``, ``reason``), in issue order, so the scorecard (contract
section 7) scores them with no special case:

- ``oracle``: knows every true impact point at the object's first detection by any sensor; takes cover in
  exactly the zones the object strikes, and clears ``hold_s`` after its impact. The best any warning
  chain fed by the same sensors could do (its lead time is the whole detection-to-impact interval).
- ``whole-area``: every zone takes cover at the first detection of any object and stays there until
  ``hold_s`` after the last impact of the wave; a new wave (episode) starts only once everything was
  cleared. What a base-wide siren does: timely everywhere, maximal shelter time.
- ``circle``: a fixed radius around each track's current predicted (mean) impact point, with no
  uncertainty model; zones within it take cover, zones it leaves are cancelled, and all clear ``hold_s``
  after the predicted impact.

Times are Unix seconds (issue times; the scorecard adds dissemination delay), distances metres.
Objects are named by their truth ids (``events.json``); the circle baseline by track ids.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tocsin.eval.truth import ObjectEvent, load_events, load_truth
from tocsin.zones.load import ZoneSet, load_zones

AlertRow = dict[str, Any]

DEFAULT_HOLD_S = 30.0
DEFAULT_CIRCLE_RADIUS_M = 5000.0
BASELINES = ("oracle", "whole-area", "circle")


def _merge(
    intervals: Iterable[tuple[float, float, str, float]],
) -> list[tuple[float, float, list[str], float]]:
    """Union of (start, end, object, impact time) intervals: (start, end, objects, last impact time)."""
    out: list[tuple[float, float, list[str], float]] = []
    for start, end, obj, t_imp in sorted(intervals):
        if out and start <= out[-1][1]:
            s0, e0, objs, t0 = out[-1]
            out[-1] = (s0, max(e0, end), [*objs, obj], max(t0, t_imp))
        else:
            out.append((start, end, [obj], t_imp))
    return out


def _sorted(rows: list[AlertRow]) -> list[AlertRow]:
    # Issue order; at equal times a zone's clear comes before anyone's new cover, then by zone id.
    order = {"all_clear": 0, "cancel": 0, "pre_alert": 1, "take_cover": 2}
    return sorted(rows, key=lambda r: (r["t_unix_s"], order[r["level"]], r["zone"]))


def _row(
    t_s: float, zone: str, level: str, threats: Sequence[str], *, t_imp_s: float, reason: str
) -> AlertRow:
    return {
        "t_unix_s": float(t_s),
        "zone": zone,
        "level": level,
        "threats": sorted(threats),
        "p_impact": 1.0 if level == "take_cover" else 0.0,
        "impact_t_unix_s": float(t_imp_s),
        "reason": reason,
    }


def oracle_alerts(
    events: Sequence[ObjectEvent],
    zones: ZoneSet,
    first_detection_s: Mapping[str, float],
    *,
    hold_s: float = DEFAULT_HOLD_S,
) -> list[AlertRow]:
    """Oracle baseline: take_cover at each object's first detection (Unix s) in exactly the zones it strikes.

    ``events`` are the ``events.json`` objects (``load_events``); a zone is struck when the true impact
    point lies within the object's ``danger_radius_m`` of its polygon (contract section 7).
    ``first_detection_s`` maps an object id to its first detection time by any sensor (objects absent
    from it were never detected and get no warning: the oracle knows only what the sensors have seen).
    Overlapping warnings of one zone
    merge into one episode, cleared ``hold_s`` seconds after the last impact in it.
    """
    objs = [e for e in events if e.has_impact and e.object in first_detection_s]
    if not objs:
        return []
    lat = np.array([e.impact_lat_deg for e in objs])
    lon = np.array([e.impact_lon_deg for e in objs])
    radius = np.array([e.danger_radius_m for e in objs])
    struck = zones.zones_struck(lat, lon, radius)
    per_zone: dict[int, list[tuple[float, float, str, float]]] = {}
    for e, zs in zip(objs, struck, strict=True):
        t_det = float(first_detection_s[e.object])
        t_imp = e.impact_t_unix_s
        if t_det >= t_imp:
            continue  # detected only at or after impact: nothing to warn of
        for z in zs:
            per_zone.setdefault(z, []).append((t_det, t_imp + hold_s, e.object, t_imp))
    rows: list[AlertRow] = []
    for z, ivs in per_zone.items():
        zid = zones.ids[z]
        for start, end, objects, t_imp in _merge(ivs):
            rows.append(
                _row(start, zid, "take_cover", objects, t_imp_s=t_imp, reason="oracle: true impact known")
            )
            rows.append(
                _row(
                    end, zid, "all_clear", objects, t_imp_s=t_imp, reason=f"oracle: {hold_s:g} s after impact"
                )
            )
    return _sorted(rows)


def whole_area_alerts(
    events: Sequence[ObjectEvent],
    zones: ZoneSet,
    first_detection_s: Mapping[str, float],
    *,
    hold_s: float = DEFAULT_HOLD_S,
    end_without_impact_s: Mapping[str, float] | None = None,
) -> list[AlertRow]:
    """Whole-area baseline: every zone takes cover at the first detection of any object (Unix s).

    An attack wave is the union of the objects' [first detection, impact + ``hold_s``] intervals; each
    wave is one take_cover episode in every zone, cleared ``hold_s`` after the wave's last impact.
    An object with no impact (failed, unobserved) ends at ``end_without_impact_s[object]`` (e.g. its last
    truth sample) when given, else it prolongs nothing. Undetected objects start nothing.
    """
    ends = end_without_impact_s or {}
    ivs: list[tuple[float, float, str, float]] = []
    for e in events:
        name = e.object
        if name not in first_detection_s:
            continue
        t_det = float(first_detection_s[name])
        if e.has_impact:
            t_end = e.impact_t_unix_s
        elif name in ends:
            t_end = float(ends[name])
        else:
            t_end = t_det
        ivs.append((t_det, max(t_end, t_det) + hold_s, name, t_end))
    rows: list[AlertRow] = []
    for start, end, objects, t_last in _merge(ivs):
        for zid in zones.ids:
            rows.append(
                _row(start, zid, "take_cover", objects, t_imp_s=t_last, reason="whole-area: object detected")
            )
            rows.append(
                _row(
                    end,
                    zid,
                    "all_clear",
                    objects,
                    t_imp_s=t_last,
                    reason=f"whole-area: {hold_s:g} s after wave",
                )
            )
    return _sorted(rows)


def circle_alerts(
    predictions: Sequence[Mapping[str, Any]],
    zones: ZoneSet,
    *,
    radius_m: float = DEFAULT_CIRCLE_RADIUS_M,
    hold_s: float = DEFAULT_HOLD_S,
) -> list[AlertRow]:
    """Circle baseline: zones within ``radius_m`` metres of a track's current mean predicted impact point.

    ``predictions`` are ``predictions.jsonl`` rows. Each track claims the zones within the circle around
    its newest prediction, until ``hold_s`` seconds after that prediction's ``impact_t_unix_s``. A zone
    takes cover when its first claim appears, is cancelled when every claim moves away before any of its
    claimants' predicted impact, and is all-cleared when the last claim expires. No uncertainty is used.
    """
    preds = sorted(predictions, key=lambda p: (float(p["t_unix_s"]), str(p["track"])))
    if not preds:
        return []
    lat = np.array([float(p["impact_lat_deg"]) for p in preds])
    lon = np.array([float(p["impact_lon_deg"]) for p in preds])
    near = zones.zones_struck(lat, lon, radius_m)

    claims: dict[str, tuple[frozenset[int], float, float]] = {}  # track -> zones, expiry, impact t
    covered: dict[int, float] = {}  # zone -> impact time of its episode (for the rows)
    rows: list[AlertRow] = []

    def holders(z: int) -> list[str]:
        return [k for k, (zs, _, _) in claims.items() if z in zs]

    def expire(until_s: float) -> None:
        # Claims whose predicted impact + hold passed before until_s, in time order.
        while True:
            due = [(exp, k) for k, (_, exp, _) in claims.items() if exp <= until_s]
            if not due:
                return
            t_exp, k = min(due)
            zs, _, t_imp = claims.pop(k)
            for z in sorted(zs):
                if z in covered and not holders(z):
                    del covered[z]
                    rows.append(
                        _row(
                            t_exp,
                            zones.ids[z],
                            "all_clear",
                            [k],
                            t_imp_s=t_imp,
                            reason="circle: impact + hold",
                        )
                    )

    for p, zs_list in zip(preds, near, strict=True):
        t = float(p["t_unix_s"])
        expire(t)
        k = str(p["track"])
        t_imp = float(p["impact_t_unix_s"])
        old = claims.get(k, (frozenset(), math.inf, t_imp))[0]
        new = frozenset(zs_list)
        claims[k] = (new, t_imp + hold_s, t_imp)
        for z in sorted(new - old):
            if z not in covered:
                covered[z] = t_imp
                rows.append(
                    _row(
                        t,
                        zones.ids[z],
                        "take_cover",
                        [k],
                        t_imp_s=t_imp,
                        reason=f"circle: within {radius_m:g} m",
                    )
                )
        for z in sorted(old - new):
            if z in covered and not holders(z):
                del covered[z]
                rows.append(_row(t, zones.ids[z], "cancel", [k], t_imp_s=t_imp, reason="circle: moved away"))
    expire(math.inf)
    return _sorted(rows)


# ----------------------------------------------------------------------------------------------- files


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON Lines file (contract conventions); blank lines are skipped."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_alerts_jsonl(rows: Iterable[Mapping[str, Any]], path: Path) -> Path:
    """Write alert rows as ``alerts.jsonl`` (one JSON object per line, UTF-8); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, separators=(",", ":")) + "\n")
    return path


def baseline_alerts(
    name: str,
    scenario_dir: Path,
    run_dir: Path | None,
    first_detection_s: Mapping[str, float],
    *,
    hold_s: float = DEFAULT_HOLD_S,
    radius_m: float = DEFAULT_CIRCLE_RADIUS_M,
) -> list[AlertRow]:
    """Alert rows of baseline ``name`` (one of ``BASELINES``) for a scenario directory (and a run
    directory, needed by ``circle`` for ``predictions.jsonl``); ``first_detection_s`` Unix s per object.
    """
    zones = load_zones(scenario_dir / "zones.geojson")
    if name == "circle":
        if run_dir is None:
            raise ValueError("the circle baseline needs a run directory with predictions.jsonl")
        return circle_alerts(
            read_jsonl(run_dir / "predictions.jsonl"), zones, radius_m=radius_m, hold_s=hold_s
        )
    events = load_events(scenario_dir / "events.json")
    if name == "oracle":
        return oracle_alerts(events, zones, first_detection_s, hold_s=hold_s)
    if name == "whole-area":
        truth = load_truth(scenario_dir / "truth.jsonl")
        ends = dict(zip(truth.objects, truth.t_last_s.tolist(), strict=True))
        return whole_area_alerts(events, zones, first_detection_s, hold_s=hold_s, end_without_impact_s=ends)
    raise ValueError(f"unknown baseline {name!r}; expected one of {BASELINES}")
