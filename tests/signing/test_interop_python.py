"""Interop with the official Python packages, both ways: `svix` (2.9.1) and `standardwebhooks`."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import standardwebhooks
import svix.webhooks
from hypothesis import given, settings
from hypothesis import strategies as st

from hookline.signing import Webhook, generate_secret, sign, signature_headers, verify
from tests.signing.vectors import BODY, MSG_ID, SECRET, SIGNATURE, TIMESTAMP

# the reference packages read the real clock, so these requests are signed "now"
EVENT = (
    '{"data":{"id":"user_2g7np7Hrk0SN6kj5EDMLDaKNL0S","first_name":"Zoë","emoji":"🚀"},"type":"user.created"}'
)


def now() -> int:
    return int(time.time())


def ours_headers(body: str | bytes, secret: str = SECRET, msg_id: str = MSG_ID) -> dict[str, str]:
    ts = now()
    return signature_headers(msg_id, ts, sign(secret, msg_id, ts, body))


def only(family: str, headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith(family + "-")}


def test_all_three_sign_the_known_vector_identically() -> None:
    ts = datetime.fromtimestamp(TIMESTAMP, UTC)
    assert svix.webhooks.Webhook(SECRET).sign(MSG_ID, ts, BODY.decode()) == SIGNATURE
    assert standardwebhooks.Webhook(SECRET).sign(MSG_ID, ts, BODY.decode()) == SIGNATURE
    assert Webhook(SECRET).sign(MSG_ID, ts, BODY) == SIGNATURE


@pytest.mark.parametrize("family", ["svix", "webhook", "both"])
def test_our_signature_verifies_with_the_svix_package(family: str) -> None:
    headers = ours_headers(EVENT)
    if family != "both":
        headers = only(family, headers)
    svix.webhooks.Webhook(SECRET).verify(EVENT.encode(), headers)


def test_our_signature_verifies_with_the_standardwebhooks_package() -> None:
    payload = standardwebhooks.Webhook(SECRET).verify(EVENT.encode(), only("webhook", ours_headers(EVENT)))
    assert payload["data"]["first_name"] == "Zoë"


def test_our_rotation_header_verifies_with_svix_under_either_secret() -> None:
    old, new, ts = generate_secret(), generate_secret(32), now()
    header = f"{sign(new, MSG_ID, ts, EVENT)} {sign(old, MSG_ID, ts, EVENT)}"
    for secret in (old, new):
        svix.webhooks.Webhook(secret).verify(EVENT, signature_headers(MSG_ID, ts, header))
        standardwebhooks.Webhook(secret).verify(EVENT, signature_headers(MSG_ID, ts, header))


def test_svix_rejects_our_signature_when_the_body_changes() -> None:
    headers = ours_headers(EVENT)
    with pytest.raises(svix.webhooks.WebhookVerificationError):
        svix.webhooks.Webhook(SECRET).verify(EVENT + "\n", headers)


@pytest.mark.parametrize("family", ["svix", "webhook"])
def test_svix_signature_verifies_with_ours(family: str) -> None:
    ts = now()
    sig = svix.webhooks.Webhook(SECRET).sign(MSG_ID, datetime.fromtimestamp(ts, UTC), EVENT)
    headers = only(family, signature_headers(MSG_ID, ts, sig))
    assert Webhook(SECRET).verify(EVENT.encode(), headers)["data"]["emoji"] == "🚀"


def test_standardwebhooks_signature_verifies_with_ours() -> None:
    ts = now()
    sig = standardwebhooks.Webhook(SECRET).sign(MSG_ID, datetime.fromtimestamp(ts, UTC), EVENT)
    assert verify(SECRET, EVENT.encode(), only("webhook", signature_headers(MSG_ID, ts, sig)))["type"] == (
        "user.created"
    )


def test_raw_byte_keys_agree_with_standardwebhooks() -> None:
    key = bytes(range(40))
    ts = datetime.fromtimestamp(TIMESTAMP, UTC)
    assert Webhook(key).sign(MSG_ID, ts, EVENT) == standardwebhooks.Webhook(key).sign(MSG_ID, ts, EVENT)


def test_bare_base64_secret_without_prefix_agrees_with_standardwebhooks() -> None:
    bare = generate_secret().removeprefix("whsec_")
    ts = datetime.fromtimestamp(TIMESTAMP, UTC)
    assert Webhook(bare).sign(MSG_ID, ts, EVENT) == standardwebhooks.Webhook(bare).sign(MSG_ID, ts, EVENT)


@settings(max_examples=100, deadline=None, database=None)
@given(
    body=st.text(max_size=1000),
    msg_id=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
    nbytes=st.integers(min_value=24, max_value=64),
    ts=st.integers(min_value=0, max_value=2**33),
)
def test_signatures_are_identical_to_the_svix_package_for_any_body_and_secret(
    body: str, msg_id: str, nbytes: int, ts: int
) -> None:
    secret = generate_secret(nbytes)
    when = datetime.fromtimestamp(ts, UTC)
    assert Webhook(secret).sign(msg_id, ts, body) == svix.webhooks.Webhook(secret).sign(msg_id, when, body)


@settings(max_examples=50, deadline=None, database=None)
@given(body=st.text(max_size=500), nbytes=st.integers(min_value=24, max_value=64))
def test_any_text_body_we_sign_verifies_with_both_packages(body: str, nbytes: int) -> None:
    secret = generate_secret(nbytes)
    headers = ours_headers(body, secret)
    svix.webhooks.Webhook(secret).verify(body.encode(), headers)
    standardwebhooks.Webhook(secret).verify(body.encode(), headers, json_parse=False)
