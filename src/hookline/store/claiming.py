"""Fair claiming and endpoint isolation: per-endpoint caps, round-robin over endpoints, circuit breakers.

A claim walks the endpoints that have work, in id order from where the last claim of this worker
stopped, and takes from each at most what its cap leaves free (its ``maxInFlight`` less its
deliveries in flight, over every worker), earliest due first, ranked so that every endpoint's first
delivery comes before any endpoint's second. One endpoint's backlog therefore never sits in front of
another endpoint's due deliveries, and what an endpoint may not take now stays in the database.

It is one statement per batch on both backends, served by ``dispatches_endpoint_due`` (migration
0011): the walk is a loose index scan (one probe per endpoint), each endpoint's deliveries a range of
that index, and its count in flight a range of ``dispatches_endpoint``.

An endpoint that keeps timing out or refusing connections is failing fast (its circuit breaker is
open): the claim leaves its deliveries where they are, without opening connections, until its
cool-down ends; then one delivery is claimed as a probe (the breaker is ``probing``) and no other
until that probe's outcome is recorded. A probe that reaches the receiver closes the breaker; one
that does not opens it again for longer. The messages' own retry schedules are untouched: a delivery
held back costs no attempt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hookline.store.conn import Conn, Row
from hookline.store.records import Outcome

# the circuit breaker's values of endpoints.breaker_state (NULL when closed)
OPEN = "open"
PROBING = "probing"

# A claim visits at most this many endpoints; the next claim goes on from the last one visited.
MAX_ENDPOINTS_PER_CLAIM = 500


@dataclass(frozen=True)
class BreakerRule:
    """When an endpoint fails fast: after ``threshold`` unreachable tries in a row (timeouts, refused or
    broken connections) with no answer between; it is probed again after as long as it has been failing,
    at least ``min_seconds`` and at most ``max_seconds``."""

    threshold: int = 5
    min_seconds: float = 5.0
    max_seconds: float = 300.0


@dataclass
class FairClaim:
    """What a worker's claims go by: the default cap, how long a probe may take, and the breaker rule;
    and where its round-robin walk over endpoints goes on from."""

    default_cap: int = 64
    probe_seconds: float = 20.0  # a probe whose outcome is not recorded by then is taken as lost
    breaker: BreakerRule = field(default_factory=BreakerRule)
    cursor: str = ""
    # the last claim may have left due work behind (an endpoint at its cap, or failing fast): the
    # worker then reads the next due time afresh rather than from its cache
    held: bool = False

    def advance(self, endpoint_ids: Sequence[str], claimed: int, limit: int) -> None:
        """Move the walk on after a claim of ``claimed`` rows: past the last endpoint served when the batch
        was full, else back to the first endpoint (all that was due in the walk was taken, or the walk
        reached the end)."""
        if not endpoint_ids or claimed < limit:
            self.cursor = ""
            return
        # the last endpoint in the walk's order: past the cursor if any was, else in the wrapped part
        after = [e for e in endpoint_ids if e > self.cursor]
        self.cursor = max(after or endpoint_ids)


# The endpoints with work, in id order from after the cursor to the last, then from the first up to the
# cursor: one index probe each, ``pos`` giving the order. Each step asks for the order of
# ``dispatches_endpoint_due`` (endpoint, then due time), which only that index gives: the full index on
# (endpoint_id, status) would have to step over an endpoint's whole history of delivered rows.
# Parameters: ``cursor`` (where the walk goes on from; '' for the start) and ``most`` (endpoints at most).
def _walk(hint: str = "") -> str:
    """The walk's CTEs; ``hint`` names the index for SQLite, whose planner may prefer a full one."""
    return f"""
walk1(id, n) AS (
    SELECT (SELECT endpoint_id FROM dispatches {hint} WHERE status IN (1, 3) AND endpoint_id > :cursor
            ORDER BY endpoint_id, next_attempt_at LIMIT 1), 1
  UNION ALL
    SELECT (SELECT x.endpoint_id FROM dispatches x {hint} WHERE x.status IN (1, 3) AND x.endpoint_id > w.id
            ORDER BY x.endpoint_id, x.next_attempt_at LIMIT 1), w.n + 1
    FROM walk1 w WHERE w.id IS NOT NULL AND w.n < :most
),
walk2(id, n) AS (
    SELECT (SELECT endpoint_id FROM dispatches {hint} WHERE status IN (1, 3)
            ORDER BY endpoint_id, next_attempt_at LIMIT 1), 1
  UNION ALL
    SELECT (SELECT x.endpoint_id FROM dispatches x {hint} WHERE x.status IN (1, 3) AND x.endpoint_id > w.id
            ORDER BY x.endpoint_id, x.next_attempt_at LIMIT 1), w.n + 1
    FROM walk2 w WHERE w.id IS NOT NULL AND w.id < :cursor AND w.n < :most - (SELECT count(id) FROM walk1)
),
walk(id, pos) AS (
    SELECT id, n FROM walk1 WHERE id IS NOT NULL
  UNION ALL
    SELECT id, :most + n FROM walk2 WHERE id IS NOT NULL AND id <= :cursor AND :cursor <> ''
)"""


