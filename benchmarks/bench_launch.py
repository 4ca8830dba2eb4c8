"""Launch-point accuracy end to end (issue 5): simulate, run, and score each track's last launch estimate.

For each (scenario, seed): ``tocsin simulate`` and ``tocsin run`` as subprocesses (the contract's
commands), then every confirmed track of ``tracks.jsonl`` is associated to the true object it followed
(the smallest mean distance between its track positions and that object's truth positions at the same
times, ``truth.jsonl``; at most ``MATCH_RADIUS_M``), and its last launch estimate in
``predictions.jsonl`` is compared with that object's launch point in ``events.json``: horizontal
error (geodesic, m), launch-time error (s), and whether the truth lies inside the reported 95 %
east/north ellipse (chi-square, 2 dof, 5.991) and the true launch time inside +-1.96 of the reported
``launch_t_sigma_s``.

Writes ``benchmarks/out/launch.json``. Usage: ``python benchmarks/bench_launch.py [--scenarios
unknown-airframes al-asad-2020 rocket-barrage] [--seeds 1] [--work DIR] [--reuse]``. ``--reuse``
scores the simulation and run already in ``--work`` (``SCEN-sSEED/scenario`` and ``.../run``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from tocsin.eval.truth import load_truth
from tocsin.geo.frames import ecef_to_enu, geodetic_to_ecef
from tocsin.geo.geodesic import geodesic_distance_m

OUT = Path(__file__).resolve().parent / "out"
BIN = Path(sys.executable).parent
DEFAULT_SCENARIOS = ("unknown-airframes", "al-asad-2020", "rocket-barrage")
MATCH_RADIUS_M = 20_000.0  # mean track-to-truth distance above which a track follows nothing
CHI2_95_2DOF = 5.991  # 95 % quantile of chi-square with 2 degrees of freedom
SAMPLES_PER_TRACK = 25


def _tracks(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rows: dict[str, list[tuple[float, list[float]]]] = {}
    with path.open(encoding="utf-8") as f:
        for text in f:
            r = json.loads(text)
            rows.setdefault(r["track"], []).append((float(r["t_unix_s"]), r["pos_ecef_m"]))
    return {k: (np.array([a for a, _ in v]), np.array([b for _, b in v])) for k, v in rows.items()}


def _last_launch(path: Path) -> dict[str, dict[str, Any]]:
    last: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as f:
        for text in f:
            r = json.loads(text)
            if "launch_lat_deg" in r:
                last[r["track"]] = r
    return last


def score(scen: Path, run: Path) -> dict[str, Any]:
    """Per-track launch errors of one run against its scenario's truth."""
    truth = load_truth(scen / "truth.jsonl")
    doc = json.loads((scen / "events.json").read_text(encoding="utf-8"))
    events = {o["object"]: o for o in doc["objects"]}
    tracks = _tracks(run / "tracks.jsonl")
    launch = _last_launch(run / "predictions.jsonl")
    rows = []
    unestimated = 0
    for tid in sorted(tracks):
        t, p = tracks[tid]
        pick = np.unique(np.linspace(0, t.size - 1, min(SAMPLES_PER_TRACK, t.size)).astype(int))
        dist = np.zeros(len(truth.objects))
        n_ok = np.zeros(len(truth.objects))
        for j in pick.tolist():
            q, ok = truth.positions_at(float(t[j]), None)
            d = np.linalg.norm(q - p[j], axis=1)
            dist += np.where(ok, d, 0.0)
            n_ok += ok
        mean = np.where(n_ok > 0, dist / np.maximum(n_ok, 1), np.inf)
        k = int(np.argmin(mean))
        if mean[k] > MATCH_RADIUS_M or truth.objects[k] not in events:
            continue
        ev = events[truth.objects[k]]
        lat_true, lon_true = float(ev["launch"]["lat_deg"]), float(ev["launch"]["lon_deg"])
        if tid not in launch:
            unestimated += 1
            continue
        r = launch[tid]
        err = float(geodesic_distance_m(r["launch_lat_deg"], r["launch_lon_deg"], lat_true, lon_true))
        inside = None
        if "launch_cov_en_m2" in r:
            la, lo = np.radians(r["launch_lat_deg"]), np.radians(r["launch_lon_deg"])
            tp = geodetic_to_ecef(np.radians(lat_true), np.radians(lon_true), 0.0)
            d = ecef_to_enu(np.asarray(tp)[None], la, lo, 0.0)[0, :2]
            C = np.array(r["launch_cov_en_m2"])
            try:
                inside = bool(float(d @ np.linalg.solve(C, d)) <= CHI2_95_2DOF)
            except np.linalg.LinAlgError:
                inside = False
        rows.append(
            {
                "track": tid,
                "object": ev["object"],
                "class": ev["class"],
                "error_m": round(err, 1),
                "dt_s": round(float(r["launch_t_unix_s"]) - float(ev["launch"]["t_unix_s"]), 2),
                "inside_95": inside,
                "t_sigma_s": round(float(r["launch_t_sigma_s"]), 2) if "launch_t_sigma_s" in r else None,
            }
        )
    err = np.array([r["error_m"] for r in rows])
    cov = [r["inside_95"] for r in rows if r["inside_95"] is not None]
    # Launch time inside its 95 % interval (normal, 1.96 sigma).
    cov_t = [abs(r["dt_s"]) <= 1.96 * r["t_sigma_s"] for r in rows if r["t_sigma_s"]]
    return {
        "tracks_scored": len(rows),
        "tracks_without_estimate": unestimated,
        "median_error_m": round(float(np.median(err)), 1) if err.size else None,
        "p90_error_m": round(float(np.percentile(err, 90)), 1) if err.size else None,
        "median_abs_dt_s": round(float(np.median(np.abs([r["dt_s"] for r in rows]))), 2) if rows else None,
        "coverage_95": round(sum(cov) / len(cov), 3) if cov else None,
        "time_coverage_95": round(sum(cov_t) / len(cov_t), 3) if cov_t else None,
        "rows": rows,
    }


def main() -> None:
    """Run and score the scenarios; print a summary and write ``benchmarks/out/launch.json``."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenarios", nargs="+", default=list(DEFAULT_SCENARIOS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[1])
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--reuse", action="store_true")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-launch-"))
    out: dict[str, Any] = {}
    for name in args.scenarios:
        for seed in args.seeds:
            base = work / f"{Path(name).stem}-s{seed}"
            scen, run = base / "scenario", base / "run"
            if not args.reuse:
                tocsin = str(BIN / "tocsin")
                subprocess.run(
                    [tocsin, "simulate", name, "--out", str(scen), "--seed", str(seed)],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
                subprocess.run(
                    [
                        tocsin,
                        "run",
                        "--sensors",
                        str(scen / "sensors.json"),
                        "--measurements",
                        str(scen / "measurements.jsonl"),
                        "--zones",
                        str(scen / "zones.geojson"),
                        "--out",
                        str(run),
                    ],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            res = score(scen, run)
            out[f"{Path(name).stem}/seed{seed}"] = res
            print(
                f"{name} seed {seed}: {res['tracks_scored']} tracks"
                f" (+{res['tracks_without_estimate']} without estimate),"
                f" median {res['median_error_m']} m, p90 {res['p90_error_m']} m,"
                f" |dt| median {res['median_abs_dt_s']} s, 95% coverage {res['coverage_95']},"
                f" time {res['time_coverage_95']}"
            )
    OUT.mkdir(exist_ok=True)
    (OUT / "launch.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
