"""The secret key: generated, printed once and stored as a hash when unset; no password or hash in any log."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest
from clerk_backend_api import Clerk

from hookline.store.store import Store
from tests.identity.conftest import PASSWORD
from tests.support.servers import HooklineServer


async def test_an_unset_secret_key_is_generated_printed_once_and_stored_hashed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'hookline.db'}"
    first = HooklineServer(database_url=url, secret_key=None).start()  # type: ignore[arg-type]
    try:
        printed = re.findall(r"generated identity secret key.*?: (sk_test_\S+)", capsys.readouterr().out)
        assert len(printed) == 1
        key = printed[0]
        with Clerk(bearer_auth=key, server_url=first.url + "/v1") as clerk:
            assert clerk.users.count(request={}).total_count == 0
    finally:
        first.stop()
    again = HooklineServer(database_url=url, secret_key=None).start()  # type: ignore[arg-type]
    try:
        assert "generated identity secret key" not in capsys.readouterr().out
        assert (
            httpx.get(again.url + "/v1/users", headers={"authorization": f"Bearer {key}"}).status_code == 200
        )
    finally:
        again.stop()
    store = await Store.connect(url)
    try:
        stored = await store.get_setting("identity_secret_key_sha256")
    finally:
        await store.close()
    assert stored and key not in stored and len(stored) == 64


def test_no_password_or_hash_is_logged(http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    http.post("/identity/sign_up", json={"email_address": "log@example.org", "password": PASSWORD})
    http.post("/identity/sign_in", json={"email_address": "log@example.org", "password": "a wrong password"})
    http.patch("/identity/me", json={"password": "fresh passphrase here", "current_password": PASSWORD})
    text = caplog.text
    for secret in (PASSWORD, "a wrong password", "fresh passphrase here", "$argon2id$"):
        assert secret not in text
