"""``make demo``: the bundled al-asad-2020 scenario end to end.

simulate -> run the warning chain -> evaluate with baselines -> after-action report, then the headline.
Usage: ``python -m tocsin.cli.demo [--out DIR] [--scenario NAME] [--seed N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console

from tocsin.cli.app import show_progress
from tocsin.cli.evaluate_cmd import run_evaluate
from tocsin.cli.run_cmd import run_chain
from tocsin.cli.simulate_cmd import run_simulate
from tocsin.errors import BadInputError


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="tocsin-demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-out"))
    parser.add_argument("--scenario", default="al-asad-2020")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    out: Path = args.out
    scen, run, ev = out / "scenario", out / "run", out / "evaluation"
    t0 = time.perf_counter()
    stage_s: list[float] = []  # wall seconds of each stage: where the demo's time goes
    try:
        console.rule(f"1/3 simulate {args.scenario} (seed {args.seed})")
        run_simulate(args.scenario, scen, args.seed, progress=show_progress())
        stage_s.append(time.perf_counter() - t0)
        console.rule("2/3 run the warning chain")
        counts = run_chain(
            scen / "sensors.json",
            str(scen / "measurements.jsonl"),
            scen / "zones.geojson",
            run,
            progress=show_progress(),
            overwrite=True,  # the demo's directory is scratch: a second `make demo` replaces it
        )
        console.print(
            f"{counts['lines']} measurements, {counts['predictions']} predictions, "
            f"{counts['alerts']} alerts, "
            f"{counts['cap']} CAP messages, event log {run / 'events.sqlite'}"
        )
        stage_s.append(time.perf_counter() - t0 - sum(stage_s))
        console.rule("3/3 evaluate against truth and baselines; write the report")
        _, _, head = run_evaluate(scen, run, ev, baselines=True, report=True)
        stage_s.append(time.perf_counter() - t0 - sum(stage_s))
    except BadInputError as e:
        print(f"tocsin demo: bad input: {e}", file=sys.stderr)
        return 2
    console.rule("headline")
    lines = [
        f"struck (zone, object) pairs: {head['struck_pairs']}, missed {head['missed']}, late {head['late']}",
        f"median lead time: {head['lead_time_median_s']:.0f} s; warning efficiency "
        f"{head.get('efficiency_vs_oracle', float('nan')):.2f} of the oracle's",
        f"shelter time: {head['shelter_zone_s']:,.0f} zone-s = "
        f"{head.get('shelter_vs_whole_area', float('nan')):.2f} of whole-area sirens, "
        f"{head.get('shelter_vs_oracle', float('nan')):.2f} of the oracle's",
        f"report: {ev / 'report.html'} (PDF {ev / 'report.pdf'}); scorecard {ev / 'scorecard.json'}",
        f"done in {time.perf_counter() - t0:.0f} s (simulate {stage_s[0]:.0f} s, run {stage_s[1]:.0f} s, "
        f"evaluate and report {stage_s[2]:.0f} s)",
    ]
    for line in lines:
        console.print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
