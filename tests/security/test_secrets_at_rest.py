"""Secrets at rest: endpoint secrets and the identity signing key are sealed with HOOKLINE_ENCRYPTION_KEY
(generated, kept in a 0600 key file and printed once when unset); keys rotate; database files are 0600."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path

import httpx
import pytest

from hookline.config import ConfigError
from hookline.signing import Webhook
from hookline.store import encryption
from hookline.store.records import Application, Endpoint
from hookline.store.secret_box import SecretBox, new_key, parse_keys
from hookline.store.store import Store
from tests.support.servers import HooklineServer, RecordingReceiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _dump(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        rows = [
            *conn.execute("SELECT secret FROM endpoint_secrets"),
            *conn.execute("SELECT key, value FROM settings"),
        ]
    finally:
        conn.close()
    return repr(rows)


def test_secrets_are_sealed_in_the_database_and_still_sign(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    db = tmp_path / "hookline.db"
    server = HooklineServer(database_url=f"sqlite:///{db}").start()
    try:
        api = httpx.Client(
            base_url=server.url, headers={"authorization": f"Bearer {server.token}"}, timeout=20
        )
        api.post("/api/v1/app", json={"name": "a", "uid": "a"})
        ep = api.post("/api/v1/app/a/endpoint", json={"url": receiver.url + "/hook", "secret": SECRET}).json()
        httpx.get(f"{server.url}/v1/jwks")  # the identity signing key exists
        assert api.post("/api/v1/app/a/msg", json={"eventType": "x", "payload": {"n": 1}}).status_code == 202
        got = receiver.wait_for(1)[0]
        Webhook(SECRET).verify(got.body, got.headers)
        assert api.get(f"/api/v1/app/a/endpoint/{ep['id']}/secret").json()["key"] == SECRET
        api.close()
    finally:
        server.stop()
    dump = _dump(db)
    assert SECRET not in dump and SECRET[6:] not in dump
    assert "PRIVATE KEY" not in dump and "enc1:" in dump
    assert "dashboard_session_key" not in dump
    assert _mode(db) == 0o600


def test_an_unset_key_is_generated_kept_in_a_0600_file_and_printed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "hookline.db"
    first = HooklineServer(database_url=f"sqlite:///{db}", encryption_key=None).start()
    first.stop()
    key_file = Path(str(db) + ".key")
    key = key_file.read_text().strip()
    assert _mode(key_file) == 0o600 and len(parse_keys(key)) == 1
    assert capsys.readouterr().out.count(key) == 1
    second = HooklineServer(database_url=f"sqlite:///{db}", encryption_key=None).start()
    second.stop()
    assert key not in capsys.readouterr().out  # shown once, on the start that made it


async def test_a_database_sealed_with_another_key_refuses_to_start(database_url: str) -> None:
    store = await Store.connect(database_url)
    try:
        await encryption.attach(store, new_key())
        with pytest.raises(ConfigError, match="HOOKLINE_ENCRYPTION_KEY"):
            await encryption.attach(store, new_key())
    finally:
        await store.close()


async def _endpoint(store: Store, secret: str) -> str:
    now = time.time()
    app = await store.create_app(
        Application(id=f"app_{int(now * 1e6)}", name="a", created_at=now, updated_at=now)
    )
    ep = Endpoint(
        id=f"ep_{int(now * 1e6)}", app_id=app.id, url="https://example.com/h", created_at=now, updated_at=now
    )
    await store.create_endpoint(ep, secret)
    return ep.id


async def _stored(store: Store) -> list[str]:
    async with store.db.reader() as c:
        return [r[0] for r in await c.fetchall("SELECT secret FROM endpoint_secrets")]


async def test_keys_rotate_and_plain_secrets_from_before_are_sealed(database_url: str) -> None:
    old, new = new_key(), new_key()
    store = await Store.connect(database_url)
    try:
        ep_id = await _endpoint(store, SECRET)  # stored before any key: plain, as older versions did
        assert await _stored(store) == [SECRET]
        await encryption.attach(store, old)
        assert all(s.startswith("enc1:") for s in await _stored(store))
        await encryption.attach(store, f"{new},{old}")
        new_id = SecretBox(parse_keys(new)).primary
        assert all(s.startswith(f"enc1:{new_id}:") for s in await _stored(store))
        await encryption.attach(store, new)  # the old key is no longer needed
        assert await store.get_secrets(ep_id) == [SECRET]
    finally:
        await store.close()


def test_a_sealed_value_opens_once_and_only_with_its_key() -> None:
    box = SecretBox(parse_keys(new_key()))
    sealed = box.seal(SECRET)
    assert sealed != box.seal(SECRET)  # a fresh nonce each time
    assert box.open(sealed) == SECRET and box.open(sealed) == SECRET
    with pytest.raises(Exception, match="does not hold"):
        SecretBox(parse_keys(new_key())).open(sealed)
    assert SecretBox().open(SECRET) == SECRET
