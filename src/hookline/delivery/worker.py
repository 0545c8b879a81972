"""The worker: claim due deliveries in batches, send them concurrently, record outcomes in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Coroutine, Sequence
from typing import Any

from hookline import metrics, tracing
from hookline.config import DeliverySettings
from hookline.delivery.attempt_log import log_outcomes
from hookline.delivery.operational import OperationalForwarder
from hookline.delivery.schedule import RetrySchedule
from hookline.delivery.sender import Sender, SendResult
from hookline.delivery.traced import DeliveryTraces
from hookline.delivery.wakeup import Wakeup
from hookline.ids import new_id
from hookline.jitter import jittered
from hookline.store.claiming import BreakerRule, FairClaim
from hookline.store.errors import StoreError
from hookline.store.records import Attempt, Claim, Endpoint, Lease, MessageStatus, OperationalEvent, Outcome
from hookline.store.store import Store
from hookline.supervisor import Supervisor

log = logging.getLogger("hookline.worker")

# A throttled delivery whose send slot is further off than this goes back to the store, due at its slot,
# rather than holding its lease and an in-flight slot while it waits (which would let a long backlog
# outlive its lease, or crowd out every other endpoint).
THROTTLE_HOLD_SECONDS = 1.0
# A slot kept by a delivery that waited for it is used if it is claimed within this long after it;
# later, it takes a new one, so deliveries claimed late do not all go at once.
KEPT_SLOT_SECONDS = 1.0
# How stale the worker's idea of the next due dispatch may get between store reads: the retries it
# schedules itself are noted at once; those of other processes are seen within this much.
DUE_CACHE_SECONDS = 1.0
# A worker stands by (see Worker._patience) after this many claims in a row found nothing announced.
EMPTY_ANSWERS_TO_STAND_BY = 3
STAND_BY_INTERVAL_MAX = 1.0
# Each further empty answer doubles the stand-by interval, this many times at most. A worker that has
# reached the last one hears only the occasional announcements meant for workers standing by (see
# Wakeup.stand_by): one that only just stood by may be the last active worker, misled by a few late
# announcements, and must still hear every one.
STAND_BY_DOUBLINGS = 5
# While due work is held back (its endpoint is at its cap, or fails fast), the claim loop looks again
# this often, besides right after this worker records outcomes (which frees an endpoint's slots).
HELD_RECHECK_SECONDS = 0.25


class Worker:
    """Delivers every due dispatch. ``start()`` runs it in the background; ``stop()`` drains and ends it."""

    FLUSH_RETRIES = 12  # about 15 s of a database outage before outcomes are left to lease expiry

    def __init__(
        self,
        store: Store,
        settings: DeliverySettings,
        wakeup: Wakeup,
        sender: Sender | None = None,
        supervisor: Supervisor | None = None,
    ) -> None:
        self.store = store
        self.supervisor = supervisor or Supervisor()
        self.settings = settings
        self.wakeup = wakeup
        self.sender = sender or Sender(settings)
        self.schedule = RetrySchedule(settings.retry_schedule, settings.jitter)
        self._traces = DeliveryTraces(store.db) if tracing.TRACER is not None else None  # spans, if on
        store.fair = FairClaim(
            default_cap=settings.endpoint_max_in_flight,
            # a probe's outcome is recorded within its request's timeout, give or take a flush
            probe_seconds=settings.request_timeout + 5.0,
            breaker=BreakerRule(
                settings.breaker_threshold, settings.breaker_min_seconds, settings.breaker_max_seconds
            ),
        )
        # this worker's deliveries under way per endpoint, for what the acceptor may lease to it
        self._load: dict[str, int] = defaultdict(int)
        # endpoints whose last try from this worker found no receiver: nothing is leased to them on
        # accept (the claim knows whether their breaker lets them have it), and an answer resets them
        self._unreachable: set[str] = set()
        self._held_work = False  # due work was left by the last claims: capped, or failing fast
        self._lingering_count = 0
        self._lingering_at = float("-inf")
        # deliveries this worker is sending and has not recorded yet, with when their leases end (as this
        # worker set them, a little after the store did): a reclaim of one is skipped, a lease running
        # out is extended
        self._held: dict[tuple[str, str], float] = {}
        self._owns_sender = sender is None
        self._in_flight = 0
        self._reserved = 0  # slots promised to the acceptor for dispatches it may lease to this worker
        self._slots = asyncio.Event()  # set when at least _slots_wanted slots are free
        self._slots_wanted = 1
        self._done: list[Outcome] = []
        self._done_event = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._flush_task: asyncio.Task[None] | None = None
        self._renew_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._due: float | None = None  # earliest due time known, as of _due_read_at
        self._due_read_at = float("-inf")
        self._noted: float | None = None  # earliest due time noted while the store was being read
        self._empty_answers = 0  # claims in a row that answered an announcement and found nothing
        self._told_standing_by = False  # what the wake-up was last told (see ``Wakeup.stand_by``)
        self._rang_itself = False
        self._backlog = False  # the last claim was full: more is due than there are slots for
        self.delivered = 0
        self.on_operational_event: list[object] = []
        # svix's operational events, sent as messages of the operational application
        self.operational = OperationalForwarder(store, wakeup.announce)

    @property
    def in_flight(self) -> int:
        """Deliveries this worker holds and has not recorded yet (being sent, or paced to be)."""
        return self._in_flight

    async def start(self) -> None:
        """Open the HTTP client and start claiming."""
        if self._owns_sender:
            await self.sender.open()
        # supervised: an unexpected error restarts the loop instead of ending claiming or recording
        self._loop_task = self.supervisor.start("claim", self._claim_loop)
        self._flush_task = self.supervisor.start("record", self._flush_loop)
        self._renew_task = self.supervisor.start("renew", self._renew_loop)

    async def stop(self) -> None:
        """Stop claiming, let in-flight sends finish (bounded by the request timeout), record them, close."""
        self._stopping = True
        self.wakeup.ring()
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.settings.request_timeout + 1)
        for task in (self._flush_task, self._renew_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._flush()
        await self.operational.drain()
        if self._owns_sender:
            await self.sender.close()

    def reserve(self, most: int) -> Lease | None:
        """Set aside up to ``most`` free slots for dispatches leased to this worker as they are stored.

        A quarter of the slots stay the claim loop's, so retries, throttled endpoints and other workers'
        expired leases are never crowded out by new traffic. The caller hands the leased claims to
        ``take`` (or nothing, if storing failed).
        """
        limit = self.settings.max_in_flight - self.settings.max_in_flight // 4
        free = min(most, limit - self._in_flight - self._reserved)
        if self._stopping or self._loop_task is None or free <= 0:
            return None
        self._reserved += free
        return Lease(free, self.settings.lease_seconds, self._room)

    def _room(self, endpoint: Endpoint) -> int:
        """How many more new deliveries of ``endpoint`` this worker takes on accept."""
        if endpoint.id in self._unreachable:
            return 0
        cap = endpoint.max_in_flight or self.settings.endpoint_max_in_flight
        return cap - self._load.get(endpoint.id, 0)

    def take(self, lease: Lease, claims: Sequence[Claim]) -> None:
        """Start sending the claims leased under ``lease``; its unused slots go back to claiming."""
        self._reserved -= lease.slots
        self._start(claims)
        self._freed()

    def _start(self, claims: Sequence[Claim], claimed_ns: int | None = None) -> None:
        if self._traces is not None and claims:
            self._traces.claimed(claims, claimed_ns)
        throttled: dict[str, list[Claim]] = defaultdict(list)
        lease_ends = time.time() + self.settings.lease_seconds
        for claim in claims:
            key = _key(claim)
            if key in self._held:
                continue  # its lease ran out while this worker still sends it: one send at a time
            self._held[key] = lease_ends
            self._in_flight += 1
            self._load[claim.endpoint_id] += 1
            if claim.throttle_rate:
                throttled[claim.endpoint_id].append(claim)
            else:
                self._spawn(self._deliver(claim))
        for group in throttled.values():
            self._spawn(self._pace(group))

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _let_go(self, claims: Sequence[Claim]) -> None:
        """Give up the in-flight slots of claims this worker will not send now."""
        for claim in claims:
            self._held.pop(_key(claim), None)
            self._in_flight -= 1
            self._unload(claim.endpoint_id)
        self._freed()

    def _unload(self, endpoint_id: str) -> None:
        left = self._load[endpoint_id] - 1
        if left > 0:
            self._load[endpoint_id] = left
        else:
            del self._load[endpoint_id]

    def _free(self) -> int:
        return self.settings.max_in_flight - self._in_flight - self._reserved

    def _freed(self) -> None:
        """Slots came free: wake the claim loop if it waits for this many."""
        if self._free() >= self._slots_wanted:
            self._slots.set()

    async def _wait_for_slots(self, wanted: int, timeout: float | None = None) -> None:
        """Wait until ``wanted`` slots are free, or ``timeout`` seconds have passed."""
        self._slots_wanted = wanted
        self._slots.clear()
        try:
            if self._free() < wanted:
                async with asyncio.timeout(timeout):
                    await self._slots.wait()
        except TimeoutError:
            pass
        finally:
            self._slots_wanted = 1

    def _busy(self) -> bool:
        """An eighth of the slots or more in flight: batching saves more than claiming at once would.

        Deliveries under way for over a second (a slow or silent receiver) do not count: they make
        no traffic to batch, and would otherwise delay every other endpoint's deliveries.
        """
        return self._in_flight - self._lingering() >= max(1, self.settings.max_in_flight // 8)

    def _lingering(self) -> int:
        """How many deliveries have been under way for over a second (counted at most every 0.1 s)."""
        now = time.monotonic()
        if now - self._lingering_at > 0.1:
            # a lease is set (or renewed) lease_seconds ahead of when its send started (or went on)
            since = time.time() - 1.0 + self.settings.lease_seconds
            self._lingering_count = sum(1 for ends in self._held.values() if ends < since)
            self._lingering_at = now
        return self._lingering_count

    def _draining(self) -> bool:
        """Busy with more due than there are slots for: sends complete, and slots come free, one by one."""
        return self._backlog and self._busy()

    async def _claim_loop(self) -> None:
        announced = False  # whether the claim under way answers another process's announcement
        while not self._stopping:
            if self._free() <= 0:
                await self._wait_for_slots(1)
                continue
            if self._draining():
                # More is due, but only a few slots are free: claiming them at once would make many small
                # claims (and outcome batches), each a statement and a commit, as sends complete one by
                # one. Waiting for a quarter of the slots, at most as long as announcements gather,
                # keeps claims large however many workers share the work.
                await self._wait_for_slots(
                    self.settings.max_in_flight // 4, self.settings.claim_gather_seconds
                )
            free = self._free()
            if free <= 0:
                continue
            want = min(free, self.settings.claim_batch)
            self._reserved += want  # while the claim is under way, the acceptor cannot promise these slots
            claimed_ns = time.time_ns()
            try:
                claims = await self.store.claim(want, self.settings.lease_seconds, waited=self._patience())
            except StoreError as exc:
                log.warning("claim failed, retrying: %s", exc)
                await asyncio.sleep(1.0)
                continue
            finally:
                self._reserved -= want
            self._start(claims, claimed_ns)
            if claims:
                self._empty_answers = 0  # found work no other worker was taking: take everything due
            elif announced:
                # another worker took what was announced (one such claim may also just have come after
                # this worker took the work, before the announcement arrived)
                self._empty_answers += 1
            self._backlog = len(claims) >= want
            if self._backlog:
                announced = False
                continue  # more may be due right now
            self._rang_itself = False
            if claims and self.store.fair.held:
                # the claim left due work behind (an endpoint at its cap, or failing fast), seen only in
                # the store: the next due time is read afresh (held work, once seen, is due, and read
                # each time; an empty claim after a wake-up is answered from the cache)
                self._due_read_at = float("-inf")
            if self._standing_by_for_long() != self._told_standing_by:
                # it is then woken about once a second, not for every announcement
                self._told_standing_by = self._standing_by_for_long()
                self.wakeup.stand_by(self._told_standing_by)
            woken = await self.wakeup.wait(await self._idle_timeout())
            announced = woken and not self._rang_itself
            if announced and (pause := self._gathering()):
                await asyncio.sleep(pause)

    def _gathering(self) -> float:
        """How long announcements gather before the claim that answers them: one claim then takes
        the work of several, in one statement and one batch of outcomes.

        Only when it saves something: while standing by, and while busy. A worker with little in
        flight claims at once, so light traffic is sent without delay.
        """
        if self._standing_by():
            return jittered(self._stand_by_interval(), 0.5)
        if self._busy():
            return self.settings.claim_gather_seconds
        return 0.0

    def _patience(self) -> float:
        """How long a dispatch must have been due before this worker claims it.

        Workers sharing a database all hear every announcement. One that keeps finding its claims
        empty stands by: it takes only work the others have left waiting (so none fights over fresh
        work with an empty claim), and is back in full as soon as such work turns up: another
        worker fell behind or stopped.
        """
        return self.settings.claim_backoff_seconds if self._standing_by() else 0.0

    def _standing_by(self) -> bool:
        return self._empty_answers >= EMPTY_ANSWERS_TO_STAND_BY

    def _standing_by_for_long(self) -> bool:
        """Standing by at the longest interval: its claims have kept finding nothing for a while."""
        return self._empty_answers >= EMPTY_ANSWERS_TO_STAND_BY + STAND_BY_DOUBLINGS

    def _stand_by_interval(self) -> float:
        """How often a worker standing by claims: less often the longer it finds nothing, up to a second."""
        doublings = min(self._empty_answers - EMPTY_ANSWERS_TO_STAND_BY, STAND_BY_DOUBLINGS)
        return min(self.settings.claim_backoff_seconds * 2.0**doublings, STAND_BY_INTERVAL_MAX)

    def _ring_itself(self) -> None:
        """Wake the claim loop to look at its timer again (not an announcement of new work)."""
        self._rang_itself = True
        self.wakeup.ring()

    async def _idle_timeout(self) -> float:
        """Sleep until the next retry is due, bounded by the fallback timer."""
        now = time.time()
        if now - self._due_read_at > DUE_CACHE_SECONDS or (self._due is not None and self._due <= now):
            # a claim after every wake-up would otherwise cost a second query each time
            try:
                self._noted = None
                due = await self.store.next_due()
                if self._noted is not None:  # noted while the read was under way, so maybe not in it
                    due = self._noted if due is None else min(due, self._noted)
                self._due = due
            except StoreError:
                return 1.0
            self._due_read_at = now
            # due and yet not claimed: an endpoint at its cap, or failing fast (or another worker's
            # lock); looking again at once would only spin
            self._held_work = self._due is not None and self._due <= now
        if self._held_work:
            return HELD_RECHECK_SECONDS
        if self._due is None:
            return self.settings.idle_recheck_seconds
        wait = self._due + self._patience() - time.time()
        if self._standing_by():
            wait = max(wait, self._stand_by_interval())  # new work is the other workers' to take first
        return max(0.0, min(wait, self.settings.idle_recheck_seconds))

    def _note_due(self, at: float) -> None:
        """Remember a dispatch this worker made due at ``at``, so its idle timer wakes for it."""
        self._due = at if self._due is None else min(self._due, at)
        self._noted = at if self._noted is None else min(self._noted, at)

    async def _pace(self, group: list[Claim]) -> None:
        """Space one endpoint's claimed deliveries by its throttleRate, with send slots every worker shares.

        Slots are reserved in the store for the whole group at once. Deliveries whose slot is near wait
        for it here; the others go back to the store, due at their slot and keeping it.
        """
        now = time.time()
        slots: dict[tuple[str, str], float] = {}
        fresh: list[Claim] = []
        for claim in group:
            if claim.send_slot is not None and claim.send_slot >= now - KEPT_SLOT_SECONDS:
                slots[_key(claim)] = claim.send_slot
            else:
                fresh.append(claim)
        if fresh:
            rate = fresh[0].throttle_rate or 1
            try:
                first = await self.store.reserve_sends(fresh[0].endpoint_id, rate, len(fresh))
            except StoreError as exc:
                log.warning(
                    "reserving send slots failed, %d deliveries wait for their leases: %s", len(fresh), exc
                )
                first = None
            if first is None:
                # no slot, nothing sent (the endpoint may be gone): the leases expire, the next claim decides
                self._let_go(fresh)
                group = [c for c in group if _key(c) in slots]
            else:
                for i, claim in enumerate(fresh):
                    slots[_key(claim)] = first + i / rate
        hold = min(THROTTLE_HOLD_SECONDS, self.settings.lease_seconds / 2)
        now = time.time()
        later: list[Claim] = []
        for claim in group:
            slot = slots[_key(claim)]
            if slot - now > hold:
                later.append(claim)
            else:
                self._spawn(self._deliver(claim, slot))
        if later:
            due = [(c.msg_id, c.endpoint_id, slots[_key(c)]) for c in later]
            try:
                await self.store.defer(due)
            except StoreError as exc:
                log.warning(
                    "handing back %d throttled deliveries failed, their leases will expire: %s", len(due), exc
                )
            self._let_go(later)
            self._note_due(min(slot for _, _, slot in due))
            self._ring_itself()  # the claim loop may be sleeping past the new due time

    async def _deliver(self, claim: Claim, slot: float | None = None) -> None:
        recording = False
        try:
            if slot is not None and (wait := slot - time.time()) > 0:
                await asyncio.sleep(wait)
            # made here, run when awaited: inside the send span when traces are on
            sending = self.sender.send(
                claim.url, claim.msg_id, claim.secrets, claim.payload, claim.headers, claim.content_type
            )
            if self._traces is None:
                result = await sending
            else:
                async with self._traces.send(claim) as span:
                    result = await sending
                    self._traces.result(span, result.status_code, result.ok)
            self._done.append(self._outcome(claim, result))
            recording = True
            self._done_event.set()
        finally:
            if not recording:
                self._held.pop(_key(claim), None)
            self._in_flight -= 1
            self._unload(claim.endpoint_id)
            self._freed()

    def _outcome(self, claim: Claim, result: SendResult) -> Outcome:
        now = time.time()
        status = MessageStatus.SUCCESS if result.ok else MessageStatus.FAIL
        attempt = Attempt(
            new_id("atmpt"), claim.msg_id, claim.endpoint_id, claim.app_id, claim.url, status, result.status_code,
            result.body, result.duration_ms, claim.trigger, now, result.request_headers, result.response_headers,
        )  # fmt: skip
        breaker = self._breaker(claim, result)
        prior = claim.attempts
        if result.ok:
            return Outcome(attempt, None, breaker=breaker, prior_attempts=prior)
        directive = result.delivery_directive
        if directive == "disable":
            return Outcome(
                attempt,
                None,
                disable_endpoint="the receiver asked to be disabled (webhook-delivery: disable)",
                breaker=breaker,
                prior_attempts=prior,
            )
        if directive == "abort-message":
            return Outcome(attempt, None, breaker=breaker, prior_attempts=prior)
        retry_after = result.retry_after if result.status_code in (429, 503) else None
        delay = self.schedule.next_delay(
            claim.attempts + 1, retry_after, self.settings.retry_after_cap_seconds
        )
        return Outcome(attempt, None if delay is None else now + delay, breaker=breaker, prior_attempts=prior)

    def _breaker(self, claim: Claim, result: SendResult) -> int:
        """What a try tells the endpoint's circuit breaker (see ``Outcome.breaker``).

        An answer is recorded only where the breaker may be off closed (a probe, or an endpoint this
        worker found unreachable), so healthy endpoints cost no write.
        """
        if result.unreachable:
            if len(self._unreachable) > 10_000:
                self._unreachable.clear()  # a memory bound; the store keeps the breakers themselves
            self._unreachable.add(claim.endpoint_id)
            return -1
        if result.status_code and (claim.probe or claim.endpoint_id in self._unreachable):
            self._unreachable.discard(claim.endpoint_id)
            return 1
        return 0

    async def _flush_loop(self) -> None:
        while True:
            if not self._done:  # a restarted loop first records what is waiting
                await self._done_event.wait()
            if self._draining() and len(self._done) < self.settings.max_in_flight // 4:
                # one statement then records the outcomes of many sends, not of the few just done
                await asyncio.sleep(self.settings.outcome_gather_seconds)
            self._done_event.clear()
            await self._flush()

    async def _flush(self) -> None:
        failures = 0
        while self._done:
            batch, self._done = self._done[:1000], self._done[1000:]
            recording_ns = time.time_ns()
            try:
                events = await self.store.complete(batch, self.settings.disable_after_seconds)
            except StoreError as exc:
                failures += 1
                if failures <= self.FLUSH_RETRIES:
                    # the transaction rolled back: record the same outcomes again once the database is back
                    log.warning(
                        "recording %d outcomes failed (try %d), retrying: %s", len(batch), failures, exc
                    )
                    self._done = batch + self._done
                    await asyncio.sleep(min(0.1 * 2**failures, 2.0))
                    continue
                # give up on this batch: its leases expire and the sends are retried (at least once, never lost)
                log.warning(
                    "recording %d outcomes failed, their deliveries will be retried: %s", len(batch), exc
                )
                self._release(batch)
                failures = 0
                continue
            except Exception:
                # an error no one expected rolled the batch back: the restarted loop records it
                # (not on cancellation, which may come after the commit)
                self._done = batch + self._done
                raise
            failures = 0
            self._release(batch)
            metrics.recorded(batch)
            log_outcomes(batch, time.time())
            if self._traces is not None:
                self._traces.recorded(batch, recording_ns)
            self.delivered += sum(1 for o in batch if o.attempt.status == MessageStatus.SUCCESS)
            retries = [o.next_attempt_at for o in batch if o.next_attempt_at is not None]
            if retries:
                self._note_due(min(retries))
                self._ring_itself()
            elif self._held_work:
                self._ring_itself()  # slots of endpoints at their cap came free
            for event in events:
                self._log_event(event)
            self.operational.forward(batch, events)

    def _release(self, batch: Sequence[Outcome]) -> None:
        for o in batch:
            self._held.pop((o.attempt.msg_id, o.attempt.endpoint_id), None)

    async def _renew_loop(self) -> None:
        """Extend the leases of deliveries still under way when half of their lease is left.

        A receiver slower than the lease, a throttled delivery waiting for its slot or outcomes waiting
        for the database would otherwise let another worker claim and send them again. Checking every
        quarter of the lease leaves at least a quarter of it for the extension to be written.
        """
        lease = self.settings.lease_seconds
        while True:
            await asyncio.sleep(lease / 4)
            now = time.time()
            ending = [key for key, ends in self._held.items() if ends - now < lease / 2]
            if not ending:
                continue
            try:
                extended = await self.store.extend_leases(ending, now + lease)
            except StoreError as exc:
                log.warning("extending the leases of %d deliveries failed, retrying: %s", len(ending), exc)
                continue
            # one passed by while its outcome was being recorded is tried again if that failed
            for key in extended:
                if key in self._held:
                    self._held[key] = now + lease

    @staticmethod
    def _log_event(event: OperationalEvent) -> None:
        log.info("operational event %s: %s", event.event_type, event.payload.get("data"))


def _key(claim: Claim) -> tuple[str, str]:
    return (claim.msg_id, claim.endpoint_id)
