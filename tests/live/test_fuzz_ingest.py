"""Fuzzing the ingest: garbage lines anywhere in a real feed never crash the run, never warn (numpy
RuntimeWarnings are errors under pytest here), are each reported by line, and change no decision
(contract section 2)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest
from live_helpers import Feed, run_engine


def _garbage_makers(rng: random.Random, template: list[str]) -> list[Callable[[], str]]:
    """Each returns one bad line. ``template[0]`` is the next real line: a mutated copy of it would
    join the current scan if ingest let the mutation through, so a missed check changes decisions."""

    def real() -> dict[str, object]:
        return dict(json.loads(template[0]))

    def field_to(value: object, fields: tuple[str, ...] = ("t_unix_s", "range_m", "az_deg", "el_deg")) -> str:
        rec = real()
        name = rng.choice([f for f in fields if f in rec] or ["t_unix_s"])
        rec[name] = value
        return json.dumps(rec)

    def token_in_field(token: str) -> str:
        rec = real()
        name = rng.choice(
            [f for f in ("t_unix_s", "range_m", "az_deg", "el_deg", "range_rate_mps") if f in rec]
        )
        return json.dumps(rec).replace(f'"{name}": {json.dumps(rec[name])}', f'"{name}": {token}')

    def drop_field() -> str:
        rec = real()
        del rec[rng.choice(["t_unix_s", "sensor", "kind", "scan", "range_m", "az_deg", "el_deg"])]
        return json.dumps(rec)

    def nested(depth: int) -> str:
        return '{"t_unix_s": ' + "[" * depth + "]" * depth + "}"

    return [
        lambda: "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 80))),
        lambda: bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60))).decode(
            "utf-8", errors="surrogateescape"
        ),
        lambda: rng.choice(["", "   ", "null", "true", "[]", "{}", '"x"', "0", "}{", "{", '{"a":']),
        lambda: token_in_field(rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])),
        lambda: token_in_field("1" + "0" * rng.choice([30, 400, 5000])),
        lambda: field_to(rng.choice([1e308, -1e308, 1.7e308, 1.6e12, -4e12])),
        lambda: field_to(rng.choice([True, False, None, "1578436200", [1.0], {"v": 1}])),
        lambda: field_to(rng.choice(["🚀", "\u202e", "tpy2-1\u0000", "x" * 500]), ("sensor",)),
        lambda: field_to(rng.choice([-1, 1.5, True, "3", 10**30 * -1]), ("scan",)),
        lambda: field_to(rng.choice(["ir", "sonar", 0, None]), ("kind",)),
        drop_field,
        lambda: nested(rng.choice([3, 50, 100_000])),
        lambda: json.dumps(real()) + " trailing",
        lambda: '{"t_unix_s": 1' + "0" * 200_000 + "}",
        lambda: json.dumps({**real(), "note": "x" * 70_000}),
    ]


@pytest.mark.parametrize("seed", [1, 2])
def test_garbage_lines_are_reported_and_change_no_decision(feed: Feed, seed: int) -> None:
    rng = random.Random(seed)
    template = [feed.lines[0]]
    makers = _garbage_makers(rng, template)
    lines: list[str] = []
    bad_numbers: list[int] = []
    for text in feed.lines:
        template[0] = text
        while rng.random() < 0.15:
            lines.append(rng.choice(makers)())
            bad_numbers.append(len(lines))
        lines.append(text)
    decisions, rejected = run_engine(feed, lines)
    assert decisions == feed.decisions
    assert sorted(r.line for r in rejected) == bad_numbers  # each bad line once, no good line
    assert all(r.file == "-" and r.reason for r in rejected)
    assert {r.field for r in rejected} >= {None, "t_unix_s", "sensor", "scan", "kind"}


def test_repeats_late_and_far_future_records_change_no_decision(feed: Feed) -> None:
    """An at-least-once feed re-delivering, a record beyond the late window, a lone wrong clock."""
    rng = random.Random(7)
    lines: list[str] = []
    bad_numbers: list[int] = []
    for i, text in enumerate(feed.lines):
        lines.append(text)
        if i and rng.random() < 0.05:
            lines.append(rng.choice(feed.lines[max(0, i - 40) : i + 1]))  # exact repeat
            bad_numbers.append(len(lines))
        if i > 200 and rng.random() < 0.02:
            rec = json.loads(feed.lines[i - 150])  # ~15 s old, not a repeat
            rec["scan"] = rec["scan"] + 100_000
            lines.append(json.dumps(rec))
            bad_numbers.append(len(lines))
        if i and rng.random() < 0.02:
            rec = json.loads(text)
            rec["t_unix_s"] += 86_400.0  # a clock a day ahead
            rec["scan"] = 10**9
            lines.append(json.dumps(rec))
            bad_numbers.append(len(lines))
    decisions, rejected = run_engine(feed, lines)
    assert decisions == feed.decisions
    assert sorted(r.line for r in rejected) == bad_numbers
