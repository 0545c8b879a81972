"""Prometheus metrics of this process, served at ``GET /metrics`` in Prometheus' text format.

Each process (every ``hookline serve`` and ``hookline worker``) counts what it did itself; Prometheus
scrapes each one and sums across them. Labels are bounded sets (outcome classes, endpoint states):
never a message, endpoint or application id. The record functions are cheap enough for hot paths
(a counter increment is a lock and an add).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from hookline.ids import id_time
from hookline.store.records import MessageStatus, Outcome

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

CONTENT_TYPE = CONTENT_TYPE_LATEST
OUTCOMES = ("success", "http_4xx", "http_5xx", "http_other", "no_response")
ENDPOINT_STATES = ("enabled", "failing", "disabled")

MESSAGES_ACCEPTED = Counter(
    "hookline_messages_accepted", "Messages accepted through the API by this process.", registry=REGISTRY
)
ATTEMPTS = Counter(
    "hookline_delivery_attempts",
    "Delivery attempts recorded by this process, by outcome class "
    "(success, http_4xx, http_5xx, http_other, no_response: timeout or connection failure).",
    ["outcome"],
    registry=REGISTRY,
)
GIVEN_UP = Counter(
    "hookline_deliveries_failed",
    "Deliveries that failed for good: no retry left, or the receiver asked to stop.",
    registry=REGISTRY,
)
ATTEMPT_SECONDS = Histogram(
    "hookline_delivery_attempt_duration_seconds",
    "How long one delivery attempt took, from sending the request to its answer (or failure).",
    ["result"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
    registry=REGISTRY,
)
END_TO_END_SECONDS = Histogram(
    "hookline_delivery_end_to_end_seconds",
    "From a message's acceptance to its successful delivery to one endpoint (retries included).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36000, 86400),
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "hookline_queue_depth",
    "Deliveries pending or being sent, in the whole database (sampled; counted up to QUEUE_COUNT_CAP).",
    registry=REGISTRY,
)
QUEUE_OLDEST_DUE = Gauge(
    "hookline_queue_oldest_due_seconds",
    "How long the delivery that has waited longest past its due time has been due (0 if none is due).",
    registry=REGISTRY,
)
ENDPOINTS = Gauge("hookline_endpoints", "Endpoints by state (sampled).", ["state"], registry=REGISTRY)
DATABASE_BYTES = Gauge(
    "hookline_database_bytes", "Size of the database on disk (sampled).", registry=REGISTRY
)
DATABASE_CONNECTIONS = Gauge(
    "hookline_database_connections",
    "PostgreSQL connections of this process's pools, by state (in_use, idle).",
    ["state"],
    registry=REGISTRY,
)
SIGN_INS = Counter(
    "hookline_sign_ins", "End-user sign-ins by outcome (succeeded, refused).", ["outcome"], registry=REGISTRY
)
PASSWORD_CHECKS = Counter(
    "hookline_password_checks",
    "Password checks of every kind (sign-in, dashboard, verify_password) by outcome (ok, wrong, throttled).",
    ["outcome"],
    registry=REGISTRY,
)
RETENTION_ROWS = Counter(
    "hookline_retention_rows",
    "Rows removed by retention passes this process ran, by kind (payloads are expunged, not removed).",
    ["kind"],
    registry=REGISTRY,
)
RETENTION_LAST_RUN = Gauge(
    "hookline_retention_last_run_timestamp_seconds",
    "When the last complete retention pass (by any process) finished, as a unix time (sampled).",
    registry=REGISTRY,
)

# every series exists from the start, so rates work from the first scrape; the hot path keeps the
# children instead of looking each one up by its labels per attempt
_ATTEMPTS_BY_OUTCOME = {o: ATTEMPTS.labels(o) for o in OUTCOMES}
_SECONDS_BY_RESULT = {r: ATTEMPT_SECONDS.labels(r) for r in ("success", "failure")}
for _state in ENDPOINT_STATES:
    ENDPOINTS.labels(_state)
for _sign_in in ("succeeded", "refused"):
    SIGN_INS.labels(_sign_in)
for _check in ("ok", "wrong", "throttled"):
    PASSWORD_CHECKS.labels(_check)


def outcome_class(status_code: int) -> str:
    """The outcome class of an attempt's HTTP status (0: no response arrived)."""
    if 200 <= status_code < 300:
        return "success"
    if status_code == 0:
        return "no_response"
    if 400 <= status_code < 500:
        return "http_4xx"
    if 500 <= status_code < 600:
        return "http_5xx"
    return "http_other"


def accepted(count: int) -> None:
    """Count messages accepted."""
    if count:
        MESSAGES_ACCEPTED.inc(count)


def recorded(outcomes: Iterable[Outcome]) -> None:
    """Count recorded delivery attempts: outcome class, duration, end-to-end time of successes."""
    for o in outcomes:
        a = o.attempt
        ok = a.status == MessageStatus.SUCCESS
        _ATTEMPTS_BY_OUTCOME[outcome_class(a.response_status_code)].inc()
        _SECONDS_BY_RESULT["success" if ok else "failure"].observe(a.response_duration_ms / 1000)
        if ok:
            born = id_time(a.msg_id)
            if born is not None:
                END_TO_END_SECONDS.observe(max(0.0, a.created_at - born))
        elif o.next_attempt_at is None:
            GIVEN_UP.inc()


def render() -> bytes:
    """This process's metrics in Prometheus' text format."""
    return generate_latest(REGISTRY)
