"""Asymmetric v1a signatures: whsk_ signs, whpk_ only verifies."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization

from hookline.signing import (
    InvalidSecretError,
    NoMatchingSignatureError,
    Webhook,
    generate_keypair,
    generate_secret,
    parse_public_key,
    parse_signing_key,
    sign,
    signature_headers,
    verify,
)
from tests.signing.vectors import BODY, MSG_ID

NOW = 1_700_000_000


def test_generated_keypair_is_whsk_and_whpk_of_32_bytes_each() -> None:
    pair = generate_keypair()
    assert pair.signing_key.startswith("whsk_") and pair.public_key.startswith("whpk_")
    assert len(base64.b64decode(pair.signing_key[5:])) == 32
    assert len(base64.b64decode(pair.public_key[5:])) == 32


def test_signing_key_signs_v1a_and_public_key_verifies() -> None:
    pair = generate_keypair()
    sig = sign(pair.signing_key, MSG_ID, NOW, BODY)
    assert sig.startswith("v1a,") and len(base64.b64decode(sig[4:])) == 64
    headers = signature_headers(MSG_ID, NOW, sig)
    assert Webhook(pair.public_key).verify(BODY, headers, now=NOW) == {"test": 2432232314}
    assert Webhook(pair.signing_key).verify(BODY, headers, now=NOW) == {"test": 2432232314}


def test_public_key_cannot_sign() -> None:
    with pytest.raises(InvalidSecretError, match="cannot sign") as info:
        Webhook(generate_keypair().public_key).sign(MSG_ID, NOW, BODY)
    assert info.value.code == "invalid_secret"


def test_v1a_signature_fails_under_another_public_key() -> None:
    headers = signature_headers(MSG_ID, NOW, sign(generate_keypair().signing_key, MSG_ID, NOW, BODY))
    with pytest.raises(NoMatchingSignatureError, match="none of the 1 v1a"):
        Webhook(generate_keypair().public_key).verify(BODY, headers, now=NOW)


def test_v1a_signature_fails_when_the_body_changes() -> None:
    pair = generate_keypair()
    headers = signature_headers(MSG_ID, NOW, sign(pair.signing_key, MSG_ID, NOW, BODY))
    with pytest.raises(NoMatchingSignatureError):
        Webhook(pair.public_key).verify(BODY + b" ", headers, now=NOW)


def test_hmac_secret_does_not_accept_a_v1a_signature_and_says_so() -> None:
    headers = signature_headers(MSG_ID, NOW, sign(generate_keypair().signing_key, MSG_ID, NOW, BODY))
    with pytest.raises(NoMatchingSignatureError, match="only v1a"):
        Webhook(generate_secret()).verify(BODY, headers, now=NOW)


def test_public_key_does_not_accept_a_v1_signature_and_says_so() -> None:
    headers = signature_headers(MSG_ID, NOW, sign(generate_secret(), MSG_ID, NOW, BODY))
    with pytest.raises(NoMatchingSignatureError, match="only v1 "):
        Webhook(generate_keypair().public_key).verify(BODY, headers, now=NOW)


def test_header_with_v1_and_v1a_verifies_with_either_kind_of_key() -> None:
    secret, pair = generate_secret(), generate_keypair()
    both = f"{sign(secret, MSG_ID, NOW, BODY)} {sign(pair.signing_key, MSG_ID, NOW, BODY)}"
    headers = signature_headers(MSG_ID, NOW, both)
    assert verify(secret, BODY, headers, now=NOW) == {"test": 2432232314}
    assert verify(pair.public_key, BODY, headers, now=NOW) == {"test": 2432232314}
    assert verify([generate_secret(), pair.public_key], BODY, headers, now=NOW) == {"test": 2432232314}


def test_libsodium_64_byte_signing_key_is_accepted() -> None:
    pair = generate_keypair()
    seed = base64.b64decode(pair.signing_key[5:])
    public = base64.b64decode(pair.public_key[5:])
    long_form = "whsk_" + base64.b64encode(seed + public).decode()
    assert sign(long_form, MSG_ID, NOW, BODY) == sign(pair.signing_key, MSG_ID, NOW, BODY)


def test_keys_round_trip_through_their_string_form() -> None:
    pair = generate_keypair()
    private = parse_signing_key(pair.signing_key)
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert (
        parse_public_key(pair.public_key).public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        == raw_public
    )


def test_verification_key_of_a_signing_key_is_its_public_key_and_a_secret_is_itself() -> None:
    from hookline.signing import generate_secret, verification_key

    pair = generate_keypair()
    assert verification_key(pair.signing_key) == pair.public_key
    secret = generate_secret()
    assert verification_key(secret) == secret
