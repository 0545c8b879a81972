"""Accepting with a lease: dispatches stored already leased to the accepting process, on both backends."""

from __future__ import annotations

import time

from hookline.store.records import Accepted, Lease, Message, MessageStatus, NewMessage, TriggerType
from hookline.store.store import Store
from tests.store.helpers import make_app, make_endpoint, message, outcome, statuses

LEASE = 30.0
FIVE_DAYS = 5 * 86400.0


async def accept_leased(
    store: Store, slots: int, *messages: Message, seconds: float = LEASE
) -> list[Accepted]:
    lease = Lease(slots, seconds)
    results = await store.accept_messages([NewMessage(m) for m in messages], lease)
    assert all(isinstance(r, Accepted) for r in results)
    return [r for r in results if isinstance(r, Accepted)]


async def test_leased_dispatches_come_back_as_claims_with_what_sending_needs(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app, headers={"x-tenant": "a"})
    msg = message(app)
    [accepted] = await accept_leased(store, 10, msg)
    [claim] = accepted.claims
    assert accepted.fan_out == 1
    assert (claim.msg_id, claim.endpoint_id, claim.app_id) == (msg.id, ep.id, app.id)
    assert (claim.payload, claim.event_type, claim.url) == (msg.payload, msg.event_type, ep.url)
    assert claim.headers == {"x-tenant": "a"} and claim.throttle_rate is None
    assert claim.secrets == tuple(await store.get_secrets(ep.id))
    assert claim.attempts == 0 and claim.trigger == TriggerType.SCHEDULED
    assert await statuses(store, msg) == {ep.id: MessageStatus.SENDING}


async def test_a_leased_dispatch_is_nobody_elses_until_its_lease_ends(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    msg = message(app)
    [accepted] = await accept_leased(store, 10, msg)
    assert await store.claim(10, LEASE) == []
    assert await store.claim(10, LEASE, now=time.time() + LEASE - 5) == []
    # the accepting process died: once the lease ends, any worker reclaims it
    [again] = await store.claim(10, LEASE, now=time.time() + LEASE + 1)
    assert (again.msg_id, again.endpoint_id) == (accepted.claims[0].msg_id, accepted.claims[0].endpoint_id)


async def test_a_leased_dispatch_completes_like_a_claimed_one(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    msg = message(app)
    [accepted] = await accept_leased(store, 10, msg)
    done = outcome(accepted.claims[0], ok=True)
    assert await store.complete([done], FIVE_DAYS) == []
    assert await statuses(store, msg) == {ep.id: MessageStatus.SUCCESS}
    [d] = await store.dispatches_for_message(msg.id)
    assert d.attempts == 1 and d.lease_until is None
    assert await store.next_due() is None


async def test_only_as_many_as_the_slots_are_leased_the_rest_wait_for_a_claim(store: Store) -> None:
    app = await make_app(store)
    eps = [await make_endpoint(store, app, url=f"https://example.com/{i}") for i in range(3)]
    msgs = [message(app) for _ in range(2)]
    results = await accept_leased(store, 4, *msgs)
    leased = {(c.msg_id, c.endpoint_id) for r in results for c in r.claims}
    assert [r.fan_out for r in results] == [3, 3] and len(leased) == 4
    claimed = {(c.msg_id, c.endpoint_id) for c in await store.claim(10, LEASE)}
    assert len(claimed) == 2 and not claimed & leased
    assert leased | claimed == {(m.id, e.id) for m in msgs for e in eps}


async def test_throttled_endpoints_and_empty_leases_are_not_leased(store: Store) -> None:
    app = await make_app(store)
    throttled = await make_endpoint(store, app, throttle_rate=5)
    [accepted] = await accept_leased(store, 10, message(app))
    assert accepted.claims == ()  # its send slot is the worker's to pace, through a claim
    [c] = await store.claim(10, LEASE)
    assert c.endpoint_id == throttled.id
    [none] = await accept_leased(store, 10, message(app), seconds=0)
    assert none.fan_out == 1 and none.claims == ()


async def test_without_a_lease_nothing_is_leased(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    [accepted] = await store.accept_messages([NewMessage(message(app))])
    assert isinstance(accepted, Accepted) and accepted.claims == ()
    assert len(await store.claim(10, LEASE)) == 1


async def test_the_lease_runs_from_when_the_rows_are_written(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    msg = message(app)
    before = time.time()
    [accepted] = await accept_leased(store, 10, msg)
    [d] = await store.dispatches_for_message(msg.id)
    assert d.lease_until is not None and before + LEASE <= d.lease_until <= time.time() + LEASE
    assert accepted.claims[0].msg_id == msg.id
