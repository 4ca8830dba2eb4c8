"""Speed of CAP composition/validation and of the GeoJSON alert picture.

Run: ``.venv/bin/python benchmarks/bench_disseminate.py``; writes ``benchmarks/out/disseminate.json``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tocsin.disseminate.cap import CapComposer, CapZone, cap_errors
from tocsin.disseminate.geojson import alert_snapshot, ellipse_rings


def _best_ms(fn: Callable[[], Any], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def _zones(n: int) -> list[CapZone]:
    ang = np.linspace(0.0, 2.0 * np.pi, 40, endpoint=False)
    out = []
    for i in range(n):
        lon0, lat0 = 34.0 + 0.01 * (i % 100), 31.0 + 0.01 * (i // 100)
        ring = tuple((lon0 + 0.004 * np.cos(a), lat0 + 0.004 * np.sin(a)) for a in ang)
        out.append(CapZone(f"z-{i:04d}", f"Zone {i}", ((ring,),)))
    return out


def main() -> dict[str, Any]:
    n = 1000
    zones = _zones(n)
    decisions = [
        {
            "t_unix_s": 1.7e9 + i * 0.1,
            "zone": z.id,
            "level": "take_cover",
            "threats": ["T1"],
            "p_impact": 0.8,
            "impact_t_unix_s": 1.7e9 + 120.0,
            "reason": "bench",
        }
        for i, z in enumerate(zones)
    ]
    msgs = CapComposer(zones).compose_all(decisions)
    compose_ms = _best_ms(lambda: CapComposer(zones).compose_all(decisions))
    validate_ms = _best_ms(lambda: [cap_errors(m.xml) for m in msgs])

    rng = np.random.default_rng(1)
    lat = 31.0 + rng.random(n)
    lon = 34.0 + rng.random(n)
    cov = np.tile(np.array([[250.0**2, 1.0e4], [1.0e4, 120.0**2]]), (n, 1, 1))
    ellipse_ms = _best_ms(lambda: ellipse_rings(lat, lon, cov, 0.95, 72))

    fc_zones = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"id": z.id, "name": z.name, "shelter_s": 60},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[list(p) for p in z.polygons_lonlat_deg[0][0]]],
                },
            }
            for z in zones
        ],
    }
    snapshot_ms = _best_ms(lambda: alert_snapshot(fc_zones, decisions), repeat=3)

    result = {
        "cap_compose_ms_per_msg (40-vertex zone, 1000 msgs)": round(compose_ms / n, 4),
        "cap_validate_ms_per_msg (XSD + semantic)": round(validate_ms / n, 4),
        "ellipse_rings_ms (1000 ellipses x 72 vertices)": round(ellipse_ms, 2),
        "alert_snapshot_ms (1000 zones, 40 vertices)": round(snapshot_ms, 1),
    }
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "disseminate.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
