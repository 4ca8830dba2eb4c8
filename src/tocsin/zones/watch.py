"""Radar watch: how long before an impact a live radar must already hold a track on the object.

Negative information for the alert policy. A wide threat that was lost (typically an infrared-only
track that went dark at burnout) keeps a credible region of zones it may still strike, and the
policy orders those zones to shelter by the region's earliest plausible impact. Where a zone lies
deep inside the coverage of a working radar that looks towards the threat's launch area, an object
on its way to the zone must cross the radar's coverage boundary first and will be tracked there: it
cannot strike the zone sooner than ``lead`` seconds after it shows up. So, while no such track has
appeared, the earliest time the lost threat can strike the zone is ``max(t_early, now + lead)``,
and the radar's own track (narrow, probability rules) gives the warning when the object arrives.

Bound on the lead for radar k and zone z (each term conservative):

- An object at slant range ``R`` from the radar is at least ``R - d_kz`` from the zone's farthest
  point (triangle inequality; ``d_kz`` = distance to the zone centroid plus the zone's half
  diagonal). It enters the coverage sphere at ``R = f_R * max_range_m`` at the latest, or where an
  object at ``visible_alt_m`` rises above the radar's lowest elevation if that is nearer (4/3-Earth
  refraction: h = R sin(el) + R^2 / (2 k R_e), Skolnik, Radar Handbook 3rd ed., sec. 26.3).
- If the launch point itself lies inside, the object is over the radar's horizon for at least the
  last ``f_path`` of its launch-to-zone distance (after the climb; the chord, shorter than the ground
  track), so the path inside is at least
  ``min(f_R R_max - d_kz, f_path * d_launch_zone)``.
- It flies that path no faster than its equivalent surface speed v = sqrt(2 (E + mu / R_e)) (drag
  only slows it; vis-viva, Vallado 2013 eq. 1-31; ``tocsin.predict.classify.energy_speed_mps``), times
  a margin, capped at the first cosmic speed.
- The radar needs ``confirm_s`` to confirm the track and the next cycle to predict it.

lead = path / v - confirm_s. A radar counts only if the bearing from it to the launch point lies in
its azimuth sector (narrowed by a margin: the object arrives from there). The pair's lead is the
smallest over the radars that watch it, with a bit mask of those radars; the policy applies it only
while at least one of them is reporting (``radars_alive_mask``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from tocsin._types import FloatArray, IntArray
from tocsin.geo.frames import geodetic_deg_to_ecef
from tocsin.geo.geodesic import geodesic_azimuth_deg
from tocsin.geo.wgs84 import MEAN_RADIUS_M
from tocsin.ingest.sensors import RadarSensor, SensorSet
from tocsin.predict.classify import energy_speed_mps
from tocsin.zones.load import ZoneSet

#: First cosmic speed at the Earth's surface (m/s): no ballistic object is faster.
ORBITAL_SPEED_MPS = float(energy_speed_mps(np.array(np.inf)))
#: At most 63 radars take part (one bit each in an int64 mask; the sign bit is kept clear).
MAX_RADARS = 63


@dataclass(frozen=True)
class WatchConfig:
    """Margins of the radar-watch bound (fractions 0..1, times s, angles deg)."""

    range_fraction: float = 0.95  # of max_range_m where detection is taken as sure
    path_fraction: float = 0.7  # of the launch-to-zone distance flown above the radar horizon
    confirm_s: float = 20.0  # track confirmation plus one prediction cycle (tracker M-of-N at 1 Hz ~5 s)
    speed_margin: float = 1.1  # on the energy speed (the energy estimate's own error)
    sector_margin_deg: float = 5.0  # the launch bearing must lie this far inside the azimuth sector
    # Lowest height of an incoming object where it enters the coverage (m): a theatre missile hundreds
    # of km out is far higher (MRBM apogees 250+ km); shorter shots are bounded by path_fraction.
    visible_alt_m: float = 100e3
    # A radar is reporting when its last scan is at most max(alive_revisits x revisit, alive_min_s) old.
    alive_revisits: float = 3.0
    alive_min_s: float = 10.0


def visible_range_m(alt_m: float, el_min_rad: float, k_factor: float = 4.0 / 3.0) -> float:
    """Slant range (m) at which an object at ``alt_m`` above a radar's horizon plane stands at elevation
    ``el_min_rad``: the positive root of h = R sin(el) + R^2 / (2 k R_e) (effective-Earth refraction
    model, k = 4/3; Skolnik, Radar Handbook 3rd ed., sec. 26.3)."""
    ke = k_factor * MEAN_RADIUS_M
    s = math.sin(el_min_rad)
    return ke * (-s + math.sqrt(s * s + 2.0 * alt_m / ke))


@dataclass(frozen=True)
class RadarWatch:
    """The radars of a sensor set against the zones of a zone set (geometry precomputed)."""

    radar_ids: tuple[str, ...]
    lat_deg: FloatArray  # (K,)
    lon_deg: FloatArray  # (K,)
    # (Z, K) min(f_R * max_range, visible range at visible_alt_m) - (distance to the zone centroid +
    # the zone half-diagonal), m
    reach_m: FloatArray
    az_min_deg: FloatArray  # (K,)
    az_width_deg: FloatArray  # (K,) clockwise sector extent (360: all round)
    zone_lat_deg: FloatArray  # (Z,)
    zone_lon_deg: FloatArray  # (Z,)
    zone_pos_ecef_m: FloatArray  # (Z, 3) zone centroids on the ground
    revisit_s: FloatArray  # (K,)
    config: WatchConfig

    @staticmethod
    def build(sensors: SensorSet, zones: ZoneSet, config: WatchConfig | None = None) -> RadarWatch:
        """Precompute the radar/zone geometry (slant distances in ECEF, m)."""
        cfg = config or WatchConfig()
        radars = [s for s in sensors.sensors if isinstance(s, RadarSensor)][:MAX_RADARS]
        nz = len(zones)
        cen = shapely.centroid(zones.geoms_lonlat) if nz else np.zeros(0, dtype=object)
        zlon = np.asarray(shapely.get_x(cen), dtype=np.float64).reshape(nz)
        zlat = np.asarray(shapely.get_y(cen), dtype=np.float64).reshape(nz)
        b = np.asarray(shapely.bounds(zones.geoms_m), dtype=np.float64).reshape(-1, 4)
        half = 0.5 * np.hypot(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        alt = np.nan_to_num(zones.ground_alt_m(), nan=0.0)
        zpos = np.asarray(geodetic_deg_to_ecef(zlat, zlon, alt), dtype=np.float64).reshape(nz, 3)
        k = len(radars)
        reach = np.full((nz, k), -np.inf)
        for j, r in enumerate(radars):
            site = np.asarray(r.pos_ecef_m, dtype=np.float64)
            d = np.linalg.norm(zpos - site[None, :], axis=1) + half
            reach[:, j] = (
                min(cfg.range_fraction * r.max_range_m, visible_range_m(cfg.visible_alt_m, r.el_min_rad)) - d
            )
        return RadarWatch(
            radar_ids=tuple(r.id for r in radars),
            lat_deg=np.array([r.lat_deg for r in radars], dtype=np.float64),
            lon_deg=np.array([r.lon_deg for r in radars], dtype=np.float64),
            reach_m=reach,
            az_min_deg=np.array([math.degrees(r.az_min_rad) for r in radars], dtype=np.float64),
            az_width_deg=np.array([math.degrees(r.az_width_rad) for r in radars], dtype=np.float64),
            zone_lat_deg=zlat,
            zone_lon_deg=zlon,
            zone_pos_ecef_m=zpos,
            revisit_s=np.array([r.revisit_s for r in radars], dtype=np.float64),
            config=cfg,
        )

    def all_mask(self) -> int:
        """The bit mask of every radar (all reporting)."""
        return (1 << len(self.radar_ids)) - 1

    def alive_mask(self, last_scan_unix_s: FloatArray, t_unix_s: float) -> int:
        """Bit mask of the radars whose last scan (Unix s, (K,), NaN: never) is recent at ``t_unix_s``."""
        c = self.config
        window = np.maximum(c.alive_revisits * self.revisit_s, c.alive_min_s)
        last = np.asarray(last_scan_unix_s, dtype=np.float64).reshape(len(self.radar_ids))
        ok = np.isfinite(last) & (t_unix_s - last <= window) & (last <= t_unix_s + window)
        return sum(1 << j for j in np.flatnonzero(ok).tolist())

    def mask_of(self, radar_ids: set[str] | frozenset[str]) -> int:
        """The bit mask of the named radars (unknown names ignored)."""
        return sum(1 << j for j, rid in enumerate(self.radar_ids) if rid in radar_ids)

    def lead_s(
        self,
        zone: IntArray,
        launch_lat_deg: FloatArray,
        launch_lon_deg: FloatArray,
        speed_mps: FloatArray,
    ) -> tuple[FloatArray, IntArray]:
        """Per (threat, zone) pair: watch lead (s; NaN where no radar watches) and radar bit mask.

        ``zone`` (M,) zone indices; launch point (M,) degrees (NaN: direction unknown, unwatched);
        ``speed_mps`` (M,) the fastest the object can fly (see ``energy_speed_mps``).
        """
        z = np.asarray(zone, dtype=np.int64).reshape(-1)
        m = z.size
        lead = np.full(m, np.inf)
        mask = np.zeros(m, dtype=np.int64)
        la = np.asarray(launch_lat_deg, dtype=np.float64).reshape(m)
        lo = np.asarray(launch_lon_deg, dtype=np.float64).reshape(m)
        known = np.isfinite(la) & np.isfinite(lo)
        if m == 0 or not self.radar_ids or not np.any(known):
            return np.full(m, np.nan), mask
        c = self.config
        v = np.minimum(np.asarray(speed_mps, dtype=np.float64).reshape(m) * c.speed_margin, ORBITAL_SPEED_MPS)
        v = np.where(np.isfinite(v) & (v > 0.0), v, ORBITAL_SPEED_MPS)
        la0, lo0 = np.where(known, la, 0.0), np.where(known, lo, 0.0)
        # Per distinct launch point (one per threat), not per pair: a wide threat has thousands of pairs.
        uniq, inv = np.unique(np.column_stack([la0, lo0]), axis=0, return_inverse=True)
        inv = inv.reshape(-1)
        upos = np.asarray(geodetic_deg_to_ecef(uniq[:, 0], uniq[:, 1], 0.0), dtype=np.float64).reshape(-1, 3)
        # Chord launch -> zone: shorter than the ground track, so the path bound stays conservative.
        d_launch = np.linalg.norm(upos[inv] - self.zone_pos_ecef_m[z], axis=1)
        for j in range(len(self.radar_ids)):
            reach = self.reach_m[z, j]
            az_u = np.asarray(geodesic_azimuth_deg(self.lat_deg[j], self.lon_deg[j], uniq[:, 0], uniq[:, 1]))
            off = np.mod(az_u.reshape(-1)[inv] - self.az_min_deg[j], 360.0)
            width = self.az_width_deg[j]
            in_sector = (width >= 360.0 - 1e-9) | (
                (off >= c.sector_margin_deg) & (off <= width - c.sector_margin_deg)
            )
            path = np.minimum(reach, c.path_fraction * d_launch)
            lead_j = path / v - c.confirm_s
            ok = known & in_sector & (reach > 0.0) & (lead_j > 0.0)
            lead = np.where(ok, np.minimum(lead, lead_j), lead)
            mask = np.where(ok, mask | np.int64(1 << j), mask)
        return np.asarray(np.where(mask != 0, lead, np.nan), dtype=np.float64), mask
