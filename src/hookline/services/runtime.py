"""What a running server holds: settings, the store, the acceptor, the worker and the API tokens.

Every operation of ``hookline.services`` takes it; routes and pages reach it on ``app.state.runtime``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from dataclasses import dataclass, field

from hookline.config import STARTUP_PATIENCE_SECONDS, Settings
from hookline.delivery import Acceptor, Wakeup, Worker
from hookline.identity.throttle import forget_old
from hookline.ops.background import start_ops
from hookline.services import api_tokens
from hookline.services.api_tokens import new_api_token, token_digest
from hookline.store import encryption
from hookline.store.errors import StoreError
from hookline.store.store import Store
from hookline.supervisor import Supervisor

log = logging.getLogger("hookline")

API_TOKEN_SETTING = "api_token_sha256"
# how soon a token created or revoked with `hookline token` takes effect on a running server
ISSUED_TOKENS_REFRESH_SECONDS = 2.0
# how often expired sign-in throttling counters are dropped
HOUSEKEEPING_SECONDS = 60.0


@dataclass
class Runtime:
    """The server's parts, created in the app's lifespan and reached through ``request.app.state``."""

    settings: Settings
    store: Store
    wakeup: Wakeup
    acceptor: Acceptor
    worker: Worker | None = None
    token_digests: tuple[str, ...] = ()
    generated_token: str | None = None
    generated_encryption_key: str | None = None
    issued_digests: frozenset[str] = frozenset()  # `hookline token create`, not revoked
    background: list[asyncio.Task[None]] = field(default_factory=list)
    supervisor: Supervisor = field(default_factory=Supervisor)

    def token_ok(self, token: str) -> bool:
        """Constant-time check of a bearer token against every accepted token."""
        digest = token_digest(token)
        ok = False
        for known in (*self.token_digests, *self.issued_digests):
            ok |= hmac.compare_digest(digest, known)
        return ok

    @classmethod
    async def start(cls, settings: Settings) -> Runtime:
        """Open and migrate the database, resolve the API token, start acceptor and worker."""
        store = await Store.connect(settings.database_url, patience=STARTUP_PATIENCE_SECONDS)
        try:
            generated_key = await encryption.attach(store, settings.encryption_key)
        except BaseException:
            await store.close()
            raise
        supervisor = Supervisor()
        wakeup = await make_wakeup(store, supervisor)
        acceptor = Acceptor(store, wakeup, supervisor=supervisor)
        rt = cls(
            settings, store, wakeup, acceptor, generated_encryption_key=generated_key, supervisor=supervisor
        )
        await rt._resolve_token()
        await rt.load_issued_tokens()
        acceptor.start()
        if settings.run_worker:
            rt.worker = Worker(store, settings.delivery, wakeup, supervisor=supervisor)
            await rt.worker.start()
            acceptor.hand_to(rt.worker)
        rt.background.append(supervisor.start("housekeeping", rt._housekeeping))
        rt.background.append(supervisor.start("api-tokens", rt._watch_issued_tokens))
        rt.background.extend(
            start_ops(
                store.db,
                settings.ops,
                idempotency_seconds=settings.idempotency_seconds,
                supervisor=supervisor,
                kind="api+worker" if settings.run_worker else "api",
            )
        )
        return rt

    async def _resolve_token(self) -> None:
        if self.settings.api_token:
            self.token_digests = (token_digest(self.settings.api_token),)
            return
        candidate = new_api_token()
        stored, created = await self.store.setting_or_default(API_TOKEN_SETTING, token_digest(candidate))
        self.token_digests = (stored,)
        if created:
            self.generated_token = candidate

    async def load_issued_tokens(self) -> None:
        """Read the digests of the API tokens issued in the ``api_tokens`` table and not revoked."""
        self.issued_digests = await api_tokens.active_digests(self.store)

    async def _watch_issued_tokens(self) -> None:
        # tokens are issued and revoked by other processes (`hookline token`), so re-read them
        while True:
            await asyncio.sleep(ISSUED_TOKENS_REFRESH_SECONDS)
            try:
                await self.load_issued_tokens()
            except StoreError as exc:  # keep the last known tokens through database errors; others are faults
                log.warning("reading API tokens failed: %s", exc)

    async def _housekeeping(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
            now = time.time()
            try:  # expired payloads and idempotency answers: the retention pass (hookline.ops)
                await forget_old(self.store.db, now)
            except StoreError as exc:  # keep housekeeping alive through database errors; others are faults
                log.warning("housekeeping failed: %s", exc)

    async def stop(self) -> None:
        """Stop accepting, drain the worker, close the database."""
        for task in self.background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.acceptor.stop()
        if self.worker is not None:
            await self.worker.stop()
        await self.wakeup.stop()
        await self.store.close()


async def make_wakeup(store: Store, supervisor: Supervisor | None = None) -> Wakeup:
    """The wake-up channel for this backend: LISTEN/NOTIFY on PostgreSQL (its listening loop run by
    ``supervisor``); on a SQLite file, Unix datagram sockets beside it (in-process only where there are none)."""
    from hookline.store import sqlite_wakeup
    from hookline.store.db import SqliteDatabase

    if store.dialect == "postgres":
        from hookline.store.postgres import PostgresWakeup

        wakeup: Wakeup = PostgresWakeup(store, supervisor=supervisor)
    elif isinstance(store.db, SqliteDatabase) and sqlite_wakeup.supported(store.db.path):
        wakeup = sqlite_wakeup.SqliteWakeup(store.db.path)
    else:
        wakeup = Wakeup()
    await wakeup.start()
    return wakeup
