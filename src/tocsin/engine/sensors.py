"""Sensor descriptions from the sensors file (``ingest``) to the tracker's measurement models."""

from __future__ import annotations

import numpy as np

from tocsin.ingest.sensors import IrSensor, RadarSensor, SensorSet
from tocsin.predict.launch import LaunchSensor
from tocsin.track.models import IrModel, RadarModel, SensorModel


def track_models(sensors: SensorSet) -> dict[str, SensorModel]:
    """One tracker measurement model per sensor id (radians, metres)."""
    models: dict[str, SensorModel] = {}
    for s in sensors:
        if isinstance(s, RadarSensor):
            models[s.id] = RadarModel(
                sensor_id=s.id,
                site_lat_rad=s.lat_rad,
                site_lon_rad=s.lon_rad,
                site_alt_m=s.alt_m,
                sigma_range_m=s.sigma_range_m,
                sigma_az_rad=s.sigma_az_rad,
                sigma_el_rad=s.sigma_el_rad,
                sigma_range_rate_mps=s.sigma_range_rate_mps,
                pd=s.pd,
                clutter_per_scan=s.clutter_per_scan,
                min_range_m=s.min_range_m,
                max_range_m=s.max_range_m if np.isfinite(s.max_range_m) else 3.0e6,
                az_min_rad=s.az_min_rad,
                az_max_rad=s.az_min_rad + s.az_width_rad,
                el_min_rad=s.el_min_rad,
                el_max_rad=s.el_max_rad,
            )
        elif isinstance(s, IrSensor):
            models[s.id] = IrModel(
                sensor_id=s.id,
                pos_ecef_m=np.asarray(s.pos_ecef_m, dtype=np.float64),
                sigma_los_rad=s.sigma_los_rad,
                pd=s.pd,
                clutter_per_scan=s.clutter_per_scan,
                min_target_alt_m=s.min_target_alt_m,
            )
    return models


def launch_sensors(sensors: SensorSet) -> dict[str, LaunchSensor]:
    """The sensors as the launch estimator sees them (positions, sigmas; radians and metres)."""
    out: dict[str, LaunchSensor] = {}
    for s in sensors:
        pos = np.asarray(s.pos_ecef_m, dtype=np.float64)
        if isinstance(s, IrSensor):
            out[s.id] = LaunchSensor(
                kind="ir",
                pos_ecef_m=pos,
                sigma_los_rad=s.sigma_los_rad,
                min_target_alt_m=s.min_target_alt_m,
                revisit_s=s.revisit_s,
            )
        else:
            out[s.id] = LaunchSensor(
                kind="radar",
                pos_ecef_m=pos,
                lat_rad=s.lat_rad,
                lon_rad=s.lon_rad,
                alt_m=s.alt_m,
                sigma_range_m=s.sigma_range_m,
                sigma_az_rad=s.sigma_az_rad,
                sigma_el_rad=s.sigma_el_rad,
            )
    return out
