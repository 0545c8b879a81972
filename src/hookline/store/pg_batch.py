"""PostgreSQL-only statements for the worker's hot path: a whole batch in one round trip.

Rows travel as arrays (``unnest``) and the steps are chained as data-modifying CTEs, so a statement
is its own transaction and costs one round trip however many rows it carries. SQLite keeps the
shared statements in ``messages.py`` and ``dispatches.py``; these exist only because the SQL truly
differs. Parameters are named (``:now``), and the functions below build their mappings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hookline.store.accepting import SENDING, AcceptPlan
from hookline.store.records import MessageStatus, Outcome, TriggerType
from hookline.store.rows import PACED_ENDPOINT_COLS, dumps

# Accepting a batch, look-up: the applications named by id or uid, each with its configuration version,
# its enabled endpoints and the secrets that sign for them now or later (with when each stops); one row
# per endpoint, or one with NULLs for an application without. Rows: target_id, target_uid,
# target_version, the endpoint's columns, its secrets and their expiries (secret_expiries).
# Parameters: now, keys (ids or uids).
APPS_AND_TARGETS = f"""
SELECT a.id AS target_id, a.uid AS target_uid, a.config_version AS target_version, {PACED_ENDPOINT_COLS},
       ARRAY(SELECT s.secret FROM endpoint_secrets s WHERE s.endpoint_id = e.id
             AND (s.expires_at IS NULL OR s.expires_at > :now) ORDER BY s.created_at DESC, s.secret) AS secrets,
       ARRAY(SELECT s.expires_at FROM endpoint_secrets s WHERE s.endpoint_id = e.id
             AND (s.expires_at IS NULL OR s.expires_at > :now) ORDER BY s.created_at DESC, s.secret)
           AS secret_expiries
FROM applications a LEFT JOIN endpoints e ON e.app_id = a.id AND e.disabled = 0
WHERE a.id = ANY(:keys::text[]) OR a.uid = ANY(:keys::text[])
"""

# Extending the leases of deliveries still under way (see Worker._renew_loop). A row locked now is
# skipped rather than waited for: its outcome is being recorded, and waiting could deadlock with
# that statement, which locks its rows in another order. Parameters: msg_ids, endpoint_ids (one key
# per position), sending (the leased status), until (the new end).
EXTEND_LEASES = """
WITH held AS (SELECT ctid FROM dispatches
              WHERE (msg_id, endpoint_id) IN (SELECT * FROM unnest(:msg_ids::text[], :endpoint_ids::text[]))
                    AND status = :sending
              FOR UPDATE SKIP LOCKED)
