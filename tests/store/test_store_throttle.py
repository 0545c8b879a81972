"""Send slots of throttled endpoints, shared by every process through the store, on both backends."""

from __future__ import annotations

import itertools
import time

import pytest

from hookline.ids import new_id
from hookline.store.records import Application, Claim, Endpoint, Lease, Message, MessageStatus, NewMessage
from hookline.store.store import Store
from tests.store.helpers import accept, make_app, make_endpoint, message, outcome, statuses


async def slots(store: Store, endpoint_id: str, rate: int, at: list[float]) -> list[float]:
    """One slot per request, asked at the given times."""
    found = []
    for now in at:
        first = await store.reserve_sends(endpoint_id, rate, 1, now=now)
        assert first is not None
        found.append(first)
    return found


async def test_a_second_of_sends_goes_at_once_then_one_every_interval(store: Store) -> None:
    ep = await make_endpoint(store, await make_app(store), throttle_rate=5)
    times = await slots(store, ep.id, 5, [100.0] * 20)
    assert sum(1 for t in times if t <= 100.0 + 1e-6) == 5  # a bucket of one second's worth
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == pytest.approx([0.2] * 19)


async def test_a_group_reserves_consecutive_slots(store: Store) -> None:
    ep = await make_endpoint(store, await make_app(store), throttle_rate=4)
    first = await store.reserve_sends(ep.id, 4, 10, now=50.0)
    after = await store.reserve_sends(ep.id, 4, 1, now=50.0)
    assert first == pytest.approx(50.0 - 0.75)
    assert after == pytest.approx(first + 10 * 0.25)


async def test_a_backlog_long_ago_leaves_no_debt(store: Store) -> None:
    ep = await make_endpoint(store, await make_app(store), throttle_rate=2)
    await store.reserve_sends(ep.id, 2, 10, now=0.0)
    assert await store.reserve_sends(ep.id, 2, 1, now=3600.0) == pytest.approx(3600.0 - 0.5)


async def test_endpoints_have_their_own_slots(store: Store) -> None:
    app = await make_app(store)
    slow = await make_endpoint(store, app, throttle_rate=1)
    fast = await make_endpoint(store, app, throttle_rate=1)
    await slots(store, slow.id, 1, [10.0] * 5)
    assert await slots(store, fast.id, 1, [10.0]) == [pytest.approx(10.0)]


async def test_processes_share_the_slots(store: Store, other: Store) -> None:
    ep = await make_endpoint(store, await make_app(store), throttle_rate=10)
    now = time.time()
    mine, theirs = [], []
    for _ in range(10):
        mine.append(await store.reserve_sends(ep.id, 10, 2, now=now))
        theirs.append(await other.reserve_sends(ep.id, 10, 3, now=now))
    taken = sorted([(t, 2) for t in mine] + [(t, 3) for t in theirs])
    # each reservation starts where the one before it ended, whichever process made it
    for (start, count), (following, _) in itertools.pairwise(taken):
        assert following == pytest.approx(start + count / 10)


async def test_no_slot_for_an_endpoint_that_is_gone(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app, throttle_rate=1)
    await store.delete_endpoint(ep.id)
    assert await store.reserve_sends(ep.id, 1, 1) is None


async def claimed_throttled(store: Store) -> tuple[Application, Endpoint, Message, Claim]:
    """A message to a throttled endpoint, stored and claimed."""
    app = await make_app(store)
    ep = await make_endpoint(store, app, throttle_rate=1)
    msg = message(app)
    await accept(store, msg)
    [claim] = await store.claim(10, 30.0)
    return app, ep, msg, claim


async def test_a_deferred_delivery_keeps_its_slot_for_the_next_claim(store: Store) -> None:
    _app, ep, msg, claim = await claimed_throttled(store)
    assert claim.send_slot is None
    slot = time.time() + 60
    await store.defer([(claim.msg_id, ep.id, slot)])
    assert await statuses(store, msg) == {ep.id: MessageStatus.PENDING}
    assert await store.claim(10, 30.0) == []  # due at its slot, not before
    [again] = await store.claim(10, 30.0, now=slot + 0.1)
    assert again.send_slot == pytest.approx(slot)
    # sent and failed: the retry takes a new slot when it is claimed
    await store.complete([outcome(again, ok=False, next_attempt_at=slot + 10)], 5 * 86400.0)
    [retry] = await store.claim(10, 30.0, now=slot + 11)
    assert retry.send_slot is None


async def test_defer_leaves_a_delivery_that_is_no_longer_sending_alone(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app, throttle_rate=1)
    msg = message(app)
    [accepted] = await store.accept_messages([NewMessage(msg)], Lease(4, 30.0))
    [claim] = accepted.claims or await store.claim(10, 30.0)
    await store.complete([outcome(claim, ok=True)], 5 * 86400.0)
    await store.defer([(msg.id, ep.id, time.time() + 60)])
    assert await statuses(store, msg) == {ep.id: MessageStatus.SUCCESS}


async def test_a_resend_does_not_keep_an_old_slot(store: Store) -> None:
    app, ep, msg, claim = await claimed_throttled(store)
    await store.defer([(claim.msg_id, ep.id, time.time() + 60)])
    await store.requeue(app.id, msg.id, [ep.id], claim.trigger)
    [again] = await store.claim(10, 30.0)
    assert again.send_slot is None


async def test_an_applications_rate_paces_its_endpoints_without_their_own(store: Store) -> None:
    now = time.time()
    app = await store.create_app(Application(new_id("app"), "Acme", None, 3, {}, now, now))
    own = await make_endpoint(store, app, throttle_rate=7)
    inherits = await make_endpoint(store, app)
    msg = message(app)
    # a throttled dispatch is never leased as it is stored: it waits for a claim, which paces it
    [accepted] = await store.accept_messages([NewMessage(msg)], Lease(8, 30.0))
    assert accepted.fan_out == 2 and accepted.claims == ()
    rates = {c.endpoint_id: c.throttle_rate for c in await store.claim(10, 30.0)}
    assert rates == {own.id: 7, inherits.id: 3}
