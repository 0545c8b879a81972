"""What Svix's list filters share: exact membership in a stored JSON array, and time-windowed paging.

Channels and tags are stored as JSON array text; a filter names one element, matched exactly and
case-sensitively (svix-server: ``channels @> '["x"]'``), so ``%`` and ``_`` are plain characters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hookline.ids import ksuid_floor, ksuid_time
from hookline.store.records import Page


def has_element(dialect: str, column: str) -> str:
    """SQL true when the JSON array text in ``column`` holds the string parameter ``?`` exactly."""
    if dialect == "postgres":
        return f"({column})::jsonb @> jsonb_build_array((?)::text)"
    return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)"


# how far a list reads from its reference time (now, ``before``, ``after`` or the iterator's id) when
# it is not bounded on that side: svix-server's LIMITED_QUERY_DURATION, documented for every such list
WINDOW_SECONDS = 90 * 86400.0


def windowed(
    base: str,
    params: list[Any],
    *,
    prefix: str,
    id_column: str,
    time_column: str,
    iterator: str | None,
    before: float | None,
    after: float | None,
    now: float,
) -> tuple[str, list[Any], bool]:
    """Add svix-server's time-windowed keyset paging (``filter_and_paginate_time_limited``).

    ``before`` keeps rows older than it, ``after`` newer ones; newest first, except that ``after``
    alone (and any ``-`` iterator) reads oldest first from there, the page then turned newest first.
    Without a bound on the side read, 90 days from the reference time are read. ``iterator`` must
    be a valid id (``-`` first for a previous page). Returns the query, its parameters and whether
    the rows must be reversed.
    """
    params = list(params)
    window = True  # the first bound given replaces the 90-day window
    if before is not None:
        base += f" AND {time_column} < ? AND {id_column} > ?"
        params += [before, ksuid_floor(prefix, before - WINDOW_SECONDS)]
        window = False
    if after is not None:
        base += f" AND {time_column} > ?"
        params.append(after)
        if window:
            base += f" AND {id_column} < ?"
            params.append(ksuid_floor(prefix, after + WINDOW_SECONDS))
            window = False
    prev = bool(iterator and iterator.startswith("-"))
    ascending = prev or (iterator is None and before is None and after is not None)
    if iterator:
        value = iterator[1:] if prev else iterator
        at = ksuid_time(value)
        if at is None:
            raise ValueError(f"not an id: {value!r}")
        base += f" AND {id_column} {'>' if prev else '<'} ?"
        params.append(value)
        if window:
            base += f" AND {id_column} {'<' if prev else '>'} ?"
            params.append(ksuid_floor(prefix, at + WINDOW_SECONDS if prev else at - WINDOW_SECONDS))
    elif window:
        base += f" AND {id_column} > ?"
        params.append(ksuid_floor(prefix, now - WINDOW_SECONDS))
    base += f" ORDER BY {id_column} {'ASC' if ascending else 'DESC'}"
    return base, params, ascending


def windowed_page(rows: list[Any], limit: int, key: Callable[[Any], str], reverse: bool) -> Page:
    """A page from ``limit + 1`` rows, as svix-server builds it: ``done`` when nothing more was found
    in the direction read, ``iterator`` the last row's id and ``prevIterator`` ``-`` the first's."""
    done = len(rows) <= limit
    rows = rows[:limit]
    if reverse:
        rows.reverse()
    if not rows:
        return Page([], None, None, True)
    return Page(rows, key(rows[-1]), "-" + key(rows[0]), done)