# How many more deliveries an endpoint ``e`` may have in flight: its cap (1 for a probe) less its leases
# still running. Parameters: ``default_cap``, ``now``.
_ROOM = """
CASE WHEN e.breaker_state IS NULL THEN COALESCE(e.max_in_flight, :default_cap) ELSE 1 END
- (SELECT count(*) FROM dispatches l WHERE l.endpoint_id = e.id AND l.status = 3 AND l.lease_until > :now)
"""
# An endpoint whose breaker is open or probing is left alone until its time comes. Parameter: ``now``.
_NOT_FAILING_FAST = "(e.breaker_state IS NULL OR e.breaker_until <= :now)"

# SQLite: lease the chosen rows, inside the claim's write transaction (so the counts are exact).
# SQLite has no LATERAL; each endpoint's earliest rows come from a correlated IN with one bound for
# all, then the ranking keeps each endpoint's share. Dispatches of an endpoint that no longer exists
# are claimed too (to be failed, as before), under the default cap. Parameters: those of
# ``claim_params``.
SQLITE_LEASE = f"""
WITH RECURSIVE {_walk("INDEXED BY dispatches_endpoint_due")},
eps(id, room, pos) AS (
    SELECT e.id, {_ROOM}, w.pos FROM endpoints e JOIN walk w ON w.id = e.id
    WHERE {_NOT_FAILING_FAST}
  UNION ALL
    SELECT w.id, :default_cap, w.pos FROM walk w WHERE NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = w.id)
),
ranked AS (
    SELECT d.rowid AS rid, eps.pos, eps.room,
           row_number() OVER (PARTITION BY eps.id ORDER BY d.next_attempt_at) AS rn
    FROM eps JOIN dispatches d ON d.rowid IN (
        SELECT y.rowid FROM dispatches y
        WHERE y.endpoint_id = eps.id AND y.status IN (1, 3) AND y.next_attempt_at <= :due_by
        ORDER BY y.next_attempt_at LIMIT max((SELECT max(room) FROM eps), 0))
    WHERE eps.room > 0
),
chosen AS (SELECT rid FROM ranked WHERE rn <= room ORDER BY rn, pos LIMIT :limit)
UPDATE dispatches SET status = :sending, next_attempt_at = :lease_until, lease_until = :lease_until, updated_at = :now
WHERE rowid IN (SELECT rid FROM chosen)
RETURNING msg_id, endpoint_id, app_id, attempts, trigger_type, send_slot
"""


def claim_params(
    fair: FairClaim, limit: int, due_by: float, now: float, lease_until: float, sending: int
) -> dict[str, Any]:
    """The parameters of ``SQLITE_LEASE`` and ``PG_CLAIM``."""
    return {
        "cursor": fair.cursor, "most": min(limit, MAX_ENDPOINTS_PER_CLAIM), "default_cap": fair.default_cap,
        "now": now, "due_by": due_by, "limit": limit, "sending": sending, "lease_until": lease_until,
        "probe_until": now + fair.probe_seconds,
    }  # fmt: skip


# SQLite: after a claim, endpoints probed are marked so (one probe at a time). Parameters: probe until,
# then the endpoint ids (as many as there are: a list, not names).
def mark_probes_sql(n: int) -> str:
    """Mark those of ``n`` endpoints whose breaker is open as probing, until a time; return their ids."""
    marks = ",".join("?" * n)
    return (
        f"UPDATE endpoints SET breaker_state = '{PROBING}', breaker_until = ? "
        f"WHERE id IN ({marks}) AND breaker_state IS NOT NULL RETURNING id"
    )


async def lease_sqlite(
    tx: Conn, fair: FairClaim, limit: int, due_by: float, now: float, lease_until: float, sending: int
) -> tuple[list[Row], set[str]]:
    """Lease a fair batch on SQLite inside ``tx`` and move the walk on; return the leased rows (msg_id,
    endpoint_id, app_id, attempts, trigger_type, send_slot) and the endpoints probed."""
    rows = list(await tx.fetchall(SQLITE_LEASE, claim_params(fair, limit, due_by, now, lease_until, sending)))
    ep_ids = sorted({r["endpoint_id"] for r in rows})
    probes: set[str] = set()
    if ep_ids:
        marked = await tx.fetchall(mark_probes_sql(len(ep_ids)), (now + fair.probe_seconds, *ep_ids))
        probes = {r["id"] for r in marked}
    fair.advance(ep_ids, len(rows), limit)
    fair.held = bool(rows)  # read in the same process: cheaper to ask again than to work it out here
    return rows, probes


