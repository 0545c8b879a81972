"""Relay channels in the database: created with unguessable tokens, expired when unused for 24 h.

A channel has two credentials. The *listen token* is the developer's: it attaches listeners and
posts their answers. The *ingress token* is public: senders POST to its URL, nothing more. The
ingress token is derived one way from the listen token, so a listener can always print the ingress
URL, while whoever holds the ingress URL cannot compute the listen token (and so cannot attach a
listener of their own and answer in the developer's place).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

from hookline.ids import new_id
from hookline.store import relay_channels
from hookline.store.conn import Database
from hookline.store.relay_channels import Channel

__all__ = [
    "CHANNEL_TTL_SECONDS",
    "Channel",
    "Channels",
    "channel_digest",
    "ingress_token",
    "new_channel_token",
]

CHANNEL_TTL_SECONDS = 24 * 3600.0
# a channel's last use is written at most this often, so a busy channel costs no write per request
TOUCH_EVERY_SECONDS = 60.0


def new_channel_token() -> str:
    """A fresh listen token: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def ingress_token(listen_token: str) -> str:
    """The public ingress token of the channel whose listen token is ``listen_token`` (43 characters)."""
    digest = hashlib.sha256(b"hookline-relay-ingress:" + listen_token.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def channel_digest(token: str) -> str:
    """The stored form of a channel token (its SHA-256); the token itself is never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


class Channels:
    """The ``relay_channels`` table: create, look up by token, record use, forget expired channels."""

    def __init__(self, db: Database, ttl: float = CHANNEL_TTL_SECONDS) -> None:
        self.db = db
        self.ttl = ttl

    async def create(self, now: float | None = None) -> tuple[str, Channel]:
        """Create a channel; return its listen token (shown once) and the stored record.

        Only the digest of the ingress token is stored: ``ingress_token(listen)`` gives the URL.
        """
        now = time.time() if now is None else now
        listen = new_channel_token()
        token = ingress_token(listen)
        channel = Channel(new_id("chn", now), now, now)
        async with self.db.transaction() as tx:
            await relay_channels.forget_unused_since(tx, now - self.ttl)
            await relay_channels.insert(tx, channel, channel_digest(token))
        return listen, channel

    async def find_listening(self, listen_token: str, now: float | None = None) -> Channel | None:
        """The live channel whose listen token is ``listen_token``, or None."""
        return await self.find(ingress_token(listen_token), now)

    async def find(self, token: str, now: float | None = None) -> Channel | None:
        """The live channel for an ingress ``token``, or None when it is unknown or expired."""
        now = time.time() if now is None else now
        async with self.db.reader() as c:
            channel = await relay_channels.by_token(c, channel_digest(token))
        if channel is None or channel.last_used_at < now - self.ttl:
            return None
        return channel

    async def touch(self, channel: Channel, now: float | None = None) -> Channel:
        """Record a use of ``channel`` (written only when the stored time is over a minute old)."""
        now = time.time() if now is None else now
        if now - channel.last_used_at < TOUCH_EVERY_SECONDS:
            return channel
        async with self.db.transaction() as tx:
            await relay_channels.touch(tx, channel.id, now)
        return Channel(channel.id, channel.created_at, now)
