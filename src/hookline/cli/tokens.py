"""``hookline token``: create, list and revoke API tokens directly in the database."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from hookline.cli.common import CliError, DatabaseOpt, JsonOpt, echo_json, settings_from_env, to_iso
from hookline.errors import HooklineError


async def _with_store(url: str, work: Any, create: bool) -> Any:
    from hookline.store.store import Store

    # only a command that adds a token may create (and migrate) the database
    store = await Store.connect(url, run_migrations=create)
    try:
        return await work(store)
    finally:
        await store.close()


def _run_db(database: str | None, work: Any, *, create: bool = False) -> Any:
    """Run ``work`` on the database; one that does not exist yet is refused unless ``create``."""
    from hookline.store.db import sqlite_file

    url = settings_from_env(database_url=database).database_url
    path = sqlite_file(url)
    if path and not Path(path).exists():
        if not create:
            raise CliError(
                f"no hookline database at {Path(path).resolve()}: set HOOKLINE_DATABASE_URL or pass "
                "--database to name the one `hookline serve` uses"
            )
        typer.echo(f"created a new database: {Path(path).resolve()}", err=True)
    try:
        return asyncio.run(_with_store(url, work, create))
    except (OSError, HooklineError) as exc:
        raise CliError(str(exc)) from None


def token_create(
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="What the token is for, e.g. ci or billing-service.")
    ],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Issue a token; it is printed once (running servers accept it within two seconds).

    Example: hookline token create --name ci
    """
    from hookline.ids import new_id
    from hookline.services.runtime import new_api_token, token_digest

    secret = new_api_token()
    now = time.time()
    token_id = new_id("tok", now)

    async def work(store: Any) -> None:
        async with store.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO api_tokens (id, name, token_sha256, hint, created_at) VALUES (?, ?, ?, ?, ?)",
                (token_id, name, token_digest(secret), secret[:7] + "…", now),
            )

    _run_db(database, work, create=True)
    if as_json:
        echo_json({"id": token_id, "name": name, "token": secret, "createdAt": to_iso(now)})
    else:
        typer.echo(f"{token_id} ({name}): {secret}")
        typer.echo("Shown once: only its hash is stored.", err=True)


def token_list(
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List issued tokens (their start only; tokens themselves are not stored).

    Example: hookline token list --json
    """

    async def work(store: Any) -> list[Any]:
        async with store.db.reader() as c:
            rows: list[Any] = await c.fetchall(
                "SELECT id, name, hint, created_at, revoked_at FROM api_tokens ORDER BY created_at, id"
            )
        return rows

    rows = [
        {
            "id": r[0],
            "name": r[1],
            "hint": r[2],
            "createdAt": to_iso(float(r[3])),
            "revokedAt": None if r[4] is None else to_iso(float(r[4])),
        }
        for r in _run_db(database, work)
        if revoked or r[4] is None
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo("no tokens (create one with `hookline token create --name NAME`)")
    for row in rows:
        state = f"revoked {row['revokedAt']}" if row["revokedAt"] else "active"
        typer.echo(f"{row['id']}  {row['name']:<20} {row['hint']:<10} created {row['createdAt']}  {state}")


def token_revoke(
    token_id: Annotated[
        str, typer.Argument(metavar="TOKEN_ID", help="The token's id (tok_…), from `hookline token list`.")
    ],
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token; running servers refuse it within two seconds.

    Example: hookline token revoke tok_2abc…
    """
    now = time.time()

    async def work(store: Any) -> int:
        async with store.db.transaction() as tx:
            changed: int = await tx.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", (now, token_id)
            )
            return changed

    if not _run_db(database, work):
        raise CliError(f"no active token {token_id}")
    if as_json:
        echo_json({"id": token_id, "revokedAt": to_iso(now)})
    else:
        typer.echo(f"{token_id} revoked")