# PostgreSQL: the same walk, as one statement that is its own transaction. Each endpoint with due work
# is locked (SKIP LOCKED: another worker claiming for it now is left to it) and stamped with this
# transaction, and a claim whose snapshot predates the last stamp skips the endpoint: under READ
# COMMITTED its count of leases could miss what that claim took (a row locked after a concurrent
# update is re-read, and re-checked, at its latest version, so the stamp is seen). Rows locked are
# updated where they lie (ctid), so a plan made once has no index to choose between for them.
# Parameters: those of ``claim_params``.
PG_CLAIM = f"""
WITH RECURSIVE {_walk()},
eps AS (
    SELECT e.id, e.breaker_state, e.breaker_until, e.max_in_flight, w.pos FROM endpoints e
    JOIN walk w ON w.id = e.id
    WHERE (SELECT x.next_attempt_at FROM dispatches x WHERE x.endpoint_id = e.id AND x.status IN (1, 3)
           ORDER BY x.next_attempt_at LIMIT 1) <= :due_by
      AND {_NOT_FAILING_FAST}
      AND (e.claim_xact IS NULL OR pg_visible_in_snapshot(e.claim_xact, pg_current_snapshot()))
    FOR UPDATE OF e SKIP LOCKED
),
capped AS (
    SELECT e.id, {_ROOM} AS room, e.pos FROM eps e
  UNION ALL
    SELECT w.id, CAST(:default_cap AS bigint), w.pos FROM walk w WHERE NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.id = w.id)
),
ranked AS (
    SELECT p.ctid, c.pos, c.room,
           row_number() OVER (PARTITION BY c.id ORDER BY p.next_attempt_at) AS rn
    FROM capped c CROSS JOIN LATERAL (
        SELECT d.ctid, d.next_attempt_at FROM dispatches d
        WHERE d.endpoint_id = c.id AND d.status IN (1, 3) AND d.next_attempt_at <= :due_by
        ORDER BY d.next_attempt_at LIMIT greatest(c.room, 0)) p
),
chosen AS (
    -- only the rows taken are locked (the endpoints are, already); a row changed meanwhile is
    -- re-checked at its latest version, and skipped if it is no longer due where it was
    SELECT d.ctid FROM (SELECT ctid FROM ranked ORDER BY rn, pos LIMIT :limit) r
    JOIN dispatches d ON d.ctid = r.ctid
    WHERE d.status IN (1, 3) AND d.next_attempt_at <= :due_by
    FOR UPDATE OF d SKIP LOCKED
),
claimed AS (
    UPDATE dispatches d SET status = :sending, next_attempt_at = :lease_until, lease_until = :lease_until,
        updated_at = :now
    FROM chosen WHERE d.ctid = chosen.ctid
    RETURNING d.msg_id, d.endpoint_id, d.app_id, d.attempts, d.trigger_type, d.send_slot
),
stamped AS (
    UPDATE endpoints e SET claim_xact = pg_current_xact_id(),
        breaker_state = CASE WHEN e.breaker_state IS NULL THEN NULL ELSE '{PROBING}' END,
        breaker_until = CASE WHEN e.breaker_state IS NULL THEN e.breaker_until ELSE CAST(:probe_until AS float8) END
    WHERE e.id IN (SELECT endpoint_id FROM claimed)
)
SELECT c.msg_id, c.endpoint_id, c.app_id, c.attempts, c.trigger_type, m.event_type, m.payload, m.content_type,
       e.url, e.headers, COALESCE(e.throttle_rate, a.throttle_rate) AS throttle_rate, e.disabled,
       ARRAY(SELECT s.secret FROM endpoint_secrets s WHERE s.endpoint_id = c.endpoint_id
             AND (s.expires_at IS NULL OR s.expires_at > :now) ORDER BY s.created_at DESC) AS secrets,
       c.send_slot, e.breaker_state IS NOT NULL AS probe,
       -- whether due work was left behind: an endpoint that filled its room or had none, or one with
       -- work due that was not claimed for at all (failing fast, or another claim's)
       (SELECT EXISTS (SELECT 1 FROM ranked r WHERE r.rn = r.room)
            OR EXISTS (SELECT 1 FROM capped WHERE room <= 0)
            OR EXISTS (SELECT 1 FROM walk w WHERE w.id NOT IN (SELECT id FROM capped)
                       AND (SELECT x.next_attempt_at FROM dispatches x WHERE x.endpoint_id = w.id
                            AND x.status IN (1, 3) ORDER BY x.next_attempt_at LIMIT 1) <= :due_by)) AS held
FROM claimed c LEFT JOIN messages m ON m.id = c.msg_id LEFT JOIN endpoints e ON e.id = c.endpoint_id
     LEFT JOIN applications a ON a.id = c.app_id
"""


