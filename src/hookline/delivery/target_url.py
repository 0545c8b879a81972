"""A webhook URL in the one form a request line can carry: ASCII, no spaces or control characters.

A space in a URL produced a malformed request line at send time, and an internationalized host name
failed there with a codec error. Both are settled when the endpoint is saved: spaces and control
characters are refused, a non-ASCII host is IDNA-encoded (UTS #46, as browsers do), and other
non-ASCII characters in the path and query are percent-encoded.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

from hookline.delivery.guard import UnsafeTargetError

_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f\s]")
# what stays as it is when the rest of a path or query is percent-encoded
_SAFE = "/:@!$&'()*+,;=-._~%?"


def normalize_url(url: str) -> str:
    """Return ``url`` ready to send; raise UnsafeTargetError for spaces, control characters or a bad host."""
    bad = _FORBIDDEN.search(url)
    if bad:
        raise UnsafeTargetError(
            f"URL must not contain spaces or control characters (found {bad.group()!r} at {bad.start()})"
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise UnsafeTargetError(f"invalid URL: {exc}") from None
    host = parts.hostname or ""
    if host.isascii() and url.isascii():
        return url
    if not host.isascii():
        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError as exc:
            raise UnsafeTargetError(
                f"URL host {host!r} is not a valid internationalized domain name: {exc}"
            ) from None
        netloc = parts.netloc.rsplit("@", 1)[-1].lower().replace(host, ascii_host, 1)
        if "@" in parts.netloc:
            netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    else:
        netloc = parts.netloc
    return urlunsplit(
        (parts.scheme, netloc, quote(parts.path, safe=_SAFE), quote(parts.query, safe=_SAFE), parts.fragment)
    )
