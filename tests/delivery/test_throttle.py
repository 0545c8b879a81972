"""Per-endpoint rate limits (throttleRate) space deliveries without losing, duplicating or blocking any."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from tests.delivery.conftest import Running
from tests.support.servers import Received, RecordingReceiver


def assert_rate_held(arrivals: list[Received], rate: int) -> None:
    """Lower bounds only: a bucket of ``rate`` sends may go at once, every further one waits 1/rate."""
    times = sorted(r.at for r in arrivals)
    n = len(times)
    assert times[-1] - times[0] >= (n - rate) / rate - 0.1, (
        f"{n} deliveries at {rate}/s took only {times[-1] - times[0]:.2f} s"
    )
    for start in times:
        in_one_second = sum(1 for t in times if start <= t < start + 1.0)
        assert in_one_second <= 2 * rate, f"{in_one_second} deliveries within one second at {rate}/s"


def test_throttle_rate_spaces_deliveries(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    hl = start_server()
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"{receiver.url}/hook", throttleRate=5)
    sent = [hl.api.send(app_id, {"n": n})["id"] for n in range(15)]
    got = receiver.wait_for(15, timeout=30)
    assert sorted(r.headers["webhook-id"] for r in got) == sorted(sent)
    assert_rate_held(got, 5)


def test_throttle_holds_for_a_backlog_longer_than_the_lease(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    # 8 messages at 2/s need 3 s or more; a lease is 2 s, so most must wait past the lease they were claimed with
    hl = start_server(lease_seconds=2)
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"{receiver.url}/hook", throttleRate=2)
    sent = [hl.api.send(app_id, {"n": n})["id"] for n in range(8)]
    got = receiver.wait_for(8, timeout=30)
    assert_rate_held(got, 2)
    assert Counter(r.headers["webhook-id"] for r in got) == Counter(sent), "each message exactly once"
    attempts = [a for m in sent for a in hl.api.attempts(app_id, m)]
    assert len(attempts) == 8 and all(a["status"] == 0 for a in attempts)


def test_a_throttled_backlog_does_not_hold_back_other_endpoints(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    hl = start_server(max_in_flight=4)
    slow_app = hl.api.create_app("slow")
    hl.api.create_endpoint(slow_app, f"{receiver.url}/slow", throttleRate=1)
    fast_app = hl.api.create_app("fast")
    hl.api.create_endpoint(fast_app, f"{receiver.url}/fast")
    for n in range(12):
        hl.api.send(slow_app, {"n": n})
    for n in range(3):
        hl.api.send(fast_app, {"n": n})
    fast = receiver.wait_for(3, path="/fast", timeout=30)
    slow_so_far = [r for r in receiver.requests if r.path == "/slow"]
    # at 1/s the slow endpoint's 4th delivery cannot come before 3 s; the fast ones must not queue behind it
    assert len(slow_so_far) <= 3 or max(r.at for r in fast) < sorted(r.at for r in slow_so_far)[3]


def test_endpoints_without_throttle_are_not_spaced(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    hl = start_server()
    app_id = hl.api.create_app()
    hl.api.create_endpoint(app_id, f"{receiver.url}/throttled", throttleRate=1)
    hl.api.create_endpoint(app_id, f"{receiver.url}/free")
    for n in range(6):
        hl.api.send(app_id, {"n": n})
    free = receiver.wait_for(6, path="/free", timeout=30)
    throttled = receiver.wait_for(3, path="/throttled", timeout=30)
    # ordering, not timing: all six unthrottled deliveries come before the throttled endpoint's third
    assert max(r.at for r in free) < sorted(r.at for r in throttled)[2]


def test_an_applications_throttle_rate_paces_each_of_its_endpoints(
    start_server: Callable[..., Running], receiver: RecordingReceiver
) -> None:
    hl = start_server()
    app_id = hl.api.create_app(throttleRate=4)
    hl.api.create_endpoint(app_id, f"{receiver.url}/a")
    hl.api.create_endpoint(app_id, f"{receiver.url}/b", throttleRate=1000)  # its own rate wins
    for n in range(12):
        hl.api.send(app_id, {"n": n})
    paced = receiver.wait_for(12, path="/a", timeout=30)
    assert_rate_held(paced, 4)
    fast = receiver.wait_for(12, path="/b", timeout=30)
    # ordering, not timing: at 4/s the ninth delivery to /a comes 1.25 s after the first at the soonest
    assert max(r.at for r in fast) < sorted(r.at for r in paced)[8]
