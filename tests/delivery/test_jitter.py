"""Jitter draws from hookline's own generator: the process-wide ``random`` state is the host's.

An application embedding hookline may seed ``random`` for its own reproducible sequences, and
property-testing frameworks check that nothing else moved it while they drew; a worker thread
that drew its jitter from the shared state would break both at random moments.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from hookline.delivery.schedule import RetrySchedule
from hookline.jitter import jittered
from hookline.receiver.inbox import Backoff
from tests.delivery.conftest import Running
from tests.delivery.test_delivery import setup
from tests.support.servers import RecordingReceiver


def test_jittered_stays_within_its_fraction_and_spreads() -> None:
    drawn = [jittered(100.0, 0.5) for _ in range(2000)]
    assert all(50.0 <= d <= 150.0 for d in drawn)
    assert min(drawn) < 60 and max(drawn) > 140
    assert jittered(7.0, 0.0) == 7.0


def test_retry_delays_leave_the_process_random_state_alone() -> None:
    random.seed(1234)
    before = random.getstate()
    schedule = RetrySchedule((5.0, 300.0), jitter=0.2)
    backoff = Backoff(jitter=0.3)
    for n in range(1, 200):
        schedule.next_delay(1 + n % 2)
        backoff.delay(n)
    assert random.getstate() == before


def test_a_running_worker_retrying_with_jitter_leaves_the_process_random_state_alone(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    running = start_server(retry_schedule=(0.05, 0.05, 0.05), jitter=0.5)
    receiver.status = 500
    app_id, _ = setup(running.api, receiver)
    random.seed(99)
    before = random.getstate()
    msg_id = running.api.send(app_id)["id"]
    running.api.wait_attempts(app_id, msg_id, 4)
    # then the worker stands by, its idle claims spread at random too
    time.sleep(0.5)
    assert random.getstate() == before, "the worker drew from the process-wide random state"
