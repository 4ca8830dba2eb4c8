"""End-to-end impact accuracy and calibration: simulator -> tracker -> impact predictor (issue 5).

Unlike :func:`tocsin.predict.accuracy.error_vs_time_to_go`, which draws a track posterior from an
assumed covariance, this harness flies each missile with the simulator's flight model
(:func:`tocsin.physics.flight.fly`, aimed with :func:`tocsin.physics.aim.aim_many`), measures it with
the simulator's radar model (:func:`tocsin.sim.sensors.radar_detect`: noise, Pd, clutter, field of
regard), tracks it with :class:`tocsin.track.tracker.Tracker` from the raw plots, and predicts the
impact with :func:`tocsin.predict.impact.predict_impacts` on the tracker's own snapshot at fixed
times to go. Each run is one SRBM seen by one theatre radar at 1 Hz near the defended point; the
flown re-entry ballistic coefficient is drawn independently of the catalogue (an airframe the
tracker does not know), so the calibration is judged against bodies it was not tuned on.

Everything is seeded: one ``np.random.Generator`` per run from ``(seed, run)``; same input, same
numbers. Prediction is batched over all runs per time to go.

Metrics (algorithms.md section 7): horizontal miss of the predicted mean impact from the true impact
(m), impact-time error (s), 2-D NEES of the impact point e^T C^-1 e with C = ``impact_cov_en_m2``, and
coverage of the 50/90/95 % ellipses (NEES <= -2 ln(1 - p), chi-square with 2 degrees of freedom).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tocsin._types import FloatArray, IntArray
from tocsin.geo.frames import altitude_fast_m, ecef_to_enu, geodetic_deg_to_ecef
from tocsin.geo.geodesic import geodesic_forward_deg
from tocsin.physics.aim import aim_many
from tocsin.physics.catalogue import get_class, scenario_classes
from tocsin.physics.flight import fly
from tocsin.predict.ground import Terrain
from tocsin.predict.impact import PredictConfig, predict_impacts
from tocsin.sim.sensors import RadarModel as SimRadar
from tocsin.sim.sensors import active_pairs, radar_detect, scan_schedule
from tocsin.sim.truth import TrajectoryBank
from tocsin.track.models import RadarModel as TrackRadar
from tocsin.track.models import ScanInput
from tocsin.track.tracker import Tracker, TrackerConfig
from tocsin.track.types import TrackSnapshot

T0_UNIX_S = 1_700_000_000.0
T_GO_S: tuple[float, ...] = (120.0, 90.0, 60.0, 30.0, 20.0, 10.0)
#: Ellipse probabilities whose coverage is reported.
COVERAGE_P: tuple[float, ...] = (0.5, 0.9, 0.95)

#: SRBM classes and the ground ranges (m) flown for each: inside each class's reach with a margin.
SRBM_RANGES_M: dict[str, tuple[float, float]] = {
    "srbm-300": (120e3, 280e3),
    "srbm-500": (230e3, 470e3),
    "srbm-800": (300e3, 740e3),
}

#: Defended point (lat, lon deg) of the study: Al Asad airfield reference (domain.md 1.7), ground 0 m.
DEFENDED_LAT_LON_DEG = (33.7857, 42.4411)


@dataclass(frozen=True)
class RadarDraw:
    """Radar of one run (SI units, radians): site and noise, detection and clutter settings."""

    lat_deg: float
    lon_deg: float
    alt_m: float
    sigma_range_m: float
    sigma_angle_rad: float
    sigma_range_rate_mps: float | None  # None: a radar without Doppler
    pd: float = 0.95
    clutter_per_scan: float = 1.0
    max_range_m: float = 1.0e6
    el_min_rad: float = math.radians(1.0)
    el_max_rad: float = math.radians(80.0)

    def sim_model(self) -> SimRadar:
        """The simulator's radar (full azimuth circle; elevation band and range as given)."""
        return SimRadar(
            id="r1",
            lat_rad=math.radians(self.lat_deg),
            lon_rad=math.radians(self.lon_deg),
            alt_m=self.alt_m,
            sigma_range_m=self.sigma_range_m,
            sigma_az_rad=self.sigma_angle_rad,
            sigma_el_rad=self.sigma_angle_rad,
            sigma_range_rate_mps=self.sigma_range_rate_mps,
            min_range_m=5000.0,
            max_range_m=self.max_range_m,
            az_min_rad=0.0,
            az_width_rad=2.0 * math.pi,
            el_min_rad=self.el_min_rad,
            el_max_rad=self.el_max_rad,
            revisit_s=1.0,
            pd=self.pd,
            clutter_per_scan=self.clutter_per_scan,
        )

    def track_model(self) -> TrackRadar:
        """The tracker's measurement model of the same radar (as the sensors file declares it)."""
        return TrackRadar(
            sensor_id="r1",
            site_lat_rad=math.radians(self.lat_deg),
            site_lon_rad=math.radians(self.lon_deg),
            site_alt_m=self.alt_m,
            sigma_range_m=self.sigma_range_m,
            sigma_az_rad=self.sigma_angle_rad,
            sigma_el_rad=self.sigma_angle_rad,
            sigma_range_rate_mps=self.sigma_range_rate_mps,
            pd=self.pd,
            clutter_per_scan=self.clutter_per_scan,
            min_range_m=5000.0,
            max_range_m=self.max_range_m,
            el_min_rad=self.el_min_rad,
            el_max_rad=self.el_max_rad,
        )


