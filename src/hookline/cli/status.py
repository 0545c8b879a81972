"""``hookline status``: one screen for an operator, read from the database (``--json`` for scripts)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from hookline.cli.common import CliError, DatabaseOpt, JsonOpt, echo_json, settings_from_env, to_iso
from hookline.errors import HooklineError


def _as_json(status: Any, days: float) -> dict[str, Any]:
    data = asdict(status)
    data["at"] = to_iso(status.at)
    data["retention_days"] = days
    for ep in data["failing"]:
        ep["since"] = to_iso(ep["since"])
    for p, row in zip(status.processes, data["processes"], strict=True):
        row["answering"] = status.answering(p)
        row["seconds_since_seen"] = round(max(0.0, status.at - p.last_seen), 1)
        row["started_at"] = to_iso(p.started_at)
        row["last_seen"] = to_iso(p.last_seen)
    if status.retention is not None:
        data["retention"]["started_at"] = to_iso(status.retention.started_at)
        data["retention"]["finished_at"] = to_iso(status.retention.finished_at)
    return data


def _lines(status: Any, days: float) -> list[str]:
    from hookline.ops.humanize import duration, size

    q = status.queue
    e = status.endpoints
    answering = sum(1 for p in status.processes if status.answering(p))
    out = [f"processes      {answering} answering, {len(status.processes) - answering} not seen lately"]
    for p in status.processes:
        seen = status.at - p.last_seen
        state = f"seen {duration(seen)} ago" if status.answering(p) else f"NOT SEEN for {duration(seen)}"
        out.append(
            f"  {p.kind:<12} {p.host}:{p.pid} {p.version}, up {duration(p.last_seen - p.started_at)}, {state}"
        )
    out += [
        f"queue          {q.depth}{'+' if q.capped else ''} waiting, oldest due for {duration(q.oldest_due_seconds)}",
        f"throughput     {status.attempts_last_minute} attempts in the last minute",
        f"endpoints      {e['enabled']} healthy, {e['failing']} failing, {e['disabled']} disabled",
    ]
    for ep in status.failing[:5]:
        out.append(f"  failing      {ep.id} {ep.url} for {duration(status.at - ep.since)}")
    out.append(f"database       {size(status.database_bytes)}")
    horizon = f"{days:g} days" if days > 0 else "forever"
    if status.retention is None:
        out.append(f"retention      messages kept {horizon}; no pass has finished yet")
    else:
        r = status.retention
        out.append(
            f"retention      messages kept {horizon}; last pass {duration(status.at - r.finished_at)} ago "
            f"({r.report.get('messages', 0)} messages deleted, {r.report.get('payloads_expunged', 0)} payloads expunged)"
        )
    return out


def status(
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
    watch: Annotated[
        float | None,
        typer.Option("--watch", metavar="SECONDS", min=0.5, help="Show it again every SECONDS until Ctrl-C."),
    ] = None,
) -> None:
    """Processes, queue depth and oldest due delivery, throughput, failing endpoints, database size, retention.

    Example: hookline status --watch 2
    """
    from hookline.ops.status import read_status
    from hookline.store.db import sqlite_file
    from hookline.store.store import Store

    settings = settings_from_env(database_url=database)
    path = sqlite_file(settings.database_url)
    if path and not Path(path).exists():
        raise CliError(
            f"no hookline database at {Path(path).resolve()}: set HOOKLINE_DATABASE_URL or pass --database"
        )
    days = settings.ops.retention.days

    async def main() -> None:
        store = await Store.connect(settings.database_url, run_migrations=False)
        try:
            while True:
                s = await read_status(store.db, time.time())
                if as_json:
                    echo_json(_as_json(s, days))
                else:
                    if watch is not None:
                        typer.echo("\x1b[2J\x1b[H", nl=False)  # clear the terminal between screens
                    typer.echo("\n".join(_lines(s, days)))
                if watch is None:
                    return
                await asyncio.sleep(watch)
        finally:
            await store.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return
    except (OSError, HooklineError) as exc:
        raise CliError(str(exc)) from None
