"""The benchmarks' stand-in for sending: each claim recorded as delivered, nothing sent."""

from __future__ import annotations

from collections.abc import Sequence

from hookline.ids import new_id
from hookline.store.records import Attempt, Claim, MessageStatus, Outcome


def delivered(claims: Sequence[Claim], now: float, duration_ms: int = 5) -> list[Outcome]:
    """One outcome per claim: a 200 attempt made at ``now``, and no further try."""
    return [
        Outcome(
            Attempt(
                new_id("atmpt", now),
                c.msg_id,
                c.endpoint_id,
                c.app_id,
                c.url,
                MessageStatus.SUCCESS,
                200,
                "ok",
                duration_ms,
                c.trigger,
                now,
                {"content-type": "application/json"},
            ),
            None,
        )
        for c in claims
    ]
