"""tocsin.store: persistence of a run.

- ``tocsin.store.eventlog``: the append-only event log (``EventLog``; SQLite ``events.sqlite`` by default,
  PostgreSQL by URL) that ``tocsin replay`` re-derives decisions from.
"""
