"""Workers standing by on PostgreSQL hear the standby channel: the first announcement, then about one a
second, so they (and their server processes) are not woken for every batch the active workers take."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hookline.store import postgres
from hookline.store.errors import StoreUnavailableError
from hookline.store.postgres import PostgresDatabase, PostgresWakeup
from hookline.store.store import Store
from tests.store.helpers import announce_reaches_another_store
from tests.support import postgres as pg

pytestmark = pytest.mark.postgres


@pytest.fixture
async def wakeups(pg_module_url: str) -> AsyncIterator[tuple[PostgresWakeup, PostgresWakeup, PostgresWakeup]]:
    """An announcing process, a worker standing by and an active worker, each on its own store."""
    stores = [await Store.connect(pg_module_url, run_migrations=False) for _ in range(3)]
    ws = [PostgresWakeup(s, reconnect_delay=0.05) for s in stores]
    for w in ws:
        await w.start()
    yield ws[0], ws[1], ws[2]
    for w in ws:
        await w.stop()
    for s in stores:
        await s.close()


async def _listening_to(w: PostgresWakeup, channel: str) -> None:
    for _ in range(200):
        if w.listening.is_set() and w._listening_to == channel:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"still listening to {w._listening_to!r}, not {channel!r}")


async def _stand_by(w: PostgresWakeup) -> None:
    """Listen to the standby channel, the ring of any earlier announcement cleared."""
    w.stand_by(True)
    await _listening_to(w, w.standby_channel)
    await w.wait(0)


async def _announce(announcer: PostgresWakeup, witness: PostgresWakeup) -> None:
    """Announce, and wait until an active listener has heard it (so the NOTIFY went out)."""
    await announcer.announce()
    assert await witness.wait(10)


async def test_standing_by_it_hears_the_first_announcement_then_only_those_sent_to_it(
    wakeups: tuple[PostgresWakeup, PostgresWakeup, PostgresWakeup], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, standby, active = wakeups
    await _stand_by(standby)
    await active.wait(0)
    monkeypatch.setattr(postgres, "STANDBY_NOTIFY_SECONDS", 30.0)
    await _announce(api, active)
    assert await standby.wait(10)  # the first announcement reaches the workers standing by too
    for _ in range(5):
        await _announce(api, active)
    assert not await standby.wait(0.3)  # the next ones, within the interval, do not
    monkeypatch.setattr(postgres, "STANDBY_NOTIFY_SECONDS", 0.0)
    await _announce(api, active)
    assert await standby.wait(10)  # once the interval is over, one does
    # back to work: it hears every announcement again
    monkeypatch.setattr(postgres, "STANDBY_NOTIFY_SECONDS", 30.0)
    standby.stand_by(False)
    await _listening_to(standby, standby.channel)
    await standby.wait(0)
    for _ in range(3):
        await _announce(api, active)
        assert await standby.wait(10)


async def test_standing_by_survives_a_reconnect(
    wakeups: tuple[PostgresWakeup, PostgresWakeup, PostgresWakeup], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, standby, active = wakeups
    monkeypatch.setattr(postgres, "STANDBY_NOTIFY_SECONDS", 30.0)
    await _announce(api, active)  # the standby channel's announcement of this interval is spent
    standby.stand_by(True)
    await _listening_to(standby, standby.standby_channel)
    await standby.wait(0)  # the ring it gave itself when it first connected
    async with api.db.reader() as c:
        await c.execute("SELECT pg_terminate_backend(?)", (standby._conn.get_server_pid(),))
    assert await standby.wait(10)  # the ring a listener gives itself when it is back
    await _listening_to(standby, standby.standby_channel)
    await standby.wait(0)
    await _announce(api, active)
    assert not await standby.wait(0.3)


async def test_switching_back_and_forth_quickly_ends_on_the_last_state(
    wakeups: tuple[PostgresWakeup, PostgresWakeup, PostgresWakeup],
) -> None:
    _, standby, _ = wakeups
    for state in (True, False, True, False, True):
        standby.stand_by(state)
    await _listening_to(standby, standby.standby_channel)
    standby.stand_by(False)
    await _listening_to(standby, standby.channel)


async def test_a_schema_name_of_the_longest_length_still_gets_its_announcements() -> None:
    # "hookline_work_" and a 63-byte schema name are longer than PostgreSQL keeps a channel name
    name = "hl_" + uuid.uuid4().hex + "x" * 28
    assert len(name) == 63
    pg.execute(f'CREATE SCHEMA "{name}"')
    try:
        url = pg.with_query(pg.POSTGRES_URL, schema=name)
        channels = {PostgresDatabase(url).channel, PostgresDatabase(url).standby_channel}
        assert len(channels) == 2 and max(map(len, channels)) <= 63
        await announce_reaches_another_store(url)
    finally:
        pg.drop_schema(name)


async def test_a_switch_that_fails_reconnects_listening_to_the_wanted_channel(
    wakeups: tuple[PostgresWakeup, PostgresWakeup, PostgresWakeup], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, standby, _ = wakeups
    broken = standby._conn
    add_listener = type(broken).add_listener

    async def refuse_on_the_broken_one(conn: Any, *args: Any) -> None:
        if conn is broken:
            raise OSError("the connection broke")
        await add_listener(conn, *args)

    monkeypatch.setattr(type(broken), "add_listener", refuse_on_the_broken_one)
    standby.stand_by(True)
    await _listening_to(standby, standby.standby_channel)
    assert standby._conn is not broken


async def test_an_announcement_to_workers_standing_by_that_fails_goes_with_the_next_one(
    wakeups: tuple[PostgresWakeup, PostgresWakeup, PostgresWakeup], monkeypatch: pytest.MonkeyPatch
) -> None:
    api, standby, active = wakeups
    await _stand_by(standby)
    monkeypatch.setattr(postgres, "STANDBY_NOTIFY_SECONDS", 30.0)
    notify = api.db.notify
    failures = [StoreUnavailableError("the connection broke")]

    async def fail_once(channels: Any) -> None:
        if failures:
            raise failures.pop()
        await notify(channels)

    monkeypatch.setattr(api.db, "notify", fail_once)
    await api.announce()  # the first of the interval, meant for the standby channel too: lost
    await api._notifier
    assert not failures
    await _announce(api, active)
    assert await standby.wait(10)  # not 30 s later: the next announcement told the standby channel
