"""Running processes: the API server (with or without its worker) and a stand-alone worker."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Coroutine
from typing import Any, TypeVar

from hookline.config import STARTUP_PATIENCE_SECONDS, Settings
from hookline.delivery import Worker
from hookline.store.migrate import migrate
from hookline.store.store import Store

log = logging.getLogger("hookline")
T = TypeVar("T")


def settle_heap() -> None:
    """Move everything allocated while starting out of the garbage collector's sight.

    A long-running server's modules, routes and models never die, yet every full collection
    would walk them again; frozen, collections only visit what requests and deliveries allocate,
    and a higher first threshold lets short-lived objects go by reference counting alone.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


# How long an idle client connection is kept open. Client pools reuse an idle connection for 4 s
# (undici), 5 s (httpx, which the svix SDK uses), 15 s (aiohttp) or without limit (requests): a
# server that closes first can close one just as a request is written into it, which then fails
# with a connection reset that clients do not retry for a POST. uvicorn's default is 5 s.
KEEP_ALIVE_SECONDS = 75


def serve(settings: Settings) -> None:
    """Run the API (and, unless ``run_worker`` is off, the delivery worker) until interrupted."""
    import uvicorn

    from hookline.api import create_app
    from hookline.api.protocol import HooklineHttpProtocol

    config = uvicorn.Config(
        create_app(settings, own_process=True),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        loop="uvloop",
        http=HooklineHttpProtocol,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=20,
    )
    uvicorn.Server(config).run()


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Deliver from the shared database until ``stop`` is set (or SIGTERM/SIGINT arrives)."""
    from hookline.api.runtime import make_wakeup

    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    from hookline.store import encryption

    store = await Store.connect(settings.database_url, patience=STARTUP_PATIENCE_SECONDS)
    generated_key = await encryption.attach(store, settings.encryption_key)
    if generated_key:
        print(
            f"hookline: generated encryption key (shown once; kept in {encryption.key_file(store)}): {generated_key}"
        )
    wakeup = await make_wakeup(store)
    worker = Worker(store, settings.delivery, wakeup)
    await worker.start()
    settle_heap()
    print(f"hookline worker: delivering from {redact(settings.database_url)}", flush=True)
    try:
        await stop.wait()
    finally:
        await worker.stop()
        await wakeup.stop()
        await store.close()


def run_on_fast_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when it is installed (the loop ``serve`` runs on), else on asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


async def run_migrations(url: str) -> list[str]:
    """Apply pending migrations to the database at ``url``; return what was applied."""
    store = await Store.connect(url, run_migrations=False)
    try:
        return await migrate(store.db)
    finally:
        await store.close()


def redact(url: str) -> str:
    """A database URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"
    return url
