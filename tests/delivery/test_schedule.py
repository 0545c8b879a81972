"""The retry schedule: delays after each failure, exhaustion, jitter, and Retry-After."""

from __future__ import annotations

import pytest

from hookline.config import DEFAULT_RETRY_SCHEDULE, DeliverySettings, parse_schedule
from hookline.delivery.schedule import RetrySchedule


def test_default_schedule_is_svix_schedule_after_an_immediate_first_try() -> None:
    assert DEFAULT_RETRY_SCHEDULE == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert DeliverySettings().retry_schedule == DEFAULT_RETRY_SCHEDULE
    assert RetrySchedule(DEFAULT_RETRY_SCHEDULE).max_attempts == 8


def test_each_failure_waits_the_next_delay_in_order() -> None:
    schedule = RetrySchedule((5, 300, 1800), jitter=0)
    assert [schedule.next_delay(n) for n in (1, 2, 3)] == [5, 300, 1800]


def test_schedule_is_exhausted_after_the_last_delay() -> None:
    schedule = RetrySchedule((5, 300), jitter=0)
    assert schedule.max_attempts == 3
    assert schedule.next_delay(3) is None
    assert schedule.next_delay(10) is None


def test_no_delay_before_any_try_was_made() -> None:
    assert RetrySchedule((5,), jitter=0).next_delay(0) is None


def test_empty_schedule_means_a_single_try() -> None:
    schedule = RetrySchedule((), jitter=0)
    assert schedule.max_attempts == 1
    assert schedule.next_delay(1) is None


def test_jitter_stays_within_its_fraction_and_varies() -> None:
    schedule = RetrySchedule((100.0, 1000.0), jitter=0.2)
    first = [schedule.next_delay(1) for _ in range(2000)]
    second = [schedule.next_delay(2) for _ in range(2000)]
    assert all(d is not None and 80.0 <= d <= 120.0 for d in first)
    assert all(d is not None and 800.0 <= d <= 1200.0 for d in second)
    assert len(set(first)) > 100, "jitter must actually spread the delays"
    assert min(first) < 90 and max(first) > 110, "jitter must use most of its range"


def test_jitter_never_makes_a_delay_negative() -> None:
    schedule = RetrySchedule((0.0, 0.001), jitter=1.0)
    assert all((schedule.next_delay(n) or 0.0) >= 0.0 for n in (1, 2) for _ in range(500))


def test_retry_after_pushes_the_next_try_later() -> None:
    schedule = RetrySchedule((5, 300), jitter=0)
    assert schedule.next_delay(1, retry_after=60) == 60


def test_retry_after_never_pulls_the_next_try_earlier() -> None:
    schedule = RetrySchedule((5, 300), jitter=0)
    assert schedule.next_delay(2, retry_after=1) == 300
    assert schedule.next_delay(1, retry_after=0) == 5


def test_retry_after_is_bounded_by_the_cap() -> None:
    schedule = RetrySchedule((5, 300), jitter=0)
    assert schedule.next_delay(1, retry_after=10**9, cap=3600) == 3600
    assert schedule.next_delay(1, retry_after=10**9) == 3600, "the default cap is one hour"


def test_a_capped_retry_after_still_never_pulls_the_try_earlier() -> None:
    # the cap bounds how far a receiver can push a try, it is no way to skip the schedule
    schedule = RetrySchedule((5, 300), jitter=0)
    assert schedule.next_delay(2, retry_after=5000, cap=100) == 300


def test_retry_after_does_not_extend_an_exhausted_schedule() -> None:
    assert RetrySchedule((5,), jitter=0).next_delay(2, retry_after=10) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5,300,1800", (5.0, 300.0, 1800.0)), (" 0.05, 0.1 ", (0.05, 0.1)), ("", ())],
)
def test_schedule_from_the_environment(text: str, expected: tuple[float, ...]) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", ["5,soon", "-1,5"])
def test_schedule_from_the_environment_refuses_nonsense(text: str) -> None:
    from hookline.config import ConfigError

    with pytest.raises(ConfigError, match="HOOKLINE_RETRY_SCHEDULE"):
        parse_schedule(text)
