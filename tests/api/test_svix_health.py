"""``svix.health`` against hookline."""

from __future__ import annotations

import httpx
from svix.api import Svix, SvixAsync


def test_health_get_succeeds_through_the_sdk(svix: Svix, sdk_responses: list[httpx.Response]) -> None:
    assert svix.health.get() is None
    assert sdk_responses[-1].status_code == 204


async def test_health_get_succeeds_through_the_async_sdk(svix_async: SvixAsync) -> None:
    assert await svix_async.health.get() is None
