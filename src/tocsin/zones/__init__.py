"""tocsin.zones: warning zones (loading, validation, local metric frame, spatial index)."""

from tocsin.zones.load import ZoneSet, build_zone_set, load_zones, parse_zones, zone_set_to_geojson

__all__ = ["ZoneSet", "build_zone_set", "load_zones", "parse_zones", "zone_set_to_geojson"]
