"""Event-log append and read throughput on SQLite.

Run: ``.venv/bin/python benchmarks/bench_store.py``; writes ``benchmarks/out/store.json``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from tocsin.store.eventlog import EventLog


def main() -> dict[str, Any]:
    n = 100_000
    batch = 1000
    payload = {"zone": "z-0012", "level": "take_cover", "threats": ["T12"], "p_impact": 0.83}
    with tempfile.TemporaryDirectory() as tmp, EventLog(tmp) as log:
        t0 = time.perf_counter()
        for b in range(n // batch):
            log.append_many([("decision", 1.7e9 + b * batch + i, payload) for i in range(batch)])
        append_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        for _ in range(200):
            log.append("decision", 1.8e9, payload)
        single_ms = (time.perf_counter() - t0) / 200 * 1e3
        t0 = time.perf_counter()
        count = sum(1 for _ in log.iter_events(batch_size=5000))
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        tail = log.events_list(after_seq=n - 100)
        tail_ms = (time.perf_counter() - t0) * 1e3
    assert count == n + 200 and len(tail) == 300
    result = {
        "append_rows_per_s (batches of 1000)": round(n / append_s),
        "append_one_ms (one transaction each)": round(single_ms, 3),
        "read_all_rows_per_s": round(count / read_s),
        "read_tail_300_ms (after_seq)": round(tail_ms, 2),
    }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "store.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
