"""Synthetic zone sets and impact predictions for tests, benchmarks and policy tuning.

Not used by the warning chain itself. Everything is seeded: same arguments, same objects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from tocsin._types import FloatArray
from tocsin.predict.types import STATUS_OK, ImpactPredictions
from tocsin.zones.geometry import local_m_to_lonlat
from tocsin.zones.load import ZoneSet, build_zone_set


def ring_zone_set(
    centres_xy_m: FloatArray,
    radii_m: FloatArray | float,
    *,
    centre_lat_deg: float = 32.0,
    centre_lon_deg: float = 35.0,
    shelter_s: FloatArray | float = 30.0,
    kinds: Sequence[str | None] | None = None,
    population: FloatArray | None = None,
    n_vertices: int = 40,
    jitter: float = 0.0,
    seed: int = 0,
    ids: Sequence[str] | None = None,
) -> ZoneSet:
    """Zones as n-gons around local east/north centres (m) of a frame at (centre_lat, centre_lon).

    ``radii_m`` one radius or one per zone; ``jitter`` relative radial noise per vertex. The zone set's
    own frame is re-centred by ``build_zone_set``; positions given here are exact on the ground.
    """
    c = np.atleast_2d(np.asarray(centres_xy_m, dtype=np.float64))
    n = c.shape[0]
    r = np.broadcast_to(np.asarray(radii_m, dtype=np.float64), (n,))
    rng = np.random.default_rng(seed)
    ang = np.linspace(0.0, 2.0 * np.pi, n_vertices, endpoint=False)
    rr = r[:, None] * (1.0 + jitter * rng.uniform(-1.0, 1.0, (n, n_vertices)))
    xs = c[:, 0:1] + rr * np.cos(ang)
    ys = c[:, 1:2] + rr * np.sin(ang)
    lon, lat = local_m_to_lonlat(xs.ravel(), ys.ravel(), centre_lat_deg, centre_lon_deg)
    coords = np.stack([lon.reshape(n, -1), lat.reshape(n, -1)], axis=-1)
    geoms = shapely.polygons(coords)
    return build_zone_set(
        list(ids) if ids is not None else [f"z-{i:05d}" for i in range(n)],
        list(geoms),
        np.broadcast_to(np.asarray(shelter_s, dtype=np.float64), (n,)).copy(),
        kinds=kinds,
        population=population,
    )


def gaussian_predictions(
    t_unix_s: float,
    track_ids: Sequence[str],
    impact_xy_m: FloatArray,
    impact_t_unix_s: FloatArray,
    cov_en_m2: FloatArray,
    *,
    centre_lat_deg: float = 32.0,
    centre_lon_deg: float = 35.0,
    n_samples: int = 1000,
    impact_t_sigma_s: FloatArray | float = 1.0,
    danger_radius_m: FloatArray | float = 150.0,
    status: Sequence[int] | None = None,
    class_names: Sequence[str] = ("srbm-500",),
    class_prob: FloatArray | None = None,
    seed: int = 0,
) -> ImpactPredictions:
    """``ImpactPredictions`` whose sample clouds are Gaussian about mean impact points.

    Points are local east/north metres in the frame at (centre_lat, centre_lon); ``cov_en_m2`` (N, 2, 2)
    or (2, 2); times in Unix s. The sample times spread with ``impact_t_sigma_s``.
    """
    mean = np.atleast_2d(np.asarray(impact_xy_m, dtype=np.float64))
    n = mean.shape[0]
    cov = np.broadcast_to(np.asarray(cov_en_m2, dtype=np.float64), (n, 2, 2)).copy()
    t_imp = np.broadcast_to(np.asarray(impact_t_unix_s, dtype=np.float64), (n,)).copy()
    t_sig = np.broadcast_to(np.asarray(impact_t_sigma_s, dtype=np.float64), (n,)).copy()
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, n_samples, 2))
    w, v = np.linalg.eigh(cov)
    a = v * np.sqrt(np.maximum(w, 0.0))[:, None, :]
    d = np.einsum("nij,nsj->nsi", a, z)
    xs = mean[:, None, :] + d
    lon, lat = local_m_to_lonlat(xs[..., 0].ravel(), xs[..., 1].ravel(), centre_lat_deg, centre_lon_deg)
    mlon, mlat = local_m_to_lonlat(mean[:, 0], mean[:, 1], centre_lat_deg, centre_lon_deg)
    ts = t_imp[:, None] + t_sig[:, None] * rng.standard_normal((n, n_samples))
    nc = len(class_names)
    cp = np.full((n, nc), 1.0 / nc) if class_prob is None else np.asarray(class_prob, dtype=np.float64)
    st = np.full(n, STATUS_OK, dtype=np.int64) if status is None else np.asarray(status, dtype=np.int64)
    nan2 = np.full((n, 2, 2), np.nan)
    return ImpactPredictions(
        t_unix_s=float(t_unix_s),
        track_ids=tuple(track_ids),
        status=st,
        reason=tuple("" for _ in range(n)),
        impact_t_unix_s=t_imp,
        impact_t_sigma_s=t_sig,
        impact_lat_deg=np.asarray(mlat, dtype=np.float64),
        impact_lon_deg=np.asarray(mlon, dtype=np.float64),
        impact_cov_en_m2=cov,
        samples_lat_deg=lat.reshape(n, n_samples),
        samples_lon_deg=lon.reshape(n, n_samples),
        samples_t_unix_s=ts,
        danger_radius_m=np.broadcast_to(np.asarray(danger_radius_m, dtype=np.float64), (n,)).copy(),
        class_names=tuple(class_names),
        class_prob=cp.reshape(n, nc),
        launch_lat_deg=np.full(n, np.nan),
        launch_lon_deg=np.full(n, np.nan),
        launch_t_unix_s=np.full(n, np.nan),
        launch_cov_en_m2=nan2,
    )
