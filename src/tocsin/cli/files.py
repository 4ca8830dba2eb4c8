"""The command line's view of the input documents: validated objects plus the raw documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tocsin.ingest.sensors import SensorSet, parse_sensors
from tocsin.jsonfile import element_line, load_document, read_json
from tocsin.zones.load import ZoneSet, parse_zones

__all__ = ["element_line", "load_sensors_doc", "load_zones_doc", "read_json"]


def load_sensors_doc(path: Path) -> tuple[SensorSet, Any]:
    """Validated sensors and the raw document (kept for the event log)."""
    return load_document(path, parse_sensors)


def load_zones_doc(path: Path) -> tuple[ZoneSet, Any]:
    """Validated zones and the raw document (kept for the event log and CAP areas)."""
    return load_document(path, parse_zones)
