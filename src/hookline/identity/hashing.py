"""Password hashing off the event loop: argon2 runs in a small, bounded pool of threads.

One argon2id check takes tens of milliseconds of CPU and 64 MiB. Run on the event loop, a handful
of concurrent sign-ins stalls every request and the delivery worker sharing it. The pool's threads
run at a lower CPU priority than the loop, so under load the loop still gets the processor first,
and a bounded number of checks may wait for a thread: past it the caller is told to retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from hookline.identity import passwords
from hookline.identity.errors import IdentityError

# how many checks may wait for a thread before new ones are refused with 429
DEFAULT_QUEUE = 64
# added to the hashing threads' nice value: the event loop's thread wins the processor
HASHING_NICENESS = 10


def _lower_priority() -> None:
    with contextlib.suppress(OSError, AttributeError):
        # on Linux a thread's nice value is its own, and threads it starts (argon2's lanes) inherit it
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


class PasswordHashing:
    """``await hashing.verify(hash, password)`` / ``await hashing.hash(password)`` on a bounded pool.

    ``PasswordHashing(threads=1, queue=64)``; ``threads`` defaults to one less than the CPUs (at least one).
    """

    def __init__(self, threads: int | None = None, queue: int = DEFAULT_QUEUE) -> None:
        self.threads = threads or max(1, (os.cpu_count() or 2) - 1)
        self.queue = queue
        self.checks = 0  # argon2 verifications run (a missing hash still costs one)
        self._waiting = 0
        self._pool = ThreadPoolExecutor(
            self.threads, thread_name_prefix="hookline-argon2", initializer=_lower_priority
        )

    async def _run(self, fn: object, *args: object) -> object:
        if self._waiting >= self.threads + self.queue:
            raise IdentityError(
                429, "too_many_requests", "Too many requests. Please try again in a bit.",
                "The server is checking too many passwords right now. Try again in a second.",
                headers={"Retry-After": "1"},
            )  # fmt: skip
        self._waiting += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)  # type: ignore[arg-type]
        finally:
            self._waiting -= 1

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True if ``password`` matches ``password_hash``; a missing hash costs the same time and is False."""
        self.checks += 1
        return bool(await self._run(passwords.verify_password, password_hash, password))

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password``."""
        return str(await self._run(passwords.hash_password, password))

    def close(self) -> None:
        """Stop the threads once the checks under way are done."""
        self._pool.shutdown(wait=False, cancel_futures=True)
