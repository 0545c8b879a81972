"""Profile images and compromised passwords through Clerk's SDK: users.set_profile_image,
users.delete_profile_image, the default avatar, users.set_password_compromised / unset_password_compromised."""

from __future__ import annotations

import base64
import json
import struct
import zlib

import httpx
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import PASSWORD, Hooks, create_user


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def token_of(url: str) -> dict[str, object]:
    token = url.rsplit("/", 1)[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    return decoded


def test_a_user_without_an_image_has_a_served_default_avatar(clerk: Clerk, http: httpx.Client) -> None:
    user = create_user(clerk)
    assert user.has_image is False
    assert user.image_url and user.image_url == user.profile_image_url
    assert user.image_url.startswith(str(http.base_url).rstrip("/") + "/img/")
    token = token_of(user.image_url)
    assert token["type"] == "default" and token["rid"] == user.id and token["initials"] == "AL"
    assert str(token["iid"]).startswith("ins_")
    got = http.get(user.image_url)
    assert got.status_code == 200 and got.headers["content-type"] == "image/svg+xml"
    assert b">AL</text>" in got.content and "script-src" not in got.headers["content-security-policy"]
    # a crafted token draws nothing it was not meant to: markup is escaped, long text refused
    crafted = base64.urlsafe_b64encode(json.dumps({"type": "default", "rid": "x", "initials": "<a"}).encode())
    drawn = http.get("/img/" + crafted.decode().rstrip("="))
    assert drawn.status_code == 200 and b"&lt;a" in drawn.content and b"<a" not in drawn.content
    assert http.get("/img/not-a-token").status_code == 404
    long = base64.urlsafe_b64encode(json.dumps({"type": "default", "rid": "x", "initials": "x" * 9}).encode())
    assert http.get("/img/" + long.decode()).status_code == 404


def test_set_and_delete_the_profile_image(clerk: Clerk, http: httpx.Client, hooks: Hooks) -> None:
    user = create_user(clerk)
    image = png()
    updated = clerk.users.set_profile_image(
        user_id=user.id, file={"file_name": "me.png", "content": image, "content_type": "image/png"}
    )
    assert updated.has_image is True and updated.profile_image_url != updated.image_url
    assert updated.profile_image_url.rsplit("/", 1)[1].startswith("img_")
    served = http.get(updated.profile_image_url)
    assert served.status_code == 200 and served.content == image
    assert (
        served.headers["content-type"] == "image/png"
        and served.headers["x-content-type-options"] == "nosniff"
    )
    assert token_of(updated.image_url) == {"type": "proxy", "src": updated.profile_image_url}
    assert http.get(updated.image_url).content == image
    assert clerk.users.get(user_id=user.id).has_image is True
    events = [b["data"] for b in hooks.until(lambda bs: any(b["data"].get("has_image") for b in bs))]
    assert any(
        d["has_image"] and d["image_url"] == updated.image_url for d in events if d.get("object") == "user"
    )

    removed = clerk.users.delete_profile_image(user_id=user.id)
    assert removed.has_image is False and token_of(removed.image_url)["type"] == "default"
    assert http.get(updated.profile_image_url).status_code == 404
    hooks.until(lambda bs: sum(b["type"] == "user.updated" for b in bs) >= 2)
    assert (
        clerk.users.delete_profile_image(user_id=user.id).has_image is False
    )  # nothing to remove: no change

    # the user's deletion takes its image along
    again = clerk.users.set_profile_image(user_id=user.id, file={"file_name": "me.png", "content": image})
    clerk.users.delete(user_id=user.id)
    assert http.get(again.profile_image_url).status_code == 404


def test_an_upload_that_is_not_an_image_is_refused(clerk: Clerk, backend: httpx.Client) -> None:
    user = create_user(clerk)
    with pytest.raises(models.ClerkErrors) as info:
        clerk.users.set_profile_image(
            user_id=user.id, file={"file_name": "x.svg", "content": b"<svg onload='alert(1)'/>"}
        )
    assert info.value.data.errors[0].code == "form_param_format_invalid"
    assert backend.post(f"/users/{user.id}/profile_image", json={"file": "x"}).status_code == 415
    no_file = backend.post(
        f"/users/{user.id}/profile_image", data={"other": "x"}, files={"nope": ("a", b"a")}
    )
    assert no_file.status_code == 400 and no_file.json()["errors"][0]["meta"]["param_name"] == "file"
    broken = backend.post(
        f"/users/{user.id}/profile_image", content=b"--x\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )  # fmt: skip
    assert broken.status_code == 400
    big = backend.post(
        f"/users/{user.id}/profile_image", files={"file": ("big.png", png() + b"\0" * (2 << 20))}
    )
    assert big.status_code == 413
    missing = backend.post("/users/user_missing/profile_image", files={"file": ("a.png", png())})
    assert missing.status_code == 404
    assert clerk.users.get(user_id=user.id).has_image is False


def test_a_compromised_password_must_be_reset_before_signing_in(
    clerk: Clerk, http: httpx.Client, hooks: Hooks
) -> None:
    user = create_user(clerk)
    session = clerk.sessions.create(request={"user_id": user.id})
    marked = clerk.users.set_password_compromised(user_id=user.id, revoke_all_sessions=True)
    assert marked.id == user.id
    assert clerk.sessions.get(session_id=session.id).status == models.Status.REVOKED
    refused = http.post("/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD})
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "form_password_compromised"
    wrong = http.post(
        "/identity/sign_in", json={"email_address": "ada@example.org", "password": "not it at all"}
    )
    assert wrong.json()["errors"][0]["code"] == "form_password_incorrect"  # a wrong password says only that
    hooks.wait("session.revoked", "user.updated")

    clerk.users.unset_password_compromised(user_id=user.id)
    ok = http.post("/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD})
    assert ok.status_code == 200

    # a new password clears the mark, as a reset does
    clerk.users.set_password_compromised(user_id=user.id)
    other_session = clerk.sessions.create(request={"user_id": user.id})
    assert (
        clerk.sessions.get(session_id=other_session.id).status == models.Status.ACTIVE
    )  # not revoked by default
    clerk.users.update(user_id=user.id, password="another horse battery staple")
    again = http.post(
        "/identity/sign_in",
        json={"email_address": "ada@example.org", "password": "another horse battery staple"},
    )
    assert again.status_code == 200
    with pytest.raises(models.ClerkErrors):
        clerk.users.set_password_compromised(user_id="user_missing")
