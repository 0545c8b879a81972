"""Accepting messages with group commit: concurrent requests share one transaction."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Protocol

from hookline import metrics
from hookline.delivery.wakeup import Wakeup
from hookline.store.errors import StoreUnavailableError
from hookline.store.records import Accepted, Claim, Lease, NewMessage
from hookline.store.store import Store
from hookline.supervisor import Supervisor

# A batch asks the local worker for this many slots per message (enough for small fan-outs); the
# dispatches it has no slot for wait to be claimed.
LEASE_SLOTS_PER_MESSAGE = 4


class LocalWorker(Protocol):
    """The worker of the accepting process, as far as the acceptor hands it dispatches."""

    def reserve(self, most: int) -> Lease | None:
        """Set aside up to ``most`` slots for dispatches leased as they are stored."""

    def take(self, lease: Lease, claims: Sequence[Claim]) -> None:
        """Start sending what was leased under ``lease``, and free its unused slots."""


class Acceptor:
    """Queues messages from request handlers and stores them in batches, then wakes the workers.

    A caller's ``await accept(...)`` returns only after its message is committed, so an answered
    request is never lost; while one batch commits, the next one gathers.
    """

    def __init__(
        self, store: Store, wakeup: Wakeup, max_batch: int = 500, supervisor: Supervisor | None = None
    ) -> None:
        self.store = store
        self.supervisor = supervisor or Supervisor()
        self.wakeup = wakeup
        self.max_batch = max_batch
        self.worker: LocalWorker | None = None
        self._queue: list[tuple[NewMessage, asyncio.Future[BaseException | Accepted]]] = []
        self._has_work = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._storing = False

    def hand_to(self, worker: LocalWorker) -> None:
        """Lease new dispatches straight to this process's worker while it has room (see ``Lease``)."""
        self.worker = worker

    def start(self) -> None:
        """Start the committing task (supervised: an unexpected error restarts it)."""
        self._task = self.supervisor.start("acceptor", self._run)

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        while self._queue or self._storing:
            await asyncio.sleep(0.005)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def accept(self, item: NewMessage) -> Accepted:
        """Store one message with its dispatches; return its fan-out (or the replayed earlier answer)."""
        fut: asyncio.Future[BaseException | Accepted] = asyncio.get_running_loop().create_future()
        self._queue.append((item, fut))
        self._has_work.set()
        result = await fut
        if isinstance(result, BaseException):
            raise result
        return result

    async def _run(self) -> None:
        while True:
            if not self._queue:  # a restarted loop first takes what was queued while it was down
                await self._has_work.wait()
            self._has_work.clear()
            while self._queue:
                # One turn of the loop first: the requests the last batch answered write their responses
                # (their clients can send the next ones sooner), and requests already read join this batch.
                await asyncio.sleep(0)
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                self._storing = True
                try:
                    await self._store(batch)
                except BaseException as exc:
                    # whatever ends this loop answers the batch, so no request waits for a lost answer
                    for _, fut in batch:
                        if not fut.done():
                            fut.set_exception(
                                exc if isinstance(exc, Exception) else StoreUnavailableError("stopping")
                            )
                    raise
                finally:
                    self._storing = False

    async def _store(self, batch: list[tuple[NewMessage, asyncio.Future[BaseException | Accepted]]]) -> None:
        lease = self.worker.reserve(LEASE_SLOTS_PER_MESSAGE * len(batch)) if self.worker is not None else None
        results: list[BaseException | Accepted] = []
        try:
            results = await self.store.accept_messages([item for item, _ in batch], lease)
            metrics.accepted(sum(1 for r in results if isinstance(r, Accepted) and r.replay is None))
            for (_, fut), result in zip(batch, results, strict=True):
                if not fut.done():
                    fut.set_result(result)
        except Exception as exc:
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        finally:
            # after the answers, so each request's task runs before the sends it made due
            if lease is not None and self.worker is not None:
                self.worker.take(lease, [c for r in results if isinstance(r, Accepted) for c in r.claims])
        # other workers are told only of what this one did not take
        if any(isinstance(r, Accepted) and r.fan_out > len(r.claims) for r in results):
            await self.wakeup.announce()
