"""Running processes: the API server (with or without its worker) and a stand-alone worker."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import gc
import logging
import os
import signal
import socket
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from hookline import stopping
from hookline.config import STARTUP_PATIENCE_SECONDS, Settings
from hookline.delivery import Worker
from hookline.errors import HooklineError
from hookline.ops.background import start_health_listener, start_metrics_listener, start_ops, stop_ops
from hookline.store.migrate import migrate
from hookline.store.store import Store
from hookline.supervisor import Supervisor

if TYPE_CHECKING:
    from fastapi import FastAPI

    from hookline.api.app import HooklineAPI

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


# uvicorn's default: connections waiting to be accepted while the server is busy
LISTEN_BACKLOG = 2048


class PortUnavailableError(HooklineError):
    """The address to listen on is taken or may not be used."""

    code = "port_unavailable"


def bind(host: str, port: int) -> socket.socket:
    """Listen on ``host:port`` now, before anything is opened or generated, so a taken port changes nothing.

    ``port`` 0 takes a free port; the socket's ``getsockname()`` tells which.
    """
    # as uvicorn binds: IPv6 for an address with a colon, else IPv4 ("localhost" is 127.0.0.1)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
        sock.listen(LISTEN_BACKLOG)
    except (OSError, OverflowError, UnicodeError) as exc:
        sock.close()
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            raise PortUnavailableError(
                f"port {port} on {host} is already in use (by another hookline serve?): "
                "choose another with --port or HOOKLINE_PORT"
            ) from None
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise PortUnavailableError(f"cannot listen on {host} port {port}: {reason}") from None
    return sock


@dataclass(frozen=True)
class Prepared:
    """What ``prepare`` found: whether it created the database, and other processes using the same file."""

    created: bool
    sqlite_path: str | None
    other_pids: tuple[int, ...]


async def prepare(settings: Settings) -> Prepared:
    """Open the database (creating and migrating it if needed) and close it again, before serving.

    Errors surface here, as one line, instead of inside the server's start-up.
    """
    from hookline.store import sqlite_wakeup
    from hookline.store.db import sqlite_file

    path = sqlite_file(settings.database_url)
    existed = path is None or os.path.exists(path)
    others = tuple(sqlite_wakeup.live_processes(path)) if path else ()
    store = await Store.connect(settings.database_url, patience=STARTUP_PATIENCE_SECONDS)
    await store.close()
    return Prepared(not existed, None if path is None else os.path.abspath(path), others)


def create_app(settings: Settings, *, own_process: bool = False) -> HooklineAPI:
    """Build the server: ``/api/v1``, identity, the relay and the dashboard on one application, whose
    lifespan opens the database, applies migrations and starts the worker.

    ``own_process`` says the server owns its process, so it may tune the garbage collector for it.
    """

    from hookline import __version__, identity
    from hookline.api import app as api
    from hookline.services.runtime import Runtime
    from hookline.store import encryption

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await Runtime.start(settings)
        app.state.runtime = rt
        await identity.start(app, settings, rt.store, rt.wakeup)
        if rt.generated_encryption_key:
            print(
                "hookline: generated encryption key for secrets at rest (shown once; kept in "
                f"{encryption.key_file(rt.store)}, set HOOKLINE_ENCRYPTION_KEY to it on other machines): "
                f"{rt.generated_encryption_key}",
                flush=True,
            )
        if rt.generated_token:
            # printed once, on the start that created it; only its hash is stored
            print(f"hookline: generated API token (shown once, keep it): {rt.generated_token}", flush=True)
        if own_process:
            settle_heap()
        try:
            yield
        finally:
            if own_process and rt.worker is not None:
                stopping.announce(rt.worker, settings.delivery)
            app.state.identity.close()
            await rt.stop()

    app = api.HooklineAPI(
        title="hookline",
        version=__version__,
        description="Svix-compatible webhook delivery API",
        lifespan=lifespan,
        docs_url="/docs",
        openapi_url="/api/v1/openapi.json",
    )
    parts = _assembled_parts()
    app.router.routes.extend(parts.router.routes)
    app.exception_handlers.update(parts.exception_handlers)
    app.state._state.update(parts.state._state)
    api.install_middleware(app, settings)
    return app


@functools.cache
def _assembled_parts() -> FastAPI:
    """The routes, error handlers and state of every part (``/api/v1``, identity, the relay, the dashboard),
    assembled once per process and shared by every server it builds.

    FastAPI analyses each endpoint's signature and models as its router is included: about a tenth of a
    second of CPU for hookline's routes, paid again by every server built. Routes hold no per-server
    state (that lives in ``app.state``, set by the lifespan), so servers built in one process (tests,
    workers in one interpreter) share them.
    """
    from fastapi import FastAPI

    from hookline import dashboard, identity
    from hookline.api import app as api
    from hookline.relay import router as relay_router

    parts = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    api.install(parts)
    identity.install(parts)
    parts.include_router(relay_router)
    dashboard.install(parts)
    return parts


def serve(settings: Settings, sock: socket.socket | None = None) -> None:
    """Run the API (and, unless ``run_worker`` is off, the delivery worker) until interrupted.

    ``sock`` is a socket ``bind`` made; without one the server binds ``settings.host``/``port`` itself.
    """
    import uvicorn

    from hookline.api.protocol import HooklineHttpProtocol

    config = uvicorn.Config(
        create_app(settings, own_process=True),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        log_config=None,  # uvicorn's records go to the handler configure_logs installed, in its format
        access_log=False,
        lifespan="on",
        loop="uvloop",
        http=HooklineHttpProtocol,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=20,
    )
    uvicorn.Server(config).run(sockets=None if sock is None else [sock])


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Deliver from the shared database until ``stop`` is set (or SIGTERM/SIGINT arrives)."""
    from hookline.services.runtime import make_wakeup

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
    supervisor = Supervisor()
    wakeup = await make_wakeup(store, supervisor)
    worker = Worker(store, settings.delivery, wakeup, supervisor=supervisor)
    await worker.start()
    ops = start_ops(
        store.db, settings.ops, idempotency_seconds=settings.idempotency_seconds, supervisor=supervisor,
        kind="worker",
    )  # fmt: skip
    listener = await start_metrics_listener(settings)
    health = await start_health_listener(settings, store, supervisor)
    settle_heap()
    print(f"hookline worker: delivering from {redact(settings.database_url)}", flush=True)
    try:
        await stop.wait()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)  # the next Ctrl-C is ``stopping``'s
        stopping.announce(worker, settings.delivery)
    finally:
        if listener is not None:
            await listener.stop()
        if health is not None:
            await health.stop()
        await stop_ops(ops)
        await worker.stop()
        await wakeup.stop()
        await store.close()


def configure_logs(settings: Settings) -> None:
    """Write this process's logs to stderr as ``HOOKLINE_LOG_FORMAT`` and ``HOOKLINE_LOG_LEVEL`` say,
    with its own credentials redacted wherever they would appear."""
    from urllib.parse import urlsplit

    from hookline import logs

    try:
        db_password = urlsplit(settings.database_url).password
    except ValueError:
        db_password = None
    keys = (settings.encryption_key or "").split(",")
    secrets = [settings.api_token, settings.secret_key, settings.ops.metrics.token, db_password, *keys]
    logs.configure(settings.ops.logs.format, settings.ops.logs.level, secrets=secrets)


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
