"""Browser-facing rules every part of the server shares: where a request comes from, and the headers
HTML pages are served with."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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


# Pages run only this server's scripts, in no one else's frame, and tell no other site where they were.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:{images}; "
    "connect-src 'self'; form-action 'self'{form_targets}; base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}"
)
# the customer portal: the link's landing page and the pages under a page key or the portal cookie
PORTAL_PATHS = ("/dashboard/portal/", "/dashboard/p/")
# FastAPI's interactive docs load Swagger UI from its CDN with an inline start-up script.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)


def html_headers(
    path: str, frame_ancestors: Collection[str] = (), form_targets: Collection[str] = ()
) -> list[tuple[bytes, bytes]]:
    """The headers an HTML answer for ``path`` gets; ``frame_ancestors`` are origins allowed to frame it,
    ``form_targets`` origins its forms may end at (browsers check ``form-action`` at every redirect)."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    targets = "".join(f" {t}" for t in form_targets)
    # the portal may show the operator's logo, an https image from anywhere (docs/portal.md, theming)
    images = " https:" if path.startswith(PORTAL_PATHS) else ""
    csp = (
        DOCS_CSP
        if path.startswith(("/docs", "/redoc"))
        else PAGE_CSP.format(ancestors=ancestors, form_targets=targets, images=images)
    )
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"referrer-policy", b"same-origin"),
    ]
    if not frame_ancestors:
        headers.append((b"x-frame-options", b"DENY"))
    if path.startswith("/dashboard/p/"):  # the page key in the URL is sent nowhere, not even back here
        headers[1] = (b"referrer-policy", b"no-referrer")
    return headers


class SecurityHeaders:
    """ASGI middleware: ``nosniff`` on every answer; a CSP, ``Referrer-Policy`` and no framing on HTML
    (the portal's pages: framing by ``portal_frame_ancestors`` alone, ``HOOKLINE_PORTAL_FRAME_ANCESTORS``).

    An answer that already carries a Content-Security-Policy (a sandboxed relay answer) keeps its own.
    """

    def __init__(self, app: ASGIApp, portal_frame_ancestors: Collection[str] = ()) -> None:
        self.app = app
        self.portal_frame_ancestors = tuple(portal_frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                html = any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                if html and b"content-security-policy" not in names:
                    # only the customer portal may be framed, and only by the configured origins
                    portal = path.startswith(PORTAL_PATHS)
                    headers.extend(html_headers(path, self.portal_frame_ancestors if portal else ()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
