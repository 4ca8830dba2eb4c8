"""What are the false confirmed tracks of ``bench_track_salvo.py``? Labels every update with its source.

Simulates a scenario (default ``salvo-200``) keeping the simulator's internal label of every detection
(the true object, or clutter; never written to the measurements file), runs the same tracking as the
salvo bench with a tracker that records which labelled detection fed each update, applies the bench's
false-track rule (``bench_track_salvo.false_gates_m``) and sorts each false confirmed track by what fed it:

- ``radar``: at least one radar update;
- ``clutter``: most updates from false detections;
- ``ghost-pair``: IR only, each satellite mostly one object but not the same one (a stereo mispairing:
  satellite A's line of sight of object i with satellite B's of object j);
- ``sink``: IR only, no object gives a satellite more than half of that satellite's updates (a track
  that stays where a stream of launches passes and takes one missile's lines of sight after another);
- ``single-object``: IR only, both satellites mostly the same object (off it by more than the gate).

Also reports, for each false track, whether the objects it fed on already had a good confirmed track
when it confirmed (a ghost "explained" by true tracks) or not (it stood in for the missing true track).
Writes ``benchmarks/out/diag_track_salvo.json``.
Usage: ``python benchmarks/diag_track_salvo.py [--scenario salvo-200] [--seed 1] [--false-km 5]``
"""

from __future__ import annotations

import argparse
import collections
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

import tocsin.sim.simulate as sim
from bench_track_salvo import OUT, false_gates_m
from tocsin.cli import run_cmd
from tocsin.cli.files import load_sensors_doc
from tocsin.engine.sensors import track_models
from tocsin.eval.truth import load_truth
from tocsin.report.data_model import associate_tracks, read_tracks
from tocsin.sim.sensors import Detections
from tocsin.track.models import IrModel
from tocsin.track.tracker import CONFIRMED, Tracker

CLUTTER = -1


class _Labels:
    """Nearest labelled detection of a scan: (sensor id, scan time) -> (values, object index)."""

    def __init__(self, dets: Sequence[Detections]) -> None:
        self.scans: dict[tuple[str, float], tuple[np.ndarray, np.ndarray]] = {}
        for d in dets:
            for t in np.unique(d.t_unix_s):
                s = d.t_unix_s == t
                self.scans[(d.sensor, round(float(t), 6))] = (d.values[s], d.obj[s])

    def label(self, sid: str, t: float, z: np.ndarray) -> int:
        v, obj = self.scans.get((sid, round(float(t), 6)), (None, None))
        if v is None or obj is None:
            return CLUTTER
        if v.shape[1] == 3:  # IR unit line of sight
            d = np.linalg.norm(v - z[None, :3] / np.linalg.norm(z[:3]), axis=1)
        else:  # radar range m, az/el deg (the tracker holds radians, az wrapped to [0, 2 pi))
            daz = (v[:, 1] - np.degrees(z[1]) + 180.0) % 360.0 - 180.0
            d = np.abs(v[:, 0] - z[0]) + 1e3 * (np.abs(daz) + np.abs(v[:, 2] - np.degrees(z[2])))
        return int(obj[int(np.argmin(d))])


def _recording_tracker(
    labels: _Labels,
    feed: dict[int, dict[tuple[float, str], int]],
    num: dict[str, int],
    conf_t: dict[int, float],
) -> type[Tracker]:
    class Recording(Tracker):
        def _update(self, tr: Any, sensor: Any, at: Any, za: Any) -> Any:
            out, ok = super()._update(tr, sensor, at, za)
            for i, z in zip(at[ok], za[ok], strict=True):
                t = float(tr.t_state[i])
                feed.setdefault(int(tr.uid[i]), {})[(t, sensor.sensor_id)] = labels.label(
                    sensor.sensor_id, t, z
                )
            return out, ok

        def _confirm(self, tr: Any) -> Any:
            out = super()._confirm(tr)
            for i in np.flatnonzero((out.status == CONFIRMED) & (tr.status != CONFIRMED)):
                num[f"T{int(out.num[i])}"] = int(out.uid[i])
                conf_t[int(out.uid[i])] = float(out.t_state[i])
            return out

    return Recording


def classify(per_sensor: dict[str, collections.Counter[int]], ir_ids: set[str]) -> str:
    """Category of a false track from the labels of its updates per sensor (see the module docstring)."""
    if any(s not in ir_ids for s in per_sensor):
        return "radar"
    total: collections.Counter[int] = collections.Counter()
    for c in per_sensor.values():
        total.update(c)
    n = sum(total.values())
    if total[CLUTTER] > n / 2:
        return "clutter"
    top = {s: c.most_common(1)[0] for s, c in per_sensor.items() if c}
    if not all(k != CLUTTER and cnt > sum(per_sensor[s].values()) / 2 for s, (k, cnt) in top.items()):
        return "sink"
    return "ghost-pair" if len({k for k, _ in top.values()}) > 1 else "single-object"


