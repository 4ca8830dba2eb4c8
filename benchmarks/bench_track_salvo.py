"""Issue 4's salvo bar on the simulator: every object a sensor saw >= 10 times gets a confirmed track,
fewer than 1 % false confirmed tracks; plus tracking wall time and peak memory.

Simulates a scenario (default ``salvo-200``), runs ``tocsin track`` over all its measurements, and
associates each confirmed track with the truth object nearest on average over the track's life.
A track whose mean distance exceeds ``--false-km`` is false; an object is covered when a track is
associated with it within that distance. Writes ``benchmarks/out/track_salvo.json``.
Usage: ``python benchmarks/bench_track_salvo.py [--scenario salvo-200] [--seed 1] [--false-km 5]``
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from tocsin.cli.run_cmd import run_track
from tocsin.eval.truth import load_truth
from tocsin.report.data_model import associate_tracks, read_tracks
from tocsin.sim.simulate import simulate

OUT = Path(__file__).resolve().parent / "out"


def main() -> None:
    """Run the benchmark and write its figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", default="salvo-200")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--false-km", type=float, default=5.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scen, run = Path(tmp) / "s", Path(tmp) / "r"
        summary = simulate(args.scenario, scen, seed=args.seed)
        t0 = time.perf_counter()
        counts = run_track(scen / "sensors.json", str(scen / "measurements.jsonl"), run)
        wall = time.perf_counter() - t0
        tracks = read_tracks(run / "tracks.jsonl")
        assoc = associate_tracks(tracks, load_truth(scen / "truth.jsonl"))
    limit_m = args.false_km * 1e3
    seen10 = {o.object for o in summary.objects if o.detections >= 10}
    covered = {obj for obj, d in assoc.values() if d <= limit_m}
    false_tracks = [k for k in tracks if k not in assoc or assoc[k][1] > limit_m]
    result = {
        "scenario": args.scenario,
        "seed": args.seed,
        "measurements": counts["lines"],
        "objects": len(summary.objects),
        "objects_seen_10_or_more": len(seen10),
        "of_those_with_a_confirmed_track": len(seen10 & covered),
        "confirmed_tracks": len(tracks),
        "false_confirmed_tracks": len(false_tracks),
        "false_fraction": len(false_tracks) / max(len(tracks), 1),
        "tracks_per_object": len(tracks) / max(len(covered), 1),
        "track_wall_s": wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "track_salvo.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
