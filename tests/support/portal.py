"""Opening an app-portal link as its page does: the token from the URL fragment, posted back."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx


def open_portal(client: httpx.Client, link: str) -> httpx.Response:
    """POST the link's ``#token=`` to the access endpoint, as the access page's script does."""
    parts = urlsplit(link)
    assert parts.fragment.startswith("token="), link
    origin = f"{parts.scheme}://{parts.netloc}"
    return client.post(
        f"{origin}{parts.path}", data={"token": parts.fragment[6:]}, headers={"sec-fetch-site": "same-origin"}
    )
