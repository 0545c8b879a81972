"""Browser-facing rules every part of the server shares: where a request comes from, and the headers
HTML pages are served with."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.requests import Request


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site(request: Request, trusted: Collection[str] = ()) -> bool:
    """True when the browser says this request was made by another site (not one of ``trusted`` origins).

    ``Sec-Fetch-Site`` (sent by current browsers) decides; otherwise an ``Origin`` whose host is not
    this server's. A request with neither (a server-to-server call, curl) is not cross-site.
    """
    origin = request.headers.get("origin")
    if origin and origin.lower() in trusted:
        return False
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    if origin is None:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc != request.headers.get("host", "")