@dataclass(frozen=True)
class RunCase:
    """One Monte Carlo run: class, launch and target (deg), flown re-entry beta (kg/m^2), radar."""

    run: int
    class_name: str
    launch_lat_deg: float
    launch_lon_deg: float
    target_lat_deg: float
    target_lon_deg: float
    beta_kg_m2: float
    radar: RadarDraw


def draw_cases(
    n_runs: int,
    seed: int = 0,
    *,
    classes: tuple[str, ...] = tuple(SRBM_RANGES_M),
    beta_range_kg_m2: tuple[float, float] = (2000.0, 20000.0),
) -> list[RunCase]:
    """``n_runs`` seeded runs cycling through ``classes``: random launch bearing and range (inside the
    class reach), target within 5 km of the defended point, radar 5-60 km from it, radar sigmas drawn
    in range 15-30 m, angles 0.05-0.1 deg, range rate 1-2 m/s; beta log-uniform in ``beta_range``.
    """
    rng = np.random.default_rng(seed)
    lat0, lon0 = DEFENDED_LAT_LON_DEG
    out: list[RunCase] = []
    for k in range(n_runs):
        name = classes[k % len(classes)]
        u = rng.random(10)
        tlat, tlon = geodesic_forward_deg(lat0, lon0, 360.0 * u[0], 5000.0 * math.sqrt(u[1]))
        r_lo, r_hi = SRBM_RANGES_M[name]
        # Threat sector: launches from the north-east to the south-east of the defended point.
        lat, lon = geodesic_forward_deg(
            float(tlat), float(tlon), 20.0 + 140.0 * u[2], r_lo + (r_hi - r_lo) * u[3]
        )
        rlat, rlon = geodesic_forward_deg(lat0, lon0, 360.0 * u[4], 5000.0 + 55000.0 * u[5])
        b_lo, b_hi = beta_range_kg_m2
        radar = RadarDraw(
            lat_deg=float(rlat),
            lon_deg=float(rlon),
            alt_m=200.0,
            sigma_range_m=15.0 + 15.0 * float(u[6]),
            sigma_angle_rad=math.radians(0.05 + 0.05 * float(u[7])),
            sigma_range_rate_mps=1.0 + float(u[8]),
        )
        out.append(
            RunCase(
                run=k,
                class_name=name,
                launch_lat_deg=float(lat),
                launch_lon_deg=float(lon),
                target_lat_deg=float(tlat),
                target_lon_deg=float(tlon),
                beta_kg_m2=float(b_lo * (b_hi / b_lo) ** float(u[9])),
                radar=radar,
            )
        )
    return out


