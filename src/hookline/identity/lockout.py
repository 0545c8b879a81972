"""Counting wrong passwords: at the policy's limit an account is locked for the lockout period."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from hookline.identity import users
from hookline.identity.events import Outbox
from hookline.identity.policy import Policy
from hookline.identity.resources import User, now_ms
from hookline.store.db import Conn


def count_failure(
    user_id: str, policy: Policy, user_json: Callable[[User], dict[str, Any]]
) -> Callable[[Conn, Outbox], Awaitable[None]]:
    """The change that counts a wrong password for ``user_id`` (nothing for an unknown id); at the limit
    it locks the account and emits ``user.updated``."""

    async def run(tx: Conn, out: Outbox) -> None:
        user = await users.get(tx, user_id)
        if user is None:
            return
        now = now_ms()
        expired = user.lockout_until is not None and user.lockout_until <= now
        attempts = (0 if expired else user.failed_attempts) + 1
        if attempts >= policy.max_attempts:
            updated = replace(user, failed_attempts=attempts, locked=True,
                              lockout_until=now + policy.lockout_seconds * 1000, updated_at=now)  # fmt: skip
            await users.save(tx, updated)
            out.add("user.updated", user_json(updated))
        else:
            await users.set_failures(tx, user_id, attempts, user.locked and not expired,
                                     None if expired else user.lockout_until)  # fmt: skip

    return run
