"""A small hand-made salvo on an Al Asad-like base, written as contract files (interfaces.md 1-5).

Not a simulator: straight-line ground tracks with a parabolic height profile, exact radar detections,
tracks = truth + noise, predictions converging on the true impact, and alerts from a simple rule.
Fixed seed; the files pass ``check_contract.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tocsin.geo.frames import ecef_to_aer, geodetic_deg_to_ecef
from tocsin.zones.geometry import local_m_to_lonlat, lonlat_to_local_m

BASE_LAT, BASE_LON = 33.7857, 42.4411
LAUNCH = (34.30, 47.10)
T0 = 1578436200.0  # 2020-01-07 22:30:00 UTC
RADAR = ("tpy-1", 33.30, 44.20, 60.0)

# id, kind, centre east/north (m), width, height (m), shelter_s, population
ZONES: list[tuple[str, str, float, float, float, float, float, float]] = [
    *[
        (f"has-{i + 1:02d}", "aircraft_shelter", -1200.0 + 260.0 * i, -1500.0, 40.0, 30.0, 60.0, 8.0)
        for i in range(6)
    ],
    ("hgr-1", "hangar", 600.0, -1150.0, 90.0, 60.0, 60.0, 20.0),
    ("hgr-2", "hangar", 900.0, -1150.0, 90.0, 60.0, 60.0, 20.0),
    ("flt-1", "flight_line", 0.0, -2000.0, 3200.0, 150.0, 90.0, 30.0),
    ("qtr-1", "quarters", -300.0, 1500.0, 300.0, 200.0, 45.0, 400.0),
    ("qtr-2", "quarters", 250.0, 1500.0, 300.0, 200.0, 45.0, 300.0),
    ("hq", "headquarters", 900.0, 1200.0, 120.0, 100.0, 30.0, 80.0),
    ("range", "open", -2600.0, 300.0, 1200.0, 1200.0, 60.0, 0.0),
]

# object, class, launch offset s, flight s, impact east/north (m), failed
OBJECTS: list[tuple[str, str, float, float, float, float, bool]] = [
    ("m01", "srbm-500", 0.0, 400.0, -940.0 + 30.0, -1500.0 + 20.0, False),  # has-02
    ("m02", "srbm-500", 40.0, 400.0, -940.0 - 60.0, -1500.0 - 10.0, False),  # has-02
    ("m03", "srbm-500", 80.0, 400.0, 600.0 + 20.0, -1150.0 - 40.0, False),  # hgr-1
    ("m04", "srbm-500", 100.0, 400.0, -300.0 + 90.0, 1500.0 - 60.0, False),  # qtr-1
    ("m05", "srbm-800", 900.0, 430.0, 100.0 + 50.0, -1500.0 + 40.0, False),  # has-06
    ("m06", "srbm-800", 930.0, 430.0, 100.0 - 70.0, -1500.0 - 30.0, False),  # has-06
    ("m07", "srbm-800", 960.0, 430.0, 1800.0, 300.0, False),  # open ground
    ("m08", "srbm-800", 980.0, 430.0, 500.0, -1300.0, True),  # breaks up mid-flight
]
APOGEE_M = 150e3
DT_S = 2.0


def _rect(cx: float, cy: float, w: float, h: float) -> list[list[float]]:
    xs = np.array([cx - w / 2, cx + w / 2, cx + w / 2, cx - w / 2, cx - w / 2])
    ys = np.array([cy - h / 2, cy - h / 2, cy + h / 2, cy + h / 2, cy - h / 2])
    lon, lat = local_m_to_lonlat(xs, ys, BASE_LAT, BASE_LON)
    return [[round(float(a), 7), round(float(b), 7)] for a, b in zip(lon, lat, strict=True)]


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _trajectory(
    t_launch: float, flight_s: float, impact_ll: tuple[float, float], t: np.ndarray
) -> np.ndarray:
    s = (t - t_launch) / flight_s
    lat = LAUNCH[0] + (impact_ll[0] - LAUNCH[0]) * s
    lon = LAUNCH[1] + (impact_ll[1] - LAUNCH[1]) * s
    alt = 4.0 * APOGEE_M * s * (1.0 - s)
    return geodetic_deg_to_ecef(lat, lon, alt)


def make_synthetic(root: Path, seed: int = 7) -> tuple[Path, Path]:
    """Write ``root/scenario`` and ``root/run``; returns both directories."""
    rng = np.random.default_rng(seed)
    scen, run = root / "scenario", root / "run"
    scen.mkdir(parents=True)
    run.mkdir(parents=True)
    sensors = {
        "sensors": [
            {
                "id": RADAR[0],
                "kind": "radar",
                "lat_deg": RADAR[1],
                "lon_deg": RADAR[2],
                "alt_m": RADAR[3],
                "sigma_range_m": 20.0,
                "sigma_az_deg": 0.1,
                "sigma_el_deg": 0.1,
                "min_range_m": 1000,
                "max_range_m": 900000,
                "az_min_deg": 0,
                "az_max_deg": 360,
                "el_min_deg": 0.5,
                "el_max_deg": 85,
                "revisit_s": DT_S,
                "pd": 1.0,
                "clutter_per_scan": 0.0,
            }
        ]
    }
    (scen / "sensors.json").write_text(json.dumps(sensors), encoding="utf-8")
    feats = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [_rect(cx, cy, w, h)]},
            "properties": {"id": zid, "name": zid.upper(), "kind": kind, "shelter_s": sh, "population": pop},
        }
        for zid, kind, cx, cy, w, h, sh, pop in ZONES
    ]
    (scen / "zones.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": feats}))

    events: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    meas: list[tuple[float, int, dict[str, Any]]] = []
    tracks: list[dict[str, Any]] = []
    preds: list[dict[str, Any]] = []
    impacts: dict[str, tuple[float, float, float]] = {}
    for k, (oid, cls, dt0, flight, ie, in_, failed) in enumerate(OBJECTS):
        t_launch = T0 + dt0
        lon_i, lat_i = local_m_to_lonlat(ie, in_, BASE_LAT, BASE_LON)
        ill = (float(lat_i), float(lon_i))
        t_imp = t_launch + flight
        t_end = t_launch + (0.55 * flight if failed else flight)
        t = np.arange(t_launch, t_end + 1e-9, 1.0)
        pos = _trajectory(t_launch, flight, ill, t)
        vel = np.gradient(pos, t, axis=0)
        for ti, p, v in zip(t, pos, vel, strict=True):
            s = (ti - t_launch) / flight
            phase = "boost" if ti - t_launch < 60 else ("reentry" if s > 0.8 else "midcourse")
            truth.append(
                {
                    "t_unix_s": float(ti),
                    "object": oid,
                    "pos_ecef_m": p.tolist(),
                    "vel_ecef_mps": v.tolist(),
                    "phase": phase,
                }
            )
        events.append(
            {
                "object": oid,
                "class": cls,
                "failed": failed,
                "launch": {"t_unix_s": t_launch, "lat_deg": LAUNCH[0], "lon_deg": LAUNCH[1]},
                "impact": None if failed else {"t_unix_s": t_imp, "lat_deg": ill[0], "lon_deg": ill[1]},
                "danger_radius_m": 150.0,
            }
        )
        if not failed:
            impacts[oid] = (t_imp, ill[0], ill[1])
        # Radar: every 2 s once above 5 km (scan-aligned times), exact.
        ts = np.arange(math.ceil((t_launch + 70.0 - T0) / DT_S) * DT_S + T0, t_end - 3.0, DT_S)
        p_s = _trajectory(t_launch, flight, ill, ts)
        az, el, rng_m = ecef_to_aer(p_s, math.radians(RADAR[1]), math.radians(RADAR[2]), RADAR[3])
        for ti, a, e, r in zip(ts, az, el, rng_m, strict=True):
            scan = round((ti - T0) / DT_S)
            meas.append(
                (float(ti), scan, {"range_m": float(r), "az_deg": math.degrees(a), "el_deg": math.degrees(e)})
            )
        # Track and predictions: from 10 s after first detection.
        track = f"T{k + 1}"
        tt = ts[5:]
        p_t = _trajectory(t_launch, flight, ill, tt) + rng.normal(0.0, 80.0, (tt.size, 3))
        v_t = np.gradient(p_t, tt, axis=0)
        for ti, p, v in zip(tt, p_t, v_t, strict=True):
            tracks.append(
                {
                    "t_unix_s": float(ti),
                    "track": track,
                    "pos_ecef_m": p.tolist(),
                    "vel_ecef_mps": v.tolist(),
                    "cov_pos_m2": np.diag([6400.0, 6400.0, 6400.0]).tolist(),
                }
            )
        for ti in tt[::2]:
            ttg = max(t_imp - ti, 1.0)
            sig = 40.0 + 6000.0 * (ttg / 330.0) ** 1.6
            ang = 0.3 * k + ttg / 60.0
            de, dn = 0.9 * sig * math.cos(ang), 0.6 * sig * math.sin(ang)
            plon, plat = local_m_to_lonlat(ie + de, in_ + dn, BASE_LAT, BASE_LON)
            # Along-track (roughly east-west here) error larger than cross-track.
            cov = [[(1.0 * sig) ** 2, 0.2 * sig**2], [0.2 * sig**2, (0.5 * sig) ** 2]]
            preds.append(
                {
                    "t_unix_s": float(ti),
                    "track": track,
                    "impact_t_unix_s": t_imp + 0.02 * ttg,
                    "impact_lat_deg": float(plat),
                    "impact_lon_deg": float(plon),
                    "impact_cov_en_m2": cov,
                    "impact_t_sigma_s": 0.02 * ttg + 0.5,
                    "launch_lat_deg": LAUNCH[0] + 0.01,
                    "launch_lon_deg": LAUNCH[1] - 0.01,
                    "launch_t_unix_s": t_launch + 1.0,
                }
            )
    meas.sort(key=lambda m: (m[0], m[1]))
    meas_rows = [{"t_unix_s": t, "sensor": RADAR[0], "kind": "radar", "scan": s, **m} for t, s, m in meas]
    truth.sort(key=lambda r: (r["t_unix_s"], r["object"]))
    tracks.sort(key=lambda r: (r["t_unix_s"], r["track"]))
    preds.sort(key=lambda r: (r["t_unix_s"], r["track"]))
    (scen / "events.json").write_text(json.dumps({"objects": events}, indent=1))
    _write_jsonl(scen / "truth.jsonl", truth)
    _write_jsonl(scen / "measurements.jsonl", meas_rows)
    _write_jsonl(run / "tracks.jsonl", tracks)
    _write_jsonl(run / "predictions.jsonl", preds)
    _write_jsonl(run / "alerts.jsonl", _alerts(preds))
    return scen, run


def _alerts(preds: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A crude two-tier rule: pre_alert when a zone is near the 95 % circle, take_cover when it is and
    the predicted impact is under 150 s away; all_clear (cancel for a pre_alert) 20 s after impact."""
    rows: list[dict[str, Any]] = []
    zone_xy = {z[0]: (z[2], z[3], max(z[4], z[5]) / 2) for z in ZONES}
    state: dict[str, str] = {}
    expiry: dict[str, float] = {}

    def close(until: float) -> None:
        for z in sorted(state, key=lambda z: (expiry[z], z)):
            if expiry[z] <= until:
                level = "all_clear" if state[z] == "take_cover" else "cancel"
                rows.append(
                    {
                        "t_unix_s": expiry[z],
                        "zone": z,
                        "level": level,
                        "threats": [],
                        "p_impact": 0.0,
                        "impact_t_unix_s": expiry[z] - 20.0,
                        "reason": "impact + 20 s",
                    }
                )
                del state[z]

    for p in preds:
        t = p["t_unix_s"]
        close(t)
        x, y = lonlat_to_local_m(p["impact_lon_deg"], p["impact_lat_deg"], BASE_LAT, BASE_LON)
        r95 = 2.45 * math.sqrt(max(np.linalg.eigvalsh(np.array(p["impact_cov_en_m2"]))))
        ttg = p["impact_t_unix_s"] - t
        for zid, (zx, zy, zr) in zone_xy.items():
            if math.hypot(float(x) - zx, float(y) - zy) > r95 + zr + 150.0:
                continue
            level = "take_cover" if ttg < 150.0 else "pre_alert"
            expiry[zid] = max(expiry.get(zid, 0.0) if zid in state else 0.0, p["impact_t_unix_s"] + 20.0)
            if state.get(zid) == "take_cover" or state.get(zid) == level:
                continue
            state[zid] = level
            rows.append(
                {
                    "t_unix_s": t,
                    "zone": zid,
                    "level": level,
                    "threats": [p["track"]],
                    "p_impact": 0.5,
                    "impact_t_unix_s": p["impact_t_unix_s"],
                    "reason": "synthetic rule",
                }
            )
    close(math.inf)
    rows.sort(key=lambda r: r["t_unix_s"])
    return rows


@pytest.fixture(scope="session")
def synthetic_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(scenario_dir, run_dir) of the hand-made salvo."""
    return make_synthetic(tmp_path_factory.mktemp("salvo"))
