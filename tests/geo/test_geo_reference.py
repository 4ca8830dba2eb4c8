"""tocsin.geo against independent implementations: PROJ (pyproj), GeographicLib (pyproj Geod), pymap3d.

Tolerances are physical: 1 mm on positions, 1e-9 rad (6 mm on the ground) on angles.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pymap3d
import pytest
from pymap3d.los import lookAtSpheroid
from pyproj import Geod, Transformer

from tocsin.geo import (
    aer_to_ecef,
    aer_to_enu,
    altitude_fast_m,
    ecef_to_aer,
    ecef_to_enu,
    ecef_to_geodetic,
    ecef_vector_to_enu,
    enu_to_aer,
    enu_to_ecef,
    enu_vector_to_ecef,
    geodesic_azimuth_deg,
    geodesic_distance_m,
    geodesic_forward_deg,
    geodetic_deg_to_ecef,
    geodetic_to_ecef,
    line_of_sight_clear,
    ray_ellipsoid_intersection,
)
from tocsin.geo.wgs84 import A_M, B_M

MM = 1e-3
ANG = 1e-9
GEO_ALT_M = 35_786_000.0


def random_geodetic(
    n: int, seed: int, alt_max_m: float = GEO_ALT_M
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random points worldwide (deg, deg, m) with the poles, the dateline and GEO heights forced in."""
    rng = np.random.default_rng(seed)
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon = rng.uniform(-180, 180, n)
    alt = np.concatenate([rng.uniform(-500, 20_000, n // 2), rng.uniform(0, alt_max_m, n - n // 2)])
    lat[:6] = [90.0, -90.0, 0.0, 89.999999, -89.9999, 45.0]
    lon[:6] = [0.0, 123.0, 180.0, -180.0, 179.99999, -179.99999]
    alt[:6] = [0.0, GEO_ALT_M, 1000.0, 400e3, -100.0, alt_max_m]
    return lat, lon, alt


@pytest.fixture(scope="module")
def to_ecef() -> Transformer:
    return Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


def test_geodetic_to_ecef_matches_proj(to_ecef: Transformer) -> None:
    lat, lon, alt = random_geodetic(20_000, 1)
    x, y, z = to_ecef.transform(lon, lat, alt)
    ours = geodetic_deg_to_ecef(lat, lon, alt)
    err = np.linalg.norm(ours - np.stack([x, y, z], axis=-1), axis=-1)
    assert err.max() < MM


def test_ecef_to_geodetic_matches_proj_and_pymap3d(to_ecef: Transformer) -> None:
    lat, lon, alt = random_geodetic(20_000, 2)
    x, y, z = to_ecef.transform(lon, lat, alt)
    xyz = np.stack([x, y, z], axis=-1)
    la, lo, h = ecef_to_geodetic(xyz)
    # Oracle 1, all heights: PROJ's forward transform inverted by ours returns the input points.
    assert np.abs(la - np.radians(lat)).max() < ANG
    not_pole = np.abs(lat) < 89.9999
    dlon = np.angle(np.exp(1j * (lo - np.radians(lon))))
    assert np.abs(dlon[not_pole]).max() < ANG
    assert np.abs(h - alt).max() < MM
    # Oracle 2, below 100 km: PROJ's and pymap3d's own inverses. Above ~1,000 km they lose accuracy
    # (measured here: PROJ 8e-9 rad and 0.3 m at GEO, pymap3d 2e-6 rad), while ours stays exact.
    low = alt < 100e3
    plon, plat, ph = to_ecef.transform(x, y, z, direction="INVERSE")
    assert np.abs(la - np.radians(plat))[low].max() < ANG
    dlon = np.angle(np.exp(1j * (lo - np.radians(plon))))
    assert np.abs(dlon[low & not_pole]).max() < ANG
    assert np.abs(h - ph)[low].max() < MM
    mlat, _, mh = pymap3d.ecef2geodetic(x, y, z, deg=False)
    assert np.abs(la - mlat)[low].max() < ANG
    assert np.abs(h - mh)[low].max() < MM


def test_round_trip_geodetic_ecef_geodetic() -> None:
    lat, lon, alt = random_geodetic(5000, 3)
    xyz = geodetic_deg_to_ecef(lat, lon, alt)
    back = geodetic_to_ecef(*ecef_to_geodetic(xyz))
    assert np.linalg.norm(back - xyz, axis=-1).max() < MM


def test_altitude_fast_is_close_to_geodetic_height() -> None:
    lat, lon, alt = random_geodetic(5000, 4, alt_max_m=200e3)
    h = altitude_fast_m(geodetic_deg_to_ecef(lat, lon, alt))
    # The docstring's bound: |h_fast - h| ~ h * 5e-6 (+ a few mm at the surface).
    assert np.all(np.abs(h - alt) <= 6e-6 * np.abs(alt) + 0.01)


def test_enu_and_aer_match_pymap3d() -> None:
    lat0, lon0, h0 = random_geodetic(3000, 5, alt_max_m=10e3)
    lat1, lon1, h1 = random_geodetic(3000, 6, alt_max_m=2000e3)
    rlat0, rlon0 = np.radians(lat0), np.radians(lon0)
    xyz = geodetic_deg_to_ecef(lat1, lon1, h1)
    enu = ecef_to_enu(xyz, rlat0, rlon0, h0)
    e, n, u = pymap3d.ecef2enu(xyz[:, 0], xyz[:, 1], xyz[:, 2], rlat0, rlon0, h0, deg=False)
    assert np.abs(enu - np.stack([e, n, u], axis=-1)).max() < MM
    az, el, rng_m = ecef_to_aer(xyz, rlat0, rlon0, h0)
    paz, pel, prng = pymap3d.ecef2aer(xyz[:, 0], xyz[:, 1], xyz[:, 2], rlat0, rlon0, h0, deg=False)
    # Azimuth is ill-conditioned near the zenith: compare the horizontal displacement it implies.
    horiz = rng_m * np.cos(el)
    assert np.abs(np.angle(np.exp(1j * (az - paz))) * horiz).max() < MM
    assert np.abs(el - pel).max() < ANG
    assert np.abs(rng_m - prng).max() < MM
    back = aer_to_ecef(az, el, rng_m, rlat0, rlon0, h0)
    px, py, pz = pymap3d.aer2ecef(paz, pel, prng, rlat0, rlon0, h0, deg=False)
    assert np.abs(back - np.stack([px, py, pz], axis=-1)).max() < MM
    assert np.linalg.norm(back - xyz, axis=-1).max() < MM
    back_enu = enu_to_ecef(enu, rlat0, rlon0, h0)
    assert np.linalg.norm(back_enu - xyz, axis=-1).max() < MM


def test_enu_aer_round_trip_and_vectors() -> None:
    rng = np.random.default_rng(7)
    enu = rng.normal(0, 300e3, (2000, 3))
    az, el, r = enu_to_aer(enu)
    assert np.all((az >= 0) & (az < 2 * np.pi))
    assert np.abs(aer_to_enu(az, el, r) - enu).max() < MM
    lat, lon = rng.uniform(-1.5, 1.5, 2000), rng.uniform(-3, 3, 2000)
    vec = rng.normal(0, 3000, (2000, 3))
    there = ecef_vector_to_enu(vec, lat, lon)
    assert np.abs(np.linalg.norm(there, axis=-1) - np.linalg.norm(vec, axis=-1)).max() < 1e-9
    assert np.abs(enu_vector_to_ecef(there, lat, lon) - vec).max() < 1e-9
    # Due north at 1 km from the equator on the prime meridian: azimuth 0, elevation ~ 0.
    az1, el1, _ = ecef_to_aer(geodetic_deg_to_ecef(1000 / 110574.0, 0.0, 0.0), 0.0, 0.0, 0.0)
    assert abs(float(az1)) < 1e-6 or abs(float(az1) - 2 * np.pi) < 1e-6
    assert abs(float(el1)) < 1e-3


def test_geodesics_match_geographiclib() -> None:
    geod = Geod(ellps="WGS84")
    rng = np.random.default_rng(8)
    n = 2000
    lat1, lon1 = rng.uniform(-89, 89, n), rng.uniform(-180, 180, n)
    lat2, lon2 = rng.uniform(-89, 89, n), rng.uniform(-180, 180, n)
    lat2[:3], lon2[:3] = [-lat1[0], lat1[1], 0.0], [lon1[0] + 179.5, lon1[1], 179.9]
    lat1[2], lon1[2] = 0.0, -179.9  # across the dateline
    paz, _, pdist = geod.inv(lon1, lat1, lon2, lat2)
    assert np.abs(geodesic_distance_m(lat1, lon1, lat2, lon2) - pdist).max() < MM
    daz = np.radians(geodesic_azimuth_deg(lat1, lon1, lat2, lon2) - paz)
    assert np.abs(np.angle(np.exp(1j * daz[3:]))).max() < ANG
    assert abs(float(geodesic_distance_m(0.0, -179.9, 0.0, 179.9)) - 2 * 0.1 * 111319.49) < 1.0
    # Forward then inverse recovers the distance and the end point.
    lat3, lon3 = geodesic_forward_deg(lat1, lon1, paz, pdist)
    ok = pdist > 1.0
    assert np.abs(np.radians(lat3 - lat2)[ok]).max() < ANG
    assert np.abs(np.angle(np.exp(1j * np.radians(lon3 - lon2)))[ok & (np.abs(lat2) < 89)]).max() < ANG


def test_ray_ellipsoid_matches_lookatspheroid() -> None:
    rng = np.random.default_rng(9)
    n = 3000
    lat0, lon0 = rng.uniform(-89, 89, n), rng.uniform(-180, 180, n)
    h0 = rng.uniform(100.0, 40_000e3, n)
    az, tilt = rng.uniform(0, 360, n), rng.uniform(0, 89.9, n)
    plat, plon, prange = lookAtSpheroid(lat0, lon0, h0, az, tilt)
    origin = geodetic_deg_to_ecef(lat0, lon0, h0)
    direction = aer_to_enu(np.radians(az), np.radians(tilt - 90.0), 1.0)
    direction = enu_vector_to_ecef(direction, np.radians(lat0), np.radians(lon0))
    pts, hit = ray_ellipsoid_intersection(origin, direction)
    assert np.array_equal(hit, np.isfinite(prange))
    assert hit.sum() > n // 10 and (~hit).sum() > n // 10
    expect = geodetic_deg_to_ecef(plat[hit], plon[hit], 0.0)
    assert np.linalg.norm(pts[hit] - expect, axis=-1).max() < MM
    assert np.abs(np.linalg.norm(pts[hit] - origin[hit], axis=-1) - prange[hit]).max() < MM
    assert np.all(np.isnan(pts[~hit]))
    # Line of sight from the observer to a point beyond/before the hit: blocked iff the ray hits first.
    frac = rng.uniform(0.2, 3.0, n)
    target = origin + (frac * np.where(hit, prange, h0))[:, None] * direction
    clear = line_of_sight_clear(origin, target)
    decisive = ~hit | (np.abs(frac - 1.0) > 1e-6)
    expect_clear = ~hit | (frac < 1.0)
    assert np.array_equal(clear[decisive], expect_clear[decisive])


def test_ray_hand_cases() -> None:
    lat, lon = np.radians(37.0), np.radians(-122.0)
    origin = geodetic_to_ecef(lat, lon, 1000e3)
    down = -enu_vector_to_ecef(np.array([0.0, 0.0, 1.0]), lat, lon)
    pt, hit = ray_ellipsoid_intersection(origin, down)
    # Straight down the ellipsoid normal lands exactly below: the normal line is the geodetic vertical.
    assert bool(hit)
    assert np.linalg.norm(pt - geodetic_to_ecef(lat, lon, 0.0)) < MM
    _, hit_up = ray_ellipsoid_intersection(origin, -down)
    assert not bool(hit_up)
    tangentish = enu_vector_to_ecef(np.array([1.0, 0.0, 0.0]), lat, lon)
    _, hit_side = ray_ellipsoid_intersection(origin, tangentish)
    assert not bool(hit_side)
    # Origin inside the Earth: the ray leaves through the surface.
    pt_in, hit_in = ray_ellipsoid_intersection(np.zeros(3), np.array([1.0, 0.0, 0.0]))
    assert bool(hit_in) and abs(pt_in[0] - A_M) < MM
    pt_z, _ = ray_ellipsoid_intersection(np.zeros(3), np.array([0.0, 0.0, -2.0]))
    assert abs(pt_z[2] + B_M) < MM
    # Raised surface: the ellipsoid with semi-axes a + h, b + h, which departs from the true geodetic
    # height-h surface by ~h * e^2 sin(2 lat) / 2... (13 mm at 10 km here): fine for sight lines.
    pt_r, _ = ray_ellipsoid_intersection(origin, down, alt_m=10e3)
    assert np.linalg.norm(pt_r - geodetic_to_ecef(lat, lon, 10e3)) < 0.05
    a = geodetic_deg_to_ecef(0.0, 0.0, 10.0)
    assert bool(line_of_sight_clear(a, geodetic_deg_to_ecef(0.0, 0.05, 10.0)))
    assert not bool(line_of_sight_clear(a, geodetic_deg_to_ecef(0.0, 5.0, 10.0)))
    # Two satellites on opposite sides: blocked; a GEO satellite seen from its sub-point: clear.
    assert not bool(
        line_of_sight_clear(geodetic_deg_to_ecef(0, 0, 500e3), geodetic_deg_to_ecef(0, 180, 500e3))
    )
    assert bool(line_of_sight_clear(geodetic_deg_to_ecef(0, 10, 0.0), geodetic_deg_to_ecef(0, 10, GEO_ALT_M)))
    # Grazing altitude: two points 10 km up and 5 deg apart; the chord dips to ~3.9 km at mid-way.
    p, q = geodetic_deg_to_ecef(0, 0, 10e3), geodetic_deg_to_ecef(0, 5.0, 10e3)
    assert bool(line_of_sight_clear(p, q)) and not bool(line_of_sight_clear(p, q, grazing_alt_m=5e3))


Kernel = Callable[[np.ndarray], object]
_O = (np.radians(33.0), np.radians(44.0), 200.0)
KERNELS: dict[str, Kernel] = {
    "geodetic_to_ecef": lambda p: geodetic_to_ecef(p[..., 0] * 1e-7, p[..., 1] * 1e-7, p[..., 2]),
    "ecef_to_geodetic": lambda p: np.stack(ecef_to_geodetic(p), axis=-1),
    "altitude_fast_m": altitude_fast_m,
    "ecef_to_enu": lambda p: ecef_to_enu(p, *_O),
    "enu_to_ecef": lambda p: enu_to_ecef(p, *_O),
    "ecef_to_aer": lambda p: np.stack(ecef_to_aer(p, *_O), axis=-1),
    "aer_to_ecef": lambda p: aer_to_ecef(p[..., 0] * 1e-7, p[..., 1] * 1e-7, p[..., 2], *_O),
    "enu_to_aer": lambda p: np.stack(enu_to_aer(p), axis=-1),
    "ecef_vector_to_enu": lambda p: ecef_vector_to_enu(p, _O[0], _O[1]),
    "enu_vector_to_ecef": lambda p: enu_vector_to_ecef(p, _O[0], _O[1]),
    "ray_ellipsoid_intersection": lambda p: ray_ellipsoid_intersection(p, -p)[0],
    "line_of_sight_clear": lambda p: line_of_sight_clear(p, p * 1.5),
}


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernel_scalar_and_batch_agree(name: str) -> None:
    rng = np.random.default_rng(10)
    pts = geodetic_deg_to_ecef(rng.uniform(-80, 80, 7), rng.uniform(-180, 180, 7), rng.uniform(0, 1e6, 7))
    kernel = KERNELS[name]
    batch = np.asarray(kernel(pts))
    assert batch.shape[0] == 7
    for i in range(7):
        single = np.asarray(kernel(pts[i]))
        assert single.shape == batch.shape[1:]
        np.testing.assert_array_equal(single, batch[i])


def test_ecef_to_geodetic_blanks_degenerate_rows_without_warnings() -> None:
    good = geodetic_deg_to_ecef(33.8, 42.4, 15_000.0)
    xyz = np.array([good, [0.0, 0.0, 0.0], [np.nan, 1.0, 2.0], [1e3, -2e3, 3e3], good])
    la, lo, h = ecef_to_geodetic(xyz)  # filterwarnings=error turns any RuntimeWarning into a failure
    assert np.all(np.isnan(la[1:4])) and np.all(np.isnan(lo[1:4])) and np.all(np.isnan(h[1:4]))
    assert np.allclose(np.degrees([la[0], la[4]]), 33.8) and np.allclose([h[0], h[4]], 15_000.0, atol=1e-6)
