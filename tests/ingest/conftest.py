"""Shared sensors for the ingest tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tocsin.ingest.sensors import SensorSet, parse_sensors

SENSORS_DOC: dict[str, Any] = {
    "sensors": [
        {
            "id": "tpy2-1",
            "kind": "radar",
            "lat_deg": 32.1,
            "lon_deg": 36.2,
            "alt_m": 600.0,
            "sigma_range_m": 15.0,
            "sigma_az_deg": 0.06,
            "sigma_el_deg": 0.06,
            "sigma_range_rate_mps": 2.0,
            "min_range_m": 5000,
            "max_range_m": 1000000,
            "az_min_deg": 30,
            "az_max_deg": 150,
            "el_min_deg": 1,
            "el_max_deg": 80,
            "revisit_s": 1.0,
            "pd": 0.95,
            "clutter_per_scan": 5.0,
        },
        {
            "id": "geo-ir-1",
            "kind": "ir",
            "pos_ecef_m": [42164000.0, 0.0, 0.0],
            "sigma_los_deg": 0.005,
            "revisit_s": 2.0,
            "pd": 0.9,
            "clutter_per_scan": 0.5,
            "min_target_alt_m": 12000,
        },
    ]
}


@pytest.fixture
def sensors_doc() -> dict[str, Any]:
    """A fresh, mutable copy of the contract example sensors file."""
    return copy.deepcopy(SENSORS_DOC)


@pytest.fixture
def sensors() -> SensorSet:
    """The contract example sensors."""
    return parse_sensors(copy.deepcopy(SENSORS_DOC))
