"""What may cross the relay in each direction without harming the server's own origin.

The relay answers senders on hookline's origin with what a developer's local app said. A listener
is someone else's code: its reply must never set cookies, run script or redirect a browser on that
origin, and requests carrying this server's own credentials must not hand them to a listener.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# Reply headers a sender may see: what webhook senders act on, and what describes the body.
ALLOWED_REPLY_HEADERS = frozenset(
    {
        "content-type",
        "content-encoding",
        "content-language",
        "cache-control",
        "etag",
        "last-modified",
        "retry-after",
        "webhook-delivery",  # receivers answer `abort-message` or `disable` (see the delivery engine)
    }
)
# Custom ``x-`` headers pass (a local app's own diagnostics), except those a reverse proxy in front of
# hookline would act on (serving a file or an internal location) or that this server sets itself.
_DENIED_X_PREFIXES = (
    "x-accel-",
    "x-sendfile",
    "x-lighttpd-send-file",
    "x-forwarded-",
    "x-content-type-options",
    "x-hookline-",
)
# Bodies of these types are data to a browser; any other type is answered as plain text.
_SAFE_TYPES = re.compile(
    r"^(application/(json|[\w.+-]+\+json|x-www-form-urlencoded|octet-stream)|text/plain)\s*(;.*)?$", re.I
)
# Every relayed answer is sandboxed: even rendered, it runs no script and has no origin.
RELAYED_REPLY_HEADERS = (
    ("content-security-policy", "sandbox; default-src 'none'; frame-ancestors 'none'"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-resource-policy", "same-origin"),
)
# Cookies this server sets: a browser sends them along to any path of the origin, the relay included.
SERVER_COOKIES = frozenset(
    {"hookline_dashboard", "hookline_portal", "__client", "__session", "__csrf", "__Host-hookline_dashboard"}
)
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
MAX_REPLY_HEADERS = 100
MAX_REPLY_HEADER_BYTES = 16 * 1024


def check_reply_headers(headers: Iterable[tuple[str, str]]) -> None:
    """Raise ValueError naming the first header a listener may not post (bad name, CR/LF, too many)."""
    total = 0
    for count, (name, value) in enumerate(headers, 1):
        if count > MAX_REPLY_HEADERS:
            raise ValueError(f"at most {MAX_REPLY_HEADERS} headers")
        if not _TOKEN.match(name):
            raise ValueError(f"header name {name[:40]!r} is not a valid HTTP header name")
        if _BAD_VALUE.search(value):
            raise ValueError(f"header {name!r} has a control character in its value")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(f"header {name!r} has a character HTTP headers cannot carry") from None
        total += len(name) + len(value)
        if total > MAX_REPLY_HEADER_BYTES:
            raise ValueError(f"headers over {MAX_REPLY_HEADER_BYTES} bytes")


def sender_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The reply headers a sender gets: the allowed ones, a safe content type, and the sandbox."""
    out: list[tuple[str, str]] = []
    for name, value in headers:
        low = name.lower()
        custom = low.startswith("x-") and not low.startswith(_DENIED_X_PREFIXES)
        if low not in ALLOWED_REPLY_HEADERS and not custom:
            continue
        if low == "content-type" and not _SAFE_TYPES.match(value.strip()):
            value = "text/plain; charset=utf-8"
        out.append((low, value))
    out.extend(RELAYED_REPLY_HEADERS)
    return out


def _without_server_cookies(value: str) -> str:
    kept = [
        part.strip()
        for part in value.split(";")
        if part.strip() and part.split("=", 1)[0].strip() not in SERVER_COOKIES
    ]
    return "; ".join(kept)


def listener_headers(
    headers: Iterable[tuple[str, str]], is_server_credential: Callable[[str], bool]
) -> tuple[tuple[str, str], ...]:
    """A sender's headers as a listener gets them: without this server's cookies or bearer credentials.

    ``is_server_credential(token)`` says whether an ``Authorization: Bearer`` token is one of this
    server's (an API token, the identity secret key, a session token); a sender's own credentials
    for its webhooks pass unchanged.
    """
    out: list[tuple[str, str]] = []
    for name, value in headers:
        low = name.lower()
        if low == "cookie":
            value = _without_server_cookies(value)
            if not value:
                continue
        elif low == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip() and is_server_credential(token.strip()):
                continue
        out.append((name, value))
    return tuple(out)
