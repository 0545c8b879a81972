"""The ``relay_channels`` table: a channel's id, the digest of its ingress token, and its use (unix seconds)."""

from __future__ import annotations

from dataclasses import dataclass

from hookline.store.conn import Conn


@dataclass(frozen=True)
class Channel:
    """A relay channel as stored: its id and when it was created and last used (unix seconds)."""

    id: str
    created_at: float
    last_used_at: float


async def insert(c: Conn, channel: Channel, token_sha256: str) -> None:
    """Store a new channel under the digest of its ingress token."""
    await c.execute(
        "INSERT INTO relay_channels (id, token_sha256, created_at, last_used_at) "
        "VALUES (:id, :token_sha256, :created_at, :last_used_at)",
        {"id": channel.id, "token_sha256": token_sha256, "created_at": channel.created_at,
         "last_used_at": channel.last_used_at},
    )  # fmt: skip


async def forget_unused_since(c: Conn, before: float) -> None:
    """Drop the channels last used before a time."""
    await c.execute("DELETE FROM relay_channels WHERE last_used_at < ?", (before,))


async def by_token(c: Conn, token_sha256: str) -> Channel | None:
    """The channel whose ingress token has this digest, expired or not."""
    row = await c.fetchone(
        "SELECT id, created_at, last_used_at FROM relay_channels WHERE token_sha256 = ?", (token_sha256,)
    )
    if row is None:
        return None
    return Channel(str(row["id"]), float(row["created_at"]), float(row["last_used_at"]))


async def touch(c: Conn, channel_id: str, at: float) -> None:
    """Record a use of a channel."""
    await c.execute("UPDATE relay_channels SET last_used_at = ? WHERE id = ?", (at, channel_id))
