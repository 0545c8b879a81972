"""The Receiver: verification before parsing, de-duplication by message id, dispatch."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import svix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hookline.errors import HooklineError
from hookline.receiver import (
    Event,
    HandlerError,
    Inbox,
    MalformedEventError,
    MemoryDedupe,
    Receiver,
    ReceiverError,
    UserEvent,
    normalize_headers,
)
from hookline.signing import (
    InvalidSecretError,
    MissingHeadersError,
    NoMatchingSignatureError,
    TimestampTooOldError,
    Webhook,
    WebhookVerificationError,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MakeEvent = Callable[..., dict[str, Any]]


@pytest.fixture
def receiver() -> Receiver:
    return Receiver(SECRET)


async def test_handler_runs_for_its_event_type(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    seen: list[Event[Any]] = []
    receiver.on("user.created")(seen.append)
    receiver.on("user.deleted")(lambda event: pytest.fail("wrong handler"))
    body, headers = signer.request(make_event("user.created", {"id": "user_1", "first_name": "Ada"}))

    result = await receiver.handle(body, headers)

    assert result.status == "accepted"
    assert result.handlers == 1
    assert len(seen) == 1
    assert isinstance(seen[0], UserEvent)
    assert seen[0].data.first_name == "Ada"
    assert seen[0].message_id == headers["webhook-id"] == result.message_id


async def test_sync_and_async_handlers_run_in_registration_order_then_wildcards(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    order: list[str] = []

    @receiver.on("*")
    def star(event: Event[Any]) -> None:
        order.append("star")

    @receiver.on("user.created", "user.updated")
    async def first(event: Event[Any]) -> None:
        await asyncio.sleep(0)
        order.append("first")

    @receiver.on("user.created")
    def second(event: Event[Any]) -> None:
        order.append("second")

    @receiver.on_any
    async def any_(event: Event[Any]) -> None:
        order.append("any")

    result = await receiver.handle(*signer.request(make_event("user.created", {"id": "user_1"})))

    assert order == ["first", "second", "star", "any"]
    assert result.handlers == 4


async def test_an_event_without_handlers_is_accepted(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    result = await receiver.handle(*signer.request(make_event("organization.created", {"id": "org_1"})))
    assert (result.status, result.handlers) == ("accepted", 0)


async def test_duplicate_delivery_is_acknowledged_once(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    calls: list[str] = []
    receiver.on("user.created")(lambda event: calls.append(event.message_id))
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))

    first = await receiver.handle(body, headers)
    again = await receiver.handle(body, headers)
    # a retry is signed again with a new timestamp, but keeps its message id
    resigned = signer.headers(body, msg_id=headers["webhook-id"], timestamp=int(time.time()) - 30)
    third = receiver.handle_sync(body, resigned)

    assert [first.status, again.status, third.status] == ["accepted", "duplicate", "duplicate"]
    assert again.duplicate and not first.duplicate
    assert calls == [headers["webhook-id"]]


async def test_dedupe_is_by_message_id_not_by_the_users_id(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    calls: list[str] = []
    receiver.on("*")(lambda event: calls.append(event.type))
    # two different messages about the same user: both must run
    created = signer.request(make_event("user.created", {"id": "user_1"}))
    updated = signer.request(make_event("user.updated", {"id": "user_1"}))

    results = [await receiver.handle(*created), await receiver.handle(*updated)]

    assert [r.status for r in results] == ["accepted", "accepted"]
    assert calls == ["user.created", "user.updated"]


async def test_concurrent_duplicate_deliveries_run_the_handler_once(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    calls = 0

    @receiver.on("user.created")
    async def slow(event: Event[Any]) -> None:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()

    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    first = asyncio.create_task(receiver.handle(body, headers))
    await started.wait()
    second = await receiver.handle(body, headers)
    release.set()

    assert second.status == "duplicate"
    assert (await first).status == "accepted"
    assert calls == 1


async def test_svix_headers_alone_are_enough(receiver: Receiver, signer: Any, make_event: MakeEvent) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}), families=("svix",))
    assert "webhook-id" not in headers
    result = await receiver.handle(body, headers)
    assert result.status == "accepted"
    assert result.message_id == headers["svix-id"]


async def test_a_request_signed_by_the_official_svix_package_is_accepted(
    receiver: Receiver, make_event: MakeEvent
) -> None:
    seen: list[Event[Any]] = []
    receiver.on("user.created")(seen.append)
    body = json.dumps(make_event("user.created", {"id": "user_svix"})).encode()
    msg_id = "msg_2jYBrr1ZbyqtJgZoUo6Eu8yA2kB"
    now = int(time.time())
    signature = svix.webhooks.Webhook(SECRET).sign(msg_id, _utc(now), body.decode())
    headers = {"svix-id": msg_id, "svix-timestamp": str(now), "svix-signature": signature}

    result = await receiver.handle(body, headers)

    assert result.status == "accepted"
    assert seen[0].data.id == "user_svix"


def _utc(ts: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC)


async def test_either_secret_verifies_while_one_is_rotated(
    signer: Any, make_signer: Callable[[str], Any], make_event: MakeEvent
) -> None:
    new_secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
    receiver = Receiver([new_secret, SECRET])
    payload = make_event("user.created", {"id": "user_1"})

    old = await receiver.handle(*signer.request(payload))
    new = await receiver.handle(*make_signer(new_secret).request(payload))

    assert (old.status, new.status) == ("accepted", "accepted")


async def test_a_wrong_signature_raises_a_verification_error_with_its_code(
    make_signer: Callable[[str], Any], make_event: MakeEvent, receiver: Receiver
) -> None:
    impostor = make_signer("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
    with pytest.raises(NoMatchingSignatureError) as caught:
        await receiver.handle(*impostor.request(make_event("user.created", {"id": "user_1"})))
    assert isinstance(caught.value, WebhookVerificationError)
    assert caught.value.code == "no_matching_signature"


async def test_missing_headers_and_a_stale_timestamp_are_named(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    body, _ = signer.request(make_event("user.created", {"id": "user_1"}))
    with pytest.raises(MissingHeadersError) as missing:
        await receiver.handle(body, {"content-type": "application/json"})
    assert missing.value.code == "missing_headers"

    stale = signer.headers(body, timestamp=int(time.time()) - 3600)
    with pytest.raises(TimestampTooOldError) as old:
        await receiver.handle(body, stale)
    assert old.value.code == "timestamp_too_old"


async def test_the_raw_body_is_verified_before_anything_parses_it(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    # the same JSON re-serialized is a different body: it must fail verification, not be parsed
    reserialized = json.dumps(json.loads(body), indent=2).encode()
    with pytest.raises(NoMatchingSignatureError):
        await receiver.handle(reserialized, headers)
    # garbage with copied headers is a signature failure, never a "malformed body"
    with pytest.raises(NoMatchingSignatureError):
        await receiver.handle(b"not json at all", headers)


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2, 3]", b'{"data": {"id": "user_1"}}', b'{"type": "user.created", "data": 5}']
)
async def test_a_verified_body_that_is_not_an_event_is_malformed(
    receiver: Receiver, signer: Any, body: bytes
) -> None:
    with pytest.raises(MalformedEventError) as caught:
        await receiver.handle(body, signer.headers(body))
    assert caught.value.code == "malformed_event"
    assert isinstance(caught.value, ReceiverError) and isinstance(caught.value, HooklineError)


async def test_a_failed_handler_raises_and_the_retry_runs_it_again(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    attempts: list[int] = []

    @receiver.on("user.created")
    def flaky(event: Event[Any]) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("database is down")

    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    with pytest.raises(HandlerError) as caught:
        await receiver.handle(body, headers)
    assert caught.value.code == "handler_failed"
    assert isinstance(caught.value.__cause__, ConnectionError)

    retried = await receiver.handle(body, headers)
    assert retried.status == "accepted"
    assert len(attempts) == 2
    assert (await receiver.handle(body, headers)).status == "duplicate"


def test_handle_sync_runs_sync_handlers_in_the_calling_thread_and_async_ones_too(
    signer: Any, make_event: MakeEvent
) -> None:
    import threading

    receiver = Receiver(SECRET)
    threads: list[str] = []
    receiver.on("user.created")(lambda event: threads.append(threading.current_thread().name))

    @receiver.on("user.created")
    async def also(event: Event[Any]) -> None:
        await asyncio.sleep(0)
        threads.append("async")

    result = receiver.handle_sync(*signer.request(make_event("user.created", {"id": "user_1"})))

    assert result.status == "accepted"
    assert threads == [threading.current_thread().name, "async"]


async def test_handle_sync_inside_an_event_loop_refuses_async_handlers_cleanly(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    @receiver.on("user.created")
    async def handler(event: Event[Any]) -> None:
        pytest.fail("must not run")

    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    with pytest.raises(ReceiverError) as caught:
        receiver.handle_sync(body, headers)
    assert caught.value.code == "async_handler_in_sync_context"
    # the claim was released: the proper async call handles it
    receiver._handlers.clear()
    assert (await receiver.handle(body, headers)).status == "accepted"


JUNK_HEADER_VALUES = [
    "",
    " ",
    "inf",
    "-inf",
    "nan",
    "1e999",
    "9" * 5000,
    "-1",
    "0x10",
    "１２３",  # full-width digits: isdigit() is True, but not ASCII
    "\udcff",
    "v1,",
    "v1,!!!!",
    "v1,é",
    "v1,=" * 5000,
    "v1a," + "A" * 86 + "==",
    ",,,, ,",
    "\x00",
    "msg_\u2028",
]


@pytest.mark.parametrize("part", ["id", "timestamp", "signature"])
@pytest.mark.parametrize("value", JUNK_HEADER_VALUES)
async def test_junk_headers_raise_only_verification_errors(
    receiver: Receiver, signer: Any, make_event: MakeEvent, part: str, value: str
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    for family in ("webhook", "svix"):
        headers[f"{family}-{part}"] = value
    with pytest.raises(WebhookVerificationError):
        await receiver.handle(body, headers)


@settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "webhook-id",
                "webhook-timestamp",
                "webhook-signature",
                "svix-id",
                "svix-timestamp",
                "svix-signature",
            ]
        ),
        st.one_of(st.text(), st.binary(max_size=64), st.integers().map(str)),
    ),
    body=st.binary(max_size=256),
)
def test_arbitrary_headers_never_raise_outside_the_error_hierarchy(
    headers: dict[str, Any], body: bytes
) -> None:
    receiver = Receiver(SECRET)
    with pytest.raises(WebhookVerificationError):
        receiver.handle_sync(body, headers)


def test_a_malformed_secret_fails_at_construction() -> None:
    with pytest.raises(InvalidSecretError):
        Receiver("whsec_%%%not-base64%%%")
    with pytest.raises(InvalidSecretError):
        Receiver([])


def test_dedupe_and_inbox_are_exclusive(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="not both"):
        Receiver(SECRET, dedupe=MemoryDedupe(), inbox=Inbox(tmp_path / "inbox.db"))


def test_memory_dedupe_is_bounded_in_size_and_in_age() -> None:
    now = [1000.0]
    store = MemoryDedupe(max_entries=3, ttl=60, clock=lambda: now[0])
    for message_id in ("a", "b", "c", "d"):
        assert store.claim(message_id)
        store.complete(message_id)
    assert len(store) == 3
    assert "a" not in store  # the oldest was evicted
    assert not store.claim("d")

    now[0] += 61
    assert len(store) == 0
    assert store.claim("d")


def test_memory_dedupe_release_lets_a_retry_claim_again() -> None:
    store = MemoryDedupe()
    assert store.claim("m")
    assert not store.claim("m")  # in flight
    store.release("m")
    assert store.claim("m")


def test_headers_are_normalized_from_bytes_pairs_and_wsgi_names() -> None:
    assert normalize_headers([(b"Webhook-Id", b"msg_1"), ("SVIX-ID", "msg_2")]) == {
        "webhook-id": "msg_1",
        "svix-id": "msg_2",
    }
    assert normalize_headers({"HTTP_WEBHOOK_TIMESTAMP": "123", "X": None}) == {"webhook-timestamp": "123"}


async def test_receiver_accepts_raw_asgi_header_pairs(
    receiver: Receiver, signer: Any, make_event: MakeEvent
) -> None:
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    raw = [(k.encode(), v.encode()) for k, v in headers.items()]
    assert (await receiver.handle(body, raw)).status == "accepted"


def test_diagnose_explains_a_rejected_request(signer: Any, make_event: MakeEvent) -> None:
    receiver = Receiver(SECRET)
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))
    reserialized = json.dumps(json.loads(body), indent=2).encode()

    assert receiver.diagnose(body, headers).ok
    diagnosis = receiver.diagnose(reserialized, headers)
    assert not diagnosis.ok
    assert "body_reserialized" in diagnosis.codes


async def test_asymmetric_v1a_signatures_verify_with_the_public_key(make_event: MakeEvent) -> None:
    from hookline.signing import generate_keypair, signature_headers

    keys = generate_keypair()
    body = json.dumps(make_event("user.created", {"id": "user_1"})).encode()
    now = int(time.time())
    headers = signature_headers("msg_v1a", now, Webhook(keys.signing_key).sign("msg_v1a", now, body))

    assert (await Receiver(keys.public_key).handle(body, headers)).status == "accepted"
    with pytest.raises(NoMatchingSignatureError):
        await Receiver(SECRET).handle(body, headers)
