"""The operating tasks every hookline process runs beside its work: retention and metrics sampling."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from hookline import metrics
from hookline.config import Settings
from hookline.ops.health_listener import HealthListener
from hookline.ops.heartbeat import Heartbeat
from hookline.ops.metrics_listener import MetricsListener
from hookline.ops.retention import RetentionReport, RetentionRunner
from hookline.ops.status import endpoint_states, queue
from hookline.opsconfig import OpsSettings
from hookline.store import ops_runs, retention
from hookline.store.db import Database
from hookline.store.store import Store
from hookline.supervisor import Supervisor

log = logging.getLogger("hookline")


def count_report(report: RetentionReport) -> None:
    """Add what a retention pass removed to this process's metrics."""
    metrics.RETENTION_ROWS.labels("payloads").inc(report.payloads_expunged)
    metrics.RETENTION_ROWS.labels("messages").inc(report.messages)
    metrics.RETENTION_ROWS.labels("dispatches").inc(report.dispatches)
    metrics.RETENTION_ROWS.labels("attempts").inc(report.attempts)
    for kind, count in report.other.items():
        metrics.RETENTION_ROWS.labels(kind).inc(count)


def _pool_sizes(db: Database) -> tuple[int, int] | None:
    # asyncpg pools know their sizes; the driver keeps them as private attributes, read only here
    pools = [p for p in (getattr(db, "_pool", None), getattr(db, "_keyed", None)) if p is not None]
    if not pools:
        return None
    size = sum(p.get_size() for p in pools)
    idle = sum(p.get_idle_size() for p in pools)
    return size - idle, idle


async def sample(db: Database, now: float) -> None:
    """Read the sampled gauges (queue, endpoints, size, retention's last run) from the database."""
    q = await queue(db, now)
    metrics.QUEUE_DEPTH.set(q.depth)
    metrics.QUEUE_OLDEST_DUE.set(q.oldest_due_seconds)
    for state, count in (await endpoint_states(db)).items():
        metrics.ENDPOINTS.labels(state).set(count)
    size = await retention.database_bytes(db)
    if size is not None:
        metrics.DATABASE_BYTES.set(size)
    last = await ops_runs.last_run(db, "retention")
    if last is not None:
        metrics.RETENTION_LAST_RUN.set(last.finished_at)
    pools = _pool_sizes(db)
    if pools is not None:
        metrics.DATABASE_CONNECTIONS.labels("in_use").set(pools[0])
        metrics.DATABASE_CONNECTIONS.labels("idle").set(pools[1])


async def _sample_forever(db: Database, every: float, clock: Callable[[], float]) -> None:
    while True:
        try:
            await sample(db, clock())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a database away for a moment: the gauges keep their last values
            log.debug("sampling metrics failed: %s", exc)
        await asyncio.sleep(every)


def start_ops(
    db: Database,
    ops: OpsSettings,
    *,
    idempotency_seconds: float,
    clock: Callable[[], float] = time.time,
    supervisor: Supervisor | None = None,
    kind: str | None = None,
) -> list[asyncio.Task[Any]]:
    """Start this process's retention runner (it works while it holds the lease), metrics sampler and,
    given its ``kind`` (``api``, ``api+worker``, ``worker``), its heartbeat, as loops of ``supervisor``
    (the process's, so a loop that fails is started again and reported)."""
    supervisor = supervisor or Supervisor()
    runner = RetentionRunner(
        db, ops.retention, idempotency_seconds=idempotency_seconds, clock=clock, on_report=count_report
    )
    tasks: list[asyncio.Task[Any]] = [supervisor.start("retention", runner.run_forever)]
    if kind is not None:
        tasks.append(supervisor.start("heartbeat", Heartbeat(db, kind).run_forever))
    if ops.metrics.enabled:
        sampler = functools.partial(_sample_forever, db, ops.metrics.sample_seconds, clock)
        tasks.append(supervisor.start("metrics", sampler))
    return tasks


async def stop_ops(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel the tasks ``start_ops`` started and wait for them."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def start_metrics_listener(settings: Settings) -> MetricsListener | None:
    """``hookline worker``'s ``/metrics`` on ``HOOKLINE_METRICS_PORT`` (at ``HOOKLINE_HOST``), for the
    metrics token or the API token; None when no port is set or metrics are off."""
    m = settings.ops.metrics
    if not m.enabled or m.worker_port is None:
        return None
    tokens = tuple(t for t in (m.token, settings.api_token) if t)
    if not tokens:
        log.warning(
            "HOOKLINE_METRICS_PORT is set but neither HOOKLINE_METRICS_TOKEN nor HOOKLINE_API_TOKEN: "
            "no /metrics for this worker"
        )
        return None
    listener = MetricsListener(settings.host, m.worker_port, tokens)
    port = await listener.start()
    print(f"hookline worker: metrics on http://{settings.host}:{port}/metrics", flush=True)
    return listener


async def start_health_listener(
    settings: Settings, store: Store, supervisor: Supervisor
) -> HealthListener | None:
    """``hookline worker``'s ``GET /health`` on its health port (at ``HOOKLINE_HOST``); None when no port is set."""
    port = settings.ops.worker_health_port
    if port is None:
        return None
    listener = HealthListener(settings.host, port, store, supervisor)
    port = await listener.start()
    print(f"hookline worker: health on http://{settings.host}:{port}/health", flush=True)
    return listener
