"""JSON that can be stored: no nesting past a fixed depth, and only text that is valid Unicode.

``json.loads`` accepts ``"\\ud800"`` (a lone UTF-16 surrogate) and nesting as deep as the
interpreter's recursion allows; neither can be written to SQLite or PostgreSQL (or re-serialized
safely), so such input is refused where it is read, with a 4xx, instead of failing later with a 500.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64


def _text_ok(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def problem(value: Any, depth: int = 0) -> str | None:
    """Why ``value`` (parsed JSON) cannot be stored, or None when it can."""
    if depth > MAX_DEPTH:
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, str):
        return None if _text_ok(value) else "text with a lone UTF-16 surrogate (not valid Unicode)"
    if isinstance(value, dict):
        for key, item in value.items():
            reason = problem(key, depth + 1) or problem(item, depth + 1)
            if reason:
                return reason
    elif isinstance(value, list):
        for item in value:
            reason = problem(item, depth + 1)
            if reason:
                return reason
    return None


def check_storable(value: Any) -> Any:
    """Return ``value``, or raise ValueError naming why it cannot be stored."""
    reason = problem(value)
    if reason:
        raise ValueError(reason)
    return value