@dataclass
class E2EResult:
    """Per (run, time to go) records; NaN where the run had no confirmed track at that time."""

    t_go_s: FloatArray  # (T,)
    cases: list[RunCase]
    miss_m: FloatArray  # (R, T)
    t_err_s: FloatArray  # (R, T) predicted minus true impact time
    nees2: FloatArray  # (R, T) 2-D NEES of the impact point
    err_en_m: FloatArray  # (R, T, 2) predicted minus true impact, east/north at the true impact (m)
    cov_en_m2: FloatArray  # (R, T, 2, 2)
    t_sigma_s: FloatArray  # (R, T)
    lnbeta: FloatArray  # (R, T, 2) posterior mean and sigma of ln beta at the snapshot
    state_nees6: FloatArray  # (R, T) NEES of the track's position and velocity at its update time
    mode_prob: FloatArray  # (R, T, 3)
    status: IntArray  # (R, T) prediction status (types.STATUS_*), -1 without a track
    state_err: FloatArray  # (R, T, 7) track state minus truth at its update time (ln beta: minus flown)
    state_cov: FloatArray  # (R, T, 7, 7) track covariance
    alt_m: FloatArray  # (R, T) true altitude at the track's update time
    # "t_impact_unix_s" (R,), "impact_ecef_m" (R, 3): the true impacts; "snapshots": {time to go: (run
    # indices, the stacked TrackSnapshot predicted)} for per-run analysis (impact Jacobians, state NEES).
    extra: dict[str, Any] = field(default_factory=dict)


def _truth_bank(
    cases: list[RunCase], mach_drag: bool = False
) -> tuple[TrajectoryBank, FloatArray, FloatArray]:
    """Fly every case: the bank of trajectories, the impact times (unix s) and impact ECEF (R, 3).
    ``mach_drag``: the truth's drag coefficient follows Mach number (the tracker's model does not)."""
    if mach_drag:
        names = sorted({c.class_name for c in cases})
        variants = [dataclasses.replace(get_class(n), name=f"{n}-mach", mach_drag=True) for n in names]
        with scenario_classes(variants):
            return _truth_bank([dataclasses.replace(c, class_name=f"{c.class_name}-mach") for c in cases])
    plans = aim_many(
        [c.class_name for c in cases],
        [c.launch_lat_deg for c in cases],
        [c.launch_lon_deg for c in cases],
        0.0,
        [c.target_lat_deg for c in cases],
        [c.target_lon_deg for c in cases],
        0.0,
        t_launch_unix_s=T0_UNIX_S,
        tol_m=50.0,
    )
    # The flown re-entry beta is the case's, not the class's (the aim was solved with the class's; the
    # impact moves by the drag difference and is taken from the flight, as in the simulator).
    plans = [dataclasses.replace(p, beta_kg_m2=c.beta_kg_m2) for p, c in zip(plans, cases, strict=True)]
    trajs = fly(plans, ground_alt_m=0.0)
    bank = TrajectoryBank.from_arrays(
        [tr.t_unix_s for tr in trajs],
        [tr.pos_ecef_m for tr in trajs],
        [tr.vel_ecef_mps for tr in trajs],
        [tr.phase for tr in trajs],
    )
    t_imp = np.array([tr.impact_t_unix_s for tr in trajs])
    p_imp = np.stack(
        [geodetic_deg_to_ecef(tr.impact_lat_deg, tr.impact_lon_deg, 0.0) for tr in trajs]
    ).reshape(-1, 3)
    return bank, t_imp, p_imp


def _track_run(
    case: RunCase,
    bank: TrajectoryBank,
    t_impact: float,
    t_go_s: FloatArray,
    config: TrackerConfig,
    seed: int,
) -> list[TrackSnapshot | None]:
    """Track one run from its radar plots; the snapshot row of its track at each time to go."""
    obj = case.run
    rng = np.random.default_rng([seed, obj])
    sim = case.radar.sim_model()
    t_first = float(bank.t_first[obj])
    st, sk = scan_schedule(1.0, t_first, t_impact)
    ps, po = active_pairs(st, bank.t_first[obj : obj + 1], np.array([t_impact]))
    pos, vel, _ = bank.interpolate(np.full(ps.shape[0], obj), st[ps])
    det = radar_detect(sim, st, sk, ps, po, pos, vel, rng)
    trk = Tracker({"r1": case.radar.track_model()}, config)
    # Snapshot times: the scan nearest each time to go (every scan is a radar revisit, 1 s apart).
    want = {int(np.argmin(np.abs(st - (t_impact - tg)))): j for j, tg in enumerate(t_go_s)}
    out: list[TrackSnapshot | None] = [None] * len(t_go_s)
    bounds = np.searchsorted(det.scan, np.arange(st.shape[0] + 1))
    vals = det.values
    for k in range(st.shape[0]):
        rows = vals[bounds[k] : bounds[k + 1]]
        z = np.column_stack([rows[:, 0], np.radians(rows[:, 1]), np.radians(rows[:, 2]), rows[:, 3]])
        if case.radar.sigma_range_rate_mps is None:
            z = z[:, :3]
        trk.process(ScanInput("r1", float(st[k]), z))
        j = want.get(k)
        if j is None:
            continue
        snap = trk.snapshot()
        if len(snap) == 0:
            continue
        # The run's track: the confirmed track nearest the truth at its update time (within 5 km).
        truth, _, _ = bank.interpolate(np.full(len(snap), obj), snap.t_update_unix_s)
        d = np.linalg.norm(snap.x[:, 0:3] - truth, axis=1)
        i = int(np.argmin(d))
        if d[i] <= 5000.0:
            out[j] = snap.select(np.array([i]))
    return out


