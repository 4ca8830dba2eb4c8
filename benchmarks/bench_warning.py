"""Warning quality end to end (issue 7): simulate, run and evaluate bundled scenarios with baselines.

For each (scenario, seed): ``tocsin simulate``, ``tocsin run`` and ``tocsin evaluate --baselines`` as
subprocesses (the contract's commands, exactly as an outside user calls them), then one row of headline
figures against the bars of issue 7 (as corrected): no missed struck zone, late < 1 %, warning
efficiency >= 0.9 of the oracle's, shelter time <= 1/3 of whole-area's and <= 2x the oracle's,
over-warning <= 3 take-cover episodes per struck pair.

Writes ``benchmarks/out/warning.json`` and ``benchmarks/out/warning.md`` (a README-ready table). Usage:
``python benchmarks/bench_warning.py [--scenarios al-asad-2020 rocket-barrage] [--seeds 1 2]
[--work DIR] [--ir-only] [--one-ir] [--noise-factor F] [--clutter-factor F] [--pd-factor F]
[--revisit-factor F] [--mach-drag]``.
``--one-ir`` runs each scenario with its first infrared satellite as the only sensor (no stereo, no
radar: the one-sensor launch reports of ``tocsin.track.launch_detect`` are all it has). ``--ir-only`` adds,
for each scenario with radars, a variant whose sensors file keeps only the infrared satellites (as at
Al Asad in 2020).
``--noise-factor F`` (model mismatch) simulates each scenario with every sensor sigma multiplied by F,
then runs it with the sensors file as originally declared: the sensors are noisier than tocsin is told.
``--clutter-factor F`` (model mismatch) simulates each scenario with every sensor's false plots per scan
(``clutter_per_scan``) multiplied by F and runs it with the sensors file as declared: a denser clutter
environment than the radar and satellite operators reported.
``--pd-factor F`` (model mismatch) simulates with every sensor's detection probability x F (capped at 1)
and runs with the declared one. ``--revisit-factor F`` (another sensor layout, declared as such)
simulates and runs with every sensor's revisit time x F: slower radars and satellites.
``--mach-drag`` (model mismatch) simulates every object with a drag coefficient that follows Mach number
(``mach_drag`` classes: up to 1.8x the hypersonic drag near Mach 1.2), which tocsin's constant-beta
model does not know.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
BIN = Path(sys.executable).parent
DEFAULT_SCENARIOS = ("al-asad-2020", "al-asad-2020-ir", "rocket-barrage", "unknown-airframes")


def _tocsin(*args: str) -> float:
    """Run one ``tocsin`` command; returns its CPU time (s) of the child (user + system)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([str(BIN / "tocsin"), *args], check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _ir_only(scen: Path, one: bool = False) -> bool:
    """Keep only the infrared sensors (only the first with ``one``) and their measurements; False when
    that changes nothing."""
    sensors = json.loads((scen / "sensors.json").read_text(encoding="utf-8"))
    keep = [s for s in sensors["sensors"] if s["kind"] == "ir"][: 1 if one else None]
    if len(keep) == len(sensors["sensors"]) or not keep:
        return False
    ids = {s["id"] for s in keep}
    sensors["sensors"] = keep
    (scen / "sensors.json").write_text(json.dumps(sensors, indent=1) + "\n", encoding="utf-8")
    lines = (scen / "measurements.jsonl").read_text(encoding="utf-8").splitlines()
    kept = [ln for ln in lines if json.loads(ln)["sensor"] in ids]
    (scen / "measurements.jsonl").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return True


def _with_mach_drag(text: str) -> str:
    """The scenario YAML with every launched class flying Mach-dependent drag (truth only): scenario
    classes get ``mach_drag: true``, catalogue classes a ``-mach`` copy with it."""
    import yaml

    doc = yaml.safe_load(text)
    classes = doc.setdefault("classes", []) or []
    doc["classes"] = classes
    own = {c["name"]: c for c in classes}
    for c in classes:
        c["mach_drag"] = True
    for launch in doc.get("launches", []):
        name = launch["class"]
        if name not in own:
            copy = {"name": f"{name}-mach", "base": name, "mach_drag": True}
            classes.append(copy)
            own[name] = copy
        launch["class"] = own[name]["name"]
    return str(yaml.safe_dump(doc, sort_keys=False))


# Mismatch knobs: (YAML key pattern, label, tag). Truth-only knobs simulate with the key scaled and run
# with the sensors file as declared; a layout knob changes the sensors themselves (declared = true).
TRUTH_KNOBS = {
    "noise": (
        r"sigma_(?:range_m|az_deg|el_deg|range_rate_mps|los_deg)",
        "sensors {f:g}x noisier than declared",
    ),
    "clutter": (r"clutter_per_scan", "clutter {f:g}x"),
    "pd": (r"pd", "detection probability {f:g}x declared"),
}
LAYOUT_KNOBS = {"revisit": (r"revisit_s", "every revisit {f:g}x longer")}


def _scaled(text: str, key: str, factor: float, cap: float | None = None) -> str:
    """``text`` with every ``key: number`` YAML value multiplied by ``factor`` (at most ``cap``)."""

    def repl(m: re.Match[str]) -> str:
        v = float(m.group(2)) * factor
        return f"{m.group(1)}{min(v, cap) if cap is not None else v!r}"

    return re.sub(rf"(\b{key}: )([0-9.eE+-]+)", repl, text)


def _variant(
    scenario: str, truth: dict[str, float], layout: dict[str, float], mach_drag: bool, scen: Path, seed: int
) -> None:
    """Simulate ``scenario`` into ``scen`` with the ``truth`` knobs (TRUTH_KNOBS name -> factor) applied to
    the truth only and the ``layout`` knobs (LAYOUT_KNOBS) to both truth and the declared sensors file
    (and Mach-dependent drag in the truth)."""
    from importlib import resources

    text = resources.files("tocsin.sim").joinpath("scenarios", f"{scenario}.yaml").read_text(encoding="utf-8")
    for name, f in layout.items():
        text = _scaled(text, LAYOUT_KNOBS[name][0], f)
    declared_text = text
    for name, f in truth.items():
        text = _scaled(text, TRUTH_KNOBS[name][0], f, cap=1.0 if name == "pd" else None)
    if mach_drag:
        text = _with_mach_drag(text)
    scen.parent.mkdir(parents=True, exist_ok=True)
    yaml_path = scen.parent / "variant.yaml"
    yaml_path.write_text(text, encoding="utf-8")
    _tocsin("simulate", str(yaml_path), "--out", str(scen), "--seed", str(seed))
    if declared_text != text:
        declared_yaml = scen.parent / "declared.yaml"
        declared_yaml.write_text(declared_text, encoding="utf-8")
        declared = scen.parent / "declared"
        _tocsin("simulate", str(declared_yaml), "--out", str(declared), "--seed", str(seed))
        shutil.copy(declared / "sensors.json", scen / "sensors.json")
        shutil.rmtree(declared, ignore_errors=True)


def one(
    scenario: str,
    seed: int,
    work: Path,
    ir_only: bool = False,
    truth: dict[str, float] | None = None,
    layout: dict[str, float] | None = None,
    mach_drag: bool = False,
    one_ir: bool = False,
) -> dict[str, Any] | None:
    """Simulate, run and evaluate one scenario; the headline row, or None when ``ir_only`` has no radar.

    ``truth`` and ``layout`` map TRUTH_KNOBS / LAYOUT_KNOBS names to factors (see ``_variant``)."""
    truth = {k: f for k, f in (truth or {}).items() if f != 1.0}
    layout = {k: f for k, f in (layout or {}).items() if f != 1.0}
    label = f"{scenario}{' (IR only)' if ir_only else ''}"
    tag = "-ironly" if ir_only else ""
    for name, f in [*truth.items(), *layout.items()]:
        label += " (" + {**TRUTH_KNOBS, **LAYOUT_KNOBS}[name][1].format(f=f) + ")"
        tag += f"-{name}{f:g}"
    label += " (Mach-dependent drag)" if mach_drag else ""
    label += " (one IR satellite only)" if one_ir else ""
    tag += "-mach" if mach_drag else ""
    tag += "-oneir" if one_ir else ""
    base = work / f"{scenario}{tag}-s{seed}"
    scen, run, ev = base / "scenario", base / "run", base / "eval"
    for d in (scen, run, ev):
        shutil.rmtree(d, ignore_errors=True)
    if truth or layout or mach_drag:
        _variant(scenario, truth, layout, mach_drag, scen, seed)
    else:
        _tocsin("simulate", scenario, "--out", str(scen), "--seed", str(seed))
    if ir_only and not _ir_only(scen):
        return None
    if one_ir and not _ir_only(scen, one=True):
        return None
    t0 = time.perf_counter()
    run_cpu = _tocsin(
        "run",
        "--sensors",
        str(scen / "sensors.json"),
        "--measurements",
        str(scen / "measurements.jsonl"),
        "--zones",
        str(scen / "zones.geojson"),
        "--out",
        str(run),
    )
    run_wall = time.perf_counter() - t0
    _tocsin(
        "evaluate", "--scenario", str(scen), "--run", str(run), "--out", str(ev), "--baselines", "--no-report"
    )
    card = json.loads((ev / "scorecard.json").read_text(encoding="utf-8"))
    tot = card["total"]
    base_tot = {k: v["total"] for k, v in card.get("baselines", {}).items()}
    oracle, whole = base_tot.get("oracle", {}), base_tot.get("whole-area", {})
    row: dict[str, Any] = {
        "scenario": label,
        "seed": seed,
        "struck_pairs": tot["struck_pairs"],
        "missed": tot["missed"],
        "late": tot["late"],
        "false_alerts": tot.get("false_alerts"),
        "lead_time_median_s": tot["lead_time_median_s"],
        "warning_efficiency_median": tot["warning_efficiency_median"],
        "oracle_efficiency_median": oracle.get("warning_efficiency_median"),
        "over_warning": tot["over_warning"],
        "shelter_zone_s": tot["shelter_zone_s"],
        "oracle_shelter_zone_s": oracle.get("shelter_zone_s"),
        "whole_area_shelter_zone_s": whole.get("shelter_zone_s"),
        "run_cpu_s": round(run_cpu, 1),
        "run_wall_s": round(run_wall, 1),
    }
    row["bars_not_met"] = bars_not_met(row)
    return row


def bars_not_met(r: dict[str, Any]) -> list[str]:
    """Names of the issue-7 bars (as corrected) that the row misses."""
    out = []
    pairs = max(int(r["struck_pairs"]), 1)
    if r["missed"]:
        out.append("missed")
    if r["late"] / pairs >= 0.01:
        out.append("late")
    eff, eff_o = r["warning_efficiency_median"], r["oracle_efficiency_median"]
    if eff is not None and eff_o and eff < 0.9 * eff_o:
        out.append("efficiency")
    sh, sh_o, sh_w = r["shelter_zone_s"], r["oracle_shelter_zone_s"], r["whole_area_shelter_zone_s"]
    if sh_w and sh > sh_w / 3.0:
        out.append(f"shelter ({sh / sh_w:.2f} of whole-area)")
    if sh_o and sh > 2.0 * sh_o:
        out.append(f"shelter ({sh / sh_o:.1f}x oracle)")
    if r["over_warning"] is not None and r["over_warning"] > 3.0:
        out.append("over-warning")
    return out


def _f(v: Any, fmt: str = "{:.2f}") -> str:
    return "-" if v is None else fmt.format(v)


def markdown(rows: list[dict[str, Any]]) -> str:
    """The README table of the rows."""
    head = (
        "| scenario | seed | struck pairs | missed | late | lead median s | efficiency (oracle) "
        "| over-warning | shelter zone-s (oracle / whole-area) | run CPU s | bars not met |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    body = ""
    for r in rows:
        body += (
            f"| `{r['scenario']}` | {r['seed']} | {r['struck_pairs']} | {r['missed']} | {r['late']} "
            f"| {_f(r['lead_time_median_s'], '{:.0f}')} "
            f"| {_f(r['warning_efficiency_median'])} ({_f(r['oracle_efficiency_median'])}) "
            f"| {_f(r['over_warning'], '{:.1f}')} "
            f"| {_f(r['shelter_zone_s'], '{:,.0f}')} ({_f(r['oracle_shelter_zone_s'], '{:,.0f}')} / "
            f"{_f(r['whole_area_shelter_zone_s'], '{:,.0f}')}) | {r['run_cpu_s']:.0f} "
            f"| {', '.join(r['bars_not_met']) or 'all met'} |\n"
        )
    return head + body


def main() -> int:
    """Run the requested scenarios and seeds; write warning.json and warning.md in benchmarks/out."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenarios", nargs="+", default=list(DEFAULT_SCENARIOS))
    ap.add_argument("--seeds", nargs="+", type=int, default=[1])
    ap.add_argument("--ir-only", action="store_true", help="also run each radar scenario with IR only")
    ap.add_argument("--noise-factor", type=float, default=1.0, help="true sigma / declared sigma")
    ap.add_argument("--mach-drag", action="store_true", help="truth flies Mach-dependent drag")
    ap.add_argument("--one-ir", action="store_true", help="keep only the first infrared satellite")
    ap.add_argument("--clutter-factor", type=float, default=1.0, help="true clutter / declared clutter")
    ap.add_argument("--pd-factor", type=float, default=1.0, help="true detection probability / declared")
    ap.add_argument("--revisit-factor", type=float, default=1.0, help="every sensor's revisit time x F")
    ap.add_argument("--work", type=Path, default=None, help="keep scenario/run/eval folders here")
    ap.add_argument("--name", default="warning", help="output file stem in benchmarks/out")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="tocsin-warning-"))
    rows = []
    for scenario in args.scenarios:
        for seed in args.seeds:
            for ir in (False, True) if args.ir_only else (False,):
                row = one(
                    scenario,
                    seed,
                    work,
                    ir_only=ir,
                    truth={"noise": args.noise_factor, "clutter": args.clutter_factor, "pd": args.pd_factor},
                    layout={"revisit": args.revisit_factor},
                    mach_drag=args.mach_drag,
                    one_ir=args.one_ir,
                )
                if row is None:
                    continue
                rows.append(row)
                print(markdown([row]).splitlines()[-1], flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / f"{args.name}.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    (OUT / f"{args.name}.md").write_text(markdown(rows), encoding="utf-8")
    print(markdown(rows))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
