"""A short live feed for the stream tests: the first 80 s of the bundled `rocket-barrage` scenario.

80 s of a counter-battery radar pair (about 850 records) already holds the first warnings (take
cover from 31 s on) and runs through the engine in a few seconds.
"""

from __future__ import annotations

import json

import pytest
from live_helpers import Feed, run_engine

from tocsin.sim.simulate import simulate

FEED_S = 80.0


@pytest.fixture(scope="session")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Feed:
    """The short feed and its clean decisions (there are warnings, and no rejection)."""
    root = tmp_path_factory.mktemp("live-feed")
    simulate("rocket-barrage", root, seed=3)
    all_lines = (root / "measurements.jsonl").read_text().splitlines()
    t0 = json.loads(all_lines[0])["t_unix_s"]
    lines = [x for x in all_lines if json.loads(x)["t_unix_s"] < t0 + FEED_S]
    path = root / "feed.jsonl"
    path.write_text("".join(x + "\n" for x in lines))
    partial = Feed(root, lines, path, [])
    decisions, rejected = run_engine(partial, lines)
    assert rejected == [] and len(decisions) >= 5
    return Feed(root, lines, path, decisions)
