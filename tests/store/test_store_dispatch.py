"""Claim, lease, complete, retry, exhaust, disable, recover and replay: the same on both backends."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from hookline.store.records import MessageStatus, NewMessage, TriggerType
from hookline.store.store import Store
from tests.store.helpers import accept, app_on_postgres, make_app, make_endpoint, message, outcome, statuses

LEASE = 30.0
FIVE_DAYS = 5 * 86400.0


async def test_claim_leases_due_dispatches_with_what_sending_needs(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app, headers={"x-tenant": "a"}, throttle_rate=7)
    msg = message(app)
    await accept(store, msg)
    [claim] = await store.claim(10, LEASE)
    assert (claim.msg_id, claim.endpoint_id, claim.app_id) == (msg.id, ep.id, app.id)
    assert (claim.payload, claim.event_type, claim.url) == (msg.payload, msg.event_type, ep.url)
    assert claim.headers == {"x-tenant": "a"} and claim.throttle_rate == 7
    assert claim.secrets == tuple(await store.get_secrets(ep.id))
    assert claim.attempts == 0 and claim.trigger == TriggerType.SCHEDULED
    assert await statuses(store, msg) == {ep.id: MessageStatus.SENDING}
    assert await store.claim(10, LEASE) == []  # leased: nobody else gets it


async def test_claim_takes_at_most_the_limit_oldest_first(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    t0 = time.time() - 60
    msgs = [message(app, created_at=t0 + i) for i in range(5)]
    await accept(store, *msgs)
    first = await store.claim(3, LEASE)
    assert len(first) == 3
    second = await store.claim(3, LEASE)
    assert len(second) == 2
    assert {c.msg_id for c in first} | {c.msg_id for c in second} == {m.id for m in msgs}


async def test_future_dispatches_wait_until_due(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    later = message(app, created_at=time.time() + 3600)
    await accept(store, later)
    assert await store.claim(10, LEASE) == []
    assert abs((await store.next_due() or 0) - later.created_at) < 1
    assert len(await store.claim(10, LEASE, now=time.time() + 3601)) == 1


async def test_expired_lease_is_reclaimed(store: Store) -> None:
    app = await make_app(store)
    await make_endpoint(store, app)
    msg = message(app)
    await accept(store, msg)
    [first] = await store.claim(10, LEASE)
    assert await store.claim(10, LEASE, now=time.time() + LEASE - 5) == []
    [again] = await store.claim(10, LEASE, now=time.time() + LEASE + 1)
    assert (again.msg_id, again.endpoint_id) == (first.msg_id, first.endpoint_id)
    assert await store.next_due() is not None  # the lease end is the next due time


async def test_an_extended_lease_keeps_a_delivery_from_other_claims(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    sent, recorded = message(app), message(app)
    await accept(store, sent, recorded)
    claims = {c.msg_id: c for c in await store.claim(10, LEASE)}
    await store.complete([outcome(claims[recorded.id], ok=True)], FIVE_DAYS)
    later = time.time() + 3 * LEASE
    extended = await store.extend_leases([(sent.id, ep.id), (recorded.id, ep.id)], later)
    assert extended == {(sent.id, ep.id)}
    assert await store.claim(10, LEASE, now=later - 1) == []
    [again] = await store.claim(10, LEASE, now=later + 1)
    assert again.msg_id == sent.id
    # what was recorded before the extension stays recorded
    assert await statuses(store, recorded) == {ep.id: MessageStatus.SUCCESS}
    [d] = await store.dispatches_for_message(recorded.id)
    assert d.lease_until is None and d.next_attempt_at is None


async def test_extending_passes_by_a_lease_whose_outcome_is_being_recorded(
    store: Store, other: Store
) -> None:
    app, ep = await app_on_postgres(
        store, "SQLite has one writer at a time: no row is held by another while a statement runs"
    )
    held, free = message(app), message(app)
    await accept(store, held, free)
    await store.claim(10, LEASE)
    [before] = await store.dispatches_for_message(held.id)
    later = time.time() + 3 * LEASE
    async with other.db.transaction() as recording:
        # another process holds the row, as recording its outcome does: waiting for it could deadlock
        await recording.execute("UPDATE dispatches SET updated_at = updated_at WHERE msg_id = ?", (held.id,))
        extended = await asyncio.wait_for(store.extend_leases([(held.id, ep.id), (free.id, ep.id)], later), 5)
    assert extended == {(free.id, ep.id)}
    [passed_by] = await store.dispatches_for_message(held.id)
    [extended] = await store.dispatches_for_message(free.id)
    assert passed_by.lease_until == before.lease_until and extended.lease_until == later


async def test_success_completes_the_dispatch_and_records_the_attempt(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    msg = message(app)
    await accept(store, msg)
    [claim] = await store.claim(10, LEASE)
    done = outcome(claim, ok=True)
    assert await store.complete([done], FIVE_DAYS) == []
    assert await statuses(store, msg) == {ep.id: MessageStatus.SUCCESS}
    [d] = await store.dispatches_for_message(msg.id)
    assert d.attempts == 1 and d.next_attempt_at is None and d.lease_until is None
    assert await store.get_attempt(app.id, done.attempt.id) == done.attempt
    assert (await store.require_endpoint(app.id, ep.id)).last_success_at is not None
    assert await store.claim(10, LEASE) == []
    assert await store.next_due() is None
    assert await store.endpoint_stats(ep.id, None, None) == {int(MessageStatus.SUCCESS): 1}


async def test_failure_with_a_next_try_is_retried_then_exhausted(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    msg = message(app)
    await accept(store, msg)
    [claim] = await store.claim(10, LEASE)
    retry_at = time.time() + 100
    assert await store.complete([outcome(claim, ok=False, next_attempt_at=retry_at)], FIVE_DAYS) == []
    assert await statuses(store, msg) == {ep.id: MessageStatus.PENDING}
    assert (await store.require_endpoint(app.id, ep.id)).first_failure_at is not None
    assert await store.claim(10, LEASE) == []
    [retry] = await store.claim(10, LEASE, now=retry_at + 1)
    assert retry.attempts == 1
    events = await store.complete([outcome(retry, ok=False)], FIVE_DAYS)
    assert [e.event_type for e in events] == ["message.attempt.exhausted"]
    assert events[0].payload["data"]["msgId"] == msg.id
    assert await statuses(store, msg) == {ep.id: MessageStatus.FAIL}
    assert [e.id for e in await store.list_operational_events()] == [events[0].id]
    attempts = await store.list_attempts(app.id, 10, None, msg_id=msg.id)
    assert [a.status for a in attempts.data] == [MessageStatus.FAIL, MessageStatus.FAIL]


async def test_endpoint_failing_too_long_is_disabled_once(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app, uid="flaky")
    await store.update_endpoint(replace(ep, first_failure_at=time.time() - FIVE_DAYS - 10))
    await accept(store, message(app), message(app))
    claims = await store.claim(10, LEASE)
    events = await store.complete(
        [outcome(c, ok=False, next_attempt_at=time.time() + 60) for c in claims], FIVE_DAYS
    )
    assert [e.event_type for e in events] == ["endpoint.disabled"]
    assert events[0].payload["data"]["endpointUid"] == "flaky"
    after = await store.require_endpoint(app.id, ep.id)
    assert after.disabled and after.disabled_reason
    # disabled endpoints get no new messages, and their pending deliveries are dropped at claim time
    later = message(app)
    await accept(store, later)
    assert await statuses(store, later) == {}
    assert await store.claim(10, LEASE, now=time.time() + 120) == []


async def test_receiver_asking_to_be_disabled_disables_the_endpoint(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    await accept(store, message(app))
    [claim] = await store.claim(10, LEASE)
    events = await store.complete([outcome(claim, ok=False, disable="asked")], FIVE_DAYS)
    assert [e.event_type for e in events] == ["endpoint.disabled"]
    assert (await store.require_endpoint(app.id, ep.id)).disabled_reason == "asked"


async def test_success_clears_the_failure_streak(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    await accept(store, message(app), message(app))
    a, b = await store.claim(10, LEASE)
    await store.complete([outcome(a, ok=False, next_attempt_at=time.time() + 60)], FIVE_DAYS)
    assert (await store.require_endpoint(app.id, ep.id)).first_failure_at is not None
    await store.complete([outcome(b, ok=True)], FIVE_DAYS)
    assert (await store.require_endpoint(app.id, ep.id)).first_failure_at is None


async def test_claim_drops_deliveries_that_can_no_longer_be_sent(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    gone = message(app, expires_at=time.time() - 1)
    await accept(store, gone)
    await store.purge(time.time(), 0)
    assert await store.claim(10, LEASE) == []
    assert await statuses(store, gone) == {ep.id: MessageStatus.FAIL}


async def test_requeue_schedules_a_message_again_manually(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    later = await make_endpoint(store, app)
    msg = message(app)
    await store.accept_messages([NewMessage(msg, only_endpoints=(ep.id,))])
    [claim] = await store.claim(10, LEASE)
    await store.complete([outcome(claim, ok=True)], FIVE_DAYS)
    assert await store.requeue(app.id, msg.id, [ep.id, later.id], TriggerType.MANUAL) == 2
    assert await store.requeue(app.id, msg.id, [], TriggerType.MANUAL) == 0
    claims = await store.claim(10, LEASE)
    assert {c.endpoint_id for c in claims} == {ep.id, later.id}
    assert {c.trigger for c in claims} == {TriggerType.MANUAL}
    await store.complete([outcome(c, ok=True) for c in claims], FIVE_DAYS)
    attempts = await store.list_attempts(app.id, 10, None, endpoint_id=ep.id)
    assert [a.trigger_type for a in attempts.data] == [TriggerType.MANUAL, TriggerType.SCHEDULED]


async def test_recover_resends_failed_deliveries_in_the_time_range(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    t0 = time.time() - 1000
    old, recent, ok = (
        message(app, created_at=t0),
        message(app, created_at=t0 + 500),
        message(app, created_at=t0 + 600),
    )
    await accept(store, old, recent, ok)
    claims = {c.msg_id: c for c in await store.claim(10, LEASE)}
    await store.complete(
        [
            outcome(claims[old.id], ok=False),
            outcome(claims[recent.id], ok=False),
            outcome(claims[ok.id], ok=True),
        ],
        FIVE_DAYS,
    )
    assert await store.recover(ep.id, t0 + 100, None) == 1
    assert await statuses(store, recent) == {ep.id: MessageStatus.PENDING}
    assert await statuses(store, old) == {ep.id: MessageStatus.FAIL}
    assert await store.recover(ep.id, t0 - 1, t0 + 1) == 1
    assert {c.msg_id for c in await store.claim(10, LEASE)} == {old.id, recent.id}


async def test_replay_missing_dispatches_what_an_endpoint_never_got(store: Store) -> None:
    app = await make_app(store)
    first = await make_endpoint(store, app)
    t0 = time.time() - 100
    before = [message(app, created_at=t0 + i) for i in range(3)]
    await accept(store, *before)
    filtered = await make_endpoint(store, app, event_types=("user.deleted",))
    late = await make_endpoint(store, app)
    assert await store.replay_missing(late, t0 + 1, None) == 2
    assert await store.replay_missing(late, t0 + 1, None) == 0
    assert await store.replay_missing(filtered, 0, None) == 0
    assert await store.replay_missing(first, 0, None) == 0
    claims = await store.claim(10, LEASE)
    mine = {c.msg_id for c in claims if c.endpoint_id == late.id}
    assert mine == {before[1].id, before[2].id}
    assert {c.trigger for c in claims if c.endpoint_id == late.id} == {TriggerType.MANUAL}


async def test_attempts_list_newest_first_with_filters(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    other = await make_endpoint(store, app)
    created, deleted = message(app, "user.created"), message(app, "user.deleted")
    await accept(store, created, deleted)
    claims = await store.claim(10, LEASE)
    t0 = time.time()
    outs = [outcome(c, ok=c.endpoint_id == ep.id, at=t0 + i) for i, c in enumerate(claims)]
    await store.complete(outs, FIVE_DAYS)
    ids = sorted((o.attempt.id for o in outs), reverse=True)
    page = await store.list_attempts(app.id, 3, None)
    assert [a.id for a in page.data] == ids[:3] and not page.done
    rest = await store.list_attempts(app.id, 3, page.iterator)
    assert [a.id for a in rest.data] == ids[3:] and rest.done
    assert {
        a.endpoint_id for a in (await store.list_attempts(app.id, 10, None, endpoint_id=other.id)).data
    } == {other.id}
    failed = await store.list_attempts(app.id, 10, None, status=int(MessageStatus.FAIL))
    assert {a.endpoint_id for a in failed.data} == {other.id}
    by_type = await store.list_attempts(app.id, 10, None, event_types=["user.deleted"])
    assert {a.msg_id for a in by_type.data} == {deleted.id}
    assert (await store.list_attempts(app.id, 10, None, before=t0 + 1.5)).data[-1].id == ids[-1]
    assert len((await store.list_attempts(app.id, 10, None, after=t0 + 1.5)).data) == 2
    assert await store.endpoint_stats(other.id, None, None) == {int(MessageStatus.FAIL): 2}
    assert await store.endpoint_stats(other.id, time.time() + 60, None) == {}


async def test_a_batch_with_a_success_and_a_failure_leaves_the_endpoint_healthy(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    await accept(store, message(app), message(app))
    a, b = await store.claim(10, LEASE)
    retry_at = time.time() + 60
    await store.complete([outcome(a, ok=False, next_attempt_at=retry_at), outcome(b, ok=True)], FIVE_DAYS)
    after = await store.require_endpoint(app.id, ep.id)
    assert after.first_failure_at is None and after.last_success_at is not None
    states = {c.msg_id: (await store.dispatches_for_message(c.msg_id))[0] for c in (a, b)}
    assert states[a.msg_id].status == MessageStatus.PENDING and states[a.msg_id].next_attempt_at == retry_at
    assert states[b.msg_id].status == MessageStatus.SUCCESS and states[b.msg_id].attempts == 1


async def test_outcomes_of_a_deleted_application_do_not_hold_up_the_others(store: Store) -> None:
    # An application deleted while its delivery was being sent: the batch recording that send's outcome
    # also carries other applications' outcomes, and must not fail (and be sent again) because of it.
    gone, kept = await make_app(store, uid="gone"), await make_app(store, uid="kept")
    await make_endpoint(store, gone)
    ep = await make_endpoint(store, kept)
    await accept(store, message(gone))
    msg = message(kept)
    await accept(store, msg)
    claims = await store.claim(10, LEASE)
    await store.delete_app(gone.id)
    assert await store.complete([outcome(c, ok=True) for c in claims], FIVE_DAYS) == []
    assert await statuses(store, msg) == {ep.id: MessageStatus.SUCCESS}
    assert len((await store.list_attempts(kept.id, 10, None, msg_id=msg.id)).data) == 1
    assert await _rows_of(store, gone.id) == {"messages": 0, "dispatches": 0, "attempts": 0}


async def test_deleting_an_application_deletes_its_messages_deliveries_and_attempts(store: Store) -> None:
    gone, kept = await make_app(store, uid="gone"), await make_app(store, uid="kept")
    for app in (gone, kept):
        await make_endpoint(store, app)
        await accept(store, message(app), message(app))
    await store.complete([outcome(c, ok=True) for c in await store.claim(10, LEASE)], FIVE_DAYS)
    await store.delete_app(gone.id)
    assert await _rows_of(store, gone.id) == {"messages": 0, "dispatches": 0, "attempts": 0}
    assert await _rows_of(store, kept.id) == {"messages": 2, "dispatches": 2, "attempts": 2}


async def _rows_of(store: Store, app_id: str) -> dict[str, int]:
    """How many rows of the per-message tables belong to an application."""
    async with store.db.reader() as c:
        return {
            table: (await c.fetchone(f"SELECT COUNT(*) FROM {table} WHERE app_id = ?", (app_id,)))[0]
            for table in ("messages", "dispatches", "attempts")
        }


async def test_a_claim_can_leave_fresh_work_to_others(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    now = time.time()
    old, fresh = message(app), message(app)
    await accept(store, old, fresh)
    await store.requeue(app.id, fresh.id, [ep.id], TriggerType.MANUAL, at=now + 100)
    # at now + 101, the old one has been due for about 101 s, the fresh one for 1 s
    [waited] = await store.claim(10, LEASE, now=now + 101, waited=60)
    assert waited.msg_id == old.id
    [rest] = await store.claim(10, LEASE, now=now + 101)
    assert rest.msg_id == fresh.id


async def test_a_resend_queued_while_an_attempt_is_under_way_is_not_lost(store: Store) -> None:
    app = await make_app(store)
    ep = await make_endpoint(store, app)
    msg = message(app)
    await accept(store, msg)
    [claim] = await store.claim(10, LEASE)
    # the receiver has answered, and before the worker records it someone resends the message
    await store.requeue(app.id, msg.id, [ep.id], TriggerType.MANUAL)
    await store.complete([outcome(claim, ok=True)], FIVE_DAYS)
    assert await statuses(store, msg) == {ep.id: MessageStatus.PENDING}  # the resend still goes out
    [again] = await store.claim(10, LEASE)
    assert again.trigger == TriggerType.MANUAL
    await store.complete([outcome(again, ok=True)], FIVE_DAYS)
    assert await statuses(store, msg) == {ep.id: MessageStatus.SUCCESS}
    assert len((await store.list_attempts(app.id, 10, None, msg_id=msg.id)).data) == 2  # both in the log
