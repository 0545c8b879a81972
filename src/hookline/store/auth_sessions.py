"""Server-side sessions of the dashboard and of app-portal tokens (``dashboard_sessions``, ``portal_sessions``).

A session's credential is a random token handed out once; only its SHA-256 is stored. Because the
server looks each one up, signing out, logging out and expire-all end a session at once, in every
process of one database.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hookline.store.db import Database

PORTAL_PREFIX = "hlportal_"
FRAME_PREFIX = "hlpage_"


def token_sha256(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class DashboardSession:
    """A dashboard sign-in: who (``token:<digest>`` or ``user:<id>``) and when it began (unix seconds)."""

    who: str
    created_at: float
    expires_at: float


@dataclass(frozen=True)
class PortalSession:
    """An app-portal token's session: the one application it opens."""

    app_id: str
    read_only: bool
    session_id: str | None
    created_at: float
    expires_at: float
    capabilities: tuple[str, ...] | None = None  # None: a token issued before capabilities were kept
    feature_flags: tuple[str, ...] = ()  # event types gated by other flags stay hidden


class AuthSessions:
    """Open, find and end dashboard and portal sessions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def open_dashboard(self, who: str, seconds: float, now: float | None = None) -> str:
        """Start a dashboard session for ``who``; return its cookie value (shown once)."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM dashboard_sessions WHERE expires_at < ?", (now - 86400,)
            )  # forget long-expired ones as new ones are made
            await tx.execute(
                "INSERT INTO dashboard_sessions (token_sha256, who, created_at, expires_at) VALUES (?, ?, ?, ?)",
                (token_sha256(token), who, now, now + seconds),
            )
        return token

    async def dashboard(self, token: str, now: float | None = None) -> DashboardSession | None:
        """The live dashboard session of a cookie value, or None (unknown, ended or expired)."""
        if not token:
            return None
        now = time.time() if now is None else now
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT who, created_at, expires_at FROM dashboard_sessions "
                "WHERE token_sha256 = ? AND ended_at IS NULL AND expires_at > ?",
                (token_sha256(token), now),
            )
        if row is None:
            return None
        return DashboardSession(str(row["who"]), float(row["created_at"]), float(row["expires_at"]))

    async def end_dashboard(self, token: str, now: float | None = None) -> None:
        """End a dashboard session (sign-out)."""
        now = time.time() if now is None else now
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE dashboard_sessions SET ended_at = ? WHERE token_sha256 = ? AND ended_at IS NULL",
                (now, token_sha256(token)),
            )

    async def open_portal(
        self,
        app_id: str,
        seconds: float,
        read_only: bool = False,
        session_id: str | None = None,
        now: float | None = None,
        capabilities: Sequence[str] | None = None,
        feature_flags: Sequence[str] = (),
    ) -> str:
        """Issue an app-portal token for one application, with what it may do and see; return it (shown once)."""
        now = time.time() if now is None else now
        token = PORTAL_PREFIX + secrets.token_urlsafe(32)
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM portal_sessions WHERE expires_at < ?", (now - 86400,))
            await tx.execute(
                "INSERT INTO portal_sessions (token_sha256, app_id, session_id, read_only, created_at, expires_at, "
                "capabilities, feature_flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    token_sha256(token),
                    app_id,
                    session_id,
                    int(read_only),
                    now,
                    now + seconds,
                    None if capabilities is None else json.dumps(list(capabilities)),
                    json.dumps(list(feature_flags)) if feature_flags else None,
                ),
            )
        return token

    async def portal(self, token: str | None, now: float | None = None) -> PortalSession | None:
        """The live session of an app-portal token, or None (unknown, logged out or expired)."""
        if not token or not token.startswith(PORTAL_PREFIX):
            return None
        now = time.time() if now is None else now
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT app_id, read_only, session_id, created_at, expires_at, capabilities, feature_flags "
                "FROM portal_sessions "
                "WHERE token_sha256 = ? AND ended_at IS NULL AND expires_at > ?",
                (token_sha256(token), now),
            )
        if row is None:
            return None
        return _portal_row(row)

    async def end_portal(self, token: str, now: float | None = None) -> bool:
        """Log an app-portal token out; False when it was not live."""
        now = time.time() if now is None else now
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "UPDATE portal_sessions SET ended_at = ? WHERE token_sha256 = ? AND ended_at IS NULL "
                "AND expires_at > ? RETURNING app_id",
                (now, token_sha256(token), now),
            )
        return row is not None

    async def expire_portal(
        self, app_id: str, after_seconds: float = 0.0, session_ids: Sequence[str] | None = None
    ) -> None:
        """Make every token of an application issued until now expire in ``after_seconds`` (or at once).

        With ``session_ids``, only the tokens issued with one of those session ids.
        """
        now = time.time()
        until = now + max(0.0, after_seconds)
        sql = (
            "UPDATE portal_sessions SET expires_at = ? WHERE app_id = ? AND created_at <= ? "
            "AND ended_at IS NULL AND expires_at > ?"
        )
        params: list[object] = [until, app_id, now, until]
        if session_ids:
            sql += f" AND session_id IN ({','.join('?' * len(session_ids))})"
            params.extend(session_ids)
        async with self.db.transaction() as tx:
            await tx.execute(sql, params)

    async def open_frame(
        self, token: str, seconds: float, theme: str | None = None, now: float | None = None
    ) -> str | None:
        """A page key for a live portal token, living ``seconds`` (never past the token), with the
        ``theme`` (JSON) its link asked for; None when the token is not live. The key stands for the
        token in page URLs, so the token never appears there."""
        now = time.time() if now is None else now
        found = await self.portal(token, now)
        if found is None:
            return None
        key = FRAME_PREFIX + secrets.token_urlsafe(24)
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM portal_frames WHERE expires_at < ?", (now - 86400,))
            await tx.execute(
                "INSERT INTO portal_frames (key_sha256, token_sha256, created_at, expires_at, theme) "
                "VALUES (?, ?, ?, ?, ?)",
                (token_sha256(key), token_sha256(token), now, min(found.expires_at, now + seconds), theme),
            )
        return key

    async def frame(
        self, key: str, seconds: float, now: float | None = None
    ) -> tuple[PortalSession, str | None] | None:
        """The live portal session behind a page key and its link's theme (JSON), or None; a key in use
        is kept alive for another ``seconds`` (written at most once per half of that), never past its token."""
        if not key.startswith(FRAME_PREFIX):
            return None
        now = time.time() if now is None else now
        async with self.db.reader() as c:
            row = await c.fetchone(
                "SELECT s.app_id, s.read_only, s.session_id, s.created_at, s.expires_at, s.capabilities, "
                "s.feature_flags, f.expires_at AS key_expires_at, f.theme FROM portal_frames f "
                "JOIN portal_sessions s ON s.token_sha256 = f.token_sha256 "
                "WHERE f.key_sha256 = ? AND f.expires_at > ? AND s.ended_at IS NULL AND s.expires_at > ?",
                (token_sha256(key), now, now),
            )
        if row is None:
            return None
        found = _portal_row(row)
        if (
            float(row["key_expires_at"]) - now < seconds / 2
            and float(row["key_expires_at"]) < found.expires_at
        ):
            async with self.db.transaction() as tx:
                await tx.execute(
                    "UPDATE portal_frames SET expires_at = ? WHERE key_sha256 = ?",
                    (min(found.expires_at, now + seconds), token_sha256(key)),
                )
        return found, row["theme"]


def _portal_row(row: Any) -> PortalSession:
    return PortalSession(
        app_id=str(row["app_id"]), read_only=bool(row["read_only"]), session_id=row["session_id"],
        created_at=float(row["created_at"]), expires_at=float(row["expires_at"]),
        capabilities=None if row["capabilities"] is None else tuple(json.loads(row["capabilities"])),
        feature_flags=tuple(json.loads(row["feature_flags"])) if row["feature_flags"] else (),
    )  # fmt: skip
