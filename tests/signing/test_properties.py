"""Properties: any body and id round-trip; any single-byte change of the body fails."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hookline.signing import (
    NoMatchingSignatureError,
    Webhook,
    generate_keypair,
    generate_secret,
    signature_headers,
)

NOW = 1_700_000_000
HMAC = Webhook(generate_secret())
PAIR = generate_keypair()
ED_SIGNER, ED_VERIFIER = Webhook(PAIR.signing_key), Webhook(PAIR.public_key)

# ids a sender may choose (Svix accepts user-chosen message uids); surrounding spaces are excluded
# because HTTP strips them from header values on the way
ids = st.text(
    alphabet=st.characters(codec="latin-1", exclude_categories=("Cc", "Zs")), min_size=1, max_size=64
)
timestamps = st.integers(min_value=NOW - 300, max_value=NOW + 300)
quick = settings(max_examples=200, deadline=None, database=None)


@quick
@given(body=st.binary(max_size=2048), msg_id=ids, ts=timestamps)
def test_any_body_and_id_round_trip_with_hmac(body: bytes, msg_id: str, ts: int) -> None:
    headers = signature_headers(msg_id, ts, HMAC.sign(msg_id, ts, body))
    assert HMAC.verify(body, headers, json_parse=False, now=NOW) is None


@quick
@given(body=st.binary(max_size=2048), msg_id=ids, ts=timestamps)
def test_any_body_and_id_round_trip_with_ed25519(body: bytes, msg_id: str, ts: int) -> None:
    headers = signature_headers(msg_id, ts, ED_SIGNER.sign(msg_id, ts, body))
    assert ED_VERIFIER.verify(body, headers, json_parse=False, now=NOW) is None


@quick
@given(text=st.text(max_size=500), msg_id=ids)
def test_str_and_utf8_bytes_bodies_round_trip_alike(text: str, msg_id: str) -> None:
    headers = signature_headers(msg_id, NOW, HMAC.sign(msg_id, NOW, text))
    assert HMAC.verify(text.encode(), headers, json_parse=False, now=NOW) is None


@pytest.mark.parametrize("signer,verifier", [(HMAC, HMAC), (ED_SIGNER, ED_VERIFIER)], ids=["v1", "v1a"])
@quick
@given(data=st.data(), body=st.binary(min_size=1, max_size=1024), msg_id=ids)
def test_any_single_byte_change_of_the_body_fails(
    signer: Webhook, verifier: Webhook, data: st.DataObject, body: bytes, msg_id: str
) -> None:
    headers = signature_headers(msg_id, NOW, signer.sign(msg_id, NOW, body))
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="index")
    new = data.draw(st.integers(min_value=0, max_value=255), label="byte")
    assume(new != body[index])
    changed = body[:index] + bytes([new]) + body[index + 1 :]
    with pytest.raises(NoMatchingSignatureError):
        verifier.verify(changed, headers, json_parse=False, now=NOW)


@quick
@given(body=st.binary(max_size=256), msg_id=ids, other=ids)
def test_signature_is_bound_to_the_message_id(body: bytes, msg_id: str, other: str) -> None:
    assume(other != msg_id)
    headers = signature_headers(other, NOW, HMAC.sign(msg_id, NOW, body))
    with pytest.raises(NoMatchingSignatureError):
        HMAC.verify(body, headers, json_parse=False, now=NOW)


@quick
@given(body=st.binary(max_size=256), ts=timestamps, other=timestamps)
def test_signature_is_bound_to_the_timestamp(body: bytes, ts: int, other: int) -> None:
    assume(other != ts)
    headers = signature_headers("msg_1", other, HMAC.sign("msg_1", ts, body))
    with pytest.raises(NoMatchingSignatureError):
        HMAC.verify(body, headers, json_parse=False, now=NOW)