def main() -> None:
    """Run the diagnosis and write its figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", default="salvo-200")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--false-km", type=float, default=5.0)
    ap.add_argument(
        "--keep", type=Path, default=None, help="keep the simulation and tracks in this directory"
    )
    args = ap.parse_args()
    captured: list[Sequence[Detections]] = []
    write = sim._write_measurements

    def keep(path: Path, dets: Sequence[Detections]) -> int:
        captured.append(dets)
        return write(path, dets)

    feed: dict[int, dict[tuple[float, str], int]] = {}
    num: dict[str, int] = {}
    conf_t: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep if args.keep is not None else Path(tmp)
        scen, run = where / "s", where / "r"
        sim._write_measurements = keep  # type: ignore[assignment]
        try:
            summary = sim.simulate(args.scenario, scen, seed=args.seed)
        finally:
            sim._write_measurements = write  # type: ignore[assignment]
        labels = _Labels(captured[0])
        plain = run_cmd.Tracker
        run_cmd.Tracker = _recording_tracker(labels, feed, num, conf_t)  # type: ignore[misc]
        try:
            run_cmd.run_track(scen / "sensors.json", str(scen / "measurements.jsonl"), run)
        finally:
            run_cmd.Tracker = plain  # type: ignore[misc]
        tracks = read_tracks(run / "tracks.jsonl")
        truth = load_truth(scen / "truth.jsonl")
        assoc = associate_tracks(tracks, truth)
        models = track_models(load_sensors_doc(scen / "sensors.json")[0])
    irs = [m for _, m in sorted(models.items()) if isinstance(m, IrModel)]
    gate = false_gates_m(tracks, irs, args.false_km * 1e3)
    names = list(truth.objects)
    good_conf: dict[int, list[float]] = collections.defaultdict(list)
    for k, (obj, d) in assoc.items():
        if d <= gate[k]:
            good_conf[names.index(obj)].append(conf_t[num[k]])
    rows = []
    for k in sorted(tracks, key=lambda s: int(s[1:])):
        if k in assoc and assoc[k][1] <= gate[k]:
            continue
        uid = num[k]
        per_sensor: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
        fed_before: set[int] = set()
        for (t, sid), lab in sorted(feed.get(uid, {}).items()):
            per_sensor[sid][lab] += 1
            if t <= conf_t[uid] and lab != CLUTTER:
                fed_before.add(lab)
        explained = sorted(names[o] for o in fed_before if any(c < conf_t[uid] for c in good_conf.get(o, [])))
        rows.append(
            {
                "track": k,
                "category": classify(per_sensor, {m.sensor_id for m in irs}),
                "nearest": assoc[k][0] if k in assoc else None,
                "mean_dist_km": round(assoc[k][1] / 1e3, 1) if k in assoc else None,
                "gate_km": round(gate[k] / 1e3, 1),
                "rows": int(tracks[k].t_unix_s.shape[0]),
                "fed_by": {
                    s: {(names[o] if o >= 0 else "clutter"): n for o, n in c.most_common(4)}
                    for s, c in sorted(per_sensor.items())
                },
                "objects_fed_before_confirmation": len(fed_before),
                "of_those_with_an_earlier_good_track": explained,
            }
        )
    seen10 = {o.object: o for o in summary.objects if o.detections >= 10}
    covered = {obj for k, (obj, d) in assoc.items() if d <= gate[k]}
    missing = []
    for name in sorted(set(seen10) - covered):
        o = seen10[name]
        near = sorted((d / gate[k], k) for k, (obj, d) in assoc.items() if obj == name)
        missing.append(
            {
                "object": name,
                "class": o.class_name,
                "failure": o.failure,
                "detections": o.detections,
                "nearest_tracks_dist_over_gate": [(k, round(x, 2)) for x, k in near[:3]],
            }
        )
    counts = collections.Counter(r["category"] for r in rows)
    result = {
        "scenario": args.scenario,
        "seed": args.seed,
        "confirmed_tracks": len(tracks),
        "false_confirmed_tracks": len(rows),
        "by_category": dict(sorted(counts.items())),
        "false_tracks_whose_objects_had_an_earlier_good_track": sum(
            1 for r in rows if r["of_those_with_an_earlier_good_track"]
        ),
        "objects_seen_10_or_more": len(seen10),
        "of_those_with_a_confirmed_track": len(set(seen10) & covered),
        "missing_objects": missing,
        "false_tracks": rows,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "diag_track_salvo.json").write_text(json.dumps(result, indent=1) + "\n")
    for r in rows:
        print(r["track"], r["category"], r["mean_dist_km"], "km", json.dumps(r["fed_by"]))
    print(json.dumps({k: v for k, v in result.items() if k != "false_tracks"}, indent=1))


if __name__ == "__main__":
    main()
