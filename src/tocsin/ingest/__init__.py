"""tocsin.ingest: sensors file, measurement records, late-data ordering buffer -> scans."""

from tocsin.ingest.records import IrRecord, MeasurementRecord, RadarRecord, Rejected, parse_record
from tocsin.ingest.sensors import (
    IrSensor,
    RadarSensor,
    Sensor,
    SensorSet,
    load_sensors,
    parse_sensors,
    sensors_to_json,
)
from tocsin.ingest.stream import Scan, ScanAssembler, iter_measurements, read_measurements_file

__all__ = [
    "IrRecord",
    "IrSensor",
    "MeasurementRecord",
    "RadarRecord",
    "RadarSensor",
    "Rejected",
    "Scan",
    "ScanAssembler",
    "Sensor",
    "SensorSet",
    "iter_measurements",
    "load_sensors",
    "parse_record",
    "parse_sensors",
    "read_measurements_file",
    "sensors_to_json",
]
