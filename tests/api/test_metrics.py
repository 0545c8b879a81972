"""``GET /metrics`` on a running server, scraped and parsed with prometheus_client's own parser."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from svix.api import ApplicationIn, EndpointIn, MessageIn, Svix, SvixOptions

from hookline.opsconfig import MetricsSettings, OpsSettings
from tests.relay.procs import cli_env
from tests.support.servers import TEST_ENCRYPTION_KEY, HooklineServer, RecordingReceiver, free_port

METRICS_TOKEN = "metrics-only-token-9f3a7c1e5b2d8046"


def scrape(
    server: HooklineServer, token: str | None = None
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the server's ``/metrics``, keyed by name and labels."""
    headers = {"authorization": f"Bearer {token or server.token}"}
    r = httpx.get(f"{server.url}/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def server(database_url: str) -> Iterator[HooklineServer]:
    """hookline on each backend, sampling its gauges every tenth of a second, with a metrics token."""
    ops = OpsSettings(metrics=MetricsSettings(token=METRICS_TOKEN, sample_seconds=0.1))
    s = HooklineServer(database_url=database_url, ops=ops).start()
    yield s
    s.stop()


def test_metrics_count_accepted_messages_and_deliveries(
    server: HooklineServer, receiver: RecordingReceiver
) -> None:
    before = scrape(server)
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    app = svix.application.create(ApplicationIn(name="Acme"))
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ok"))
    receiver.status = 200
    for i in range(5):
        svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": i}))
    receiver.wait_for(5)
    deadline = time.time() + 15
    while True:
        after = scrape(server)
        if (
            value(after, "hookline_delivery_attempts_total", outcome="success")
            - value(before, "hookline_delivery_attempts_total", outcome="success")
            >= 5
            or time.time() > deadline
        ):
            break
        time.sleep(0.05)
    assert (
        value(after, "hookline_messages_accepted_total") - value(before, "hookline_messages_accepted_total")
        == 5
    )
    assert (
        value(after, "hookline_delivery_attempts_total", outcome="success")
        - value(before, "hookline_delivery_attempts_total", outcome="success")
        == 5
    )
    done = value(after, "hookline_delivery_attempt_duration_seconds_count", result="success") - value(
        before, "hookline_delivery_attempt_duration_seconds_count", result="success"
    )
    assert done == 5
    e2e = value(after, "hookline_delivery_end_to_end_seconds_count") - value(
        before, "hookline_delivery_end_to_end_seconds_count"
    )
    assert e2e == 5
    # the +Inf bucket holds every observation: end-to-end times are measured, not absent
    assert value(after, "hookline_delivery_end_to_end_seconds_bucket", le="+Inf") >= 5
    # sampled gauges from the database: the endpoint is enabled, nothing waits
    deadline = time.time() + 10
    while value(after, "hookline_endpoints", state="enabled") < 1 and time.time() < deadline:
        time.sleep(0.1)
        after = scrape(server)
    assert value(after, "hookline_endpoints", state="enabled") >= 1
    assert ("hookline_queue_depth", ()) in after and ("hookline_queue_oldest_due_seconds", ()) in after
    assert value(after, "hookline_database_bytes") > 0
    # bounded labels: no id of any resource is a label value
    for _name, labels in after:
        for _key, label in labels:
            assert not label.startswith(("app_", "ep_", "msg_", "atmpt_")), label


def test_failed_attempts_are_counted_by_outcome_class(
    server: HooklineServer, receiver: RecordingReceiver
) -> None:
    before = scrape(server)
    svix = Svix(server.token, SvixOptions(server_url=server.url))
    app = svix.application.create(ApplicationIn(name="Acme"))
    svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/fail"))
    receiver.status = 503
    svix.message.create(app.id, MessageIn(event_type="user.created", payload={}))
    # the test schedule is three quick retries, then the delivery fails for good
    receiver.wait_for(4)
    deadline = time.time() + 15
    while True:
        after = scrape(server)
        given_up = value(after, "hookline_deliveries_failed_total") - value(
            before, "hookline_deliveries_failed_total"
        )
        if given_up >= 1 or time.time() > deadline:
            break
        time.sleep(0.05)
    assert given_up == 1
    fails = value(after, "hookline_delivery_attempts_total", outcome="http_5xx") - value(
        before, "hookline_delivery_attempts_total", outcome="http_5xx"
    )
    assert fails == 4


def test_metrics_need_a_token_and_take_the_metrics_token(server: HooklineServer) -> None:
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    wrong = httpx.get(f"{server.url}/metrics", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "authentication_failed"
    assert ("hookline_messages_accepted_total", ()) in scrape(server, METRICS_TOKEN)
    # the metrics token reaches /metrics only, not the API
    api = httpx.get(f"{server.url}/api/v1/app", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert api.status_code == 401


def test_metrics_can_be_turned_off(sqlite_url: str) -> None:
    server = HooklineServer(
        database_url=sqlite_url, ops=OpsSettings(metrics=MetricsSettings(enabled=False))
    ).start()
    try:
        r = httpx.get(f"{server.url}/metrics", headers={"authorization": f"Bearer {server.token}"})
        assert r.status_code == 404
    finally:
        server.stop()


def test_a_worker_serves_metrics_on_its_own_port(sqlite_url: str) -> None:
    port = free_port()
    env = cli_env(
        HOOKLINE_DATABASE_URL=sqlite_url, HOOKLINE_METRICS_PORT=str(port), HOOKLINE_METRICS_TOKEN=METRICS_TOKEN,
        HOOKLINE_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY,
    )  # fmt: skip
    child = subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        lines = []
        deadline = time.time() + 30
        while time.time() < deadline:
            line = child.stdout.readline()
            lines.append(line)
            if "metrics on" in line or not line:
                break
        assert any(f":{port}/metrics" in line for line in lines), lines
        url = f"http://127.0.0.1:{port}/metrics"
        assert httpx.get(url).status_code == 401
        assert httpx.get(url, headers={"authorization": "Bearer wrong"}).status_code == 401
        r = httpx.get(url, headers={"authorization": f"Bearer {METRICS_TOKEN}"})
        assert r.status_code == 200
        names = {f.name for f in text_string_to_metric_families(r.text)}
        assert {"hookline_delivery_attempts", "hookline_queue_depth"} <= names
    finally:
        child.terminate()
        child.wait(20)
