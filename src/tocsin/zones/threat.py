"""Zone threat evaluation: P(impact or its danger radius falls in a zone) per threat and zone.

For threat i and zone z, ``p_iz`` is the share of i's impact sample cloud (all S samples, the ones that
do not reach the ground included in the denominator) lying within ``r_i`` of z's polygon, i.e. inside
the zone buffered by the danger radius (algorithms.md section 8.6, step 2). This is the scorecard's
"struck" test (interfaces.md section 7: distance to the polygon <= danger radius) applied to each
sample. Everything runs in the zone set's local azimuthal-equidistant frame in metres.

Speed (benchmarks/bench_zones.py): samples are projected with a per-threat biquadratic interpolant
of the aeqd projection (exact pyproj at a 3x3 stencil spanning the cloud; < 0.1 m error over a 100 km
cloud, exact pyproj beyond ``_EXACT_SPAN_M``), then looked up in a cached uniform grid per
buffer radius whose cells know which buffered zones cover them fully; only samples in cells cut by
a zone boundary get an exact ``shapely.contains_xy`` test.

Conservative choices (all documented in ``ThreatEvalConfig``):
- the radius is rounded *up* to a multiple of ``radius_step_m`` (few cached buffers), and the buffer
  polygon is drawn outside the true offset curve (the arc chords never cut inside it);
- a NaN danger radius uses ``fallback_danger_radius_m``; no radius is below ``min_danger_radius_m``;
- a sample with a finite position but a NaN time takes the threat's mean impact time minus two sigma
  (earlier is safer), or the evaluation time when that is NaN too;
- a usable threat (status ok or boosting) whose cloud has no finite sample but a finite mean and
  covariance falls back to a fixed Gaussian cloud drawn from them (seeded: deterministic);
- a usable threat with neither is marked ``usable = False``: the alert policy then treats it like a
  lost track (keeps every warning it caused, never opens an ``all_clear`` early);
- ``zone_probability`` reads a NaN pair probability as 1 (a probability we cannot compute is no
  reason to stay silent).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from tocsin._types import BoolArray, FloatArray, IntArray
from tocsin.predict.classify import energy_speed_mps
from tocsin.predict.types import (
    STATUS_BELOW_GROUND,
    STATUS_BOOSTING,
    STATUS_OK,
    ImpactPredictions,
)
from tocsin.zones.load import ZoneSet
from tocsin.zones.watch import ORBITAL_SPEED_MPS, RadarWatch

# Beyond this cloud span the biquadratic projection interpolant errs by > ~1 m: project exactly.
_EXACT_SPAN_M = 200_000.0
# Quadrant segments of buffer arcs. The buffer distance is divided by cos(pi / (4 q)) so the arc chords
# lie outside the true offset curve, plus 1 % of r because GEOS simplifies the input ring by 0.01 r
# before offsetting (BufferParameters simplify factor): conservative by at most ~1.5 % of r.
_QUAD_SEGS = 8
_BUFFER_INFLATE = 1.0 / math.cos(math.pi / (4 * _QUAD_SEGS)) + 0.01
_FALLBACK_SEED = 20240108
_M_PER_DEG = 111_320.0  # only to size interpolation stencils, never to measure distances


@dataclass(frozen=True)
class ThreatEvalConfig:
    """Settings of the threat evaluation (distances m, times s, probabilities 0..1).

    ``radius_scale`` and ``extra_radius_m`` widen every threat's danger radius against a wrong class
    catalogue (model mismatch); ``spread_scale`` inflates each sample cloud about its centre against an
    over-confident predictor. Defaults trust the predictor (1.0, 0 m, 1.0).
    """

    radius_scale: float = 1.0
    extra_radius_m: float = 0.0
    min_danger_radius_m: float = 50.0
    fallback_danger_radius_m: float = 300.0
    radius_step_m: float = 25.0
    spread_scale: float = 1.0
    # Credible region: zones that the threat's region_prob ellipse (plus danger radius) touches are
    # plausibly threatened even when few samples land in them (a wide infrared-only cloud over small
    # zones): the policy warns them by their deadline ("a predicted impact between two settlements
    # alerts both", domain.md 3.4).
    region_prob: float = 0.99
    # Multiplier on the credible ellipse's Mahalanobis radius (calibration margin, >= 1): infrared-only
    # predictions of merged or fragmented tracks were measured over-confident, true impacts up to 5
    # Mahalanobis units from the mean (al-asad-2020-ir seed 2), where the 0.99 contour is at 3.03.
    # There 1.5 missed 2 struck zones and 2.0 none (cut-off 6.1 for a needed 5.0); 2.5 cost +0.5-4 %
    # shelter there but +34 % on national (555,902 -> 744,537 zone-s, seed 1), so 2.0.
    region_scale: float = 2.0
    # The margin for wide threats a radar has updated at least region_radar_min_updates times (None:
    # region_scale for every threat). Measured against the true impacts over every wide (>= 5 km)
    # radar prediction of a capture (CHANGELOG session 9): Mahalanobis quantiles 50/90/99/max
    # 1.15/2.24/3.13/3.50 on national seed 1 (1,837 predictions), 1.32/2.46/3.69/6.08 on salvo-200
    # seed 1 (6,044; 0.4 % beyond 1.5 x 3.03 = 4.55), Gaussian 1.18/2.15/3.03. Tracks with 1-2 radar
    # updates were 19-47 units off (a 2-plot velocity), which no margin mends: they keep region_scale.
    region_scale_radar: float | None = 1.5
    region_radar_min_updates: int = 3
    # The same margin on a wide threat's impact-time spread at a zone (the time plane's residual
    # quantiles are multiplied by it): IR-only impact times were measured biased by ~1 sigma (a mean
    # 66 s after a true impact, 5 % quantile 20 s after it: al-asad-2020-ir seed 1, wave 2).
    region_time_scale: float = 1.0
    # Only threats at least this wide (largest 1-sigma impact axis, m) get region pairs: a narrower
    # cloud resolves zones by its samples. Keep it <= AlertConfig.region_min_sigma_m (the policy's
    # "wide" test), else the policy would look for regions that were never computed.
    region_min_sigma_m: float = 5000.0
    region_vertices: int = 32
    early_quantile: float = 0.05  # "earliest plausible" impact time in a zone
    late_quantile: float = 0.95  # "latest plausible" impact time of a threat (landing)
    cells_per_zone: float = 10.0
    max_grid_cells: int = 4_000_000
    fallback_samples: int = 500


@dataclass(frozen=True)
class ThreatEval:
    """Sparse threat x zone evaluation at one decision time (times Unix s, distances m).

    Per threat (N,): ``usable`` (a prediction that can place the impact: status ok or boosting with a
    finite cloud or mean), ``boosting``, ``landed`` (status below_ground: the track ended at the
    ground), ``impact_t_*`` (mean, early and late quantile over the whole cloud), ``sigma_max_m`` (square
    root of the largest eigenvalue of the 2x2 impact covariance), ``radius_m`` (buffer used),
    ``class_names``/``class_prob`` (passed through for per-class holds).
    Per pair with p > 0 (M,): ``pair_threat``, ``pair_zone``, ``pair_p``, ``pair_t_mean_unix_s``,
    ``pair_t_early_unix_s``; sorted by (threat, zone).
    """

    t_unix_s: float
    n_zones: int
    track_ids: tuple[str, ...]
    status: IntArray
    usable: BoolArray
    boosting: BoolArray
    landed: BoolArray
    impact_t_unix_s: FloatArray
    impact_t_early_unix_s: FloatArray
    impact_t_late_unix_s: FloatArray
    sigma_max_m: FloatArray
    radius_m: FloatArray
    class_names: tuple[str, ...]
    class_prob: FloatArray
    pair_threat: IntArray
    pair_zone: IntArray
    pair_p: FloatArray
    pair_t_mean_unix_s: FloatArray
    pair_t_early_unix_s: FloatArray
    # Zones inside each usable threat's credible region (see ThreatEvalConfig.region_prob), (R,).
    region_threat: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    region_zone: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Earliest plausible impact time of the threat near the zone: early quantile of the times of the
    # samples nearest the zone (a boost cloud is a banana: near and far ends land minutes apart).
    region_t_early_unix_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    # Latest plausible impact time of the threat near the zone (late quantile, same time plane): the
    # zone's warning for a lost wide threat need not outlast it.
    region_t_late_unix_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    # Radar watch per region pair (tocsin.zones.watch): how long (s) before the object could strike the
    # zone a radar looking towards its launch point must already track it (NaN: no radar watches), and
    # the bit mask of those radars. ``radars_alive_mask``: the radars reporting at ``t_unix_s``.
    region_watch_lead_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    region_watch_mask: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    radars_alive_mask: int = 0
    # Radar watch per probability pair (M,), as for the region pairs.
    pair_watch_lead_s: FloatArray = field(default_factory=lambda: np.zeros(0))
    pair_watch_mask: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Per threat (N,): the track has had no radar update (infrared only); empty where not known.
    ir_only: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.track_ids)

    def select(self, idx: IntArray) -> ThreatEval:
        """The evaluation of the threats at positions ``idx`` (increasing), their pairs renumbered."""
        idx = np.asarray(idx, dtype=np.int64)
        new = np.full(len(self), -1, dtype=np.int64)
        new[idx] = np.arange(idx.size, dtype=np.int64)
        per = {f: getattr(self, f)[idx] for f in _PER_THREAT}
        kp = new[self.pair_threat] >= 0
        kr = new[self.region_threat] >= 0
        return dataclasses.replace(
            self,
            track_ids=tuple(self.track_ids[i] for i in idx.tolist()),
            **per,
            pair_threat=new[self.pair_threat[kp]],
            pair_zone=self.pair_zone[kp],
            pair_p=self.pair_p[kp],
            pair_t_mean_unix_s=self.pair_t_mean_unix_s[kp],
            pair_t_early_unix_s=self.pair_t_early_unix_s[kp],
            pair_watch_lead_s=self.pair_watch_lead()[kp],
            pair_watch_mask=self.pair_watch_bits()[kp],
            region_threat=new[self.region_threat[kr]],
            region_zone=self.region_zone[kr],
            region_t_early_unix_s=self.region_t_early_unix_s[kr],
            region_t_late_unix_s=self._late()[kr],
            region_watch_lead_s=self.watch_lead()[kr],
            region_watch_mask=self.watch_mask()[kr],
            ir_only=self.ir_only_mask()[idx],
        )

    def split(self) -> list[ThreatEval]:
        """One single-threat evaluation per threat, in order (pairs are sorted by threat: slices)."""
        n = len(self)
        bp = np.searchsorted(self.pair_threat, np.arange(n + 1))
        br = np.searchsorted(self.region_threat, np.arange(n + 1))
        zero = np.zeros(1, dtype=np.int64)
        out = []
        for i in range(n):
            a, b, ra, rb = int(bp[i]), int(bp[i + 1]), int(br[i]), int(br[i + 1])
            out.append(
                dataclasses.replace(
                    self,
                    track_ids=(self.track_ids[i],),
                    **{f: getattr(self, f)[i : i + 1] for f in _PER_THREAT},
                    pair_threat=np.repeat(zero, b - a),
                    pair_zone=self.pair_zone[a:b],
                    pair_p=self.pair_p[a:b],
                    pair_t_mean_unix_s=self.pair_t_mean_unix_s[a:b],
                    pair_t_early_unix_s=self.pair_t_early_unix_s[a:b],
                    pair_watch_lead_s=self.pair_watch_lead()[a:b],
                    pair_watch_mask=self.pair_watch_bits()[a:b],
                    region_threat=np.repeat(zero, rb - ra),
                    region_zone=self.region_zone[ra:rb],
                    region_t_early_unix_s=self.region_t_early_unix_s[ra:rb],
                    region_t_late_unix_s=self._late()[ra:rb],
                    region_watch_lead_s=self.watch_lead()[ra:rb],
                    region_watch_mask=self.watch_mask()[ra:rb],
                    ir_only=self.ir_only_mask()[i : i + 1],
                )
            )
        return out

    @staticmethod
    def concat(parts: Sequence[ThreatEval], t_unix_s: float) -> ThreatEval:
        """Evaluations of disjoint threat batches (same zones and classes) as one, at ``t_unix_s``.

        Each threat's evaluation depends on its own prediction only, so this equals evaluating the
        concatenated predictions (pairs stay sorted by threat, then zone).
        """
        first = parts[0]
        off = np.cumsum([0] + [len(p) for p in parts[:-1]])

        def cat(name: str) -> Any:
            return np.concatenate([getattr(p, name) for p in parts], axis=0)

        return dataclasses.replace(
            first,
            t_unix_s=float(t_unix_s),
            track_ids=tuple(x for p in parts for x in p.track_ids),
            **{f: cat(f) for f in _PER_THREAT},
            pair_threat=np.concatenate([p.pair_threat + o for p, o in zip(parts, off, strict=True)]),
            pair_zone=cat("pair_zone"),
            pair_p=cat("pair_p"),
            pair_t_mean_unix_s=cat("pair_t_mean_unix_s"),
            pair_t_early_unix_s=cat("pair_t_early_unix_s"),
            pair_watch_lead_s=np.concatenate([p.pair_watch_lead() for p in parts]),
            pair_watch_mask=np.concatenate([p.pair_watch_bits() for p in parts]),
            region_threat=np.concatenate([p.region_threat + o for p, o in zip(parts, off, strict=True)]),
            region_zone=cat("region_zone"),
            region_t_early_unix_s=cat("region_t_early_unix_s"),
            region_t_late_unix_s=np.concatenate([p._late() for p in parts]),
            region_watch_lead_s=np.concatenate([p.watch_lead() for p in parts]),
            region_watch_mask=np.concatenate([p.watch_mask() for p in parts]),
            ir_only=np.concatenate([p.ir_only_mask() for p in parts]),
        )

    def _late(self) -> FloatArray:
        """``region_t_late_unix_s``, or each pair's threat's whole-cloud late time when not given."""
        late = getattr(self, "region_t_late_unix_s", None)  # absent from objects pickled before it
        if late is not None and late.size == self.region_threat.size:
            return np.asarray(late, dtype=np.float64)
        return np.asarray(self.impact_t_late_unix_s[self.region_threat], dtype=np.float64)

    def _field_or(self, name: str, size: int, fill: float | int | bool, dtype: type) -> Any:
        """Field ``name`` when it has ``size`` entries, else ``fill`` of that size (objects pickled
        before the field existed, or built without it)."""
        v = vars(self).get(name)
        if v is not None and np.shape(v) == (size,):
            return np.asarray(v, dtype=dtype)
        return np.full(size, fill, dtype=dtype)

    def watch_lead(self) -> FloatArray:
        """Radar-watch lead per region pair (s, NaN: unwatched), shape (R,)."""
        out: FloatArray = self._field_or("region_watch_lead_s", self.region_threat.size, np.nan, np.float64)
        return out

    def watch_mask(self) -> IntArray:
        """Bit mask of the radars watching each region pair, shape (R,) (0: none)."""
        out: IntArray = self._field_or("region_watch_mask", self.region_threat.size, 0, np.int64)
        return out

    def pair_watch_lead(self) -> FloatArray:
        """Radar-watch lead per probability pair (s, NaN: unwatched), shape (M,)."""
        out: FloatArray = self._field_or("pair_watch_lead_s", self.pair_threat.size, np.nan, np.float64)
        return out

    def pair_watch_bits(self) -> IntArray:
        """Bit mask of the radars watching each probability pair, shape (M,) (0: none)."""
        out: IntArray = self._field_or("pair_watch_mask", self.pair_threat.size, 0, np.int64)
        return out

    def ir_only_mask(self) -> BoolArray:
        """Per threat (N,): fed by infrared only (False where not known)."""
        out: BoolArray = self._field_or("ir_only", len(self), False, np.bool_)
        return out

    def region_late_unix_s(self) -> FloatArray:
        """Latest plausible impact time per region pair (Unix s), shape (R,) (see ``_late``)."""
        return self._late()

    def zone_probability(self, min_p: float = 0.0) -> FloatArray:
        """p_zone = 1 - prod_i (1 - p_iz) over usable threats (pairs with p >= ``min_p``), shape (Z,).

        Independence of threats is assumed (algorithms.md 8.6 step 2; duplicate tracks of one
        object inflate it, which errs on the safe side). A NaN p counts as 1.
        """
        return zone_probability(self.pair_zone, self.pair_p, self.n_zones, min_p)


_PER_THREAT = (
    "status",
    "usable",
    "boosting",
    "landed",
    "impact_t_unix_s",
    "impact_t_early_unix_s",
    "impact_t_late_unix_s",
    "sigma_max_m",
    "radius_m",
    "class_prob",
)


def zone_probability(pair_zone: IntArray, pair_p: FloatArray, n_zones: int, min_p: float = 0.0) -> FloatArray:
    """Combine pair probabilities into p_zone = 1 - prod(1 - p_i) per zone (shape (n_zones,)).

    NaN probabilities count as 1 (conservative). Pairs below ``min_p`` are ignored.
    """
    p = np.where(np.isnan(pair_p), 1.0, np.clip(pair_p, 0.0, 1.0))
    keep = p >= min_p
    # log-sum keeps the product exact for many small p and turns p = 1 into -inf cleanly.
    with np.errstate(divide="ignore"):
        logq = np.log1p(-p[keep])
    s = np.zeros(n_zones)
    np.add.at(s, pair_zone[keep], logq)
    return np.asarray(-np.expm1(s) + 0.0, dtype=np.float64)  # + 0.0 turns -0.0 into 0.0


@dataclass
class _RadiusGrid:
    """Zones buffered by one radius, and a uniform grid listing, per occupied cell, the covering zones."""

    buffered: np.ndarray[Any, np.dtype[np.object_]]
    bounds: FloatArray  # (Z, 4) of the buffered zones
    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    cell_ids: IntArray  # sorted unique occupied cells (U,)
    # (nx * ny,) dense lookup: cell id -> index into cell_ids, -1 when unoccupied
    cell_pos: np.ndarray[Any, np.dtype[np.int32]]
    cell_start: IntArray  # (U,) start into entry arrays
    cell_count: IntArray  # (U,)
    entry_zone: IntArray  # (P,)
    entry_full: BoolArray  # (P,) the buffered zone covers the whole cell


def _build_grid(
    geoms_m: np.ndarray[Any, np.dtype[np.object_]], radius_m: float, cfg: ThreatEvalConfig
) -> _RadiusGrid:
    buffered = (
        shapely.buffer(geoms_m, radius_m * _BUFFER_INFLATE, quad_segs=_QUAD_SEGS)
        if radius_m > 0
        else geoms_m.copy()
    )
    shapely.prepare(buffered)
    bounds = np.asarray(shapely.bounds(buffered), dtype=np.float64)
    x0 = float(bounds[:, 0].min())
    y0 = float(bounds[:, 1].min())
    x1 = float(bounds[:, 2].max())
    y1 = float(bounds[:, 3].max())
    size = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    cell = max(float(np.median(size)) / cfg.cells_per_zone, 1.0)
    cell = max(cell, math.sqrt((x1 - x0) * (y1 - y0) / cfg.max_grid_cells))
    nx = int((x1 - x0) // cell) + 1
    ny = int((y1 - y0) // cell) + 1
    ix0 = np.floor((bounds[:, 0] - x0) / cell).astype(np.int64)
    iy0 = np.floor((bounds[:, 1] - y0) / cell).astype(np.int64)
    ix1 = np.minimum(np.floor((bounds[:, 2] - x0) / cell).astype(np.int64), nx - 1)
    iy1 = np.minimum(np.floor((bounds[:, 3] - y0) / cell).astype(np.int64), ny - 1)
    wx = ix1 - ix0 + 1
    wy = iy1 - iy0 + 1
    n_per = wx * wy
    zone = np.repeat(np.arange(len(geoms_m), dtype=np.int64), n_per)
    # Position k inside each zone's block of cells -> (dx, dy) offsets.
    k = np.arange(int(n_per.sum()), dtype=np.int64) - np.repeat(np.cumsum(n_per) - n_per, n_per)
    cx = ix0[zone] + k % wx[zone]
    cy = iy0[zone] + k // wx[zone]
    # A cell is covered fully when its four corners are inside and its box lies inside; the corner
    # test runs once per grid node of each zone's block (cheap), the exact box test only where all four
    # corners passed (few boxes built).
    wnx = wx + 1
    n_node = wnx * (wy + 1)
    node_zone = np.repeat(np.arange(len(geoms_m), dtype=np.int64), n_node)
    kn = np.arange(int(n_node.sum()), dtype=np.int64) - np.repeat(np.cumsum(n_node) - n_node, n_node)
    node_x = x0 + (ix0[node_zone] + kn % wnx[node_zone]) * cell
    node_y = y0 + (iy0[node_zone] + kn // wnx[node_zone]) * cell
    node_in = shapely.contains_xy(buffered[node_zone], node_x, node_y)
    base = np.repeat(np.cumsum(n_node) - n_node, n_per) + (k // wx[zone]) * wnx[zone] + k % wx[zone]
    corners = node_in[base] & node_in[base + 1] & node_in[base + wnx[zone]] & node_in[base + wnx[zone] + 1]
    bx0 = x0 + cx * cell
    by0 = y0 + cy * cell
    full = np.zeros(zone.shape[0], dtype=bool)
    idx = np.flatnonzero(corners)
    if idx.size:
        boxes = shapely.box(bx0[idx], by0[idx], bx0[idx] + cell, by0[idx] + cell)
        full[idx] = shapely.contains_properly(buffered[zone[idx]], boxes)
    cid = cy * nx + cx
    order = np.argsort(cid, kind="stable")
    cid = cid[order]
    uniq, start, count = np.unique(cid, return_index=True, return_counts=True)
    # Dense cell -> occupied-cell lookup (int32: at most max_grid_cells + a row of cells): one gather
    # per sample instead of a binary search.
    cell_pos = np.full(nx * ny, -1, dtype=np.int32)
    cell_pos[uniq] = np.arange(uniq.size, dtype=np.int32)
    return _RadiusGrid(
        buffered=buffered,
        bounds=bounds,
        x0=x0,
        y0=y0,
        cell_m=cell,
        nx=nx,
        ny=ny,
        cell_ids=uniq.astype(np.int64),
        cell_pos=cell_pos,
        cell_start=start.astype(np.int64),
        cell_count=count.astype(np.int64),
        entry_zone=zone[order],
        entry_full=full[order],
    )


def _points_in_zones(grid: _RadiusGrid, x: FloatArray, y: FloatArray) -> tuple[IntArray, IntArray]:
    """All (point index, zone index) pairs with the point inside the buffered zone."""
    fx = np.floor((x - grid.x0) / grid.cell_m)
    fy = np.floor((y - grid.y0) / grid.cell_m)
    inside = (fx >= 0) & (fx < grid.nx) & (fy >= 0) & (fy < grid.ny)
    pts = np.flatnonzero(inside)
    cid = fy[pts].astype(np.int64) * grid.nx + fx[pts].astype(np.int64)
    pos = grid.cell_pos[cid]
    hit = pos >= 0
    pts = pts[hit]
    pos_c = pos[hit].astype(np.int64)
    cnt = grid.cell_count[pos_c]
    p_rep = np.repeat(pts, cnt)
    e = np.repeat(grid.cell_start[pos_c] - np.cumsum(cnt) + cnt, cnt) + np.arange(
        int(cnt.sum()), dtype=np.int64
    )
    z = grid.entry_zone[e]
    full = grid.entry_full[e]
    test = np.flatnonzero(~full)
    if test.size:
        px = x[p_rep[test]]
        py = y[p_rep[test]]
        zt = z[test]
        b = grid.bounds[zt]
        inbox = (px >= b[:, 0]) & (px <= b[:, 2]) & (py >= b[:, 1]) & (py <= b[:, 3])
        ti = test[inbox]
        ok = np.zeros(full.shape[0], dtype=bool)
        ok[ti] = shapely.contains_xy(grid.buffered[z[ti]], x[p_rep[ti]], y[p_rep[ti]])
        keep = full | ok
    else:
        keep = full
    return p_rep[keep], z[keep]


@dataclass
class ThreatEvaluator:
    """Evaluates impact predictions against one zone set; caches one buffered grid per radius.

    The caches depend only on the zones and the radius, so results are deterministic whatever the
    order of calls.
    """

    zones: ZoneSet
    config: ThreatEvalConfig = field(default_factory=ThreatEvalConfig)
    _grids: dict[float, _RadiusGrid] = field(default_factory=dict, repr=False)
    # Radars against these zones (negative information for lost wide threats); None: no radar watch.
    watch: RadarWatch | None = None
    _centroids: FloatArray | None = field(default=None, repr=False)
    _half_diag: FloatArray | None = field(default=None, repr=False)
    _centroids_deg: tuple[FloatArray, FloatArray] | None = field(default=None, repr=False)

    def grid(self, radius_m: float) -> _RadiusGrid:
        """The cached grid for one (already rounded) buffer radius in metres."""
        g = self._grids.get(radius_m)
        if g is None:
            g = _build_grid(self.zones.geoms_m, radius_m, self.config)
            self._grids[radius_m] = g
        return g

    def effective_radius_m(self, danger_radius_m: FloatArray) -> FloatArray:
        """Buffer radius per threat (m): scaled, widened, floored, NaN-replaced, rounded up to a step."""
        c = self.config
        r = np.where(np.isfinite(danger_radius_m), danger_radius_m, c.fallback_danger_radius_m)
        r = np.maximum(r * c.radius_scale + c.extra_radius_m, c.min_danger_radius_m)
        return np.asarray(np.ceil(r / c.radius_step_m - 1e-9) * c.radius_step_m, dtype=np.float64)

    def _project(self, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Project an (N, S) sample cloud (NaN allowed) into the zone frame (m)."""
        n, s = lat.shape
        x = np.full((n, s), np.nan)
        y = np.full((n, s), np.nan)
        if n == 0 or s == 0:
            return x, y
        fin = np.isfinite(lat) & np.isfinite(lon)
        anyf = fin.any(axis=1)
        la = np.where(fin, lat, np.nan)
        lo = np.where(fin, lon, np.nan)
        lat0 = np.where(anyf, np.where(fin, lat, np.inf).min(axis=1), 0.0)
        lat1 = np.where(anyf, np.where(fin, lat, -np.inf).max(axis=1), 0.0)
        lon0 = np.where(anyf, np.where(fin, lon, np.inf).min(axis=1), 0.0)
        lon1 = np.where(anyf, np.where(fin, lon, -np.inf).max(axis=1), 0.0)
        clat = 0.5 * (lat0 + lat1)
        clon = 0.5 * (lon0 + lon1)
        hlat = np.maximum(0.5 * (lat1 - lat0), 1e-7)
        hlon = np.maximum(0.5 * (lon1 - lon0), 1e-7)
        span_m = 2.0 * np.maximum(hlat, hlon * np.cos(np.radians(clat))) * _M_PER_DEG
        exact = anyf & ((span_m > _EXACT_SPAN_M) | (np.abs(clat) > 80.0))
        interp = anyf & ~exact
        ii = np.flatnonzero(interp)
        if ii.size:
            u = np.array([-1.0, 0.0, 1.0])
            su, sv = np.meshgrid(u, u)  # node k = 3 * row(v) + col(u)
            nlon = clon[ii, None] + su.ravel()[None, :] * hlon[ii, None]
            nlat = clat[ii, None] + sv.ravel()[None, :] * hlat[ii, None]
            nx_, ny_ = self.zones.project_lonlat(nlon.ravel(), nlat.ravel())
            nx_ = nx_.reshape(-1, 3, 3)
            ny_ = ny_.reshape(-1, 3, 3)
            # Biquadratic Lagrange interpolation of the projection over the cloud's box, evaluated as
            # sum_v L_v(sv) * (sum_u L_u(su) * node[v, u]) with the weights written out (no einsum).
            su_ = (lo[ii] - clon[ii, None]) / hlon[ii, None]
            sv_ = (la[ii] - clat[ii, None]) / hlat[ii, None]
            lu = (0.5 * su_ * (su_ - 1.0), 1.0 - su_ * su_, 0.5 * su_ * (su_ + 1.0))
            lv = (0.5 * sv_ * (sv_ - 1.0), 1.0 - sv_ * sv_, 0.5 * sv_ * (sv_ + 1.0))
            for out, nodes in ((x, nx_), (y, ny_)):
                acc = np.zeros_like(su_)
                for v in range(3):
                    row = lu[0] * nodes[:, v, 0:1] + lu[1] * nodes[:, v, 1:2] + lu[2] * nodes[:, v, 2:3]
                    acc += lv[v] * row
                out[ii] = acc
        ee = np.flatnonzero(exact)
        if ee.size:
            ex, ey = self.zones.project_lonlat(lo[ee].ravel(), la[ee].ravel())
            x[ee] = ex.reshape(ee.size, s)
            y[ee] = ey.reshape(ee.size, s)
        return x, y

    def evaluate(self, pred: ImpactPredictions) -> ThreatEval:
        """Evaluate every threat of ``pred`` against every zone (vectorised; see module docstring)."""
        c = self.config
        n = len(pred)
        n_zones = len(self.zones)
        status = np.asarray(pred.status, dtype=np.int64)
        lat = np.atleast_2d(np.array(pred.samples_lat_deg, dtype=np.float64))
        lon = np.atleast_2d(np.array(pred.samples_lon_deg, dtype=np.float64))
        ts = np.atleast_2d(np.array(pred.samples_t_unix_s, dtype=np.float64))
        if lat.shape[0] != n or lon.shape != lat.shape or ts.shape != lat.shape:
            raise ValueError(f"sample clouds must be (N, S) with N = {n} threats, got {lat.shape}")
        s = lat.shape[1]
        valid_status = (status == STATUS_OK) | (status == STATUS_BOOSTING)
        mean_ok = np.isfinite(pred.impact_lat_deg) & np.isfinite(pred.impact_lon_deg)
        cov = np.asarray(pred.impact_cov_en_m2, dtype=np.float64).reshape(n, 2, 2)
        cov_ok = np.all(np.isfinite(cov), axis=(1, 2))
        fin = np.isfinite(lat) & np.isfinite(lon) & valid_status[:, None]
        has_cloud = fin.any(axis=1) if s else np.zeros(n, dtype=bool)
        fallback = valid_status & ~has_cloud & mean_ok & cov_ok
        usable = valid_status & (has_cloud | fallback)

        t_mean_all = np.asarray(pred.impact_t_unix_s, dtype=np.float64)
        t_sig = np.asarray(pred.impact_t_sigma_s, dtype=np.float64)
        t_fill = np.where(
            np.isfinite(t_mean_all),
            t_mean_all - 2.0 * np.where(np.isfinite(t_sig), t_sig, 0.0),
            pred.t_unix_s,
        )

        x, y = self._project(np.where(fin, lat, np.nan), np.where(fin, lon, np.nan))
        n_total = np.full(n, float(max(s, 1)))
        if np.any(fallback):
            x, y, ts, fin, s = self._with_fallback(pred, fallback, cov, x, y, ts, fin, s)
            n_total[fallback] = float(s)
        t = np.where(np.isfinite(ts), ts, t_fill[:, None])
        t = np.where(fin, t, np.nan)
        if c.spread_scale != 1.0 and s:
            with np.errstate(invalid="ignore"):
                mx = np.nanmean(np.where(fin, x, np.nan), axis=1, keepdims=True)
                my = np.nanmean(np.where(fin, y, np.nan), axis=1, keepdims=True)
            x = mx + c.spread_scale * (x - mx)
            y = my + c.spread_scale * (y - my)

        # Sort each threat's samples by time once: ranks order every later per-pair quantile.
        order = np.argsort(np.where(fin, t, np.inf), axis=1, kind="stable")
        t_sorted = np.take_along_axis(t, order, axis=1)
        x = np.take_along_axis(x, order, axis=1)
        y = np.take_along_axis(y, order, axis=1)
        fin = np.take_along_axis(fin, order, axis=1)
        n_fin = fin.sum(axis=1)

        def quant(q: float) -> FloatArray:
            k = np.floor(q * np.maximum(n_fin - 1, 0)).astype(np.int64)
            v = t_sorted[np.arange(n), np.minimum(k, max(s - 1, 0))] if s else np.full(n, np.nan)
            return np.where(n_fin > 0, v, np.where(usable, t_fill, np.nan))

        t_early_all = quant(c.early_quantile)
        t_late_all = quant(c.late_quantile)

        radius = self.effective_radius_m(np.asarray(pred.danger_radius_m, dtype=np.float64))
        pt_list: list[IntArray] = []
        pz_list: list[IntArray] = []
        flat_fin = (fin & usable[:, None]).ravel()
        xf = x.ravel()
        yf = y.ravel()
        for r in np.unique(radius[usable]).tolist():
            sel = flat_fin & np.repeat(radius == r, s)
            idx = np.flatnonzero(sel)
            if idx.size == 0 or n_zones == 0:
                continue
            pi, zi = _points_in_zones(self.grid(float(r)), xf[idx], yf[idx])
            pt_list.append(idx[pi])
            pz_list.append(zi)
        if pt_list:
            pidx = np.concatenate(pt_list)
            zidx = np.concatenate(pz_list)
        else:
            pidx = np.zeros(0, dtype=np.int64)
            zidx = np.zeros(0, dtype=np.int64)
        # flat index = threat * S + rank, so sorting by (threat, zone, flat) orders times within a pair.
        # Each threat's hits come from one radius group in increasing flat index, so a stable sort by
        # the (threat, zone) key alone keeps that order.
        thr = pidx // max(s, 1)
        key = thr * max(n_zones, 1) + zidx
        o = np.argsort(key, kind="stable")
        key = key[o]
        tt = t_sorted.ravel()[pidx[o]]
        if key.size:
            starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
            counts = np.diff(np.r_[starts, key.size])
            ukey = key[starts]
            pair_threat = ukey // max(n_zones, 1)
            pair_zone = ukey % max(n_zones, 1)
            pair_p = counts / n_total[pair_threat]
            pair_t_mean = np.add.reduceat(tt, starts) / counts
            pair_t_early = tt[starts + np.floor(c.early_quantile * (counts - 1)).astype(np.int64)]
        else:
            pair_threat = pair_zone = np.zeros(0, dtype=np.int64)
            pair_p = pair_t_mean = pair_t_early = np.zeros(0)

        ev = np.linalg.eigvalsh(np.where(cov_ok[:, None, None], cov, 0.0)) if n else np.zeros((0, 2))
        sigma_max = np.where(cov_ok, np.sqrt(np.maximum(ev[:, -1], 0.0)), np.nan) if n else np.zeros(0)
        wide = usable & mean_ok & cov_ok & (np.nan_to_num(sigma_max, nan=0.0) >= c.region_min_sigma_m)
        region_threat, region_zone = self._credible_region_pairs(pred, wide, cov, radius)
        region_t_early, region_t_late = self._region_times(
            region_threat, region_zone, x, y, t_sorted, fin, t_early_all, t_late_all
        )
        watch_lead, watch_mask = self._watch(pred, status, region_threat, region_zone)
        p_lead, p_mask = self._watch(pred, status, pair_threat.astype(np.int64), pair_zone.astype(np.int64))
        return ThreatEval(
            t_unix_s=float(pred.t_unix_s),
            n_zones=n_zones,
            track_ids=tuple(pred.track_ids),
            status=status,
            usable=usable,
            boosting=status == STATUS_BOOSTING,
            landed=status == STATUS_BELOW_GROUND,
            impact_t_unix_s=np.where(np.isfinite(t_mean_all), t_mean_all, t_fill),
            impact_t_early_unix_s=np.asarray(t_early_all, dtype=np.float64),
            impact_t_late_unix_s=np.asarray(t_late_all, dtype=np.float64),
            sigma_max_m=np.asarray(sigma_max, dtype=np.float64),
            radius_m=radius,
            class_names=tuple(pred.class_names),
            class_prob=np.asarray(pred.class_prob, dtype=np.float64).reshape(n, len(pred.class_names)),
            pair_threat=pair_threat.astype(np.int64),
            pair_zone=pair_zone.astype(np.int64),
            pair_p=np.asarray(pair_p, dtype=np.float64),
            pair_t_mean_unix_s=np.asarray(pair_t_mean, dtype=np.float64),
            pair_t_early_unix_s=np.asarray(pair_t_early, dtype=np.float64),
            region_threat=region_threat,
            region_zone=region_zone,
            region_t_early_unix_s=region_t_early,
            region_t_late_unix_s=region_t_late,
            region_watch_lead_s=watch_lead,
            region_watch_mask=watch_mask,
            pair_watch_lead_s=p_lead,
            pair_watch_mask=p_mask,
            ir_only=np.asarray(pred.radar_updates, dtype=np.int64) == 0
            if np.shape(pred.radar_updates) == (n,)
            else np.zeros(n, dtype=bool),
        )

    def _watch(
        self, pred: ImpactPredictions, status: IntArray, threat: IntArray, zone: IntArray
    ) -> tuple[FloatArray, IntArray]:
        """Radar-watch lead (s) and radar mask per (threat, zone) pair, region or probability pair (see
        :mod:`tocsin.zones.watch`).

        The speed bound is the energy speed of the state for a coasting threat; a boosting one may still
        gain energy, so it gets the orbital speed.
        """
        if self.watch is None or threat.size == 0:
            return np.full(threat.size, np.nan), np.zeros(threat.size, dtype=np.int64)
        n = len(pred)
        er = np.asarray(pred.energy_range_m, dtype=np.float64)
        speed = energy_speed_mps(er if er.shape == (n,) else np.full(n, np.nan))
        speed = np.where(status == STATUS_BOOSTING, ORBITAL_SPEED_MPS, speed)
        return self.watch.lead_s(
            zone,
            np.asarray(pred.launch_lat_deg, dtype=np.float64)[threat],
            np.asarray(pred.launch_lon_deg, dtype=np.float64)[threat],
            speed[threat],
        )

    def _region_times(
        self,
        r_threat: IntArray,
        r_zone: IntArray,
        x: FloatArray,
        y: FloatArray,
        t: FloatArray,
        fin: BoolArray,
        t_early_all: FloatArray,
        t_late_all: FloatArray,
    ) -> tuple[FloatArray, FloatArray]:
        """Per region pair: earliest and latest plausible impact time of the threat on the zone (Unix s).

        A wide cloud's impact time varies across it (a boost cloud is a banana: near and far ends land
        minutes apart), so each region threat gets a least-squares time plane t ~ a + b x + c y over its
        samples (ordinary least squares, normal equations); the pair's time is the plane at the zone's
        point earliest along the plane's gradient (centroid minus the zone's half-diagonal) plus the
        ``early_quantile`` of the threat's plane residuals times ``region_time_scale``; the latest time
        mirrors it (the zone's latest point along the gradient plus the ``late_quantile`` residual). O(S) per
        threat and O(1) per pair, where the nearest-samples quantile it replaces cost O(S) per pair. Threats
        without enough samples take their whole-cloud early and late times.
        """
        out = np.asarray(t_early_all[r_threat], dtype=np.float64).copy()
        out_late = np.asarray(t_late_all[r_threat], dtype=np.float64).copy()
        if r_threat.size == 0 or x.shape[1] == 0:
            return out, out_late
        # A cloud with non-finite projected samples gives a NaN plane: those pairs keep the whole-cloud
        # times (the ``good`` masks below), so the invalid-value warnings on the way say nothing.
        with np.errstate(invalid="ignore"):
            return self._region_planes(r_threat, r_zone, x, y, t, fin, out, out_late)

    def _region_planes(
        self,
        r_threat: IntArray,
        r_zone: IntArray,
        x: FloatArray,
        y: FloatArray,
        t: FloatArray,
        fin: BoolArray,
        out: FloatArray,
        out_late: FloatArray,
    ) -> tuple[FloatArray, FloatArray]:
        """The time-plane part of ``_region_times`` (fills ``out``/``out_late`` where finite)."""
        thr, inv = np.unique(r_threat, return_inverse=True)
        f = fin[thr]
        n = f.sum(axis=1).astype(np.float64)
        xs = np.where(f, x[thr], 0.0)
        ys = np.where(f, y[thr], 0.0)
        ts = np.where(f, t[thr], 0.0)
        # Centre per threat before the fit (conditioning: Unix seconds and 1e5 m coordinates).
        nn = np.maximum(n, 1.0)
        mx, my, mt = xs.sum(1) / nn, ys.sum(1) / nn, ts.sum(1) / nn
        dx = np.where(f, xs - mx[:, None], 0.0)
        dy = np.where(f, ys - my[:, None], 0.0)
        dt = np.where(f, ts - mt[:, None], 0.0)
        sxx, sxy, syy = (dx * dx).sum(1), (dx * dy).sum(1), (dy * dy).sum(1)
        sxt, syt = (dx * dt).sum(1), (dy * dt).sum(1)
        det = sxx * syy - sxy * sxy
        ok = (n >= 3) & (det > 1e-12 * np.maximum(sxx * syy, 1e-300))
        sdet = np.where(ok, det, 1.0)
        b = np.where(ok, (syy * sxt - sxy * syt) / sdet, 0.0)
        c = np.where(ok, (sxx * syt - sxy * sxt) / sdet, 0.0)
        res = np.where(f, dt - b[:, None] * dx - c[:, None] * dy, np.inf)
        k = np.floor(self.config.early_quantile * np.maximum(n - 1, 0)).astype(np.int64)
        res_sorted = np.sort(res, axis=1)
        res_q = np.take_along_axis(res_sorted, k[:, None], axis=1)[:, 0]
        k_late = np.floor(self.config.late_quantile * np.maximum(n - 1, 0)).astype(np.int64)
        res_q_late = np.take_along_axis(res_sorted, k_late[:, None], axis=1)[:, 0]
        cxy = self._zone_centroids()
        half = self._zone_half_diag()
        zx = cxy[r_zone, 0] - mx[inv]
        zy = cxy[r_zone, 1] - my[inv]
        grad = np.hypot(b, c)[inv]
        plane = mt[inv] + b[inv] * zx + c[inv] * zy
        st = self.config.region_time_scale
        tz = plane - grad * half[r_zone] + st * res_q[inv]
        good = ok[inv] & np.isfinite(tz)
        out[good] = tz[good]
        tz_late = plane + grad * half[r_zone] + st * res_q_late[inv]
        good = ok[inv] & np.isfinite(tz_late)
        out_late[good] = tz_late[good]
        return out, out_late

    def _zone_centroids(self) -> FloatArray:
        if self._centroids is None:
            cen = shapely.centroid(self.zones.geoms_m)
            self._centroids = np.column_stack([shapely.get_x(cen), shapely.get_y(cen)])
        return self._centroids

    def zone_centroids_deg(self) -> tuple[FloatArray, FloatArray]:
        """Zone centroids (lat, lon) in degrees, (Z,) each, cached (distances from far launch areas)."""
        if self._centroids_deg is None:
            cen = shapely.centroid(self.zones.geoms_lonlat)
            self._centroids_deg = (np.asarray(shapely.get_y(cen)), np.asarray(shapely.get_x(cen)))
        return self._centroids_deg

    def zone_half_diag_m(self) -> FloatArray:
        """Half the diagonal of each zone's bounding box in the local frame (m), (Z,), cached."""
        return self._zone_half_diag()

    def _zone_half_diag(self) -> FloatArray:
        if self._half_diag is None:
            b = np.asarray(shapely.bounds(self.zones.geoms_m), dtype=np.float64).reshape(-1, 4)
            self._half_diag = 0.5 * np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        return self._half_diag

    def _credible_region_pairs(
        self, pred: ImpactPredictions, ok: BoolArray, cov: FloatArray, radius_m: FloatArray
    ) -> tuple[IntArray, IntArray]:
        """(threat, zone) pairs whose zone may touch the threat's credible ellipse widened by its radius.

        The ellipse is the ``region_prob`` contour of the 2-D Gaussian impact scaled by ``region_scale``:
        Mahalanobis distance s sqrt(k2), k2 = chi2_2(p) = -2 ln(1 - p). A zone is in when its centroid's
        Mahalanobis distance is at most s sqrt(k2) + (half-diagonal + radius) / sigma_min: moving a point by e
        metres changes its Mahalanobis distance by at most e / sigma_min, so every zone that reaches the
        widened ellipse is kept (a superset, wider by at most that margin along the major axis). Candidates
        come from a bounding-box query of the zone index; east/north are taken as the frame's x/y (aeqd,
        near-isometric within ~300 km).
        """
        ii = np.flatnonzero(ok)
        if ii.size == 0 or len(self.zones) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        c = self.config
        k99 = math.sqrt(-2.0 * math.log(1.0 - c.region_prob))
        scale = np.full(ii.size, c.region_scale)
        ru = np.asarray(pred.radar_updates)
        if c.region_scale_radar is not None and ru.shape == (len(pred.track_ids),):
            scale = np.where(ru[ii] >= c.region_radar_min_updates, c.region_scale_radar, scale)
        k_i = scale * k99  # (M,) per threat
        cv = cov[ii]
        mx, my = self.zones.project_lonlat(pred.impact_lon_deg[ii], pred.impact_lat_deg[ii])
        mx = np.asarray(mx, dtype=np.float64)
        my = np.asarray(my, dtype=np.float64)
        half = self._zone_half_diag()
        reach = half.max() + radius_m[ii]
        # Bounding box of the widened ellipse: half-widths k sqrt(var) + reach.
        hx = k_i * np.sqrt(np.maximum(cv[:, 0, 0], 0.0)) + reach
        hy = k_i * np.sqrt(np.maximum(cv[:, 1, 1], 0.0)) + reach
        boxes = shapely.box(mx - hx, my - hy, mx + hx, my + hy)
        q_threat, q_zone = self.zones.tree.query(boxes)
        w = np.linalg.eigvalsh(cv)
        sig_min = np.sqrt(np.maximum(w[:, 0], 1e-6))
        det = cv[:, 0, 0] * cv[:, 1, 1] - cv[:, 0, 1] * cv[:, 1, 0]
        det = np.where(det > 0, det, np.inf)
        cxy = self._zone_centroids()
        dx = cxy[q_zone, 0] - mx[q_threat]
        dy = cxy[q_zone, 1] - my[q_threat]
        a, b_, d = cv[q_threat, 0, 0], cv[q_threat, 0, 1], cv[q_threat, 1, 1]
        m2 = (d * dx * dx - 2.0 * b_ * dx * dy + a * dy * dy) / det[q_threat]
        margin = (half[q_zone] + radius_m[ii][q_threat]) / sig_min[q_threat]
        keep = np.sqrt(np.maximum(m2, 0.0)) <= k_i[q_threat] + margin
        qt, qz = q_threat[keep], q_zone[keep]
        order = np.lexsort((qz, qt))
        return ii[qt[order]].astype(np.int64), np.asarray(qz[order], dtype=np.int64)

    def _with_fallback(
        self,
        pred: ImpactPredictions,
        fallback: BoolArray,
        cov: FloatArray,
        x: FloatArray,
        y: FloatArray,
        ts: FloatArray,
        fin: BoolArray,
        s: int,
    ) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray, int]:
        """Replace the empty clouds of ``fallback`` threats by a fixed Gaussian cloud from mean and cov."""
        n = x.shape[0]
        s2 = max(s, self.config.fallback_samples)
        if s2 > s:
            pad = s2 - s
            x = np.concatenate([x, np.full((n, pad), np.nan)], axis=1)
            y = np.concatenate([y, np.full((n, pad), np.nan)], axis=1)
            ts = np.concatenate([ts, np.full((n, pad), np.nan)], axis=1)
            fin = np.concatenate([fin, np.zeros((n, pad), dtype=bool)], axis=1)
        # Fixed standard-normal draws: the same input always gives the same cloud.
        z = np.random.default_rng(_FALLBACK_SEED).standard_normal((s2, 2))
        ii = np.flatnonzero(fallback)
        mx, my = self.zones.project_lonlat(pred.impact_lon_deg[ii], pred.impact_lat_deg[ii])
        for j, i in enumerate(ii.tolist()):
            # East/north covariance taken as the frame's x/y (aeqd: near-isometric within ~200 km).
            w, v = np.linalg.eigh(cov[i])
            a = v * np.sqrt(np.maximum(w, 0.0))
            d = z @ a.T
            x[i] = mx[j] + d[:, 0]
            y[i] = my[j] + d[:, 1]
            ts[i] = pred.impact_t_unix_s[i]
            fin[i] = True
        return x, y, ts, fin, s2


def evaluate_threats(
    zones: ZoneSet, pred: ImpactPredictions, config: ThreatEvalConfig | None = None
) -> ThreatEval:
    """One-shot ``ThreatEvaluator(zones, config).evaluate(pred)`` (no cache kept between calls)."""
    return ThreatEvaluator(zones, config or ThreatEvalConfig()).evaluate(pred)
