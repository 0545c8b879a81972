"""``hookline token``: create, list and revoke API tokens in the database (``hookline.services.api_tokens``)."""

from __future__ import annotations

import asyncio
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
    from hookline.services import api_tokens

    async def work(store: Any) -> tuple[Any, str]:
        return await api_tokens.issue(store, name)

    token, secret = _run_db(database, work, create=True)
    if as_json:
        echo_json({"id": token.id, "name": name, "token": secret, "createdAt": to_iso(token.created_at)})
    else:
        typer.echo(f"{token.id} ({name}): {secret}")
        typer.echo("Shown once: only its hash is stored.", err=True)


def token_list(
    revoked: Annotated[bool, typer.Option("--revoked", help="Include revoked tokens.")] = False,
    database: DatabaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List issued tokens (their start only; tokens themselves are not stored).

    Example: hookline token list --json
    """
    from hookline.services import api_tokens

    async def work(store: Any) -> list[Any]:
        return await api_tokens.listed(store, include_revoked=revoked)

    rows = [
        {
            "id": t.id,
            "name": t.name,
            "hint": t.hint,
            "createdAt": to_iso(t.created_at),
            "revokedAt": None if t.revoked_at is None else to_iso(t.revoked_at),
        }
        for t in _run_db(database, work)
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
    from hookline.services import api_tokens

    async def work(store: Any) -> float | None:
        return await api_tokens.revoke(store, token_id)

    revoked_at = _run_db(database, work)
    if revoked_at is None:
        raise CliError(f"no active token {token_id}")
    if as_json:
        echo_json({"id": token_id, "revokedAt": to_iso(revoked_at)})
    else:
        typer.echo(f"{token_id} revoked")
