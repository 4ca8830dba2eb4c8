"""Command-line interface: the only place (with ``service``) that decides about files, terminals and exit codes."""
