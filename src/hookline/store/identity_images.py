"""Users' profile images (``identity_profile_images``): one per user, its bytes and media type.

Queries run on a caller's connection or transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from hookline.store.conn import Conn


@dataclass(frozen=True)
class Image:
    """A stored profile image: its id (``img_…``), whose it is, its media type and bytes."""

    id: str
    user_id: str
    content_type: str
    data: bytes
    created_at: int


async def put(c: Conn, image: Image) -> None:
    """Make ``image`` its user's profile image (replacing the one before, if any)."""
    await c.execute("DELETE FROM identity_profile_images WHERE user_id = ?", (image.user_id,))
    await c.execute(
        "INSERT INTO identity_profile_images (user_id, id, content_type, data, created_at) "
        "VALUES (:user_id, :id, :content_type, :data, :created_at)",
        {"user_id": image.user_id, "id": image.id, "content_type": image.content_type, "data": image.data,
         "created_at": image.created_at},
    )  # fmt: skip


async def delete(c: Conn, user_id: str) -> bool:
    """Remove a user's profile image; False if there was none."""
    return await c.execute("DELETE FROM identity_profile_images WHERE user_id = ?", (user_id,)) > 0


async def get(c: Conn, image_id: str) -> Image | None:
    """One image by id."""
    row = await c.fetchone(
        "SELECT id, user_id, content_type, data, created_at FROM identity_profile_images WHERE id = ?",
        (image_id,),
    )
    if row is None:
        return None
    return Image(row["id"], row["user_id"], row["content_type"], bytes(row["data"]), int(row["created_at"]))


async def ids_for_users(c: Conn, user_ids: list[str]) -> dict[str, str]:
    """The profile image id of each of these users that has one."""
    if not user_ids:
        return {}
    marks = ",".join("?" * len(user_ids))
    rows = await c.fetchall(
        f"SELECT user_id, id FROM identity_profile_images WHERE user_id IN ({marks})", user_ids
    )
    return {r["user_id"]: r["id"] for r in rows}
