"""PostgreSQL-only statements for the worker's hot path: a whole batch in one round trip.

Rows travel as arrays (``unnest``) and the steps are chained as data-modifying CTEs, so a statement
is its own transaction and costs one round trip however many rows it carries. SQLite keeps the
shared statements in ``store.py``; these exist only because the SQL truly differs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hookline.store.accepting import AcceptPlan
from hookline.store.records import MessageStatus, Outcome, TriggerType
from hookline.store.rows import ENDPOINT_COLS, PACED_ENDPOINT_COLS, dumps

# Accepting a batch, look-up: the applications named by id or uid, each with its configuration version,
# its enabled endpoints and the secrets that sign for them now or later (with when each stops); one row
# per endpoint, or one with NULLs for an application without. Rows: id, uid, version, the endpoint,
# its secrets, their expiries. Parameters: now (twice), the keys (twice).
APPS_AND_TARGETS = f"""
SELECT a.id, a.uid, a.config_version, {PACED_ENDPOINT_COLS},
       ARRAY(SELECT s.secret FROM endpoint_secrets s WHERE s.endpoint_id = e.id
             AND (s.expires_at IS NULL OR s.expires_at > ?) ORDER BY s.created_at DESC, s.secret),
       ARRAY(SELECT s.expires_at FROM endpoint_secrets s WHERE s.endpoint_id = e.id
             AND (s.expires_at IS NULL OR s.expires_at > ?) ORDER BY s.created_at DESC, s.secret)
FROM applications a LEFT JOIN endpoints e ON e.app_id = a.id AND e.disabled = 0
WHERE a.id = ANY(?::text[]) OR a.uid = ANY(?::text[])
"""
# where a row of APPS_AND_TARGETS holds the endpoint
TARGET_ENDPOINT = slice(3, 3 + len(ENDPOINT_COLS.split(", ")))

# Extending the leases of deliveries still under way (see Worker._renew_loop). A row locked now is
# skipped rather than waited for: its outcome is being recorded, and waiting could deadlock with
# that statement, which locks its rows in another order. Parameters: the message ids, the endpoint
# ids, the leased status, the new end (twice).
EXTEND_LEASES = """
WITH held AS (SELECT ctid FROM dispatches
              WHERE (msg_id, endpoint_id) IN (SELECT * FROM unnest(?::text[], ?::text[])) AND status = ?
              FOR UPDATE SKIP LOCKED)
UPDATE dispatches d SET next_attempt_at = ?, lease_until = ? FROM held WHERE d.ctid = held.ctid
RETURNING d.msg_id, d.endpoint_id
"""

# Accepting a batch, writes: every table's rows in one statement, so PostgreSQL plans and runs it once
# rather than once per row as an executemany would.
#
# Another API process may have stored, since the look-up, a message with one of the batch's event ids
# or an answer for one of its idempotency keys. Then the unique index decides: that message is not
# stored (nor its dispatches), and comes back as (id, whether its idempotency answer was written
# before its event id was found taken). The count check skips that work for a batch stored whole,
# and the IN look-ups are hashed, so a batch of any size costs the same per row.
#
# The batch was planned with the applications' configuration versions (see pg_targets); when one of
# them moved, nothing is written and the only row returned is (NULL, NULL).
INSERT_ACCEPTED = """
WITH valid AS (
    SELECT count(*) = cardinality(?::text[]) AS ok
    FROM unnest(?::text[], ?::bigint[]) AS v(id, version)
    JOIN applications a ON a.id = v.id AND a.config_version = v.version
), remembered AS (
    INSERT INTO idempotency (key, status_code, body, created_at)
    SELECT * FROM unnest(?::text[], ?::int[], ?::text[], ?::float8[]) WHERE (SELECT ok FROM valid)
    -- an answer given within the last day is kept: it belongs to a request that got there first
    ON CONFLICT (key) DO UPDATE SET status_code = excluded.status_code, body = excluded.body,
        created_at = excluded.created_at
    WHERE idempotency.created_at <= ?
    RETURNING key
), stored AS (
    INSERT INTO messages (id, app_id, event_type, event_id, channels, tags, payload, created_at, expires_at)
    SELECT u.id, u.app_id, u.event_type, u.event_id, u.channels, u.tags, u.payload, u.created_at, u.expires_at
    FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
                ?::float8[], ?::float8[], ?::text[])
         AS u(id, app_id, event_type, event_id, channels, tags, payload, created_at, expires_at, key)
    WHERE (SELECT ok FROM valid) AND (u.key IS NULL OR u.key IN (SELECT key FROM remembered))
    ON CONFLICT DO NOTHING
    RETURNING id
), refused AS (
    SELECT u.id, u.key FROM unnest(?::text[], ?::text[]) AS u(id, key)
    WHERE (SELECT ok FROM valid) AND (SELECT count(*) FROM stored) < ? AND u.id NOT IN (SELECT id FROM stored)
), dispatched AS (
    INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at,
                            updated_at, lease_until)
    SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::int[], ?::int[], ?::int[], ?::float8[],
                         ?::float8[], ?::float8[])
                         AS u(msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at,
                              updated_at, lease_until)
    WHERE (SELECT ok FROM valid) AND u.msg_id NOT IN (SELECT id FROM refused)
)
SELECT r.id, r.key IN (SELECT key FROM remembered) FROM refused r
UNION ALL SELECT NULL, NULL WHERE NOT (SELECT ok FROM valid)
"""


def accepted_params(
    plan: AcceptPlan, remember_after: float, versions: Mapping[str, int] | None = None
) -> list[Any]:
    """The parameters of ``INSERT_ACCEPTED``: each table's rows as one list per column; idempotency
    answers given before ``remember_after`` are replaced; ``versions`` (application id -> configuration
    version) are those the plan was made with."""
    messages = [*_columns(plan.messages, 9), list(plan.message_keys)]
    ids = sorted(versions or ())
    return [
        ids,
        ids,
        [(versions or {})[i] for i in ids],
        *_columns(plan.idempotency, 4),
        remember_after,
        *messages,
        messages[0],
        messages[-1],
        len(plan.messages),
        *_columns(plan.dispatches, 9),
    ]


def _columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    return columns(rows) if rows else [[] for _ in range(width)]


def columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows (all of one width, at least one) as one list per column: the parameters of an unnest insert."""
    return [list(column) for column in zip(*rows, strict=True)]