def run_e2e(
    cases: list[RunCase],
    t_go_s: tuple[float, ...] = T_GO_S,
    *,
    tracker_config: TrackerConfig | None = None,
    predict_config: PredictConfig | None = None,
    seed: int = 0,
    mach_drag: bool = False,
) -> E2EResult:
    """Fly, measure, track and predict every case; the per (run, time to go) errors (see module doc).
    ``mach_drag``: the truth flies a Mach-dependent drag coefficient (model mismatch)."""
    tcfg = tracker_config or TrackerConfig()
    pcfg = predict_config or PredictConfig(terrain=Terrain(default_alt_m=0.0))
    bank, t_imp, p_imp = _truth_bank(cases, mach_drag)
    tg = np.asarray(t_go_s, dtype=np.float64)
    n_r, n_t = len(cases), tg.shape[0]
    snaps: list[list[TrackSnapshot | None]] = [
        _track_run(c, bank, float(t_imp[c.run]), tg, tcfg, seed) for c in cases
    ]
    res = E2EResult(
        t_go_s=tg,
        cases=cases,
        miss_m=np.full((n_r, n_t), np.nan),
        t_err_s=np.full((n_r, n_t), np.nan),
        nees2=np.full((n_r, n_t), np.nan),
        err_en_m=np.full((n_r, n_t, 2), np.nan),
        cov_en_m2=np.full((n_r, n_t, 2, 2), np.nan),
        t_sigma_s=np.full((n_r, n_t), np.nan),
        lnbeta=np.full((n_r, n_t, 2), np.nan),
        state_nees6=np.full((n_r, n_t), np.nan),
        mode_prob=np.full((n_r, n_t, 3), np.nan),
        status=np.full((n_r, n_t), -1, dtype=np.int64),
        state_err=np.full((n_r, n_t, 7), np.nan),
        state_cov=np.full((n_r, n_t, 7, 7), np.nan),
        alt_m=np.full((n_r, n_t), np.nan),
    )
    res.extra.update(t_impact_unix_s=t_imp, impact_ecef_m=p_imp)
    for j in range(n_t):
        runs = [r for r in range(n_r) if snaps[r][j] is not None]
        if not runs:
            continue
        rows = [snaps[r][j] for r in runs]
        snap = _stack([s for s in rows if s is not None], [f"R{r}" for r in runs])
        pr = predict_impacts(snap, config=pcfg)
        ri = np.array(runs)
        res.extra.setdefault("snapshots", {})[float(tg[j])] = (ri, snap)
        truth_r, truth_v, _ = bank.interpolate(ri, snap.t_update_unix_s)
        e6 = snap.x[:, 0:6] - np.concatenate([truth_r, truth_v], axis=1)
        res.state_nees6[ri, j] = np.einsum(
            "ni,ni->n", e6, np.linalg.solve(snap.P[:, 0:6, 0:6], e6[:, :, None])[:, :, 0]
        )
        beta_true = np.array([cases[r].beta_kg_m2 for r in runs])
        res.state_err[ri, j] = np.concatenate([e6, (snap.x[:, 6] - np.log(beta_true))[:, None]], axis=1)
        res.state_cov[ri, j] = snap.P
        res.alt_m[ri, j] = altitude_fast_m(truth_r)
        res.lnbeta[ri, j, 0] = snap.x[:, 6]
        res.lnbeta[ri, j, 1] = np.sqrt(snap.P[:, 6, 6])
        res.mode_prob[ri, j] = snap.mode_prob
        res.status[ri, j] = pr.status
        pred = geodetic_deg_to_ecef(pr.impact_lat_deg, pr.impact_lon_deg, 0.0)
        lat_t, lon_t = _latlon_rad(p_imp[ri])
        en = ecef_to_enu(pred, lat_t, lon_t, 0.0)[:, :2]
        res.err_en_m[ri, j] = en
        res.miss_m[ri, j] = np.linalg.norm(en, axis=1)
        res.t_err_s[ri, j] = pr.impact_t_unix_s - t_imp[ri]
        res.cov_en_m2[ri, j] = pr.impact_cov_en_m2
        res.t_sigma_s[ri, j] = pr.impact_t_sigma_s
        with np.errstate(invalid="ignore"):
            ok = np.asarray(
                np.isfinite(pr.impact_cov_en_m2).all(axis=(1, 2)) & np.isfinite(en).all(axis=1), dtype=bool
            )
        cov = np.where(ok[:, None, None], pr.impact_cov_en_m2, np.eye(2))
        e = np.where(ok[:, None], en, 0.0)
        n2 = np.einsum("ni,ni->n", e, np.linalg.solve(cov, e[:, :, None])[:, :, 0])
        res.nees2[ri, j] = np.where(ok, n2, np.nan)
    return res