UPDATE dispatches d SET next_attempt_at = :until, lease_until = :until FROM held WHERE d.ctid = held.ctid
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
# Rows: id, remembered (whether its idempotency answer was written).
INSERT_ACCEPTED = """
WITH valid AS (
    SELECT count(*) = cardinality(:app_ids::text[]) AS ok
    FROM unnest(:app_ids::text[], :app_versions::bigint[]) AS v(id, version)
    JOIN applications a ON a.id = v.id AND a.config_version = v.version
), remembered AS (
    INSERT INTO idempotency (key, status_code, body, created_at)
    SELECT * FROM unnest(:idem_keys::text[], :idem_statuses::int[], :idem_bodies::text[],
                         :idem_created_at::float8[])
    WHERE (SELECT ok FROM valid)
    -- an answer given within the last day is kept: it belongs to a request that got there first
    ON CONFLICT (key) DO UPDATE SET status_code = excluded.status_code, body = excluded.body,
        created_at = excluded.created_at
    WHERE idempotency.created_at <= :remember_after
    RETURNING key
), stored AS (
    INSERT INTO messages (id, app_id, event_type, event_id, channels, tags, payload, created_at, expires_at,
                          content_type)
    SELECT u.id, u.app_id, u.event_type, u.event_id, u.channels, u.tags, u.payload, u.created_at, u.expires_at,
           u.content_type
    FROM unnest(:msg_ids::text[], :msg_app_ids::text[], :msg_event_types::text[], :msg_event_ids::text[],
                :msg_channels::text[], :msg_tags::text[], :msg_payloads::text[], :msg_created_at::float8[],
                :msg_expires_at::float8[], :msg_content_types::text[], :msg_keys::text[])
         AS u(id, app_id, event_type, event_id, channels, tags, payload, created_at, expires_at, content_type, key)
    WHERE (SELECT ok FROM valid) AND (u.key IS NULL OR u.key IN (SELECT key FROM remembered))
    ON CONFLICT DO NOTHING
    RETURNING id
), refused AS (
    SELECT u.id, u.key FROM unnest(:msg_ids::text[], :msg_keys::text[]) AS u(id, key)
    WHERE (SELECT ok FROM valid) AND (SELECT count(*) FROM stored) < :msg_count
          AND u.id NOT IN (SELECT id FROM stored)
), dispatched AS (
    INSERT INTO dispatches (msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at,
                            updated_at, lease_until)
    SELECT * FROM unnest(:d_msg_ids::text[], :d_endpoint_ids::text[], :d_app_ids::text[], :d_statuses::int[],
                         :d_attempts::int[], :d_trigger_types::int[], :d_next_attempt_at::float8[],
                         :d_updated_at::float8[], :d_lease_until::float8[])
                         AS u(msg_id, endpoint_id, app_id, status, attempts, trigger_type, next_attempt_at,
                              updated_at, lease_until)
    WHERE (SELECT ok FROM valid) AND u.msg_id NOT IN (SELECT id FROM refused)
)
SELECT r.id, r.key IN (SELECT key FROM remembered) AS remembered FROM refused r
UNION ALL SELECT NULL, NULL WHERE NOT (SELECT ok FROM valid)
"""

_MESSAGE_ARRAYS = (
    "msg_ids", "msg_app_ids", "msg_event_types", "msg_event_ids", "msg_channels", "msg_tags", "msg_payloads",
    "msg_created_at", "msg_expires_at", "msg_content_types",
)  # fmt: skip
_IDEMPOTENCY_ARRAYS = ("idem_keys", "idem_statuses", "idem_bodies", "idem_created_at")
_DISPATCH_ARRAYS = (
    "d_msg_ids", "d_endpoint_ids", "d_app_ids", "d_statuses", "d_attempts", "d_trigger_types",
    "d_next_attempt_at", "d_updated_at", "d_lease_until",
)  # fmt: skip


