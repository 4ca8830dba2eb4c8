"""``write_report``: the after-action report of one run, as a self-contained HTML file and a PDF.

Reads contract files only (a scenario directory and a run directory), scores the run and the three
baselines with the section-7 scorecard unless given, and writes into ``out_dir``:

- ``report.html``: one file, figures as inline base64 PNGs, tables as HTML, no external URL;
- ``report.pdf``: ``PAGES`` pages (summary, map, timeline, accuracy, aimpoints), deterministic
  (no creation date);
- ``figures/page-N.png``: the pages as PNGs (``PAGE_SIZE_IN`` at ``PNG_DPI``; page 4 is the impact
  prediction error against time to go);
- ``accuracy_vs_ttg.csv``: that error as a table, pooled over tracks per time-to-go bin (also in the HTML);
- ``replay.czml``: tracks and predicted impact ellipses for Cesium (``tocsin.report.czml``).
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from tocsin.eval.baselines import (
    BASELINES,
    DEFAULT_CIRCLE_RADIUS_M,
    DEFAULT_HOLD_S,
    circle_alerts,
    oracle_alerts,
    whole_area_alerts,
)
from tocsin.eval.scorecard import DEFAULT_DELAY_S, Scorecard, score_alerts
from tocsin.report.basemap import load_borders
from tocsin.report.czml import write_czml
from tocsin.report.data_model import ReportData, load_report_data
from tocsin.report.figures import (
    Headline,
    accuracy_page,
    accuracy_table,
    class_table,
    cluster_table,
    compare_table,
    fmt_s,
    headline,
    intent_page,
    map_page,
    prediction_errors,
    report_subtitle,
    summary_page,
    timeline_page,
    utc,
)
from tocsin.report.intent import DEFAULT_EPS_M, IntentAnalysis, analyse_intent

PAGES = 5
PNG_DPI = 100


def score_baselines(
    data: ReportData,
    *,
    delay_s: float = DEFAULT_DELAY_S,
    hold_s: float = DEFAULT_HOLD_S,
    radius_m: float = DEFAULT_CIRCLE_RADIUS_M,
) -> dict[str, Scorecard]:
    """Scorecards of the baselines (``oracle``, ``whole-area``, ``circle``; circle only with
    predictions) on the report's scenario, same first detections and delay (s) as the run."""
    out: dict[str, Scorecard] = {}
    first = data.first_detection_s
    ends = {}
    if data.truth is not None:
        ends = dict(zip(data.truth.objects, data.truth.t_last_s.tolist(), strict=True))
    rows = {
        "oracle": oracle_alerts(data.events, data.zones, first, hold_s=hold_s),
        "whole-area": whole_area_alerts(
            data.events, data.zones, first, hold_s=hold_s, end_without_impact_s=ends
        ),
    }
    if data.predictions:
        preds = [
            {
                "t_unix_s": float(p.t_unix_s[j]),
                "track": k,
                "impact_t_unix_s": float(p.impact_t_unix_s[j]),
                "impact_lat_deg": float(p.impact_lat_deg[j]),
                "impact_lon_deg": float(p.impact_lon_deg[j]),
            }
            for k, p in data.predictions.items()
            for j in range(p.t_unix_s.size)
        ]
        rows["circle"] = circle_alerts(preds, data.zones, radius_m=radius_m, hold_s=hold_s)
    for name in BASELINES:
        if name in rows:
            out[name] = score_alerts(rows[name], data.zones, data.events, first, delay_s)
    return out


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buf.getvalue()


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1240px;color:#1b2631}
h1{font-size:24px;margin-bottom:4px} h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccd}
.sub{color:#555;font-size:13px} .boxes{display:flex;gap:8px;margin:16px 0}
.box{flex:1;background:#eef3f7;border:1px solid #b0bec5;padding:8px;text-align:center}
.box.bad{background:#fdecea} .box .l{font-size:11px;color:#37474f;text-transform:uppercase}
.box .v{font-size:26px;font-weight:bold} .box .s{font-size:11px;color:#455a64}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right} th{background:#e8edf2}
td:first-child,th:first-child{text-align:left} img{width:100%;border:1px solid #ddd}
ul{font-size:14px} .foot{font-size:11px;color:#666;margin-top:24px}
"""


def _boxes(head: Headline) -> str:
    items = [
        ("objects", str(head.objects), f"{head.failed} failed, {head.impacts} impacts", False),
        ("zones struck", str(head.struck_zones), f"{head.struck_pairs} zone-object pairs", False),
        ("missed", str(head.missed), "no warning in force at impact", head.missed > 0),
        ("late", str(head.late), "warned after impact - shelter time", head.late > 0),
        ("median lead time", fmt_s(head.lead_time_median_s), "impact - start of take cover", False),
    ]
    wa = head.shelter_whole_area_zone_s
    ratio = f"{head.shelter_zone_s / wa:.0%} of whole-area ({wa / 3600:.1f} zone-h)" if wa > 0 else "-"
    items.append(("shelter time", f"{head.shelter_zone_s / 3600:.1f} zone-h", ratio, False))
    return (
        '<div class="boxes">'
        + "".join(
            f'<div class="box{" bad" if bad else ""}"><div class="l">{html.escape(label)}</div>'
            f'<div class="v">{html.escape(v)}</div><div class="s">{html.escape(s)}</div></div>'
            for label, v, s, bad in items
        )
        + "</div>"
    )


def _notes(data: ReportData, cards: Mapping[str, Scorecard], hold_s: float, radius_m: float) -> list[str]:
    card = next(iter(cards.values()))
    notes = [
        f"Scores follow the contract's section 7; dissemination delay {card.delay_s:g} s.",
        "oracle: cover in exactly the struck zones from each object's first detection.",
        "whole-area: every zone takes cover at the first detection of each wave.",
        f"circle: zones within {radius_m / 1000:g} km of each track's predicted impact, no uncertainty.",
        f"Baselines clear {hold_s:g} s after the (predicted) impact.",
        f"First detections (measurements gated on truth): {len(data.first_detection_s)} of "
        f"{len(data.events)} objects.",
        f"Tracks: {len(data.tracks)}; tracks with predictions: {len(data.predictions)}; "
        f"alerts: {len(data.alerts)}.",
        f"{card.pre_alerts} pre-alerts in {card.pre_alert_zones} zones; "
        f"unknown-zone alerts: {card.unknown_zone_alerts}.",
    ]
    return notes


def write_report(
    scenario_dir: str | Path,
    run_dir: str | Path,
    out_dir: str | Path,
    scorecard: Scorecard | None = None,
    baselines: Mapping[str, Scorecard] | None = None,
    *,
    delay_s: float = DEFAULT_DELAY_S,
    hold_s: float = DEFAULT_HOLD_S,
    circle_radius_m: float = DEFAULT_CIRCLE_RADIUS_M,
    eps_m: float = DEFAULT_EPS_M,
    data: ReportData | None = None,
) -> Path:
    """Write ``report.html``, ``report.pdf``, ``figures/page-N.png`` and ``replay.czml`` into ``out_dir``;
    returns the HTML path.

    ``scorecard`` is the run's scorecard (computed from ``run_dir/alerts.jsonl`` with ``delay_s``
    seconds of dissemination delay when None); ``baselines`` maps baseline names to their scorecards
    (all of ``tocsin.eval.baselines`` computed, with ``hold_s`` s and ``circle_radius_m`` m, when None).
    ``eps_m`` is the aimpoint clustering radius, metres. ``data``: the scenario and run already read
    (``load_report_data``), to avoid reading and gating the measurements twice.
    """
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    if data is None:
        data = load_report_data(Path(scenario_dir), Path(run_dir))
    if scorecard is None:
        scorecard = score_alerts(data.alerts, data.zones, data.events, data.first_detection_s, delay_s)
    if baselines is None:
        baselines = score_baselines(data, delay_s=scorecard.delay_s, hold_s=hold_s, radius_m=circle_radius_m)
    cards: dict[str, Scorecard] = {"tocsin": scorecard, **baselines}
    head = headline(data, scorecard, baselines.get("whole-area"))
    intent = analyse_intent(data.events, data.zones, eps_m=eps_m)
    notes = _notes(data, cards, hold_s, circle_radius_m)

    card = scorecard
    builders: list[Callable[[], Figure]] = [
        lambda: summary_page(data, cards, head, notes),
        lambda: map_page(data),
        lambda: timeline_page(data, card),
        lambda: accuracy_page(data),
        lambda: intent_page(data, intent),
    ]
    pngs: list[bytes] = []
    pdf_path = out / "report.pdf"
    # No CreationDate: the same inputs give a byte-identical PDF (ecosystem.md §10).
    with PdfPages(pdf_path, metadata={"CreationDate": None, "Title": f"tocsin report {data.title}"}) as pdf:
        for i, build in enumerate(builders, 1):
            fig = build()
            pdf.savefig(fig)
            png = _png(fig)
            (out / "figures" / f"page-{i}.png").write_bytes(png)
            pngs.append(png)
    write_czml(data, out / "replay.czml")
    accuracy = accuracy_table(prediction_errors(data))
    (out / "accuracy_vs_ttg.csv").write_text(
        "\n".join(",".join(row) for row in [accuracy[0], *accuracy[1]]) + "\n", encoding="utf-8"
    )
    html_path = out / "report.html"
    html_path.write_text(_html(data, cards, head, intent, notes, pngs, accuracy), encoding="utf-8")
    return html_path


def _html(
    data: ReportData,
    cards: Mapping[str, Scorecard],
    head: Headline,
    intent: IntentAnalysis,
    notes: Sequence[str],
    pngs: Sequence[bytes],
    accuracy: tuple[list[str], list[list[str]]],
) -> str:
    def img(i: int, alt: str) -> str:
        b64 = base64.b64encode(pngs[i]).decode("ascii")
        return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'

    first = next(iter(cards))
    per_class = {c.object_class: c for c in intent.per_class}
    cep_rows = [
        [
            c,
            str(v.n),
            f"{v.cep_observed_m:.0f} m" if math.isfinite(v.cep_observed_m) else "-",
            f"{v.cep_nominal_m:.0f} m ({v.nominal_note})" if v.cep_nominal_m is not None else "unknown",
        ]
        for c, v in per_class.items()
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>tocsin after-action report: {html.escape(data.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>After-action report: {html.escape(data.title)}</h1>",
        f"<div class='sub'>{html.escape(report_subtitle(data))}</div>",
        f"<div class='sub'>Scenario {html.escape(str(data.scenario_dir))} | "
        f"run {html.escape(str(data.run_dir))} | T0 (first launch) {utc(data.t0_unix_s)}</div>",
        _boxes(head),
        "<h2>Warning scorecard: tocsin vs baselines</h2>",
        _html_table(*compare_table(cards)),
        f"<h2>{html.escape(first)} by object class</h2>",
        _html_table(*class_table(cards[first])),
        "<ul>" + "".join(f"<li>{html.escape(n)}</li>" for n in notes) + "</ul>",
        "<h2>Map</h2>",
        img(1, "map"),
        "<h2>Timeline</h2>",
        img(2, "timeline"),
        "<h2>Impact prediction accuracy</h2>",
        img(3, "accuracy"),
        "<p>Pooled over tracks, by time to go before the true impact:</p>",
        _html_table(*accuracy),
        "<h2>Aimpoint and intent analysis</h2>",
        "<ul>" + "".join(f"<li>{html.escape(f)}</li>" for f in intent.findings) + "</ul>",
        _html_table(*cluster_table(intent)),
        _html_table(["class", "impacts", "observed CEP", "nominal CEP"], cep_rows),
        img(4, "aimpoints"),
        "<h2>Summary page</h2>",
        img(0, "summary"),
        f"<div class='foot'>{html.escape(load_borders().attribution)}</div>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
