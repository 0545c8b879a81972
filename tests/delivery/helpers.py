"""Helpers for the engine tests: a plain-HTTP API client, polling, and reading the store directly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx

from hookline.ids import new_id
from hookline.store.records import (
    Application,
    Claim,
    Endpoint,
    Message,
    NewMessage,
    OperationalEvent,
    Outcome,
)
from hookline.store.store import Store

T = TypeVar("T")


async def one_message_for(store: Store, url: str) -> tuple[Application, Endpoint, Message]:
    """An application with one endpoint at ``url``, and one message accepted for it."""
    now = time.time()
    app = await store.create_app(Application(new_id("app"), "a", created_at=now, updated_at=now))
    ep = Endpoint(new_id("ep"), app.id, url, created_at=now, updated_at=now)
    await store.create_endpoint(ep, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    msg = Message(new_id("msg"), app.id, "user.created", '{"n":1}', created_at=now)
    await store.accept_messages([NewMessage(msg)])
    return app, ep, msg


class BatchLog(Store):
    """A worker's view of a real store that logs each claim (its size, how long its work had to have
    been due) and the size of each batch of outcomes recorded."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.claims: list[int] = []
        self.waited: list[float] = []
        self.recorded: list[int] = []

    async def claim(
        self, limit: int, lease_seconds: float, now: float | None = None, *, waited: float = 0.0
    ) -> list[Claim]:
        claims = await super().claim(limit, lease_seconds, now, waited=waited)
        self.claims.append(len(claims))
        self.waited.append(waited)
        return claims

    async def complete(self, outcomes: Sequence[Outcome], disable_after: float) -> list[OperationalEvent]:
        self.recorded.append(len(outcomes))
        return await super().complete(outcomes, disable_after)


class Gate:
    """A point a test double stops at (``reached`` is set) until the test opens it."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.opened = asyncio.Event()

    async def pass_through(self) -> None:
        self.reached.set()
        await self.opened.wait()


def wait_until(
    check: Callable[[], T], timeout: float = 15, interval: float = 0.05, what: str = "condition"
) -> T:
    """Poll ``check`` until it returns something truthy; return it, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def in_store(database_url: str, use: Callable[[Store], Awaitable[T]]) -> T:
    """Open the database file with a second connection (as another process would), run ``use``, close."""

    async def run() -> T:
        store = await Store.connect(database_url, run_migrations=False)
        try:
            return await use(store)
        finally:
            await store.close()

    return asyncio.run(run())


def operational_events(database_url: str, kind: str | None = None) -> list[dict[str, Any]]:
    """Recorded operational events (``{"type", "data"}``), oldest first, optionally of one kind."""
    events = in_store(database_url, lambda s: s.list_operational_events(1000))
    return [e.payload for e in reversed(events) if kind is None or e.event_type == kind]


class Api:
    """``/api/v1`` over plain HTTP, with the few calls the engine tests need."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {token}"}, timeout=30)

    def close(self) -> None:
        self.http.close()

    def ok(self, response: httpx.Response) -> Any:
        assert response.is_success, (
            f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
        )
        return response.json() if response.content else None

    def create_app(self, name: str = "Acme", **fields: Any) -> str:
        return self.ok(self.http.post("/api/v1/app", json={"name": name, **fields}))["id"]

    def create_endpoint(self, app_id: str, url: str, **fields: Any) -> dict[str, Any]:
        return self.ok(self.http.post(f"/api/v1/app/{app_id}/endpoint", json={"url": url, **fields}))

    def endpoint(self, app_id: str, endpoint_id: str) -> dict[str, Any]:
        return self.ok(self.http.get(f"/api/v1/app/{app_id}/endpoint/{endpoint_id}"))

    def secret(self, app_id: str, endpoint_id: str) -> str:
        return self.ok(self.http.get(f"/api/v1/app/{app_id}/endpoint/{endpoint_id}/secret"))["key"]

    def send(
        self,
        app_id: str,
        payload: dict[str, Any] | None = None,
        event_type: str = "user.created",
        **fields: Any,
    ) -> dict[str, Any]:
        body = {"eventType": event_type, "payload": payload if payload is not None else {"n": 1}, **fields}
        return self.ok(self.http.post(f"/api/v1/app/{app_id}/msg", json=body))

    def attempts(self, app_id: str, msg_id: str) -> list[dict[str, Any]]:
        """Every attempt of a message, oldest first."""
        out: list[dict[str, Any]] = []
        iterator = None
        while True:
            params: dict[str, Any] = {"limit": 250}
            if iterator:
                params["iterator"] = iterator
            page = self.ok(self.http.get(f"/api/v1/app/{app_id}/attempt/msg/{msg_id}", params=params))
            out.extend(page["data"])
            if page["done"] or not page["data"]:
                break
            iterator = page["iterator"]
        return sorted(out, key=lambda a: a["id"])

    def wait_attempts(
        self, app_id: str, msg_id: str, count: int, timeout: float = 15
    ) -> list[dict[str, Any]]:
        """Wait until a message has at least ``count`` recorded attempts; return them oldest first."""
        return wait_until(
            lambda: a if len(a := self.attempts(app_id, msg_id)) >= count else None,
            timeout,
            what=f"{count} attempts of {msg_id}",
        )

    def list(self, path: str) -> list[dict[str, Any]]:
        return self.ok(self.http.get(path, params={"limit": 250}))["data"]
