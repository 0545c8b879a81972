"""Fixtures for the receiver tests: signed requests, Clerk payloads, inbox backends."""

from __future__ import annotations

import copy
import itertools
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from hookline.receiver import PostgresBackend, SQLiteBackend
from hookline.receiver.inbox import InboxBackend
from hookline.signing import Webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
POSTGRES_URL = os.environ.get("HOOKLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

# Shapes from Clerk's published webhook examples (clerk/openapi-specs, webhooks/2025-04-15.yml).
USER: dict[str, Any] = {
    "object": "user",
    "id": "user_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "external_id": None,
    "primary_email_address_id": "idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
    "primary_phone_number_id": None,
    "primary_web3_wallet_id": None,
    "username": None,
    "first_name": "John",
    "last_name": "Doe",
    "profile_image_url": "https://img.clerk.com/xxxxxx",
    "image_url": "https://img.clerk.com/xxxxxx",
    "has_image": True,
    "public_metadata": {},
    "private_metadata": None,
    "unsafe_metadata": {},
    "email_addresses": [
        {
            "id": "idn_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
            "object": "email_address",
            "email_address": "john.doe@acme.com",
            "reserved": False,
            "verification": {
                "object": "verification_otp",
                "status": "verified",
                "strategy": "email_code",
                "attempts": 1,
                "expire_at": 1716883800000,
            },
            "linked_to": [],
            "created_at": 1716883200000,
            "updated_at": 1716883200000,
        }
    ],
    "phone_numbers": [],
    "web3_wallets": [],
    "passkeys": [],
    "password_enabled": True,
    "two_factor_enabled": False,
    "totp_enabled": False,
    "backup_code_enabled": False,
    "mfa_enabled_at": None,
    "mfa_disabled_at": None,
    "external_accounts": [],
    "saml_accounts": [],
    "enterprise_accounts": [],
    "last_sign_in_at": 1716883200000,
    "banned": False,
    "locked": False,
    "lockout_expires_in_seconds": None,
    "verification_attempts_remaining": None,
    "updated_at": 1716883200000,
    "created_at": 1716883200000,
    "delete_self_enabled": True,
    "create_organization_enabled": True,
    "create_organizations_limit": None,
    "last_active_at": 1716883200000,
    "legal_accepted_at": 1716883200000,
}

HTTP_REQUEST = {
    "client_ip": "192.168.1.100",
    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/128.0.0.0 Safari/537.36",
}


def clerk_event(event_type: str, data: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """A Clerk event envelope around ``data``."""
    return {
        "data": copy.deepcopy(data),
        "object": "event",
        "type": event_type,
        "timestamp": 1716883200000,
        "instance_id": "ins_2g7np7Hrk0SN6kj5EDMLDaKNL0S",
        "event_attributes": {"http_request": dict(HTTP_REQUEST)},
        **envelope,
    }


class Signer:
    """Signs request bodies as a Svix-compatible sender would (both header families)."""

    def __init__(self, secret: str = SECRET) -> None:
        self.webhook = Webhook(secret)
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return f"msg_test{next(self._ids):08d}{uuid.uuid4().hex[:8]}"

    def headers(
        self,
        body: bytes,
        *,
        msg_id: str | None = None,
        timestamp: int | None = None,
        families: tuple[str, ...] = ("webhook", "svix"),
    ) -> dict[str, str]:
        msg_id = msg_id or self.new_id()
        ts = int(time.time()) if timestamp is None else timestamp
        signature = self.webhook.sign(msg_id, ts, body)
        out: dict[str, str] = {"content-type": "application/json"}
        for family in families:
            out |= {f"{family}-id": msg_id, f"{family}-timestamp": str(ts), f"{family}-signature": signature}
        return out

    def request(self, payload: dict[str, Any], **kwargs: Any) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(payload).encode()
        return body, self.headers(body, **kwargs)


@pytest.fixture
def signer() -> Signer:
    return Signer(SECRET)


@pytest.fixture
def user_created() -> dict[str, Any]:
    return clerk_event("user.created", USER)


def _postgres_required() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


async def _postgres_schema() -> str:
    import asyncpg

    try:
        conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL not reachable at {POSTGRES_URL} ({exc!r}); set HOOKLINE_TEST_POSTGRES_URL"
        if _postgres_required():
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"hl_recv_{uuid.uuid4().hex[:12]}"
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await conn.close()
    return schema


async def _drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def backend_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[[], InboxBackend]]:
    """Makes backends that all see the same store: SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        path = tmp_path / "inbox.db"
        yield lambda: SQLiteBackend(path)
        return
    schema = await _postgres_schema()
    try:
        yield lambda: PostgresBackend(POSTGRES_URL, schema=schema)
    finally:
        await _drop_schema(schema)


@pytest.fixture
async def postgres_factory() -> AsyncIterator[Callable[[], PostgresBackend]]:
    """Makes PostgreSQL backends on one fresh schema, for behaviour only PostgreSQL has."""
    schema = await _postgres_schema()
    try:
        yield lambda: PostgresBackend(POSTGRES_URL, schema=schema)
    finally:
        await _drop_schema(schema)


@pytest.fixture
def make_event() -> Callable[..., dict[str, Any]]:
    """``make_event(type, data, **envelope)`` builds a Clerk event envelope."""
    return clerk_event


@pytest.fixture
def user_data() -> dict[str, Any]:
    """A full Clerk user object, fresh for each test."""
    return copy.deepcopy(USER)


@pytest.fixture
def make_signer() -> Callable[[str], Signer]:
    """``make_signer(secret)`` gives a signer for another secret."""
    return Signer
