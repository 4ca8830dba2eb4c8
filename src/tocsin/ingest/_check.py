"""Small value checks shared by the readers of contract files (no I/O)."""

from __future__ import annotations

import math
from typing import Any


def is_number(value: Any) -> bool:
    """True for a JSON number (int or float, not bool), finite or not."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_finite_number(value: Any) -> bool:
    """True for a finite JSON number (int or float, not bool, not NaN or infinite).

    An integer too large for a float (JSON allows ``1`` followed by 400 zeros) is not finite here:
    ``math.isfinite`` would raise ``OverflowError`` on it.
    """
    if not is_number(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def describe(value: Any) -> str:
    """A short text of a bad value for error messages (at most 60 characters)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
