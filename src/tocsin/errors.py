"""Exceptions of tocsin.

    TocsinError
    ├── BadInputError      a file or record breaks the contract: names file, place and field;
    │                      the command line turns it into exit status 2.
    └── ServiceError       a server (MQTT broker, NATS) is unreachable: exit status 1.

Only these cross the command-line boundary on purpose; anything else is a bug.
"""

from __future__ import annotations


class TocsinError(Exception):
    """Base class of every error tocsin raises on purpose."""


class BadInputError(TocsinError):
    """A bad input file or record, with its place.

    ``where`` is a line number (1-based) for line-oriented files, or a path into a document such as
    ``features[3]`` or ``launches[2].class`` for structured ones.
    """

    def __init__(self, file: str, where: int | str | None, field: str | None, message: str) -> None:
        self.file = file
        self.where = where
        self.field = field
        self.message = message
        place = file if where is None else f"{file}:{where}"
        what = f" field '{field}':" if field else ""
        super().__init__(f"{place}:{what} {message}")


class ServiceError(TocsinError):
    """A server tocsin must talk to (MQTT broker, NATS) is unreachable or refused a message.

    The command line reports it on standard error and exits 1: not bad input, a failed dependency.
    """
