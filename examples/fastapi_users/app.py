"""A FastAPI app that keeps a local ``users`` table in step with Clerk's user webhooks.

    export CLERK_WEBHOOK_SIGNING_SECRET=whsec_...
    uvicorn --factory app:create_app --port 8000     # run from this folder

``POST /webhooks/clerk`` receives ``user.created``, ``user.updated`` and ``user.deleted``;
``GET /users`` and ``GET /users/{id}`` read the table back.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from fastapi import FastAPI, HTTPException

from hookline.receiver import Receiver, User, UserDeletedEvent, UserEvent
from hookline.receiver.adapters.starlette import webhook_endpoint

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id          TEXT PRIMARY KEY,
    email       TEXT,
    first_name  TEXT,
    last_name   TEXT,
    image_url   TEXT,
    updated_at  INTEGER NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0
)
"""

# Deliveries can arrive out of order (a retry of an older update after a newer one), so an
# update only wins if it is at least as new, and a deleted user stays deleted.
UPSERT = """
INSERT INTO users (id, email, first_name, last_name, image_url, updated_at)
VALUES (:id, :email, :first_name, :last_name, :image_url, :updated_at)
ON CONFLICT (id) DO UPDATE SET
    email = excluded.email,
    first_name = excluded.first_name,
    last_name = excluded.last_name,
    image_url = excluded.image_url,
    updated_at = excluded.updated_at
WHERE users.deleted = 0 AND excluded.updated_at >= users.updated_at
"""

# The row stays as a tombstone so that a late user.updated cannot bring the user back.
DELETE = """
INSERT INTO users (id, updated_at, deleted) VALUES (:id, 0, 1)
ON CONFLICT (id) DO UPDATE SET
    deleted = 1, email = NULL, first_name = NULL, last_name = NULL, image_url = NULL
"""

COLUMNS = ("id", "email", "first_name", "last_name", "image_url", "updated_at")


class UserStore:
    """The ``users`` table in a SQLite file; a connection per call, so any thread may use it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        with self._connect() as conn:
            conn.execute(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path)) as conn, conn:
            yield conn

    def upsert(self, user: User) -> None:
        """Insert the user, or update it if this version is not older than the stored one."""
        row = {
            "id": user.id,
            "email": user.primary_email_address,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "image_url": user.image_url,
            "updated_at": user.updated_at,
        }
        with self._connect() as conn:
            conn.execute(UPSERT, row)

    def delete(self, user_id: str) -> None:
        """Forget the user's data and remember that it was deleted."""
        with self._connect() as conn:
            conn.execute(DELETE, {"id": user_id})

    def get(self, user_id: str) -> dict[str, Any] | None:
        """One live user, or None."""
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM users WHERE id = ? AND deleted = 0", (user_id,)
            ).fetchone()
        return dict(zip(COLUMNS, row, strict=True)) if row else None

    def all(self) -> list[dict[str, Any]]:
        """Every live user, oldest id first."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM users WHERE deleted = 0 ORDER BY id"
            ).fetchall()
        return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


def create_app(secret: str | None = None, database: str | os.PathLike[str] | None = None) -> FastAPI:
    """Build the app; the secret and database default to ``CLERK_WEBHOOK_SIGNING_SECRET`` and ``USERS_DB``."""
    secret = secret or os.environ["CLERK_WEBHOOK_SIGNING_SECRET"]
    store = UserStore(database or os.environ.get("USERS_DB", "users.db"))
    receiver = Receiver(secret)

    @receiver.on("user.created", "user.updated")
    def save_user(event: UserEvent) -> None:
        store.upsert(event.data)

    @receiver.on("user.deleted")
    def delete_user(event: UserDeletedEvent) -> None:
        if event.data.id:
            store.delete(event.data.id)

    app = FastAPI(title="users from webhooks")
    app.state.store = store
    app.state.receiver = receiver
    app.add_api_route(
        "/webhooks/clerk", webhook_endpoint(receiver), methods=["POST"], include_in_schema=False
    )

    @app.get("/users")
    def list_users() -> list[dict[str, Any]]:
        return store.all()

    @app.get("/users/{user_id}")
    def get_user(user_id: str) -> dict[str, Any]:
        user = store.get(user_id)
        if user is None:
            raise HTTPException(status_code=404, detail="no such user")
        return user

    return app
