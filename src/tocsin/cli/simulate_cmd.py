"""``tocsin simulate``: run the scenario simulator and print a summary table."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tocsin.sim.simulate import SimulationSummary, simulate


def summary_tables(summary: SimulationSummary) -> list[Table]:
    """Objects (class, launch, flight time, impact) and sensors (scans, detections, clutter) tables."""
    objects = Table(title=f"{summary.scenario}: {len(summary.objects)} objects (seed {summary.seed})")
    for col in (
        "object",
        "class",
        "site",
        "flight s",
        "impact lat",
        "impact lon",
        "miss m",
        "failure",
        "dets",
    ):
        objects.add_column(
            col, justify="right" if col not in ("object", "class", "site", "failure") else "left"
        )
    for o in summary.objects:
        objects.add_row(
            o.object,
            o.class_name,
            o.site,
            f"{o.flight_time_s:.0f}",
            "-" if o.impact_lat_deg is None else f"{o.impact_lat_deg:.4f}",
            "-" if o.impact_lon_deg is None else f"{o.impact_lon_deg:.4f}",
            "-" if o.miss_m is None else f"{o.miss_m:.0f}",
            o.failure,
            str(o.detections),
        )
    sensors = Table(title=f"sensors ({summary.n_measurements} measurements, {summary.n_zones} zones)")
    for col in ("sensor", "kind", "scans", "detections", "clutter"):
        sensors.add_column(col, justify="left" if col in ("sensor", "kind") else "right")
    for s in summary.sensors:
        sensors.add_row(s.id, s.kind, str(s.scans), str(s.detections), str(s.clutter))
    return [objects, sensors]


def run_simulate(scenario: str, out: Path, seed: int, *, progress: bool) -> SimulationSummary:
    """Simulate ``scenario`` into ``out`` and print the summary tables on standard output."""
    err = Console(file=sys.stderr)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not progress,
        transient=True,
    ) as bar:
        task = bar.add_task("simulating", total=1.0)

        def report(stage: str, fraction: float) -> None:
            bar.update(task, description=f"simulating: {stage}", completed=fraction)

        summary = simulate(scenario, out, seed=seed, progress=report)
    console = Console(width=140)
    for table in summary_tables(summary):
        console.print(table)
    console.print(f"wrote {', '.join(summary.files)} to {out}")
    return summary
