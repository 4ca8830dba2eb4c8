"""Shared builders for the alert policy tests: a row of zones and sharpening predictions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tocsin.alert.policy import AlertPolicy
from tocsin.alert.types import AlertDecision, PostureChange
from tocsin.predict.types import STATUS_BELOW_GROUND, STATUS_BOOSTING, STATUS_OK
from tocsin.zones.load import ZoneSet
from tocsin.zones.synthetic import gaussian_predictions, ring_zone_set
from tocsin.zones.threat import ThreatEval, ThreatEvaluator

T0 = 1_700_000_000.0
SPACING_M = 1500.0
ZONE_RADIUS_M = 500.0


def row_zones(
    n: int = 7, shelter_s: float | Sequence[float] = 30.0, kinds: Sequence[str | None] | None = None
) -> ZoneSet:
    """n round zones (500 m radius) along the east axis, centres 1.5 km apart, z-00000 at x = 0."""
    centres = np.column_stack([np.arange(n) * SPACING_M, np.zeros(n)])
    return ring_zone_set(
        centres,
        ZONE_RADIUS_M,
        shelter_s=np.asarray(shelter_s, dtype=np.float64),
        kinds=kinds if kinds is not None else ["quarters"] * n,
    )


def sigma_m(t_go_s: float) -> float:
    """Impact-point sigma (m) sharpening with time to go (algorithms.md 9: ~0.3 km at 30 s)."""
    return 30.0 + 8.0 * max(t_go_s, 0.0)


class Threat:
    """One scripted threat: impact point (m, local frame) and time, optional scripted changes."""

    def __init__(
        self,
        track: str,
        xy_m: tuple[float, float],
        impact_t: float,
        *,
        boost_until: float = -np.inf,
        boost_sigma_m: float = 2000.0,
        cls: str = "srbm-500",
        lost_after: float = np.inf,
        shift_at: float = np.inf,
        shift_xy_m: tuple[float, float] = (0.0, 0.0),
        sigma_fn: object = None,
    ) -> None:
        self.track = track
        self.xy = np.asarray(xy_m, dtype=np.float64)
        self.impact_t = impact_t
        self.boost_until = boost_until
        self.boost_sigma_m = boost_sigma_m
        self.cls = cls
        self.lost_after = lost_after
        self.shift_at = shift_at
        self.shift_xy = np.asarray(shift_xy_m, dtype=np.float64)
        self.sigma_fn = sigma_fn if sigma_fn is not None else sigma_m

    def state(self, t: float) -> tuple[np.ndarray, float, int] | None:
        """(mean xy, sigma, status) at t, or None when not reported (lost or long gone)."""
        if t > self.lost_after or t > self.impact_t + 2.0:
            return None
        if t >= self.impact_t:
            return self.xy, 30.0, STATUS_BELOW_GROUND
        xy = self.shift_xy if t >= self.shift_at else self.xy
        if t < self.boost_until:
            return xy, self.boost_sigma_m, STATUS_BOOSTING
        return xy, float(self.sigma_fn(self.impact_t - t)), STATUS_OK  # type: ignore[operator]


CLASSES = ("srbm-500", "rocket-122")


def evaluate_at(ev: ThreatEvaluator, t: float, threats: Sequence[Threat], seed: int) -> ThreatEval:
    """Build this step's predictions from the scripted threats and evaluate them."""
    live = [(th, st) for th in threats if (st := th.state(t)) is not None]
    if not live:
        return ev.evaluate(
            gaussian_predictions(t, [], np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2, 2)), n_samples=1000)
        )
    xy = np.array([st[0] for _, st in live])
    sig = np.array([st[1] for _, st in live])
    cov = np.einsum("n,ij->nij", sig**2, np.eye(2))
    cp = np.array([[1.0 if c == th.cls else 0.0 for c in CLASSES] for th, _ in live])
    return ev.evaluate(
        gaussian_predictions(
            t,
            [th.track for th, _ in live],
            xy,
            np.array([th.impact_t for th, _ in live]),
            cov,
            status=[st[2] for _, st in live],
            class_names=CLASSES,
            class_prob=cp,
            impact_t_sigma_s=1.0,
            seed=seed,
        )
    )


def run_timeline(
    zones: ZoneSet,
    threats: Sequence[Threat],
    t_start: float,
    t_end: float,
    dt_s: float = 1.0,
    policy: AlertPolicy | None = None,
    postures: dict[float, list[PostureChange]] | None = None,
) -> tuple[list[AlertDecision], AlertPolicy]:
    """Step the policy every ``dt_s`` from t_start to t_end; returns all decisions and the policy."""
    ev = ThreatEvaluator(zones)
    pol = policy if policy is not None else AlertPolicy(zones)
    out: list[AlertDecision] = []
    n = round((t_end - t_start) / dt_s)
    for k in range(n + 1):
        t = t_start + k * dt_s
        pcs = (postures or {}).get(t, [])
        out.extend(pol.step(t, evaluate_at(ev, t, threats, seed=k), pcs))
    return out, pol


def of_zone(decisions: Sequence[AlertDecision], zone: str) -> list[AlertDecision]:
    return [d for d in decisions if d.zone == zone]


def manual_eval(
    t: float,
    n_zones: int,
    pairs: Sequence[tuple[int, int, float, float]],
    n_threats: int = 1,
    sigma_max_m: float = 100.0,
    boosting: bool = False,
    impact_t: float | None = None,
) -> ThreatEval:
    """A hand-made ThreatEval: pairs (threat, zone, p, t_impact)."""
    arr = np.array(pairs, dtype=np.float64).reshape(-1, 4)
    ti = impact_t if impact_t is not None else (float(arr[:, 3].max()) if len(arr) else t + 60.0)
    return ThreatEval(
        t_unix_s=t,
        n_zones=n_zones,
        track_ids=tuple(f"T{i}" for i in range(n_threats)),
        status=np.full(n_threats, STATUS_BOOSTING if boosting else STATUS_OK, dtype=np.int64),
        usable=np.ones(n_threats, dtype=bool),
        boosting=np.full(n_threats, boosting),
        landed=np.zeros(n_threats, dtype=bool),
        impact_t_unix_s=np.full(n_threats, ti),
        impact_t_early_unix_s=np.full(n_threats, ti - 2.0),
        impact_t_late_unix_s=np.full(n_threats, ti + 2.0),
        sigma_max_m=np.full(n_threats, sigma_max_m),
        radius_m=np.full(n_threats, 150.0),
        class_names=("srbm-500",),
        class_prob=np.ones((n_threats, 1)),
        pair_threat=arr[:, 0].astype(np.int64),
        pair_zone=arr[:, 1].astype(np.int64),
        pair_p=arr[:, 2].copy(),
        pair_t_mean_unix_s=arr[:, 3].copy(),
        pair_t_early_unix_s=arr[:, 3] - 2.0,
    )
