"""Where hosted pages may send a browser afterwards: an allow-list, never an open redirect.

A ``redirect_url`` is followed only when it is a path on this server, an absolute URL on this server's
origin or one of ``HOOKLINE_ALLOWED_REDIRECT_ORIGINS``, or exactly one of an OAuth application's
redirect URIs. Anything a browser could read another way (``//host``, backslashes, tabs, userinfo,
other schemes) is refused.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from urllib.parse import parse_qs, urlsplit

from hookline.identity.errors import invalid

DEFAULT_PORTS = {"http": 80, "https": 443}
HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|[0-9a-f:.]*:[0-9a-f:.]*")
# schemes that run code or read local data in the browser: never a redirect target
FORBIDDEN_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about", "filesystem"})


def _clean(url: str) -> bool:
    # browsers drop tabs and newlines inside URLs and read "\" as "/": "/\t/evil" and "/\evil" become "//evil"
    return bool(url) and len(url) <= 2048 and url.isprintable() and "\\" not in url and " " not in url


def normalized_origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an absolute http(s) URL, lower-cased, default port dropped; None otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    host = parts.hostname.lower()
    # letters, digits, dots and hyphens (IDNs in their xn-- form), or an IPv6 literal: nothing that could
    # read differently in a browser, or end a CSP source list where the origin is written
    if not HOST.fullmatch(host):
        return None
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def local_path(url: str) -> str | None:
    """``url`` if it is a path on this server (``/account?x=1``), else None."""
    if not _clean(url) or not url.startswith("/") or url.startswith("//"):
        return None
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc else None


async def allowed_redirect(
    url: str | None,
    own_origins: Collection[str],
    registered: Callable[[str], Awaitable[bool]],
) -> str | None:
    """``url`` if a hosted page may redirect there, else None.

    ``own_origins`` are this server's origin and the configured ones (normalized); ``registered`` says
    whether a URL is exactly one of an OAuth application's redirect URIs.
    """
    if not url:
        return None
    if local_path(url) is not None:
        return url
    if not _clean(url):
        return None
    origin = normalized_origin(url)
    if origin is None:
        return None
    if origin in own_origins:
        return url
    return url if await registered(url) else None


def check_redirect_uri(uri: object) -> str:
    """An OAuth application's redirect URI as registered: absolute, no fragment, no userinfo, a scheme
    that cannot run code (http, https, or an app's private-use scheme such as ``com.example.app``)."""
    if not isinstance(uri, str) or not _clean(uri):
        raise invalid("redirect_uris", f"{uri!r} is not a valid redirect URI")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        raise invalid("redirect_uris", f"{uri!r} is not a valid redirect URI") from None
    scheme = parts.scheme.lower()
    if not scheme or scheme in FORBIDDEN_SCHEMES:
        raise invalid("redirect_uris", f"{uri!r}: the scheme {scheme or '(none)'!r} is not allowed")
    if parts.fragment or "#" in uri:
        raise invalid("redirect_uris", f"{uri!r}: a redirect URI must not have a fragment")
    if scheme in DEFAULT_PORTS:
        if normalized_origin(uri) is None:
            raise invalid("redirect_uris", f"{uri!r}: an http(s) redirect URI needs a host and no user info")
    elif "." not in scheme:
        # RFC 8252 §7.1: a native app's private-use scheme is a reverse domain name it controls
        raise invalid(
            "redirect_uris", f"{uri!r}: a custom scheme must be a reverse domain name (com.example.app)"
        )
    return uri


def target_origins(url: str | None, base_origin: str) -> tuple[str, ...]:
    """The origin ``url`` leads to when it is absolute and not this server's (for a page's CSP ``form-action``)."""
    origin = normalized_origin(url) if url else None
    return (origin,) if origin is not None and origin != base_origin else ()


def authorize_client_id(url: str | None) -> str | None:
    """The ``client_id`` of ``url`` when it is this server's ``/oauth/authorize`` (a sign-in that continues
    an authorization), else None."""
    path = local_path(url) if url else None
    if path is None:
        return None
    parts = urlsplit(path)
    if parts.path != "/oauth/authorize":
        return None
    ids = parse_qs(parts.query).get("client_id", [])
    return ids[0] if len(ids) == 1 else None
