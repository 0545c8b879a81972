"""A durable, de-duplicating inbox: store the verified event, answer, handle it in the background.

The request is answered once the event is stored; a worker then runs the handlers, retrying
failures with exponential backoff. Rows are leased while handled, so a crashed worker's rows are
picked up again, and the message id is unique, so a message delivered many times runs once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from hookline.jitter import jittered
from hookline.receiver._errors import HandlerError, InboxError, MalformedEventError
from hookline.receiver._stored import (
    DEAD,
    DONE,
    PENDING,
    Delivery,
    InboxBackend,
    InboxRecord,
    check_identifier,
)
from hookline.receiver.events import Event, parse_event

__all__ = [
    "DEAD",
    "DONE",
    "PENDING",
    "Backoff",
    "Dispatcher",
    "Inbox",
    "InboxBackend",
    "InboxRecord",
    "check_identifier",
]

log = logging.getLogger("hookline.receiver.inbox")

STORED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


@dataclass(frozen=True)
class Backoff:
    """Retry delays for failed handlers: ``base * factor ** (attempt - 1)`` seconds, capped, jittered.

    ``Backoff(base=1, factor=2, max_delay=3600, max_attempts=10)``; tests use ``Backoff(base=0.001)``.
    After ``max_attempts`` tries the row is marked ``dead`` and kept for inspection or requeue.
    """

    base: float = 1.0
    factor: float = 2.0
    max_delay: float = 3600.0
    max_attempts: int = 10
    jitter: float = 0.1

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        exponent = min(max(attempt - 1, 0), 64)  # bounded: a float power overflows past ~1000
        delay = min(self.max_delay, self.base * self.factor**exponent)
        # spread retries so a burst of failures does not retry as one burst
        delay = jittered(delay, self.jitter)
        return max(0.0, delay)


class Dispatcher(Protocol):
    """What the inbox's worker hands stored events to: a ``Receiver``."""

    async def dispatch(self, event: Event[Any]) -> Any:
        """Run the event's handlers; raise ``HandlerError`` when one fails."""
        ...


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _backend_for(target: str | os.PathLike[str] | InboxBackend) -> InboxBackend:
    if not isinstance(target, str | os.PathLike):
        return target
    text = os.fspath(target)
    if text.startswith(("postgresql://", "postgres://")):
        from hookline.receiver._postgres_inbox import PostgresBackend

        return PostgresBackend(text)
    from hookline.receiver._sqlite_inbox import SQLiteBackend

    return SQLiteBackend(text.removeprefix("sqlite:///") if text.startswith("sqlite:///") else text)


