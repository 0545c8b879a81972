"""Small helpers shared by the Svix-compatibility tests: polling, pagination and header access."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from svix.api import (
    MessageAttemptListAttemptedDestinationsOptions,
    MessageAttemptListByMsgOptions,
    MessageEndpointOut,
    MessageStatus,
    Svix,
)

T = TypeVar("T")

# Generous: a deadline for the server to get somewhere, never a measurement of how fast it got there.
DEADLINE = 20.0

UNSETTLED = (MessageStatus.PENDING, MessageStatus.SENDING)


def id_pattern(prefix: str) -> re.Pattern[str]:
    """Svix ids: ``{prefix}_`` and a 27-character base62 KSUID."""
    return re.compile(rf"^{prefix}_[0-9A-Za-z]{{27}}$")


def wait_until(check: Callable[[], T], timeout: float = DEADLINE, what: str = "condition") -> T:
    """Call ``check`` until it returns something truthy; return that value or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {last!r}")
        time.sleep(0.02)


def lower(headers: dict[str, str]) -> dict[str, str]:
    """Header names in lower case."""
    return {k.lower(): v for k, v in headers.items()}


def collect_pages(fetch: Callable[[str | None], Any], max_pages: int = 100) -> list[Any]:
    """Follow ``iterator`` until ``done``; return every page (``fetch(iterator)`` returns one page)."""
    pages = []
    iterator: str | None = None
    for _ in range(max_pages):
        page = fetch(iterator)
        pages.append(page)
        if page.done:
            return pages
        assert page.iterator, "a page that is not done must carry an iterator"
        iterator = page.iterator
    raise AssertionError(f"pagination did not finish within {max_pages} pages")


def ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


def settled_destinations(
    svix: Svix, app_id: str, msg_id: str, count: int, timeout: float = DEADLINE
) -> list[MessageEndpointOut]:
    """Wait until the message has ``count`` attempted endpoints, none pending or sending; return them."""

    def check() -> list[MessageEndpointOut] | None:
        page = svix.message_attempt.list_attempted_destinations(
            app_id, msg_id, MessageAttemptListAttemptedDestinationsOptions(limit=250)
        )
        if len(page.data) == count and all(d.status not in UNSETTLED for d in page.data):
            return page.data
        return None

    return wait_until(check, timeout, what=f"{count} settled destinations of {msg_id}")


def attempts_of(svix: Svix, app_id: str, msg_id: str, **options: Any) -> list[Any]:
    """Every attempt of a message (all pages)."""
    pages = collect_pages(
        lambda it: svix.message_attempt.list_by_msg(
            app_id, msg_id, MessageAttemptListByMsgOptions(limit=250, iterator=it, **options)
        )
    )
    return [a for p in pages for a in p.data]
