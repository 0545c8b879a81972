"""Sessions as identity sees them: their client secret; their queries live in ``hookline.store.identity_sessions``."""

from __future__ import annotations

import hashlib
import hmac

from hookline.store.identity_records import Session
from hookline.store.identity_sessions import active_for_user, get, insert, list_sessions, set_status, touch

__all__ = ["STATUSES", "active_for_user", "get", "insert", "list_sessions", "secret_digest", "secret_matches",
           "set_status", "touch"]  # fmt: skip

STATUSES = ("active", "revoked", "ended", "expired", "removed", "abandoned", "replaced", "pending")


def secret_digest(secret: str) -> str:
    """The stored form of a session's client secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(session: Session, secret: str) -> bool:
    """Constant-time check of a client secret against the session's stored digest."""
    return hmac.compare_digest(session.secret_hash, secret_digest(secret))
