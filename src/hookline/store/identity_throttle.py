"""The ``auth_failures`` counters behind identity's limiter: one row per key, counted in a window.

Times are unix seconds. Every API process of one database shares these counters.
"""

from __future__ import annotations

from dataclasses import dataclass

from hookline.store.conn import Conn, Row

_COUNT = (
    "INSERT INTO auth_failures (key, failures, window_start, locked_until) VALUES (:key, 1, :now, NULL) "
    "ON CONFLICT (key) DO UPDATE SET "
    "failures = CASE WHEN auth_failures.window_start < :window_from THEN 1 ELSE auth_failures.failures + 1 END, "
    "window_start = CASE WHEN auth_failures.window_start < :window_from THEN excluded.window_start "
    "ELSE auth_failures.window_start END "
    "RETURNING failures"
)
_COLS = "key, failures, window_start, locked_until"


@dataclass(frozen=True)
class Counter:
    """One key's count in its window, and the time it is locked until (if any)."""

    key: str
    failures: int
    window_start: float
    locked_until: float | None

    @classmethod
    def from_row(cls, r: Row) -> Counter:
        """The counter a row of its columns holds."""
        until = r["locked_until"]
        return cls(
            r["key"], int(r["failures"]), float(r["window_start"]), None if until is None else float(until)
        )


async def counters(c: Conn, keys: list[str]) -> list[Counter]:
    """The counters of these keys that exist."""
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    rows = await c.fetchall(f"SELECT {_COLS} FROM auth_failures WHERE key IN ({marks})", keys)
    return [Counter.from_row(r) for r in rows]


async def count(c: Conn, key: str, now: float, window: float) -> int:
    """Add one to ``key``'s count (a new window when the current one started ``window`` seconds ago); the new count."""
    row = await c.fetchone(_COUNT, {"key": key, "now": now, "window_from": now - window})
    return int(row["failures"]) if row else 0


async def lock(c: Conn, key: str, now: float, until: float) -> None:
    """Lock ``key`` until a time, starting its count again."""
    await c.execute(
        "UPDATE auth_failures SET locked_until = :until, failures = 0, window_start = :now WHERE key = :key",
        {"until": until, "now": now, "key": key},
    )


async def forget(c: Conn, key: str) -> None:
    """Drop a key's counter."""
    await c.execute("DELETE FROM auth_failures WHERE key = ?", (key,))


async def forget_before(c: Conn, window_before: float, now: float) -> None:
    """Drop counters whose window started before ``window_before`` and that are not locked at ``now``."""
    await c.execute(
        "DELETE FROM auth_failures WHERE window_start < :before AND (locked_until IS NULL OR locked_until < :now)",
        {"before": window_before, "now": now},
    )
