"""OpenTelemetry traces (the otel extra): accept, claim, send and record spans, the API request's
traceparent carried to the delivery spans, also into a separate `hookline worker` process; nothing
made or stored while traces are off."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hookline import tracing
from tests.delivery.processes import hookline_env
from tests.support.servers import TEST_ENCRYPTION_KEY, HooklineServer, RecordingReceiver

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT}-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.setup({}, exporter=exporter)
    yield exporter
    tracing.turn_off()


def _named(exporter: InMemorySpanExporter, name: str, count: int, timeout: float = 15) -> list[Any]:
    deadline = time.time() + timeout
    while True:
        found = [s for s in exporter.get_finished_spans() if s.name == name]
        if len(found) >= count or time.time() > deadline:
            return found
        time.sleep(0.05)


def _recorded(exporter: InMemorySpanExporter, wanted: set[int], timeout: float = 10) -> set[int]:
    """The span ids of sends that record spans link to, once they include ``wanted`` (or time is up)."""
    deadline = time.time() + timeout
    while True:
        records = [s for s in exporter.get_finished_spans() if s.name == "hookline.record"]
        linked = {link.context.span_id for r in records for link in r.links}
        if wanted <= linked or time.time() > deadline:
            return linked
        time.sleep(0.05)


def _app(server: HooklineServer, receiver: RecordingReceiver) -> httpx.Client:
    api = httpx.Client(base_url=server.url, headers={"authorization": f"Bearer {server.token}"})
    assert api.post("/api/v1/app", json={"name": "Shop", "uid": "shop"}).status_code == 201
    for path in ("/ok", "/down"):
        assert api.post("/api/v1/app/shop/endpoint", json={"url": receiver.url + path}).status_code == 201
    return api


def test_the_request_trace_reaches_every_delivery_span(
    spans: InMemorySpanExporter, database_url: str, receiver: RecordingReceiver
) -> None:
    receiver.handler = lambda rec: 500 if rec.path == "/down" else 200
    server = HooklineServer(database_url=database_url, retry_schedule=(0.05,)).start()
    try:
        api = _app(server, receiver)
        sent = api.post(
            "/api/v1/app/shop/msg",
            json={"eventType": "a.b", "payload": {}},
            headers={"traceparent": TRACEPARENT},
        )
        assert sent.status_code == 202
        msg_id = sent.json()["id"]
        receiver.wait_for(3)  # /ok once, /down twice (one retry)
        sends = _named(spans, "hookline.send", 3)
        linked = _recorded(spans, {s.context.span_id for s in sends})
        api.close()
    finally:
        server.stop()
    [accept] = [s for s in spans.get_finished_spans() if s.name == "hookline.accept"]
    # the accept span continues the request's trace, as its child
    assert f"{accept.context.trace_id:032x}" == TRACE_ID and f"{accept.parent.span_id:016x}" == PARENT
    assert accept.attributes["hookline.message_id"] == msg_id
    # every send (first tries and the retry) is a child of the accept span, in the same trace
    assert len(sends) == 3
    for s in sends:
        assert s.context.trace_id == accept.context.trace_id and s.parent.span_id == accept.context.span_id
        assert s.attributes["hookline.message_id"] == msg_id
    outcomes = sorted((s.attributes["hookline.outcome"], s.status.is_ok) for s in sends)
    assert outcomes == [("http_5xx", False), ("http_5xx", False), ("success", True)]
    # claims link to the messages they claimed; records to the sends whose outcomes they wrote
    claims = [s for s in spans.get_finished_spans() if s.name == "hookline.claim"]
    assert claims and all(link.context.span_id == accept.context.span_id for c in claims for link in c.links)
    assert linked == {s.context.span_id for s in sends}


def test_a_separate_worker_process_continues_the_trace(
    spans: InMemorySpanExporter, tmp_path: Path, receiver: RecordingReceiver
) -> None:
    url = f"sqlite:///{tmp_path / 'traces.db'}"
    server = HooklineServer(database_url=url, run_worker=False).start()
    api = _app(server, receiver)
    env = hookline_env(
        HOOKLINE_DATABASE_URL=url, HOOKLINE_ENCRYPTION_KEY=TEST_ENCRYPTION_KEY, HOOKLINE_ALLOWED_TARGETS="127.0.0.0/8",
        OTEL_TRACES_EXPORTER="console", OTEL_SERVICE_NAME="hookline-worker", OTEL_BSP_SCHEDULE_DELAY="100",
    )  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "hookline.cli", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        sent = api.post(
            "/api/v1/app/shop/msg",
            json={"eventType": "a.b", "payload": {}},
            headers={"traceparent": TRACEPARENT},
        )
        assert sent.status_code == 202
        receiver.wait_for(2, timeout=30)
    finally:
        api.close()
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
        server.stop()
    [accept] = [s for s in spans.get_finished_spans() if s.name == "hookline.accept"]
    exported = _console_spans(out)
    sends = [s for s in exported if s["name"] == "hookline.send"]
    assert len(sends) == 2, (out[-2000:], err[-2000:])
    for s in sends:
        assert s["context"]["trace_id"] == f"0x{TRACE_ID}"
        assert s["parent_id"] == f"0x{accept.context.span_id:016x}"
        assert s["resource"]["attributes"]["service.name"] == "hookline-worker"
    assert any(s["name"] == "hookline.claim" and s["links"] for s in exported)


def _console_spans(text: str) -> list[dict[str, Any]]:
    """The spans the SDK's console exporter printed: indented JSON objects, one after another."""
    decoder, found, i = json.JSONDecoder(), [], 0
    while (start := text.find("{", i)) != -1:
        try:
            obj, i = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        if isinstance(obj, dict) and "context" in obj:
            found.append(obj)
    return found


def test_nothing_is_made_or_stored_while_traces_are_off(sqlite_url: str, receiver: RecordingReceiver) -> None:
    assert tracing.TRACER is None and not tracing.requested({})
    assert not tracing.requested({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"})
    assert tracing.requested({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert not tracing.requested({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "console"})
    server = HooklineServer(database_url=sqlite_url).start()
    try:
        api = _app(server, receiver)
        headers = {"traceparent": TRACEPARENT}
        assert (
            api.post(
                "/api/v1/app/shop/msg", json={"eventType": "a", "payload": {}}, headers=headers
            ).status_code
            == 202
        )
        receiver.wait_for(2)
        api.close()

        async def rows() -> int:
            async with server.app.state.runtime.store.db.reader() as c:
                row = await c.fetchone("SELECT COUNT(*) FROM message_traces")
            return int(row[0])

        assert server.run(rows()) == 0
    finally:
        server.stop()


def test_an_exporter_that_cannot_be_made_is_refused(tmp_path: Path) -> None:
    env = hookline_env(OTEL_TRACES_EXPORTER="zipkin", HOOKLINE_DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    done = subprocess.run(
        [sys.executable, "-m", "hookline.cli", "worker"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "OTEL_TRACES_EXPORTER" in done.stderr
    assert os.environ.get("OTEL_TRACES_EXPORTER") is None
