"""tocsin.disseminate: alert decisions out to the world.

- ``tocsin.disseminate.cap``: CAP 1.2 messages (``CapComposer``, ``cap_errors``, ``write_cap``), validated
  against the vendored OASIS XSD ``CAP-v1.2.xsd``.
- ``tocsin.disseminate.geojson``: the current alert picture as RFC 7946 GeoJSON (``alert_snapshot``).

Import the submodules directly; nothing is re-exported here so that importing the package stays cheap.
"""
