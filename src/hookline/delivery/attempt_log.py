"""One log record per recorded attempt, with the message, endpoint and outcome as fields.

Failed attempts are logged at INFO, deliveries that failed for good at WARNING and successes at
DEBUG (at thousands a second they would drown everything else). Bodies, headers and URLs are never
logged: a receiver's answer or an endpoint's query string may carry anything.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from hookline.metrics import outcome_class
from hookline.store.records import MessageStatus, Outcome

log = logging.getLogger("hookline.delivery")


def log_outcomes(batch: Sequence[Outcome], now: float) -> None:
    """Log the attempts of ``batch`` that the configured level lets through (nothing, cheaply, if none)."""
    if not log.isEnabledFor(logging.INFO):
        return
    debug = log.isEnabledFor(logging.DEBUG)
    for o in batch:
        a = o.attempt
        ok = a.status == MessageStatus.SUCCESS
        if ok and not debug:
            continue
        outcome = outcome_class(a.response_status_code)
        extra: dict[str, object] = {
            "message_id": a.msg_id, "endpoint_id": a.endpoint_id, "app_id": a.app_id, "attempt_id": a.id,
            "outcome": outcome, "status_code": a.response_status_code, "duration_ms": a.response_duration_ms,
        }  # fmt: skip
        if ok:
            log.debug("delivered %s to %s", a.msg_id, a.endpoint_id, extra=extra)
        elif o.next_attempt_at is None:
            log.warning(
                "delivery of %s to %s failed for good (%s)", a.msg_id, a.endpoint_id, outcome, extra=extra
            )
        else:
            extra["retry_in_seconds"] = round(max(0.0, o.next_attempt_at - now), 3)
            log.info(
                "attempt of %s to %s failed (%s); next try in %.1f s",
                a.msg_id, a.endpoint_id, outcome, extra["retry_in_seconds"], extra=extra,
            )  # fmt: skip
