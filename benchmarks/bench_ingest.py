"""Ingest and zone-query throughput: writes benchmarks/out/ingest.json and prints it.

Run: .venv/bin/python benchmarks/bench_ingest.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
from shapely.geometry import Polygon

from tocsin.ingest.sensors import parse_sensors
from tocsin.ingest.stream import iter_measurements
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.load import build_zone_set

SENSORS = {
    "sensors": [
        {
            "id": "r1",
            "kind": "radar",
            "lat_deg": 32.1,
            "lon_deg": 36.2,
            "alt_m": 600.0,
            "sigma_range_m": 15.0,
            "sigma_az_deg": 0.06,
            "sigma_el_deg": 0.06,
            "revisit_s": 1.0,
            "pd": 0.95,
        },
        {
            "id": "ir1",
            "kind": "ir",
            "pos_ecef_m": [42164000.0, 0.0, 0.0],
            "sigma_los_deg": 0.005,
            "revisit_s": 1.0,
            "pd": 0.9,
        },
    ]
}


def bench_ingest(n_records: int = 200_000) -> dict[str, float]:
    rng = np.random.default_rng(0)
    sensors = parse_sensors(SENSORS)
    lines = []
    for k in range(n_records // 20):
        t = 1.6e9 + 0.5 * k
        for _ in range(10):
            lines.append(
                json.dumps(
                    {
                        "t_unix_s": t,
                        "sensor": "r1",
                        "kind": "radar",
                        "scan": k,
                        "range_m": float(rng.uniform(1e4, 1e6)),
                        "az_deg": float(rng.uniform(0, 360)),
                        "el_deg": float(rng.uniform(0, 80)),
                        "range_rate_mps": float(rng.normal()),
                    }
                )
            )
            u = rng.normal(size=3)
            u /= np.linalg.norm(u)
            lines.append(
                json.dumps(
                    {"t_unix_s": t + 0.1, "sensor": "ir1", "kind": "ir", "scan": k, "los_ecef": u.tolist()}
                )
            )
    t0 = time.perf_counter()
    n_scans = sum(1 for _ in iter_measurements(lines, sensors, 5.0))
    dt = time.perf_counter() - t0
    return {
        "records": float(len(lines)),
        "scans": float(n_scans),
        "seconds": dt,
        "records_per_s": len(lines) / dt,
    }


def bench_zones(n_zones: int = 2000, n_points: int = 1000) -> dict[str, float]:
    rng = np.random.default_rng(1)
    ang = np.linspace(0, 2 * np.pi, 41)
    geoms = []
    for _ in range(n_zones):
        cx, cy = rng.uniform(-50e3, 50e3, 2)
        r = rng.uniform(100, 800)
        lon, lat = local_m_to_lonlat(cx + r * np.cos(ang), cy + r * np.sin(ang), 32.0, 35.0)
        geoms.append(Polygon(np.column_stack([lon, lat])))
    t0 = time.perf_counter()
    zs = build_zone_set([f"z{i}" for i in range(n_zones)], geoms, np.full(n_zones, 30.0))
    t_build = time.perf_counter() - t0
    lon, lat = local_m_to_lonlat(
        rng.uniform(-50e3, 50e3, n_points), rng.uniform(-50e3, 50e3, n_points), 32.0, 35.0
    )
    zs.zones_struck(lat, lon, 150.0)
    t0 = time.perf_counter()
    hits = zs.zones_struck(lat, lon, 150.0)
    t_query = time.perf_counter() - t0
    return {
        "zones": float(n_zones),
        "points": float(n_points),
        "build_s": t_build,
        "query_s": t_query,
        "pairs": float(sum(len(h) for h in hits)),
    }


def main() -> None:
    out = {"ingest": bench_ingest(), "zones_struck": bench_zones()}
    Path(__file__).parent.joinpath("out").mkdir(exist_ok=True)
    Path(__file__).parent.joinpath("out", "ingest.json").write_text(
        json.dumps(out, indent=1), encoding="utf-8"
    )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
