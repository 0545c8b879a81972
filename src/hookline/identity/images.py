"""Profile images: ``users.set_profile_image`` and ``users.delete_profile_image`` of Clerk's Backend API
(each ``user.updated``), and the pictures themselves, served by hookline under ``/img``.

An upload is a PNG, JPEG, GIF or WebP image (told by its bytes, not by what the client says it is)
of at most ``MAX_IMAGE_BYTES``; it is stored in the database and served with the media type its bytes
have, never as HTML or SVG, so an image cannot carry a script. A user without one has the default
avatar that ``identity/avatars.py`` draws.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message

from hookline.identity import users
from hookline.identity.avatars import IMG_PATH, UPLOADED_PATH, decode_token, default_avatar_svg, uploaded_id
from hookline.identity.errors import IdentityError, not_found
from hookline.identity.events import Outbox, RequestInfo
from hookline.identity.http import request_info, require_secret_key, service
from hookline.identity.resources import User, now_ms
from hookline.identity.service import Identity
from hookline.ids import new_id
from hookline.store import identity_images
from hookline.store.conn import Conn
from hookline.store.identity_images import Image

MAX_IMAGE_BYTES = 1024 * 1024  # within the server's request size limit (payloads of 1 MiB, and 64 KiB more)
_FORM_OVERHEAD = 64 * 1024  # the multipart framing and headers around the file
_CACHE = "public, max-age=31536000, immutable"  # an image's URL changes whenever the image does
_SAFE = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])
public = APIRouter(tags=["identity"])


def image_type(data: bytes) -> str | None:
    """The media type of an image by its first bytes (PNG, JPEG, GIF or WebP), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _bad_file(long_message: str, code: str) -> IdentityError:
    """400 naming ``file``: the status Clerk documents for this operation's bad requests."""
    return IdentityError(400, code, "is invalid", long_message, {"param_name": "file"})


async def _uploaded_file(request: Request) -> bytes:
    """The bytes of the ``file`` field of a multipart upload; 413 past the size limit, 422 without a file."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "multipart/form-data":
        raise IdentityError(415, "unsupported_media_type", "Unsupported media type",
                            "Send the image as multipart/form-data, in a field named file.")  # fmt: skip
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_IMAGE_BYTES + _FORM_OVERHEAD:
            raise IdentityError(413, "request_body_too_large", "Image too large",
                                f"The image must be at most {MAX_IMAGE_BYTES // (1024 * 1024)} MiB.")  # fmt: skip
    sent = False

    async def replay() -> Message:  # the form parser reads the body already read, once
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": bytes(body), "more_body": False}

    try:
        form = await Request(request.scope, replay).form(max_files=1, max_fields=8)
    except (
        MultiPartException,
        HTTPException,
    ) as exc:  # a malformed body (starlette wraps the parser's error)
        detail = getattr(exc, "message", None) or getattr(exc, "detail", "")
        raise IdentityError(400, "malformed_request", "Malformed request",
                            f"The multipart body could not be read: {detail}") from None  # fmt: skip
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise _bad_file("file must be included, as a file part", "form_param_missing")
    data = await file.read()
    await form.close()
    if len(data) > MAX_IMAGE_BYTES:
        raise IdentityError(413, "request_body_too_large", "Image too large",
                            f"The image must be at most {MAX_IMAGE_BYTES // (1024 * 1024)} MiB.")  # fmt: skip
    return data


async def set_profile_image(ident: Identity, request: RequestInfo, user_id: str, data: bytes) -> User:
    """Make ``data`` the user's profile image (``user.updated``); 422 unless it is a PNG, JPEG, GIF or WebP image."""
    content_type = image_type(data)
    if content_type is None:
        raise _bad_file("file must be a PNG, JPEG, GIF or WebP image", "form_param_format_invalid")

    async def run(tx: Conn, out: Outbox) -> User:
        user = await users.get(tx, user_id)
        if user is None:
            raise not_found("user")
        at = now_ms()
        image = Image(new_id("img"), user_id, content_type, data, at)
        await identity_images.put(tx, image)
        updated = replace(user, image_id=image.id, updated_at=at)
        await users.save(tx, updated)
        out.add("user.updated", ident.user_json(updated))
        return updated

    return await ident.change(request, run)


async def delete_profile_image(ident: Identity, request: RequestInfo, user_id: str) -> User:
    """Remove the user's profile image (``user.updated`` when there was one); it shows its default avatar again."""

    async def run(tx: Conn, out: Outbox) -> User:
        user = await users.get(tx, user_id)
        if user is None:
            raise not_found("user")
        if not await identity_images.delete(tx, user_id):
            return user
        updated = replace(user, image_id=None, updated_at=now_ms())
        await users.save(tx, updated)
        out.add("user.updated", ident.user_json(updated))
        return updated

    return await ident.change(request, run)


@router.post("/users/{user_id}/profile_image")
async def upload_profile_image(request: Request, user_id: str) -> dict[str, Any]:
    """Set a user's profile image from a multipart upload (field ``file``); answers the user."""
    ident = service(request)
    await ident.get_user(user_id)  # 404 before reading an upload for nobody
    data = await _uploaded_file(request)
    return ident.user_json(await set_profile_image(ident, request_info(request), user_id, data))


@router.delete("/users/{user_id}/profile_image")
async def remove_profile_image(request: Request, user_id: str) -> dict[str, Any]:
    """Delete a user's profile image; answers the user."""
    ident = service(request)
    return ident.user_json(await delete_profile_image(ident, request_info(request), user_id))


def _not_found() -> Response:
    return Response(
        b"not found\n", status_code=404, media_type="text/plain", headers={"Cache-Control": "no-store"}
    )


async def _uploaded(request: Request, image_id: str) -> Response:
    async with service(request).store.db.reader() as c:
        image = await identity_images.get(c, image_id)
    if image is None:
        return _not_found()
    return Response(image.data, media_type=image.content_type, headers={"Cache-Control": _CACHE, **_SAFE})


@public.get(UPLOADED_PATH + "/{image_id}", include_in_schema=False)
async def uploaded_image(request: Request, image_id: str) -> Response:
    """An uploaded profile image as it was uploaded (``profile_image_url``)."""
    return await _uploaded(request, image_id)


@public.get(IMG_PATH + "/{token}", include_in_schema=False)
async def image(request: Request, token: str) -> Response:
    """The picture an ``image_url`` token names: an uploaded image, or a default avatar drawn from initials."""
    data = decode_token(token)
    if data is None:
        return _not_found()
    image_id = uploaded_id(data)
    if image_id is not None:
        return await _uploaded(request, image_id)
    svg = default_avatar_svg(data)
    if svg is None:
        return _not_found()
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": _CACHE, **_SAFE})