# Recording outcomes for the breaker: per endpoint, whether a try reached the receiver (any answer
# closes the breaker) and how many did not. In the SET list every column reads its value from before
# the update. Parameters: ``reached`` (0/1), ``misses``, ``threshold``, ``now``, the shortest and the
# longest cool-down (``lo``, ``hi``), and the endpoint ``id``.
_R = "CAST(:reached AS INTEGER) = 1"
_M = "CAST(:misses AS INTEGER)"
_T = "CAST(:threshold AS INTEGER)"
_NOW = "CAST(:now AS DOUBLE PRECISION)"
_LO = "CAST(:lo AS DOUBLE PRECISION)"
_HI = "CAST(:hi AS DOUBLE PRECISION)"
BREAKER_UPDATE = f"""
UPDATE endpoints SET
    breaker_failures = CASE WHEN {_R} THEN 0 ELSE breaker_failures + {_M} END,
    breaker_state = CASE WHEN {_R} THEN NULL
                         WHEN breaker_state IS NOT NULL OR breaker_failures + {_M} >= {_T} THEN '{OPEN}' END,
    breaker_opened_at = CASE WHEN {_R} THEN NULL WHEN breaker_state IS NOT NULL THEN breaker_opened_at
                             WHEN breaker_failures + {_M} >= {_T} THEN {_NOW} END,
    breaker_until = CASE WHEN {_R} THEN NULL
        WHEN breaker_state IS NOT NULL THEN {_NOW} + CASE WHEN {_NOW} - breaker_opened_at < {_LO} THEN {_LO}
                                                          WHEN {_NOW} - breaker_opened_at > {_HI} THEN {_HI}
                                                          ELSE {_NOW} - breaker_opened_at END
        WHEN breaker_failures + {_M} >= {_T} THEN {_NOW} + {_LO} END
WHERE id = :id AND (({_R} AND (breaker_failures > 0 OR breaker_state IS NOT NULL)) OR {_M} > 0)
"""


def breaker_changes(outcomes: Sequence[Outcome]) -> dict[str, tuple[bool, int]]:
    """Per endpoint with something for its breaker: whether a try reached it, and how many did not."""
    out: dict[str, tuple[bool, int]] = {}
    for o in outcomes:
        if not o.breaker:
            continue
        reached, misses = out.get(o.attempt.endpoint_id, (False, 0))
        out[o.attempt.endpoint_id] = (reached or o.breaker > 0, misses + (o.breaker < 0))
    return out


def breaker_params(
    changes: dict[str, tuple[bool, int]], rule: BreakerRule, now: float
) -> list[dict[str, Any]]:
    """One parameter set of ``BREAKER_UPDATE`` per endpoint (sorted, so concurrent writers lock in order)."""
    return [
        {"reached": int(reached), "misses": misses, "threshold": rule.threshold, "now": now,
         "lo": rule.min_seconds, "hi": rule.max_seconds, "id": ep_id}
        for ep_id, (reached, misses) in sorted(changes.items())
    ]  # fmt: skip


async def record_breakers(c: Conn, outcomes: Sequence[Outcome], rule: BreakerRule, now: float) -> None:
    """Move the circuit breakers of the endpoints these outcomes tell something about."""
    changes = breaker_changes(outcomes)
    if changes:
        await c.executemany(BREAKER_UPDATE, breaker_params(changes, rule, now))


@dataclass(frozen=True)
class BreakerState:
    """An endpoint's circuit breaker as shown to people: ``closed``, ``open`` or ``probing``."""

    state: str
    failures: int
    opened_at: float | None
    next_probe_at: float | None
    max_in_flight: int | None
    in_flight: int


async def breaker_state(c: Conn, endpoint_id: str, now: float) -> BreakerState | None:
    """An endpoint's breaker, cap and deliveries in flight now (None when there is no such endpoint)."""
    row = await c.fetchone(
        "SELECT breaker_state, breaker_failures, breaker_opened_at, breaker_until, max_in_flight, "
        "(SELECT count(*) FROM dispatches l WHERE l.endpoint_id = e.id AND l.status = 3 AND l.lease_until > :now) "
        "AS in_flight FROM endpoints e WHERE id = :id",
        {"now": now, "id": endpoint_id},
    )
    if row is None:
        return None
    return BreakerState(row["breaker_state"] or "closed", int(row["breaker_failures"] or 0), row["breaker_opened_at"],
                        row["breaker_until"], row["max_in_flight"], int(row["in_flight"]))  # fmt: skip
