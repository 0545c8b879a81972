"""Per-endpoint token buckets: how long a send waits so that an endpoint's rate holds."""

from __future__ import annotations

import pytest

from hookline.delivery.ratelimit import TokenBuckets


def send_times(buckets: TokenBuckets, key: str, rate: int, asked_at: list[float]) -> list[float]:
    """When each send asked for at ``asked_at`` may go out."""
    return [t + buckets.reserve(key, rate, now=t) for t in asked_at]


@pytest.mark.parametrize("rate", [None, 0, -3])
def test_no_rate_means_no_wait(rate: int | None) -> None:
    buckets = TokenBuckets()
    assert [buckets.reserve("ep", rate, now=10.0) for _ in range(100)] == [0.0] * 100


def test_a_burst_is_spread_at_the_rate() -> None:
    buckets = TokenBuckets()
    times = send_times(buckets, "ep", 5, [100.0] * 20)
    assert times == sorted(times)
    # a bucket holds at most one second's worth: past that, sends are 1/rate apart
    for i in range(5, 20):
        assert times[i] - times[i - 5] >= 1.0 - 1e-9


@pytest.mark.parametrize("rate", [1, 3, 10, 50])
def test_no_window_holds_more_than_a_bucket_plus_the_rate(rate: int) -> None:
    buckets = TokenBuckets()
    asked = [100.0 + i * 0.001 for i in range(rate * 6)]
    times = send_times(buckets, "ep", rate, asked)
    for start in times:
        in_window = [t for t in times if start <= t < start + 1.0]
        assert len(in_window) <= 2 * rate, f"{len(in_window)} sends within one second at rate {rate}"
    assert times[-1] - times[0] >= (len(times) - rate) / rate - 1e-9


def test_endpoints_have_separate_buckets() -> None:
    buckets = TokenBuckets()
    slow = send_times(buckets, "ep_slow", 1, [50.0] * 5)
    fast = send_times(buckets, "ep_fast", 1, [50.0])
    assert slow[-1] - slow[0] >= 3.0
    assert fast == [50.0], "another endpoint's backlog must not delay this one"


def test_an_idle_endpoint_is_not_held_back_by_its_past() -> None:
    buckets = TokenBuckets()
    send_times(buckets, "ep", 2, [0.0] * 10)  # a backlog long ago
    assert buckets.reserve("ep", 2, now=3600.0) == 0.0


def test_waits_count_from_the_real_clock_when_no_time_is_given() -> None:
    buckets = TokenBuckets()
    waits = [buckets.reserve("ep", 4) for _ in range(12)]
    assert waits[0] == 0.0
    assert waits[-1] >= 1.5, "twelve sends at 4/s cannot all leave within 1.5 s"
