"""Broker URLs: ``mqtt://host[:port]`` and ``nats://host[:port]``, checked before anything connects."""

from __future__ import annotations

from urllib.parse import urlsplit

from tocsin.errors import BadInputError

DEFAULT_PORTS = {"mqtt": 1883, "nats": 4222}


def broker_address(url: str, scheme: str, option: str) -> tuple[str, int]:
    """``(host, port)`` of a ``scheme://host[:port]`` URL; ``BadInputError`` naming ``option`` if not."""
    parts = urlsplit(url)
    if parts.scheme != scheme or not parts.hostname:
        raise BadInputError(option, None, None, f"{url!r} is not a {scheme}://host[:port] URL")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError as e:
        raise BadInputError(option, None, None, f"{url!r}: bad port") from e
    return parts.hostname, port
