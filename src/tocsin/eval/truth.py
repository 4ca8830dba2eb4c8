"""Truth for evaluation: ``truth.jsonl`` and ``events.json`` (contract section 4), interpolated truth.

Truth states are packed per object into padded arrays (objects K, samples N): times padded with +inf,
so the state of all objects at one time is found without a Python loop over samples.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tocsin._types import BoolArray, FloatArray, IntArray
from tocsin.errors import BadInputError


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _vec3(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 3 and all(_finite(c) for c in value)


@dataclass(frozen=True, eq=False)
class TruthTable:
    """Truth states of K objects: ``t_unix_s`` (K, N) padded with +inf, ``pos_ecef_m``/``vel_ecef_mps``
    (K, N, 3) padded with NaN, ``count`` (K,) samples per object, ``objects`` ids in first-seen order."""

    objects: list[str]
    t_unix_s: FloatArray
    pos_ecef_m: FloatArray
    vel_ecef_mps: FloatArray
    count: IntArray

    @staticmethod
    def from_states(states: Iterable[Mapping[str, Any]]) -> TruthTable:
        """Pack truth states (dicts with ``t_unix_s``, ``object``, ``pos_ecef_m``, ``vel_ecef_mps``)."""
        per: dict[str, list[tuple[float, list[float], list[float]]]] = {}
        for s in states:
            per.setdefault(str(s["object"]), []).append(
                (float(s["t_unix_s"]), list(s["pos_ecef_m"]), list(s["vel_ecef_mps"]))
            )
        objects = list(per)
        k = len(objects)
        n = max((len(v) for v in per.values()), default=0)
        t = np.full((k, n), np.inf)
        pos = np.full((k, n, 3), np.nan)
        vel = np.full((k, n, 3), np.nan)
        count = np.zeros(k, dtype=np.int64)
        for i, oid in enumerate(objects):
            rows = sorted(per[oid], key=lambda r: r[0])
            m = len(rows)
            t[i, :m] = [r[0] for r in rows]
            pos[i, :m] = [r[1] for r in rows]
            vel[i, :m] = [r[2] for r in rows]
            count[i] = m
        return TruthTable(objects, t, pos, vel, count)

    @property
    def t_first_s(self) -> FloatArray:
        """First truth time of each object (K,)."""
        return self.t_unix_s[:, 0] if self.t_unix_s.shape[1] else np.zeros(0)

    @property
    def t_last_s(self) -> FloatArray:
        """Last truth time of each object (K,)."""
        if not self.t_unix_s.shape[1]:
            return np.zeros(0)
        return self.t_unix_s[np.arange(len(self.objects)), np.maximum(self.count - 1, 0)]

    def positions_at(self, t_unix_s: float, which: IntArray | None = None) -> tuple[FloatArray, BoolArray]:
        """ECEF positions (k, 3) m of objects ``which`` (default all) at one time, and whether each is
        inside its truth span (outside: NaN). Cubic Hermite between samples, using the velocities."""
        idx = np.arange(len(self.objects)) if which is None else np.asarray(which, dtype=np.int64)
        k = idx.shape[0]
        out = np.full((k, 3), np.nan)
        if k == 0 or self.t_unix_s.shape[1] == 0:
            return out, np.zeros(k, dtype=bool)
        times = self.t_unix_s[idx]
        cnt = self.count[idx]
        # Index of the last sample at or before t (-1 if none).
        j = np.sum(times <= t_unix_s, axis=1) - 1
        valid = (j >= 0) & (cnt > 0) & (t_unix_s <= self.t_last_s[idx])
        j0 = np.clip(j, 0, np.maximum(cnt - 2, 0))
        j1 = np.minimum(j0 + 1, cnt - 1)
        rows = np.arange(k)
        t0, t1 = times[rows, j0], times[rows, j1]
        p0, p1 = self.pos_ecef_m[idx, j0], self.pos_ecef_m[idx, j1]
        v0, v1 = self.vel_ecef_mps[idx, j0], self.vel_ecef_mps[idx, j1]
        h = t1 - t0
        single = h <= 0.0  # one sample, or t exactly on the only/last sample
        safe_h = np.where(single, 1.0, h)
        s = np.where(single, 0.0, (t_unix_s - t0) / safe_h)[:, None]
        # Cubic Hermite basis on [0, 1] (e.g. Burden & Faires, Numerical Analysis, §3.4).
        h00 = 2 * s**3 - 3 * s**2 + 1
        h10 = s**3 - 2 * s**2 + s
        h01 = -2 * s**3 + 3 * s**2
        h11 = s**3 - s**2
        p = h00 * p0 + h10 * safe_h[:, None] * v0 + h01 * p1 + h11 * safe_h[:, None] * v1
        p = np.where(single[:, None], p0 + v0 * (t_unix_s - t0)[:, None], p)
        out[valid] = p[valid]
        return out, valid


def load_truth(path: str | Path) -> TruthTable:
    """Read ``truth.jsonl`` (contract section 4); raises ``BadInputError`` naming line and field."""
    name = str(path)
    states: list[dict[str, Any]] = []
    with Path(path).open(encoding="utf-8") as f:
        for line, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                s = json.loads(text)
            except json.JSONDecodeError as e:
                raise BadInputError(name, line, None, f"not JSON: {e.msg}") from e
            if not isinstance(s, dict):
                raise BadInputError(name, line, None, "not a JSON object")
            if not _finite(s.get("t_unix_s")):
                raise BadInputError(name, line, "t_unix_s", "missing or not a finite number")
            if not isinstance(s.get("object"), str):
                raise BadInputError(name, line, "object", "missing or not a string")
            for key in ("pos_ecef_m", "vel_ecef_mps"):
                if not _vec3(s.get(key)):
                    raise BadInputError(name, line, key, "missing or not 3 finite numbers")
            states.append(s)
    return TruthTable.from_states(states)


@dataclass(frozen=True)
class ObjectEvent:
    """One launched object of ``events.json``. ``impact_*`` are NaN when the impact is null (unknown)."""

    object: str
    object_class: str
    failed: bool
    impact_t_unix_s: float
    impact_lat_deg: float
    impact_lon_deg: float
    danger_radius_m: float

    @property
    def has_impact(self) -> bool:
        """True when the impact point is known."""
        return math.isfinite(self.impact_t_unix_s)


def parse_events(doc: Any, file: str = "events.json") -> list[ObjectEvent]:
    """Validate a decoded ``events.json`` document; errors name ``objects[i]`` and the field."""
    if not isinstance(doc, dict) or not isinstance(doc.get("objects"), list):
        raise BadInputError(file, None, "objects", "must be an object with an 'objects' list")
    out: list[ObjectEvent] = []
    for i, o in enumerate(doc["objects"]):
        where = f"objects[{i}]"
        if not isinstance(o, dict):
            raise BadInputError(file, where, None, "not a JSON object")
        if not isinstance(o.get("object"), str):
            raise BadInputError(file, where, "object", "missing or not a string")
        if not isinstance(o.get("class"), str):
            raise BadInputError(file, where, "class", "missing or not a string")
        failed = o.get("failed", False)
        if not isinstance(failed, bool):
            raise BadInputError(file, where, "failed", "must be true or false")
        radius: Any = o.get("danger_radius_m")
        if not _finite(radius) or radius < 0:
            raise BadInputError(file, where, "danger_radius_m", "missing or not a finite number >= 0")
        imp = o.get("impact")
        if imp is None:
            if not failed:
                raise BadInputError(file, where, "impact", "null for an object that did not fail")
            t = lat = lon = math.nan
        else:
            if not isinstance(imp, dict):
                raise BadInputError(file, where, "impact", "must be an object or null")
            for key in ("t_unix_s", "lat_deg", "lon_deg"):
                if not _finite(imp.get(key)):
                    raise BadInputError(file, where, f"impact.{key}", "missing or not a finite number")
            t, lat, lon = float(imp["t_unix_s"]), float(imp["lat_deg"]), float(imp["lon_deg"])
            if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 360.0):
                raise BadInputError(file, where, "impact", "lat/lon out of range")
        out.append(ObjectEvent(o["object"], o["class"], failed, t, lat, lon, float(radius)))
    return out


def load_events(path: str | Path) -> list[ObjectEvent]:
    """Read and validate ``events.json`` (contract section 4)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise BadInputError(str(path), e.lineno, None, f"not JSON: {e.msg}") from e
    return parse_events(doc, str(path))
