"""Fair claiming on both backends: a backlog never sits in front of another endpoint's due deliveries,
an endpoint never has more than its cap in flight, and a failing-fast endpoint gets one probe."""

from __future__ import annotations

import time
from dataclasses import replace

from hookline.store.claiming import BreakerRule
from hookline.store.records import Claim, Outcome
from hookline.store.store import Store
from tests.store.helpers import accept, make_app, make_endpoint, message, outcome

LEASE = 60.0


def _unreachable(claim: Claim, retry_in: float = 0.0) -> Outcome:
    o = outcome(claim, ok=False, next_attempt_at=time.time() + retry_in)
    return replace(o, attempt=replace(o.attempt, response_status_code=0), breaker=-1)


async def test_a_backlog_does_not_sit_in_front_of_another_endpoints_due_deliveries(store: Store) -> None:
    app = await make_app(store)
    noisy = await make_endpoint(store, app, url="https://noisy.example.com/")
    await accept(store, *(message(app) for _ in range(300)))  # all due before the quiet one's
    quiet_app = await make_app(store)
    quiet = await make_endpoint(store, quiet_app, url="https://quiet.example.com/")
    await accept(store, *(message(quiet_app) for _ in range(3)))
    claims = await store.claim(20, LEASE)
    by_endpoint = {ep: sum(c.endpoint_id == ep for c in claims) for ep in (noisy.id, quiet.id)}
    assert by_endpoint == {noisy.id: 17, quiet.id: 3}


async def test_an_endpoint_never_has_more_than_its_cap_in_flight(store: Store) -> None:
    store.fair.default_cap = 10
    app = await make_app(store)
    default = await make_endpoint(store, app, url="https://a.example.com/")
    own = await make_endpoint(store, app, url="https://b.example.com/", max_in_flight=3)
    await accept(store, *(message(app) for _ in range(50)))  # each to both endpoints
    first = await store.claim(500, LEASE)
    assert sum(c.endpoint_id == default.id for c in first) == 10
    assert sum(c.endpoint_id == own.id for c in first) == 3
    assert await store.claim(500, LEASE) == []  # the rest waits in the database
    done = [c for c in first if c.endpoint_id == own.id][:2]
    await store.complete([outcome(c, ok=True) for c in done], 86400)
    again = await store.claim(500, LEASE)
    assert [c.endpoint_id for c in again] == [own.id, own.id]
    # an expired lease frees its slot, and its delivery is claimed again
    later = await store.claim(500, LEASE, now=time.time() + LEASE + 1)
    assert sum(c.endpoint_id == default.id for c in later) == 10


async def test_one_endpoint_is_claimed_for_batch_after_batch(store: Store) -> None:
    store.fair.default_cap = 1000
    app = await make_app(store)
    await make_endpoint(store, app)
    await accept(store, *(message(app) for _ in range(50)))
    sizes = [len(await store.claim(20, LEASE)) for _ in range(4)]
    assert sizes == [20, 20, 10, 0]  # the walk wraps round to the only endpoint


async def test_a_failing_fast_endpoint_gets_one_probe_at_a_time_then_closes_on_an_answer(
    store: Store,
) -> None:
    store.fair.breaker = BreakerRule(threshold=3, min_seconds=5.0, max_seconds=60.0)
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    await accept(store, *(message(app) for _ in range(10)))
    claims = await store.claim(500, LEASE)
    assert len(claims) == 10 and not any(c.probe for c in claims)
    await store.complete([_unreachable(c) for c in claims], 86400)
    state = await store.endpoint_isolation(ep.id)
    assert state is not None and state.state == "open" and state.failures == 10
    assert await store.claim(500, LEASE) == []  # failing fast: due, and left where it is
    # once the cool-down is over, one delivery is claimed as a probe, and no other meanwhile
    later = time.time() + 6
    [probe] = await store.claim(500, LEASE, now=later)
    assert probe.probe
    assert await store.claim(500, LEASE, now=later + 1) == []
    probing = await store.endpoint_isolation(ep.id)
    assert probing is not None and probing.state == "probing"
    await store.complete([replace(outcome(probe, ok=True), breaker=1)], 86400)
    closed = await store.endpoint_isolation(ep.id)
    assert closed is not None and (closed.state, closed.failures) == ("closed", 0)
    assert len(await store.claim(500, LEASE, now=later + 2)) == 9


async def test_answers_below_the_threshold_keep_the_breaker_closed(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    await accept(store, *(message(app) for _ in range(4)))
    claims = await store.claim(500, LEASE)
    await store.complete([_unreachable(c, retry_in=3600) for c in claims], 86400)
    state = await store.endpoint_isolation(ep.id)
    assert state is not None and (state.state, state.failures) == ("closed", 4)
