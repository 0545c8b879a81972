"""Published vectors: Standard Webhooks' v1 test vector, the Go library's v1a vector, the spec's example."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from hookline.signing import (
    NoMatchingSignatureError,
    Webhook,
    generate_secret,
    sign,
    verify,
)
from hookline.signing._secrets import parse_signing_key, serialize_public_key
from hookline.signing._webhook import parse_signatures
from tests.signing.vectors import (
    BODY,
    ED25519_SEED_B64,
    MSG_ID,
    SECRET,
    SIGNATURE,
    TIMESTAMP,
    V1A_SIGNATURE,
    vector_headers,
)


def test_known_vector_signs_to_the_published_signature() -> None:
    assert Webhook(SECRET).sign(MSG_ID, TIMESTAMP, BODY) == SIGNATURE


@pytest.mark.parametrize(
    "timestamp",
    [
        TIMESTAMP,
        float(TIMESTAMP),
        datetime.fromtimestamp(TIMESTAMP, UTC),
        datetime.fromtimestamp(TIMESTAMP, UTC).replace(
            tzinfo=None
        ),  # naive means UTC, as in standardwebhooks
    ],
)
def test_known_vector_signs_the_same_from_any_timestamp_type(timestamp: object) -> None:
    assert sign(SECRET, MSG_ID, timestamp, BODY.decode()) == SIGNATURE  # type: ignore[arg-type]


def test_known_vector_signs_the_same_with_a_bare_base64_secret_or_the_raw_key() -> None:
    bare = SECRET.removeprefix("whsec_")
    assert Webhook(bare).sign(MSG_ID, TIMESTAMP, BODY) == SIGNATURE
    assert Webhook(base64.b64decode(bare)).sign(MSG_ID, TIMESTAMP, BODY) == SIGNATURE


def test_known_vector_verifies_at_its_own_time() -> None:
    assert Webhook(SECRET).verify(BODY, vector_headers(), now=TIMESTAMP) == {"test": 2432232314}


def test_known_vector_with_last_byte_of_signature_changed_fails() -> None:
    # the "invalid signature" case of Standard Webhooks' Python tests
    forged = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="
    with pytest.raises(NoMatchingSignatureError):
        verify(SECRET, BODY, vector_headers(forged), now=TIMESTAMP)


def test_v1a_vector_of_the_go_library_signs_to_its_published_signature() -> None:
    assert sign("whsk_" + ED25519_SEED_B64, MSG_ID, TIMESTAMP, BODY) == V1A_SIGNATURE


def test_v1a_vector_verifies_with_the_derived_public_key() -> None:
    public = serialize_public_key(parse_signing_key("whsk_" + ED25519_SEED_B64).public_key())
    assert Webhook(public).verify(BODY, vector_headers(V1A_SIGNATURE), now=TIMESTAMP) == {"test": 2432232314}


def test_multi_signature_case_of_the_reference_tests_verifies() -> None:
    # Standard Webhooks' "multi sig payload is valid": junk v1, an unknown v2, the valid one, junk v1
    header = " ".join(
        [
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
            SIGNATURE,
            "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
        ]
    )
    assert verify(SECRET, BODY, vector_headers(header), now=TIMESTAMP) == {"test": 2432232314}


@pytest.mark.parametrize("signature", ["v1,dawfeoifkpqwoekfpqoekf", "v1,", SIGNATURE[:8]])
def test_partial_and_invalid_signatures_of_the_reference_tests_fail(signature: str) -> None:
    with pytest.raises(NoMatchingSignatureError):
        verify(SECRET, BODY, vector_headers(signature), now=TIMESTAMP)


# The specification's example header (spec/standard-webhooks.md, "Webhook headers"). It publishes no
# secret or key for it, so it can only show that the list parses and that a stranger's secret fails.
SPEC_EXAMPLE = {
    "webhook-id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
    "webhook-timestamp": "1674087231",
    "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= "
    "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==",
}


def test_spec_example_header_parses_into_a_v1_and_a_v1a_signature() -> None:
    entries = parse_signatures(SPEC_EXAMPLE["webhook-signature"])
    assert [(version, len(sig)) for version, sig in entries] == [("v1", 32), ("v1a", 64)]


def test_spec_example_is_rejected_with_another_secret() -> None:
    body = b'{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}'
    with pytest.raises(NoMatchingSignatureError):
        verify(generate_secret(), body, SPEC_EXAMPLE, now=1674087231)