class Inbox:
    """Durable store of verified events, handled in the background by a worker.

    ``Inbox("inbox.db")`` (SQLite, the default) or ``Inbox("postgresql://...")``; pass it to
    ``Receiver(secret, inbox=inbox)`` and run the worker with ``await inbox.start()`` (or
    ``inbox.start_in_thread()`` in a WSGI app). The inbox table is also the de-duplication store.
    """

    def __init__(
        self,
        target: str | os.PathLike[str] | InboxBackend = "hookline-inbox.db",
        *,
        backoff: Backoff | None = None,
        lease: float = 60.0,
        poll_interval: float = 1.0,
        concurrency: int = 1,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.backend = _backend_for(target)
        self.backoff = backoff or Backoff()
        self.lease = lease
        self.poll_interval = poll_interval
        self.concurrency = concurrency
        self._clock = clock
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._receiver: Dispatcher | None = None
        self._opened = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopped: asyncio.Event | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None

    def attach(self, receiver: Dispatcher) -> None:
        """Bind the receiver whose handlers the worker runs (``Receiver(..., inbox=)`` does this)."""
        if self._receiver is not None and self._receiver is not receiver:
            raise ValueError("this inbox already belongs to another Receiver")
        self._receiver = receiver

    @property
    def running(self) -> bool:
        """True while the background worker runs."""
        return self._task is not None and not self._task.done()

    async def _ensure_open(self) -> None:
        if not self._opened:
            try:
                await self.backend.open()
            except InboxError:
                raise
            except Exception as exc:
                raise InboxError(f"cannot open the inbox: {exc!r}") from exc
            self._opened = True

    # --- storing ------------------------------------------------------------------------------

    @staticmethod
    def _headers_json(delivery: Delivery) -> str:
        # only what re-verification needs; the rest of the request headers may hold secrets
        headers = delivery.headers
        values = {
            name: headers.get(name) or headers.get(name.replace("webhook-", "svix-"), "")
            for name in STORED_HEADERS
        }
        return json.dumps(values, separators=(",", ":"))

    async def _put(self, delivery: Delivery) -> bool:
        await self._ensure_open()
        try:
            stored = await self.backend.insert(
                delivery.message_id,
                delivery.event.type,
                delivery.body,
                self._headers_json(delivery),
                self._clock(),
            )
        except Exception as exc:
            raise InboxError(f"cannot store message {delivery.message_id}: {exc!r}") from exc
        if stored:
            self._wake_worker()
        return stored

    async def put(self, delivery: Delivery) -> bool:
        """Store a verified delivery; False if its message id is already in the inbox."""
        loop = self._loop
        if loop is not None and loop is not _running_loop() and loop.is_running():
            # the backend's connections belong to the worker's loop
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._put(delivery), loop))
        return await self._put(delivery)

    def put_sync(self, delivery: Delivery) -> bool:
        """Blocking :meth:`put`, for WSGI apps: runs on the worker's loop when one is running."""
        loop = self._loop
        if loop is not None and loop.is_running():
            if _running_loop() is loop:
                raise InboxError("put_sync() called on the inbox's own event loop; use 'await put()'")
            return asyncio.run_coroutine_threadsafe(self._put(delivery), loop).result()
        insert_sync = getattr(self.backend, "insert_sync", None)
        if insert_sync is None:
            raise InboxError(
                "this inbox backend stores only from its event loop: call inbox.start_in_thread() first"
            )
        try:
            return bool(
                insert_sync(
                    delivery.message_id,
                    delivery.event.type,
                    delivery.body,
                    self._headers_json(delivery),
                    self._clock(),
                )
            )
        except Exception as exc:
            raise InboxError(f"cannot store message {delivery.message_id}: {exc!r}") from exc

    # --- processing ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one batch of due rows and handle it; returns how many rows were handled."""
        if self._receiver is None:
            raise InboxError("the inbox has no Receiver: create one with Receiver(secret, inbox=inbox)")
        await self._ensure_open()
        now = self._clock()
        records = await self.backend.claim(self._owner, now, now + self.lease, self.concurrency)
        outcomes = await asyncio.gather(*(self._process(r) for r in records), return_exceptions=True)
        for record, outcome in zip(records, outcomes, strict=True):
            if isinstance(outcome, Exception):
                # the outcome was not recorded; the row keeps its lease and is claimed again after it
                log.error("inbox could not record the outcome of %s", record.message_id, exc_info=outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
        return len(records)

    async def drain(self) -> int:
        """Handle rows until none is due now; returns how many were handled."""
        total = 0
        while count := await self.run_once():
            total += count
        return total

    async def _process(self, record: InboxRecord) -> None:
        assert self._receiver is not None
        try:
            event = parse_event(record.body, message_id=record.message_id)
        except MalformedEventError as exc:
            # it parsed when stored, so only a corrupted row lands here: retrying cannot help
            await self.backend.fail(record.message_id, self._owner, str(exc), None, self._clock())
            log.error("inbox message %s is not an event (%s); marked dead", record.message_id, exc)
            return
        heartbeat = asyncio.create_task(self._heartbeat(record.message_id))
        try:
            await self._receiver.dispatch(event)
        except HandlerError as exc:
            now = self._clock()
            retry_at = None
            if record.attempts < self.backoff.max_attempts:
                retry_at = now + self.backoff.delay(record.attempts)
            await self.backend.fail(record.message_id, self._owner, repr(exc.__cause__ or exc), retry_at, now)
            if retry_at is None:
                log.error(
                    "inbox message %s dead after %d attempts: %s", record.message_id, record.attempts, exc
                )
            else:
                log.warning("inbox message %s attempt %d failed: %s", record.message_id, record.attempts, exc)
                self._wake_at(retry_at)
        else:
            await self.backend.complete(record.message_id, self._owner, self._clock())
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat

    async def _heartbeat(self, message_id: str) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                await self.backend.extend(message_id, self._owner, self._clock() + self.lease)
            except Exception:
                log.warning("could not extend the lease on %s", message_id, exc_info=True)

    def _wake_worker(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        if _running_loop() is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    def _wake_at(self, when: float) -> None:
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            # call_later is not thread-safe; drain() may run on another thread than the worker
            loop.call_soon_threadsafe(loop.call_later, max(0.0, when - self._clock()), wake.set)

    async def _work(self) -> None:
        assert self._wake is not None
        while not self._stopping:
            self._wake.clear()
            try:
                if await self.run_once():
                    continue
                timeout = self.poll_interval
                due = await self.backend.next_due()
                if due is not None:
                    timeout = max(0.0, min(timeout, due - self._clock()))
            except Exception:
                log.exception("inbox worker error; retrying in %s s", self.poll_interval)
                timeout = self.poll_interval
            if timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)

    async def start(self) -> None:
        """Open the store and start the worker as a task on the running event loop."""
        if self.running:
            return
        if self._receiver is None:
            raise InboxError("the inbox has no Receiver: create one with Receiver(secret, inbox=inbox)")
        await self._ensure_open()
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping = False
        listen = getattr(self.backend, "listen", None)
        if listen is not None:
            # other processes' inserts wake this worker too (PostgreSQL LISTEN/NOTIFY)
            await listen(self._wake_worker)
        self._task = asyncio.create_task(self._work(), name="hookline-inbox-worker")

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker (letting the current batch finish for up to ``timeout`` s) and close."""
        loop = self._loop
        if loop is not None and loop is not _running_loop() and loop.is_running():
            # the worker task and the store's connections belong to the worker's own loop
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self.stop(timeout), loop))
            return
        task = self._task
        if task is not None:
            self._stopping = True
            self._wake_worker()
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout)
            except TimeoutError:
                # abandoned rows keep their lease and are claimed again once it expires
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        stopped = self._stopped
        self._task = None
        self._wake = None
        self._loop = None
        try:
            if self._opened:
                self._opened = False
                await self.backend.close()
        finally:
            if stopped is not None:
                stopped.set()

    async def serve(self) -> None:
        """Run the worker until cancelled: the body of a dedicated worker process."""
        await self.start()
        try:
            assert self._task is not None
            await asyncio.shield(self._task)
        finally:
            await self.stop()

    async def __aenter__(self) -> Inbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def start_in_thread(self) -> None:
        """Run the worker on an event loop in a daemon thread, for WSGI apps (Flask, Django)."""
        if self._thread is not None and self._thread.is_alive():
            return
        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            try:
                await self.start()
            except BaseException as exc:
                failure.append(exc)
                return
            finally:
                ready.set()
            # wait for stop() itself to finish, not just the worker task, so the store closes cleanly
            assert self._stopped is not None
            await self._stopped.wait()

        self._thread = threading.Thread(
            target=asyncio.run, args=(main(),), name="hookline-inbox", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]

    def stop_thread(self, timeout: float = 10.0) -> None:
        """Stop a worker started with :meth:`start_in_thread` and wait for its thread to end."""
        thread, loop = self._thread, self._loop
        if thread is None:
            return
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self.stop(timeout), loop).result()
        thread.join(timeout)
        self._thread = None

    # --- inspection ---------------------------------------------------------------------------

    async def _call(self, method: str, *args: Any) -> Any:
        loop = self._loop
        if loop is not None and loop is not _running_loop() and loop.is_running():
            coro = self._call_here(method, *args)
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
        return await self._call_here(method, *args)

    async def _call_here(self, method: str, *args: Any) -> Any:
        await self._ensure_open()
        return await getattr(self.backend, method)(*args)

    async def get(self, message_id: str) -> InboxRecord | None:
        """Return the stored row for a message id, or None."""
        record: InboxRecord | None = await self._call("get", message_id)
        return record

    async def counts(self) -> dict[str, int]:
        """Rows per status: ``pending``, ``done``, ``dead``."""
        counts: dict[str, int] = await self._call("counts")
        return counts

    async def requeue(self, message_id: str) -> bool:
        """Make a dead row pending again (after fixing what made its handler fail)."""
        done: bool = await self._call("requeue", message_id, self._clock())
        if done:
            self._wake_worker()
        return done

    async def purge(self, older_than: float) -> int:
        """Delete done rows completed more than ``older_than`` seconds ago; they stop de-duplicating."""
        count: int = await self._call("purge", self._clock() - older_than)
        return count
