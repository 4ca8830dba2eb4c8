"""``tocsin evaluate``: score a run against truth (contract section 7), baselines, after-action report."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tocsin.errors import BadInputError
from tocsin.eval.evaluate import load_alerts
from tocsin.eval.scorecard import Figures, Scorecard, score_alerts, scorecard_table, scorecard_to_json
from tocsin.report.data_model import load_report_data
from tocsin.report.write import score_baselines, write_report

SCENARIO_FILES = ("sensors.json", "zones.geojson", "events.json")


def _fmt(x: float, unit: str = "") -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return "-"
    if isinstance(x, int):
        return str(x)
    return f"{x:,.0f}{unit}" if abs(x) >= 100 else f"{x:.2f}{unit}"


COMPARED: tuple[tuple[str, str], ...] = (
    ("struck_pairs", "struck (zone, object) pairs"),
    ("timely", "timely"),
    ("late", "late"),
    ("missed", "missed"),
    ("lead_time_median_s", "lead time median (s)"),
    ("lead_time_p10_s", "lead time p10 (s)"),
    ("warning_efficiency_median", "warning efficiency median"),
    ("episodes", "take_cover zone-episodes"),
    ("false_alerts", "false zone alerts"),
    ("over_warning", "over-warning (episodes per struck pair)"),
    ("over_warning_population", "over-warning by population"),
    ("shelter_zone_s", "shelter time (zone-s)"),
    ("shelter_person_s", "shelter time (person-s)"),
    ("all_clear_delay_median_s", "all-clear delay median (s)"),
)


def comparison_table(cards: dict[str, Scorecard]) -> Table:
    """tocsin and the baselines side by side on the headline figures (totals)."""
    table = Table(title="tocsin against the baselines (all objects)")
    table.add_column("figure")
    for name in cards:
        table.add_column(name, justify="right")
    for key, label in COMPARED:
        table.add_row(label, *(_fmt(getattr(c.total, key)) for c in cards.values()))
    return table


def headline(card: Scorecard, baselines: dict[str, Scorecard]) -> dict[str, Any]:
    """Headline figures with the bars of issue 7 (ratios against the baselines)."""
    t: Figures = card.total
    out: dict[str, Any] = {
        "struck_pairs": t.struck_pairs,
        "missed": t.missed,
        "late": t.late,
        "lead_time_median_s": t.lead_time_median_s,
        "warning_efficiency_median": t.warning_efficiency_median,
        "over_warning": t.over_warning,
        "shelter_zone_s": t.shelter_zone_s,
    }
    oracle = baselines.get("oracle")
    whole = baselines.get("whole-area")
    if oracle is not None and oracle.total.warning_efficiency_median > 0:
        out["efficiency_vs_oracle"] = t.warning_efficiency_median / oracle.total.warning_efficiency_median
    if oracle is not None and oracle.total.shelter_zone_s > 0:
        out["shelter_vs_oracle"] = t.shelter_zone_s / oracle.total.shelter_zone_s
    if whole is not None and whole.total.shelter_zone_s > 0:
        out["shelter_vs_whole_area"] = t.shelter_zone_s / whole.total.shelter_zone_s
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def run_evaluate(
    scenario: Path,
    run_dir: Path,
    out: Path,
    *,
    delay_s: float = 3.0,
    baselines: bool = False,
    report: bool = True,
) -> tuple[Scorecard, dict[str, Scorecard], dict[str, Any]]:
    """Score, optionally against baselines, write ``scorecard.json``/``scorecard.txt`` and the report."""
    for name in SCENARIO_FILES:
        if not (scenario / name).is_file():
            raise BadInputError(str(scenario / name), None, None, "missing scenario file")
    if not (run_dir / "alerts.jsonl").is_file():
        raise BadInputError(str(run_dir / "alerts.jsonl"), None, None, "missing run file")
    alerts = load_alerts(run_dir / "alerts.jsonl")
    data = load_report_data(scenario, run_dir)
    data.alerts = alerts
    card = score_alerts(alerts, data.zones, data.events, data.first_detection_s, delay_s)
    base = score_baselines(data, delay_s=delay_s) if baselines else {}
    head = headline(card, base)
    doc = scorecard_to_json(card)
    doc["headline"] = _clean(head)
    if base:
        doc["baselines"] = {name: scorecard_to_json(c) for name, c in base.items()}
    out.mkdir(parents=True, exist_ok=True)
    (out / "scorecard.json").write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    console = Console(width=160)
    console.print(scorecard_table(card))
    if base:
        console.print(comparison_table({"tocsin": card, **base}))
    with (out / "scorecard.txt").open("w", encoding="utf-8") as fh:
        file_console = Console(width=160, file=fh, color_system=None)
        file_console.print(scorecard_table(card))
        if base:
            file_console.print(comparison_table({"tocsin": card, **base}))
    if report:
        html = write_report(scenario, run_dir, out, card, base or None, delay_s=delay_s, data=data)
        console.print(f"after-action report: {html}")
    return card, base, head
