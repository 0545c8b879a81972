"""Where a user's picture is: ``image_url`` and ``profile_image_url`` as Clerk sends them, always a URL.

Clerk's ``image_url`` is ``https://img.clerk.com/<token>``, the token base64url-encoded JSON that says
what to show: ``{"type": "proxy", "src": …}`` for an uploaded image, ``{"type": "default", "iid": …,
"rid": …, "initials": …}`` for the generated avatar of a user without one. hookline's are the same
tokens under its own ``/img/``, and hookline serves both kinds itself (``identity/images.py``): an
uploaded image from the database, a default avatar drawn as SVG from the initials. Nothing is ever
fetched from a ``src``: only hookline's own uploaded images are served.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from html import escape
from typing import Any

from hookline.store.identity_records import User

IMG_PATH = "/img"
UPLOADED_PATH = IMG_PATH + "/uploaded"
_COLOURS = ("#6c47ff", "#0f766e", "#b45309", "#be123c", "#1d4ed8", "#4d7c0f", "#7e22ce", "#0e7490")


def encode_token(data: dict[str, Any]) -> str:
    """The base64url (unpadded) of ``data`` as compact JSON."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_token(token: str) -> dict[str, Any] | None:
    """The JSON object of a token, or None when it is not one."""
    if len(token) > 2048:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


def initials(user: User) -> str:
    """Up to two capital letters from the user's names, else from the email address or username."""
    names = [n.strip() for n in (user.first_name, user.last_name) if n and n.strip()]
    if not names:
        fallback = (user.username or (user.primary_email or "").partition("@")[0]).strip()
        names = [fallback] if fallback else []
    return "".join(n[0] for n in names if n[0].isalnum())[:2].upper()


@dataclass(frozen=True)
class ImageUrls:
    """Builds the picture URLs of users for one hookline (its public base URL and instance id)."""

    base_url: str
    instance_id: str

    def uploaded(self, image_id: str) -> str:
        """Where an uploaded image is served as it was uploaded (``profile_image_url``)."""
        return f"{self.base_url}{UPLOADED_PATH}/{image_id}"

    def of(self, user: User) -> tuple[str, str]:
        """``(image_url, profile_image_url)`` of a user: its uploaded image, or its default avatar."""
        if user.image_id:
            src = self.uploaded(user.image_id)
            return f"{self.base_url}{IMG_PATH}/{encode_token({'type': 'proxy', 'src': src})}", src
        token = encode_token(
            {"type": "default", "iid": self.instance_id, "rid": user.id, "initials": initials(user)}
        )
        url = f"{self.base_url}{IMG_PATH}/{token}"
        return url, url


def default_avatar_svg(token: dict[str, Any]) -> bytes | None:
    """The default avatar a ``default`` token describes (initials on a colour chosen by the user id),
    or None when the token is not a default one."""
    rid, text = token.get("rid"), token.get("initials", "")
    if token.get("type") != "default" or not isinstance(rid, str) or not isinstance(text, str):
        return None
    if len(rid) > 64 or len(text) > 2:
        return None
    colour = _COLOURS[hashlib.sha256(rid.encode()).digest()[0] % len(_COLOURS)]
    label = escape(text)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">'
        f'<rect width="128" height="128" fill="{colour}"/>'
        '<text x="64" y="64" dy=".35em" text-anchor="middle" fill="#ffffff" '
        f'font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="52" font-weight="600">{label}</text>'
        "</svg>"
    )
    return svg.encode()


def uploaded_id(token: dict[str, Any]) -> str | None:
    """The image id a ``proxy`` token points at when it is one of hookline's own uploaded images."""
    src = token.get("src")
    if token.get("type") != "proxy" or not isinstance(src, str):
        return None
    _, sep, image_id = src.rpartition(UPLOADED_PATH + "/")
    if not sep or not image_id.startswith("img_") or "/" in image_id or len(image_id) > 64:
        return None
    return image_id
