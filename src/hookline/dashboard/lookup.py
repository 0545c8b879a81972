"""Find by id: what a pasted id names (message, event id, endpoint, application, attempt, user) and its page."""

from __future__ import annotations

from urllib.parse import quote

from hookline.identity import directory
from hookline.store.store import Store

MAX_ID = 256


async def _one(store: Store, sql: str, params: tuple[str, ...]) -> tuple[str, ...] | None:
    async with store.db.reader() as c:
        row = await c.fetchone(sql, params)
    return tuple(row) if row else None


async def page_of(store: Store, raw: str) -> str | None:
    """The dashboard page of the thing ``raw`` names, or None when nothing has that id.

    By prefix first (``msg_``, ``ep_``, ``app_``, ``atmpt_``, ``user_``); anything else is tried as a
    message's event id, then as an application's or endpoint's uid.
    """
    key = raw.strip()
    if not key or len(key) > MAX_ID:
        return None
    if key.startswith("msg_"):
        row = await _one(store, "SELECT app_id FROM messages WHERE id = ?", (key,))
        if row:
            return f"/dashboard/app/{row[0]}/msg/{key}"
    if key.startswith("ep_"):
        row = await _one(store, "SELECT app_id FROM endpoints WHERE id = ?", (key,))
        if row:
            return f"/dashboard/app/{row[0]}/endpoint/{key}"
    if key.startswith("atmpt_"):
        row = await _one(store, "SELECT app_id FROM attempts WHERE id = ?", (key,))
        if row:
            return f"/dashboard/app/{row[0]}/attempt/{key}"
    is_user = key.startswith("user_") and await directory.identity_installed(store)
    if is_user and await directory.user(store, key) is not None:
        return f"/dashboard/users/{quote(key)}"
    # an event id is unique within its application: each application's index answers for it
    row = await _one(
        store,
        "SELECT app_id, id FROM messages WHERE app_id IN (SELECT id FROM applications) AND event_id = ? "
        "ORDER BY id DESC LIMIT 1",
        (key,),
    )
    if row:
        return f"/dashboard/app/{row[0]}/msg/{row[1]}"
    row = await _one(store, "SELECT id FROM applications WHERE id = ? OR uid = ?", (key, key))
    if row:
        return f"/dashboard/app/{row[0]}"
    row = await _one(store, "SELECT app_id, id FROM endpoints WHERE uid = ? ORDER BY id LIMIT 1", (key,))
    if row:
        return f"/dashboard/app/{row[0]}/endpoint/{row[1]}"
    return None
