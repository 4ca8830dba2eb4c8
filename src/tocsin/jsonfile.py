"""Reading the contract's JSON documents with errors that name file, line and field.

Shared by every loader (sensors, zones) and the command line, so that a bad file is reported the same
way everywhere: ``zones.geojson:57 (features[3]): field 'shelter_s': required``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from tocsin.errors import BadInputError

T = TypeVar("T")
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


def read_json(path: str | Path) -> tuple[Any, str]:
    """Decode a JSON file; an unreadable or malformed file is a :class:`BadInputError` with its line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInputError(str(p), None, None, f"cannot read: {e}") from e
    try:
        return json.loads(text), text
    except json.JSONDecodeError as e:
        raise BadInputError(str(p), e.lineno, None, f"not JSON: {e.msg}") from e


def with_element_line(err: BadInputError, text: str) -> BadInputError:
    """The same error with the JSON line of the element it names (``features[3]`` -> ``57 (features[3])``)."""
    where = str(err.where) if err.where is not None else ""
    m = _ELEMENT.match(where)
    line = element_line(text, m.group(1), int(m.group(2))) if m is not None else None
    if line is None:
        return err
    return BadInputError(err.file, f"{line} ({where})", err.field, err.message)


def load_document(path: str | Path, parse: Callable[[Any, str], T]) -> tuple[T, Any]:
    """Read ``path`` and validate it with ``parse(doc, file)``; returns the result and the raw document.

    Validation errors naming an array element get the element's line number added.
    """
    doc, text = read_json(path)
    try:
        return parse(doc, str(path)), doc
    except BadInputError as e:
        raise with_element_line(e, text) from None