def _latlon_rad(p_ecef: FloatArray) -> tuple[FloatArray, FloatArray]:
    from tocsin.geo.frames import ecef_to_geodetic

    lat, lon, _ = ecef_to_geodetic(p_ecef)
    return lat, lon


def _stack(snaps: list[TrackSnapshot], ids: list[str]) -> TrackSnapshot:
    """One snapshot holding single-track snapshots of different runs (ids made unique per run)."""
    return TrackSnapshot(
        t_unix_s=float(max(s.t_unix_s for s in snaps)),
        track_ids=tuple(ids),
        t_update_unix_s=np.concatenate([s.t_update_unix_s for s in snaps]),
        x=np.concatenate([s.x for s in snaps]),
        P=np.concatenate([s.P for s in snaps]),
        mode_prob=np.concatenate([s.mode_prob for s in snaps]),
        boost_accel_mps2=np.concatenate([s.boost_accel_mps2 for s in snaps]),
        first_t_unix_s=np.concatenate([s.first_t_unix_s for s in snaps]),
        n_updates=np.concatenate([s.n_updates for s in snaps]),
    )


def summarise(res: E2EResult, mask: np.ndarray | None = None) -> list[dict[str, float]]:
    """One row per time to go: runs with a prediction, median / 90th percentile miss (m), median
    |impact-time error| (s), mean 2-D NEES and its chi-square 95 % band, and 50/90/95 % coverage."""
    from tocsin.eval.consistency import chi2_band

    rows: list[dict[str, float]] = []
    for j, tg in enumerate(res.t_go_s.tolist()):
        ok = np.isfinite(res.nees2[:, j]) & np.isfinite(res.miss_m[:, j])
        if mask is not None:
            ok &= mask
        n = int(ok.sum())
        row: dict[str, float] = {"t_go_s": float(tg), "n": float(n)}
        if n:
            e = res.nees2[ok, j]
            lo, hi = chi2_band(2, n)
            row.update(
                miss_median_m=float(np.median(res.miss_m[ok, j])),
                miss_p90_m=float(np.percentile(res.miss_m[ok, j], 90)),
                t_err_median_s=float(np.median(np.abs(res.t_err_s[ok, j]))),
                t_bias_median_s=float(np.median(res.t_err_s[ok, j])),
                nees_mean=float(np.mean(e)),
                nees_band_lo=lo,
                nees_band_hi=hi,
                sigma_major_median_m=float(
                    np.median(np.sqrt(np.linalg.eigvalsh(res.cov_en_m2[ok, j])[:, 1]))
                ),
                lnbeta_sigma_median=float(np.median(res.lnbeta[ok, j, 1])),
                state_nees6_mean=float(np.nanmean(res.state_nees6[ok, j])),
            )
            for p in COVERAGE_P:
                row[f"coverage_{round(100 * p)}"] = float(np.mean(e <= -2.0 * math.log(1.0 - p)))
        rows.append(row)
    return rows
