"""What every part of the store shares: its database, the secret box, and keyset pagination."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from hookline.store import claiming, pg_targets
from hookline.store.conn import Database, Row
from hookline.store.records import Page
from hookline.store.secret_box import SecretBox


def marks(n: int) -> str:
    """``?,?,…``: ``n`` placeholders for an ``IN (…)`` list."""
    return ",".join("?" * n)


def page(rows: list[Any], limit: int, key: Callable[[Any], str], reverse: bool) -> Page:
    """Build a page from ``limit + 1`` fetched rows; ``reverse`` when fetched backwards for a prev page."""
    done = len(rows) <= limit
    rows = rows[:limit]
    if reverse:
        rows.reverse()
    if not rows:
        return Page([], None, None, True)
    return Page(rows, key(rows[-1]), "-" + key(rows[0]), done and not reverse)


class StoreBase:
    """The state each part of the ``Store`` works with; ``Store`` is made of those parts."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._targets = pg_targets.TargetCache()  # PostgreSQL's accept look-ups, checked on each use
        # seals endpoint secrets before they are written and opens them as read (store/encryption.py
        # gives it the keys at start); without keys secrets are stored as they are
        self.box = SecretBox()
        # how claims share the workers among endpoints (the worker sets its settings here)
        self.fair = claiming.FairClaim()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgres``."""
        return self.db.dialect

    @staticmethod
    def _cursor(
        base: str, params: list[Any], column: str, iterator: str | None, ascending: bool
    ) -> tuple[str, list[Any], bool]:
        """Add keyset pagination to a query; an iterator starting with '-' pages backwards."""
        reverse = bool(iterator and iterator.startswith("-"))
        forward_asc = ascending != reverse
        joiner = " AND " if " WHERE " in base else " WHERE "
        if iterator:
            value = iterator[1:] if reverse else iterator
            base += f"{joiner}{column} {'>' if forward_asc else '<'} ?"
            params = [*params, value]
        base += f" ORDER BY {column} {'ASC' if forward_asc else 'DESC'}"
        return base, params, reverse

    async def _rows_by_ids(self, table: str, cols: str, app_id: str, ids: Sequence[str]) -> list[Row]:
        """Rows of ``table`` owned by ``app_id`` whose id is one of ``ids``, in one query."""
        wanted = sorted(set(ids))
        if not wanted:
            return []
        async with self.db.reader() as c:
            return await c.fetchall(
                f"SELECT {cols} FROM {table} WHERE app_id = ? AND id IN ({marks(len(wanted))})",
                (app_id, *wanted),
            )
