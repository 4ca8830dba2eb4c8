"""Command-line interface: with `service`, the only place that decides about files, terminals, exit codes."""
