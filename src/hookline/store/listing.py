"""What Svix's list filters share: exact membership in a stored JSON array.

Channels and tags are stored as JSON array text; a filter names one element, matched exactly and
case-sensitively (svix-server: ``channels @> '["x"]'``), so ``%`` and ``_`` are plain characters.
"""

from __future__ import annotations


def has_element(dialect: str, column: str) -> str:
    """SQL true when the JSON array text in ``column`` holds the string parameter ``?`` exactly."""
    if dialect == "postgres":
        return f"({column})::jsonb @> jsonb_build_array((?)::text)"
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)"
