"""The durable inbox, held to the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookline.receiver import (
    Backoff,
    Event,
    Inbox,
    InboxError,
    InboxRecord,
    PostgresBackend,
    Receiver,
    SQLiteBackend,
)
from hookline.receiver.inbox import InboxBackend

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MakeEvent = Callable[..., dict[str, Any]]
Factory = Callable[[], InboxBackend]
FAST = Backoff(base=0.001, factor=2, max_delay=0.01, max_attempts=5, jitter=0)


class Clock:
    """A settable clock, so lease and retry times need no real waiting."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until ``condition()`` holds (a bound against hangs, not a timing assertion)."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def wait_for_status(inbox: Inbox, message_id: str, status: str, timeout: float = 20.0) -> InboxRecord:
    """Wait until the row reaches ``status`` (a bound against hangs, not a timing assertion)."""
    async with asyncio.timeout(timeout):
        while True:
            record = await inbox.get(message_id)
            if record is not None and record.status == status:
                return record
            await asyncio.sleep(0.005)


async def test_a_stored_event_is_handled_by_the_worker(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(backend_factory(), backoff=FAST)
    receiver = Receiver(SECRET, inbox=inbox)
    handled: list[Event[Any]] = []
    receiver.on("user.created")(handled.append)

    async with inbox:
        result = await receiver.handle(*signer.request(make_event("user.created", {"id": "user_1"})))
        assert (result.status, result.queued) == ("accepted", True)
        record = await wait_for_status(inbox, result.message_id, "done")

    assert [(e.data.id, e.message_id) for e in handled] == [("user_1", result.message_id)]
    assert record.attempts == 1


async def test_the_request_is_answered_before_the_handler_runs(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(backend_factory(), backoff=FAST)
    receiver = Receiver(SECRET, inbox=inbox)
    release = asyncio.Event()
    finished: list[str] = []

    @receiver.on("user.created")
    async def slow(event: Event[Any]) -> None:
        await release.wait()
        finished.append(event.type)

    async with inbox:
        result = await receiver.handle(*signer.request(make_event("user.created", {"id": "user_1"})))
        assert result.queued and finished == []
        release.set()
        await wait_for(lambda: finished == ["user.created"])


async def test_a_message_delivered_many_times_is_stored_and_handled_once(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(backend_factory(), backoff=FAST)
    receiver = Receiver(SECRET, inbox=inbox)
    calls: list[str] = []
    receiver.on("user.created")(lambda event: calls.append(event.message_id))
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))

    results = await asyncio.gather(*(receiver.handle(body, headers) for _ in range(10)))
    await inbox.drain()
    later = await receiver.handle(body, headers)
    await inbox.drain()

    assert sorted(r.status for r in results) == ["accepted"] + ["duplicate"] * 9
    assert later.status == "duplicate"
    assert calls == [headers["webhook-id"]]
    assert (await inbox.counts())["done"] == 1
    await inbox.stop()


async def test_a_failing_handler_is_retried_with_backoff_until_it_succeeds(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(backend_factory(), backoff=FAST)
    receiver = Receiver(SECRET, inbox=inbox)
    attempts: list[int] = []

    @receiver.on("user.created")
    def flaky(event: Event[Any]) -> None:
        attempts.append(len(attempts) + 1)
        if len(attempts) < 3:
            raise RuntimeError(f"transient failure {len(attempts)}")

    async with inbox:
        result = await receiver.handle(*signer.request(make_event("user.created", {"id": "user_1"})))
        record = await wait_for_status(inbox, result.message_id, "done")

    assert attempts == [1, 2, 3]
    assert record.attempts == 3
    assert record.last_error is None


async def test_a_handler_that_always_fails_ends_dead_and_can_be_requeued(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    clock = Clock()
    backoff = Backoff(base=10, factor=2, max_attempts=3, jitter=0)
    inbox = Inbox(backend_factory(), backoff=backoff, clock=clock)
    receiver = Receiver(SECRET, inbox=inbox)
    broken = [True]
    calls: list[int] = []

    @receiver.on("user.created")
    async def handler(event: Event[Any]) -> None:
        calls.append(1)
        if broken[0]:
            raise ValueError("bug in the handler")

    result = await receiver.handle(*signer.request(make_event("user.created", {"id": "user_1"})))
    assert await inbox.drain() == 1
    first = await inbox.get(result.message_id)
    assert first is not None and first.status == "pending"
    assert first.next_attempt_at == clock.now + 10  # not due yet: nothing more runs now
    assert await inbox.drain() == 0

    clock.now += 10
    assert await inbox.drain() == 1
    second = await inbox.get(result.message_id)
    assert second is not None and second.next_attempt_at == clock.now + 20

    clock.now += 20
    await inbox.drain()
    dead = await inbox.get(result.message_id)
    assert dead is not None and (dead.status, dead.attempts) == ("dead", 3)
    assert "bug in the handler" in (dead.last_error or "")
    assert len(calls) == 3

    broken[0] = False
    assert await inbox.requeue(result.message_id)
    await inbox.drain()
    fixed = await inbox.get(result.message_id)
    assert fixed is not None and (fixed.status, fixed.attempts) == ("done", 1)
    await inbox.stop()


async def test_an_expired_lease_is_reclaimed_by_another_worker(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    clock = Clock()
    crashed = Inbox(backend_factory(), lease=30, clock=clock)
    Receiver(SECRET, inbox=crashed)
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    await crashed.put(crashed._receiver.verify(body, headers))  # type: ignore[union-attr]
    # the first worker claims the row and then dies without completing it
    claimed = await crashed.backend.claim("dead-worker", clock.now, clock.now + 30, 10)
    assert [r.message_id for r in claimed] == [headers["webhook-id"]]

    survivor = Inbox(backend_factory(), lease=30, clock=clock)
    receiver = Receiver(SECRET, inbox=survivor)
    handled: list[str] = []
    receiver.on("user.created")(lambda event: handled.append(event.message_id))

    assert await survivor.drain() == 0  # the lease is still live: not stolen
    clock.now += 31
    assert await survivor.drain() == 1
    assert handled == [headers["webhook-id"]]
    record = await survivor.get(headers["webhook-id"])
    assert record is not None and (record.status, record.attempts) == ("done", 2)
    # the crashed worker, were it to come back, cannot complete a row it no longer holds
    assert not await crashed.backend.complete(headers["webhook-id"], "dead-worker", clock.now)
    await crashed.stop()
    await survivor.stop()


async def test_two_workers_on_one_store_handle_each_message_once(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    handled: list[str] = []
    inboxes = []
    for _ in range(2):
        inbox = Inbox(backend_factory(), backoff=FAST, concurrency=3)
        receiver = Receiver(SECRET, inbox=inbox)

        @receiver.on("user.created")
        async def record(event: Event[Any]) -> None:
            await asyncio.sleep(0)
            handled.append(event.data.id)

        inboxes.append((inbox, receiver))

    for n in range(20):
        inbox, receiver = inboxes[n % 2]
        await receiver.handle(*signer.request(make_event("user.created", {"id": f"user_{n}"})))
    await asyncio.gather(*(inbox.drain() for inbox, _ in inboxes))

    assert sorted(handled) == sorted(f"user_{n}" for n in range(20))
    assert (await inboxes[0][0].counts())["done"] == 20
    for inbox, _ in inboxes:
        await inbox.stop()


async def test_only_the_signature_headers_are_stored(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(backend_factory())
    receiver = Receiver(SECRET, inbox=inbox)
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}), families=("svix",))
    headers["authorization"] = "Bearer secret-token"

    result = await receiver.handle(body, headers)
    record = await inbox.get(result.message_id)

    assert record is not None
    assert record.body == body
    assert record.event_type == "user.created"
    assert record.headers == {
        "webhook-id": headers["svix-id"],
        "webhook-timestamp": headers["svix-timestamp"],
        "webhook-signature": headers["svix-signature"],
    }
    await inbox.stop()


async def test_done_rows_are_purged_after_the_retention_window(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    clock = Clock()
    inbox = Inbox(backend_factory(), clock=clock)
    receiver = Receiver(SECRET, inbox=inbox)
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    await receiver.handle(body, headers)
    await inbox.drain()

    assert await inbox.purge(older_than=3600) == 0
    clock.now += 3601
    assert await inbox.purge(older_than=3600) == 1
    assert await inbox.get(headers["webhook-id"]) is None
    await inbox.stop()


async def test_a_worker_thread_serves_synchronous_apps(
    backend_factory: Factory, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(backend_factory(), backoff=FAST)
    receiver = Receiver(SECRET, inbox=inbox)
    done = threading.Event()
    receiver.on("user.created")(lambda event: done.set())

    def wsgi_side() -> str:
        inbox.start_in_thread()
        try:
            result = receiver.handle_sync(*signer.request(make_event("user.created", {"id": "user_1"})))
            assert done.wait(20)
            return result.status
        finally:
            inbox.stop_thread()

    assert await asyncio.to_thread(wsgi_side) == "accepted"
    assert not inbox.running


def test_sqlite_stores_from_sync_code_without_a_running_worker(
    tmp_path: Path, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(tmp_path / "inbox.db")
    receiver = Receiver(SECRET, inbox=inbox)
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))

    assert receiver.handle_sync(body, headers).queued
    assert receiver.handle_sync(body, headers).status == "duplicate"

    handled: list[str] = []
    receiver.on("user.created")(lambda event: handled.append(event.data.id))

    async def drain_and_close() -> None:
        await inbox.drain()
        await inbox.stop()

    asyncio.run(drain_and_close())
    assert handled == ["user_1"]


def test_postgres_needs_a_running_worker_to_store_from_sync_code(signer: Any, make_event: MakeEvent) -> None:
    inbox = Inbox(PostgresBackend("postgresql://nobody@127.0.0.1:1/none"))
    receiver = Receiver(SECRET, inbox=inbox)
    with pytest.raises(InboxError, match="start_in_thread"):
        receiver.handle_sync(*signer.request(make_event("user.created", {"id": "user_1"})))


async def test_an_unreachable_store_raises_inbox_error(
    tmp_path: Path, signer: Any, make_event: MakeEvent
) -> None:
    inbox = Inbox(SQLiteBackend(tmp_path / "missing-dir" / "inbox.db"))
    receiver = Receiver(SECRET, inbox=inbox)
    with pytest.raises(InboxError) as caught:
        await receiver.handle(*signer.request(make_event("user.created", {"id": "user_1"})))
    assert caught.value.code == "inbox_unavailable"


async def test_an_inbox_without_a_receiver_refuses_to_start(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "inbox.db")
    with pytest.raises(InboxError, match="Receiver"):
        await inbox.start()
    with pytest.raises(ValueError, match="another Receiver"):
        Receiver(SECRET, inbox=inbox)
        Receiver(SECRET, inbox=inbox)


def test_backoff_grows_exponentially_up_to_its_cap() -> None:
    backoff = Backoff(base=1, factor=2, max_delay=30, jitter=0)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.delay(10_000) == 30
    jittered = Backoff(base=10, jitter=0.1)
    assert all(9 <= jittered.delay(1) <= 11 for _ in range(100))


def test_inbox_targets_pick_their_backend(tmp_path: Path) -> None:
    assert isinstance(Inbox(tmp_path / "a.db").backend, SQLiteBackend)
    sqlite_url = Inbox(f"sqlite:///{tmp_path}/b.db").backend
    assert isinstance(sqlite_url, SQLiteBackend) and sqlite_url.path == f"{tmp_path}/b.db"
    assert isinstance(Inbox("postgresql://u@h/db").backend, PostgresBackend)
    with pytest.raises(ValueError, match="identifier"):
        SQLiteBackend(tmp_path / "c.db", table="inbox; DROP TABLE users")


@pytest.mark.postgres
async def test_postgres_notify_wakes_a_worker_for_rows_stored_by_another_process(
    postgres_factory: Callable[[], PostgresBackend], signer: Any, make_event: MakeEvent
) -> None:
    # an hour between polls: only the NOTIFY sent with the insert can wake this worker
    worker = Inbox(postgres_factory(), poll_interval=3600)
    receiver = Receiver(SECRET, inbox=worker)
    done = asyncio.Event()
    receiver.on("user.created")(lambda event: done.set())

    other_process = Inbox(postgres_factory())
    Receiver(SECRET, inbox=other_process)
    async with worker:
        body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
        await other_process.put(other_process._receiver.verify(body, headers))  # type: ignore[union-attr]
        await asyncio.wait_for(done.wait(), 20)
    await other_process.stop()
