"""tocsin: open-source early warning for ballistic missiles, rockets and mortars.

The pipeline, one package per stage (see docs/architecture.md):

    ingest -> track -> predict -> zones -> alert -> disseminate
                     store (event log, replay)     sim, eval, report, service, cli

Inside the package every quantity is SI (metres, seconds, kilograms, radians) on WGS-84;
public names carry their unit (``range_m``, ``t_unix_s``, ``lat_deg``).
"""

__version__ = "0.1.0"
