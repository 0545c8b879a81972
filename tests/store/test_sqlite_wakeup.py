"""Processes sharing one SQLite file ring each other's workers through Unix datagram sockets."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery import Acceptor, Worker
from hookline.ids import new_id
from hookline.store.records import Application, Endpoint, Message, NewMessage
from hookline.store.sqlite_wakeup import SqliteWakeup, wake_dir
from hookline.store.store import Store
from tests.support.servers import RecordingReceiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


async def test_an_announcement_rings_every_other_process_on_the_file(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    mine, theirs, elsewhere = SqliteWakeup(db), SqliteWakeup(db), SqliteWakeup(str(tmp_path / "other.db"))
    for w in (mine, theirs, elsewhere):
        await w.start()
    try:
        await mine.announce()
        assert await mine.wait(0)  # rung here too
        assert await theirs.wait(5)
        assert not await elsewhere.wait(0.2)  # another database's workers are not woken
        assert not await theirs.wait(0.2)  # one ring per announcement, none left over
    finally:
        for w in (mine, theirs, elsewhere):
            await w.stop()
    assert list(wake_dir(db).glob("*.sock")) == []  # each removed its socket


async def test_the_socket_of_a_killed_process_is_removed(tmp_path: Path) -> None:
    db = str(tmp_path / "h.db")
    w = SqliteWakeup(db)
    await w.start()
    dead = wake_dir(db) / "12345-deadbeef.sock"
    orphan = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    orphan.bind(str(dead))
    orphan.close()  # a socket file nobody reads, as a kill -9 leaves it
    try:
        await w.announce()
        assert not dead.exists()
    finally:
        await w.stop()


def test_a_path_too_long_for_a_socket_uses_the_temporary_directory(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 90) / "h.db"
    assert len(str(wake_dir(str(deep)))) < 100
    assert wake_dir(str(deep)) == wake_dir(str(deep))
    assert wake_dir("/srv/hookline/h.db") == Path("/srv/hookline/h.db.wake")  # short enough: beside it


async def test_a_worker_process_delivers_at_once_what_an_api_process_accepted(
    tmp_path: Path, receiver: RecordingReceiver
) -> None:
    # `hookline serve --no-worker` and `hookline worker` on one file, each with its own connections;
    # the worker's fallback timer is a minute, so only the ring can make the delivery prompt
    url = f"sqlite:///{tmp_path / 'h.db'}"
    api_store = await Store.connect(url)
    worker_store = await Store.connect(url, run_migrations=False)
    api_bell, worker_bell = SqliteWakeup(api_store.db.path), SqliteWakeup(worker_store.db.path)  # type: ignore[attr-defined]
    await api_bell.start()
    await worker_bell.start()
    settings = DeliverySettings(allowed_targets=parse_networks("127.0.0.0/8"), idle_recheck_seconds=60)
    worker = Worker(worker_store, settings, worker_bell)
    acceptor = Acceptor(api_store, api_bell)
    try:
        now = time.time()
        app = await api_store.create_app(Application(new_id("app"), "a", created_at=now, updated_at=now))
        ep = Endpoint(new_id("ep"), app.id, receiver.url + "/hook", created_at=now, updated_at=now)
        await api_store.create_endpoint(ep, SECRET)
        await worker.start()
        acceptor.start()
        await asyncio.sleep(0.5)  # the worker has found nothing and sleeps on its timer
        for n in range(3):
            msg = Message(new_id("msg"), app.id, "user.created", f'{{"n":{n}}}', created_at=time.time())
            await acceptor.accept(NewMessage(msg))
            deadline = time.time() + 10
            while len(receiver.requests) <= n and time.time() < deadline:
                await asyncio.sleep(0.01)
            assert len(receiver.requests) == n + 1, f"message {n} waited for the fallback timer"
    finally:
        await acceptor.stop()
        await worker.stop()
        for bell in (api_bell, worker_bell):
            await bell.stop()
        await api_store.close()
        await worker_store.close()
