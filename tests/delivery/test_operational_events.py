"""Which recorded outcomes raise ``message.attempt.failing`` and ``message.attempt.recovered``: svix-server's
rules (the fourth failed scheduled attempt with a retry due; a success after at least four failures)."""

from __future__ import annotations

import pytest

from hookline.delivery.operational import attempt_events
from hookline.store.operational import OPERATIONAL_APP_ID
from hookline.store.records import Attempt, MessageStatus, Outcome, TriggerType


def outcome(ok: bool, prior: int, retry: bool = True, trigger: TriggerType = TriggerType.SCHEDULED,
            app_id: str = "app_1") -> Outcome:  # fmt: skip
    status = MessageStatus.SUCCESS if ok else MessageStatus.FAIL
    attempt = Attempt(
        "atmpt_1", "msg_1", "ep_1", app_id, "https://x", status, 200 if ok else 500, "", 1, trigger, 0.0
    )
    return Outcome(attempt, None if ok or not retry else 10.0, prior_attempts=prior)


@pytest.mark.parametrize(
    ("o", "kind"),
    [
        (outcome(False, 3), "message.attempt.failing"),
        (outcome(False, 2), None),
        (outcome(False, 4), None),  # failing is sent once, on the fourth failure
        (outcome(False, 3, retry=False), None),  # the last failure is exhausted, not failing
        (outcome(True, 4), "message.attempt.recovered"),
        (outcome(True, 7), "message.attempt.recovered"),
        (outcome(True, 3), None),  # no failing event was sent before it
        (outcome(True, 5, trigger=TriggerType.MANUAL), None),
        (outcome(False, 3, app_id=OPERATIONAL_APP_ID), None),  # operational deliveries raise nothing
    ],
)
def test_attempt_events_follow_svix_servers_rules(o: Outcome, kind: str | None) -> None:
    assert [k for k, _ in attempt_events([o])] == ([kind] if kind else [])
