"""Two GEO infrared satellites over a salvo: missiles boosting one after another from one launch area.

From GEO a 0.005 deg line of sight is ~3 km wide and a stereo fix ~8 km uncertain, comparable to the
spacing of missiles that leave one launch area 18 s apart on the same arc: lines of sight of different
missiles pair into stereo ghosts, and a track slides from one missile onto the next (issue 4's salvo
bar, ``salvo-200``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import track_scenarios as ts

from tocsin.geo.frames import altitude_fast_m, enu_vector_to_ecef
from tocsin.track.models import IrModel, triangulation_cov
from tocsin.track.tracker import Tracker, TrackerConfig

T0 = 1.7e9
GEO_RADIUS_M = 42_164_000.0
SIGMA_LOS_RAD = math.radians(0.005)
AREAS = ((33.9, 46.5, 260.0, 0.0),)  # lat, lon deg, heading deg, first launch s
PER_AREA = 5
N_MISSILES = PER_AREA * len(AREAS)
INTERVAL_S = 18.0
BURN_S = 100.0
HOT_COAST_S = 10.0
SAMPLE_S = 0.1
FLY_S = 300.0  # truth beyond the last scan: the association sees a track that slid onto another missile


def _geo_ir(sid: str, lon_deg: float) -> IrModel:
    lon = math.radians(lon_deg)
    pos = GEO_RADIUS_M * np.array([math.cos(lon), math.sin(lon), 0.0])
    return IrModel(sid, pos, SIGMA_LOS_RAD, pd=0.9, clutter_per_scan=0.0, min_target_alt_m=12000.0)


def _salvo() -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(launch time s, sample times (T,) s from launch, states (T, 6)) of each missile.

    Constant 30 m/s^2 thrust along a fixed 60 deg pitch for 100 s from launchers scattered over
    +-2.5 km: the missiles of one area fly nearly the same arc, 18 s behind one another.
    """
    rng = np.random.default_rng(44)
    out = []
    for i in range(N_MISSILES):
        lat0, lon0, head_deg, t_first = AREAS[i // PER_AREA]
        d_lat, d_lon = rng.uniform(-2500.0, 2500.0, 2) / np.array([111e3, 92e3])
        lat, lon = lat0 + d_lat, lon0 + d_lon
        s0 = ts.launch_state(lat, lon, 1000.0, 50.0, 80.0, head_deg)
        pitch, head = math.radians(60.0), math.radians(head_deg)
        c_p = math.cos(pitch)
        d_enu = np.array([c_p * math.sin(head), c_p * math.cos(head), math.sin(pitch)])
        a_vec = enu_vector_to_ecef(d_enu, math.radians(lat), math.radians(lon)) * 30.0

        def thrust(t: float, s: np.ndarray, a: np.ndarray = a_vec) -> np.ndarray:
            on = 1.0 if t < BURN_S - 1e-9 else 0.0
            return np.broadcast_to(a * on, s[..., 0:3].shape)

        t, x = ts.fly(s0, FLY_S, 3000.0, dt_s=SAMPLE_S, thrust=thrust, sample_s=SAMPLE_S)
        out.append((t_first + (i % PER_AREA) * INTERVAL_S, t, x))
    return out


def _position(obj: tuple[float, np.ndarray, np.ndarray], t_s: float) -> np.ndarray | None:
    t0, t, x = obj
    k = round((t_s - t0) / SAMPLE_S)
    return x[k, 0:3] if 0 <= k < len(t) else None


def test_salvo_from_one_area_seen_by_two_geo_satellites_has_no_ghost_tracks() -> None:
    sats = {"geo1": _geo_ir("geo1", 57.0), "geo2": _geo_ir("geo2", 10.0)}
    salvo = _salvo()
    rng = np.random.default_rng(45)
    trk = Tracker(sats)  # type: ignore[arg-type]
    rows: dict[str, list[tuple[float, np.ndarray, np.ndarray]]] = {}
    seen = np.zeros(N_MISSILES, dtype=np.int64)
    t_end = max(o[0] for o in salvo) + BURN_S + HOT_COAST_S
    for t_scan in np.arange(0.0, t_end, 2.0):
        for sid, offset in (("geo1", 0.4), ("geo2", 1.3)):
            t = float(t_scan + offset)
            hot = [i for i, o in enumerate(salvo) if 0.0 <= t - o[0] <= BURN_S + HOT_COAST_S]
            pos = np.array([_position(salvo[i], t) for i in hot]).reshape(-1, 3)
            up = altitude_fast_m(pos) >= sats[sid].min_target_alt_m
            det = up & (rng.random(pos.shape[0]) < sats[sid].pd)
            np.add.at(seen, np.asarray(hot, dtype=np.int64)[det], 1)
            trk.process(ts.scan(sid, T0 + t, ts.ir_plots(sats[sid], pos[det], rng)))
            for r in trk.track_rows():
                p, c = np.array(r["pos_ecef_m"]), np.array(r["cov_pos_m2"])
                rows.setdefault(r["track"], []).append((r["t_unix_s"] - T0, p, c))
    # The salvo bench's false-track rule (benchmarks/bench_track_salvo.py): mean distance to the
    # nearest object over the track's life against max(5 km, min(3 sigma_track, 3 sigma_IR)).
    sens = np.stack([s.pos_ecef_m for s in sats.values()])[None]
    sig = np.full((1, 2), SIGMA_LOS_RAD)
    covered: set[int] = set()
    false_tracks = []
    for name, rr in rows.items():
        mean_d = np.full(N_MISSILES, np.inf)
        for i, obj in enumerate(salvo):
            d = [np.linalg.norm(p - q) for t, p, _ in rr if (q := _position(obj, t)) is not None]
            if d:
                mean_d[i] = float(np.mean(d))
        best = int(np.argmin(mean_d))
        sig_track = float(np.median([math.sqrt(np.trace(c)) for _, _, c in rr]))
        p_mean = np.mean([p for _, p, _ in rr], axis=0)[None]
        sig_ir = math.sqrt(np.trace(triangulation_cov(p_mean, sens, sig)[0]))
        gate = max(5000.0, min(3.0 * sig_track, 3.0 * sig_ir))
        if mean_d[best] <= gate:
            covered.add(best)
        else:
            false_tracks.append((name, mean_d[best] / 1e3, gate / 1e3))
    # Before the IR-only checks: 4 confirmed tracks were false here and no missile was covered.
    assert not false_tracks, f"confirmed tracks off every missile (name, km, gate km): {false_tracks}"
    # Every missile but at most one is covered: in a stream this tight (one launcher area, one arc)
    # the last missile's lines of sight can still go to a track that slid onto it (issue 4, open).
    seen10 = {i for i in range(N_MISSILES) if seen[i] >= 10}
    assert covered <= seen10 and len(covered) >= len(seen10) - 1


def _pair_run(config: TrackerConfig) -> tuple[int, int]:
    """Two missiles launched together 1 km apart on one arc, seen by two GEO satellites for 90 s:
    every scan of either satellite puts both lines of sight inside each track's gate (a GEO line of
    sight is ~3 km wide; Pd 1, so no scan shows one line alone). Returns the tracker's (tentative,
    confirmed) counts at the end."""
    sats = {k: dataclasses.replace(_geo_ir(k, lon), pd=1.0) for k, lon in (("geo1", 57.0), ("geo2", 10.0))}
    rng = np.random.default_rng(46)
    states = []
    for d_lon in (0.0, 1000.0 / 92e3):
        s0 = ts.launch_state(33.9, 46.5 + d_lon, 1000.0, 50.0, 80.0, 260.0)
        pitch, head = math.radians(60.0), math.radians(260.0)
        d_enu = np.array(
            [math.cos(pitch) * math.sin(head), math.cos(pitch) * math.cos(head), math.sin(pitch)]
        )
        a_vec = enu_vector_to_ecef(d_enu, math.radians(33.9), math.radians(46.5 + d_lon)) * 30.0

        def thrust(t: float, s: np.ndarray, a: np.ndarray = a_vec) -> np.ndarray:
            return np.broadcast_to(a, s[..., 0:3].shape)

        states.append(ts.fly(s0, 92.0, 3000.0, dt_s=SAMPLE_S, thrust=thrust, sample_s=SAMPLE_S)[1])
    trk = Tracker(sats, config)  # type: ignore[arg-type]
    for t_scan in np.arange(0.0, 90.0, 2.0):
        for sid, offset in (("geo1", 0.4), ("geo2", 1.3)):
            t = float(t_scan + offset)
            pos = np.array([x[round(t / SAMPLE_S), 0:3] for x in states])
            det = (altitude_fast_m(pos) >= sats[sid].min_target_alt_m) & (rng.random(2) < sats[sid].pd)
            trk.process(ts.scan(sid, T0 + t, ts.ir_plots(sats[sid], pos[det], rng)))
    return trk.n_tracks()


def test_ambiguous_ir_pair_confirms_by_the_update_escape_only() -> None:
    # Which missile each line of sight belongs to is never clear here. The escape (confirm after 16
    # updates whatever the ambiguity) gives the pair a confirmed track, so an infrared-only theatre is
    # warned; without it (ir_confirm_max_updates None) nothing confirms. In salvo-200 the escape is
    # also what confirms most stereo ghosts (false confirmed tracks, seeds 1-4: 23/45/54/22 with it,
    # 15/31/30/20 without): the default keeps the warning.
    assert TrackerConfig().ir_confirm_max_updates == 16
    assert _pair_run(TrackerConfig())[1] >= 1
    tentative, confirmed = _pair_run(TrackerConfig(ir_confirm_max_updates=None))
    assert confirmed == 0 and tentative >= 1