def accepted_params(
    plan: AcceptPlan, remember_after: float, versions: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """The parameters of ``INSERT_ACCEPTED``: each table's rows as one list per column; idempotency
    answers given before ``remember_after`` are replaced; ``versions`` (application id -> configuration
    version) are those the plan was made with."""
    ids = sorted(versions or ())
    return {
        "app_ids": ids,
        "app_versions": [(versions or {})[i] for i in ids],
        **_named_columns(_IDEMPOTENCY_ARRAYS, plan.idempotency),
        "remember_after": remember_after,
        **_named_columns(_MESSAGE_ARRAYS, plan.messages),
        "msg_keys": list(plan.message_keys),
        "msg_count": len(plan.messages),
        **_named_columns(_DISPATCH_ARRAYS, plan.dispatches),
    }


def _named_columns(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, list[Any]]:
    """Rows of ``len(names)`` values as one named list per column (empty lists for no rows)."""
    return dict(zip(names, columns(rows) if rows else [[] for _ in names], strict=True))


def columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows (all of one width, at least one) as one list per column: the parameters of an unnest insert."""
    return [list(column) for column in zip(*rows, strict=True)]


# The final SELECT reads the snapshot from before the statement; that is what the multi-statement
# path sees too for the auto-disable check, since an endpoint failing only now is not yet old enough.
# Rows: id, of each endpoint failing without a success for too long now.
RECORD_OUTCOMES = """
WITH recorded AS (
    INSERT INTO attempts (id, msg_id, endpoint_id, app_id, url, status, response_status_code, response,
                          response_duration_ms, trigger_type, created_at, request_headers, response_headers)
    SELECT u.* FROM unnest(:a_ids::text[], :a_msg_ids::text[], :a_endpoint_ids::text[], :a_app_ids::text[],
                           :a_urls::text[], :a_statuses::int[], :a_response_status_codes::int[],
                           :a_responses::text[], :a_response_duration_ms::int[], :a_trigger_types::int[],
                           :a_created_at::float8[], :a_request_headers::text[], :a_response_headers::text[])
                           AS u (id, msg_id, endpoint_id, app_id, url, status, response_status_code,
                                 response, response_duration_ms, trigger_type, created_at, request_headers,
                                 response_headers)
    -- a message deleted (with its application) while it was being sent has no attempts to keep
    WHERE EXISTS (SELECT 1 FROM messages m WHERE m.id = u.msg_id)
), moved AS (
    UPDATE dispatches d SET status = u.status, next_attempt_at = u.next_at, lease_until = NULL,
        attempts = d.attempts + 1, trigger_type = 0, send_slot = NULL, updated_at = :now
    FROM unnest(:move_msg_ids::text[], :move_endpoint_ids::text[], :move_statuses::int[],
                :move_next_at::float8[]) AS u(msg_id, endpoint_id, status, next_at)
    -- the key as a range of one row: only the primary key's index can serve that, where an equality on
    -- endpoint_id alone would let a plan made once pick the endpoint's index and read all its rows
    WHERE (d.msg_id, d.endpoint_id) >= (u.msg_id, u.endpoint_id) AND (d.msg_id, d.endpoint_id) <= (u.msg_id, u.endpoint_id)
          -- a resend or replay queued while the attempt was under way set it pending again: it stays so
          -- (status + 0: a filter on the row found by its key, never a reason to read an index on status)
          AND d.status + 0 = :sending
), failing AS (
    UPDATE endpoints SET first_failure_at = :now WHERE id = ANY(:failed::text[]) AND first_failure_at IS NULL
), healthy AS (
    UPDATE endpoints SET first_failure_at = NULL, last_success_at = :now
    WHERE id = ANY(:succeeded::text[])
          AND (first_failure_at IS NOT NULL OR last_success_at IS NULL OR last_success_at < :success_noted_before)
)
SELECT id FROM endpoints
WHERE id = ANY(:failed::text[]) AND disabled = 0 AND first_failure_at IS NOT NULL AND first_failure_at < :failing_since
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


def record_outcomes_params(outcomes: Sequence[Outcome], now: float, disable_after: float) -> dict[str, Any]:
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
    return {
        "a_ids": [a.id for a in attempts],
        "a_msg_ids": [a.msg_id for a in attempts],
        "a_endpoint_ids": [a.endpoint_id for a in attempts],
        "a_app_ids": [a.app_id for a in attempts],
        "a_urls": [a.url for a in attempts],
        "a_statuses": [int(a.status) for a in attempts],
        "a_response_status_codes": [a.response_status_code for a in attempts],
        "a_responses": [a.response for a in attempts],
        "a_response_duration_ms": [a.response_duration_ms for a in attempts],
        "a_trigger_types": [int(a.trigger_type) for a in attempts],
        "a_created_at": [a.created_at for a in attempts],
        "a_request_headers": [dumps(a.request_headers) for a in attempts],
        "a_response_headers": [dumps(a.response_headers) for a in attempts],
        "now": now,
        "sending": SENDING,
        "move_msg_ids": [k[0] for k in moves],
        "move_endpoint_ids": [k[1] for k in moves],
        "move_statuses": [v[0] for v in moves.values()],
        "move_next_at": [v[1] for v in moves.values()],
        "failed": failed,
        "succeeded": succeeded,
        # a success is noted at most once a minute: most batches leave a healthy endpoint's row alone
        "success_noted_before": now - 60,
        "failing_since": now - disable_after,
    }
