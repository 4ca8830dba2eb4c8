"""Reading the contract's JSON documents with errors that name file, line and field."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tocsin.errors import BadInputError
from tocsin.ingest.sensors import SensorSet, parse_sensors
from tocsin.zones.load import ZoneSet, parse_zones

_ELEMENT = re.compile(r"^(\w+)\[(\d+)\]")


def element_line(text: str, key: str, index: int) -> int | None:
    """1-based line where element ``index`` of the top-level array ``key`` starts in a JSON text."""
    decoder = json.JSONDecoder()
    m = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
    if m is None:
        return None
    pos = m.end()
    for i in range(index + 1):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if i == index:
            return text.count("\n", 0, pos) + 1
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return None
    return None


def read_json(path: Path) -> tuple[Any, str]:
    """Decode a JSON file; a missing or malformed file is a :class:`BadInputError` with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInputError(str(path), None, None, f"cannot read: {e}") from e
    try:
        return json.loads(text), text
    except json.JSONDecodeError as e:
        raise BadInputError(str(path), e.lineno, None, f"not JSON: {e.msg}") from e


def _with_line(err: BadInputError, text: str) -> BadInputError:
    """Add the JSON line number to an error that names an element such as ``features[3]``."""
    where = str(err.where) if err.where is not None else ""
    m = _ELEMENT.match(where)
    if m is None:
        return err
    line = element_line(text, m.group(1), int(m.group(2)))
    if line is None:
        return err
    return BadInputError(err.file, f"{line} ({where})", err.field, err.message)


def load_sensors_doc(path: Path) -> tuple[SensorSet, Any]:
    """Validated sensors and the raw document (kept for the event log)."""
    doc, text = read_json(path)
    try:
        return parse_sensors(doc, str(path)), doc
    except BadInputError as e:
        raise _with_line(e, text) from None


def load_zones_doc(path: Path) -> tuple[ZoneSet, Any]:
    """Validated zones and the raw document (kept for the event log and CAP areas)."""
    doc, text = read_json(path)
    try:
        return parse_zones(doc, str(path)), doc
    except BadInputError as e:
        raise _with_line(e, text) from None