# The final SELECT reads the snapshot from before the statement; that is what the multi-statement
# path sees too for the auto-disable check, since an endpoint failing only now is not yet old enough.
RECORD_OUTCOMES = """
WITH recorded AS (
    INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, response_status_code, response,
                          response_duration_ms, trigger_type, created_at, request_headers)
    SELECT u.* FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[], ?::int[],
                           ?::text[], ?::int[], ?::int[], ?::float8[], ?::text[])
                           AS u (id, msg_id, endpoint_id, app_id, url, status, response_status_code,
                                 response, response_duration_ms, trigger_type, created_at, request_headers)
    -- a message deleted (with its application) while it was being sent has no attempts to keep
    WHERE EXISTS (SELECT 1 FROM messages m WHERE m.id = u.msg_id)
), moved AS (
    UPDATE dispatches d SET status = u.status, next_attempt_at = u.next_at, lease_until = NULL,
        attempts = d.attempts + 1, trigger_type = 0, send_slot = NULL, updated_at = ?
    FROM unnest(?::text[], ?::text[], ?::int[], ?::float8[]) AS u(msg_id, endpoint_id, status, next_at)
    -- the key as a range of one row: only the primary key's index can serve that, where an equality on
    -- endpoint_id alone would let a plan made once pick the endpoint's index and read all its rows
    WHERE (d.msg_id, d.endpoint_id) >= (u.msg_id, u.endpoint_id) AND (d.msg_id, d.endpoint_id) <= (u.msg_id, u.endpoint_id)
), failing AS (
    UPDATE endpoints SET first_failure_at = ? WHERE id = ANY(?::text[]) AND first_failure_at IS NULL
), healthy AS (
    UPDATE endpoints SET first_failure_at = NULL, last_success_at = ?
    WHERE id = ANY(?::text[]) AND (first_failure_at IS NOT NULL OR last_success_at IS NULL OR last_success_at < ?)
)
SELECT id FROM endpoints
WHERE id = ANY(?::text[]) AND disabled = 0 AND first_failure_at IS NOT NULL AND first_failure_at < ?
"""


def is_plain(outcomes: Sequence[Outcome]) -> bool:
    """True when no outcome raises an operational event by itself (exhaustion, a disable request)."""
    return all(
        o.disable_endpoint is None
        and (
            o.attempt.status == MessageStatus.SUCCESS
            or o.next_attempt_at is not None
            or o.attempt.trigger_type != TriggerType.SCHEDULED
        )
        for o in outcomes
    )


def record_outcomes_params(outcomes: Sequence[Outcome], now: float, disable_after: float) -> list[Any]:
    """Parameters of RECORD_OUTCOMES: one array per column."""
    attempts = [o.attempt for o in outcomes]
    moves: dict[tuple[str, str], tuple[int, float | None]] = {}
    for o in outcomes:
        a = o.attempt
        if a.status == MessageStatus.SUCCESS:
            moves[(a.msg_id, a.endpoint_id)] = (int(MessageStatus.SUCCESS), None)
        elif o.next_attempt_at is None:
            moves[(a.msg_id, a.endpoint_id)] = (int(MessageStatus.FAIL), None)
        else:
            moves[(a.msg_id, a.endpoint_id)] = (int(MessageStatus.PENDING), o.next_attempt_at)
    succeeded = sorted({a.endpoint_id for a in attempts if a.status == MessageStatus.SUCCESS})
    # an endpoint with a success in the batch ends healthy, as the statements in order would leave it
    failed = sorted({a.endpoint_id for a in attempts if a.status != MessageStatus.SUCCESS} - set(succeeded))
    return [
        [a.id for a in attempts],
        [a.msg_id for a in attempts],
        [a.endpoint_id for a in attempts],
        [a.app_id for a in attempts],
        [a.url for a in attempts],
        [int(a.status) for a in attempts],
        [a.response_status_code for a in attempts],
        [a.response for a in attempts],
        [a.response_duration_ms for a in attempts],
        [int(a.trigger_type) for a in attempts],
        [a.created_at for a in attempts],
        [dumps(a.request_headers) for a in attempts],
        now,
        [k[0] for k in moves],
        [k[1] for k in moves],
        [v[0] for v in moves.values()],
        [v[1] for v in moves.values()],
        now,
        failed,
        now,
        succeeded,
        now - 60,
        failed,
        now - disable_after,
    ]
