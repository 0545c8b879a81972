"""diagnose(): every finding, each with its stable code and a message a developer can act on."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from hookline.signing import (
    Diagnosis,
    Webhook,
    diagnose,
    generate_keypair,
    generate_secret,
    sign,
    signature_headers,
)
from hookline.signing._webhook import MAX_SIGNATURE_HEADER
from tests.signing.vectors import BODY, MSG_ID, SECRET, SIGNATURE, TIMESTAMP, vector_headers

NOW = TIMESTAMP
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
# as a JavaScript sender serializes it: compact, non-ASCII left as UTF-8
CLERK_EVENT = '{"object":"event","type":"user.created","data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","first_name":"Zoë"}}'.encode()


def headers_for(signature: str, *, ts: int = TIMESTAMP, msg_id: str = MSG_ID) -> dict[str, str]:
    return signature_headers(msg_id, ts, signature)


def v1(key: bytes, data: bytes) -> str:
    return "v1," + base64.b64encode(hmac.digest(key, data, hashlib.sha256)).decode()


def content(body: bytes = BODY) -> bytes:
    return f"{MSG_ID}.{TIMESTAMP}.".encode() + body


def test_valid_request_is_ok_with_no_findings() -> None:
    result = diagnose(vector_headers(), BODY, SECRET, now=NOW)
    assert result == Diagnosis(ok=True, findings=[])
    assert str(result) == "signature OK"


def test_diagnosis_agrees_with_verify_on_a_valid_request() -> None:
    Webhook(SECRET).verify(BODY, vector_headers(), now=NOW)
    assert diagnose(vector_headers(), BODY.decode(), [generate_secret(), SECRET], now=NOW).ok


@pytest.mark.parametrize("missing", ["id", "timestamp", "signature"])
def test_missing_header_is_named(missing: str) -> None:
    headers = vector_headers()
    del headers[f"webhook-{missing}"]
    result = diagnose(headers, BODY, SECRET, now=NOW)
    assert not result.ok
    assert result.codes == ["missing_header"]
    assert f"'webhook-{missing}'" in result.findings[0].message


def test_no_headers_at_all_names_all_three() -> None:
    assert (
        diagnose({"content-type": "application/json"}, BODY, SECRET, now=NOW).codes == ["missing_header"] * 3
    )


@pytest.mark.parametrize(
    "renamed",
    [
        {
            "HTTP_WEBHOOK_ID": MSG_ID,
            "HTTP_WEBHOOK_TIMESTAMP": str(TIMESTAMP),
            "HTTP_WEBHOOK_SIGNATURE": SIGNATURE,
        },
        {"x-webhook-id": MSG_ID, "x-webhook-timestamp": str(TIMESTAMP), "x-webhook-signature": SIGNATURE},
        {"webhook_id": MSG_ID, "webhook_timestamp": str(TIMESTAMP), "webhook_signature": SIGNATURE},
    ],
    ids=["wsgi-environ", "x-prefixed", "underscores"],
)
def test_misnamed_headers_are_found_and_the_rest_still_checked(renamed: dict[str, str]) -> None:
    result = diagnose(renamed, BODY, SECRET, now=NOW)
    assert not result.ok
    assert result.codes == ["misnamed_header"] * 3
    assert "must be named 'webhook-id'" in result.findings[0].message


def test_unrelated_headers_ending_in_id_are_not_taken_for_the_webhook_id() -> None:
    headers = {**vector_headers(), "x-request-id": "abc"}
    del headers["webhook-id"]
    assert diagnose(headers, BODY, SECRET, now=NOW).codes == ["missing_header"]


def test_timestamp_too_old_gives_the_number_of_seconds() -> None:
    result = diagnose(vector_headers(), BODY, SECRET, now=NOW + 1234)
    assert result.codes == ["timestamp_too_old"]
    assert "1234 s old" in result.findings[0].message
    assert "300 s" in result.findings[0].message


def test_timestamp_too_new_gives_the_number_of_seconds() -> None:
    result = diagnose(vector_headers(), BODY, SECRET, now=NOW - 999)
    assert result.codes == ["timestamp_too_new"]
    assert "999 s in the future" in result.findings[0].message


def test_timestamp_within_a_custom_tolerance_is_ok() -> None:
    assert diagnose(vector_headers(), BODY, SECRET, now=NOW + 1234, tolerance=2000).ok


def test_timestamp_in_milliseconds_is_named() -> None:
    ms = TIMESTAMP * 1000
    headers = headers_for(v1(KEY, f"{MSG_ID}.{ms}.".encode() + BODY), ts=ms)
    result = diagnose(headers, BODY, SECRET, now=NOW)
    assert result.codes == ["timestamp_in_milliseconds"]
    assert not result.ok


def test_non_numeric_timestamp_is_named() -> None:
    headers = {**vector_headers(), "webhook-timestamp": "2021-02-25T15:02:10Z"}
    assert "invalid_timestamp" in diagnose(headers, BODY, SECRET, now=NOW).codes


def test_whole_whsec_string_used_as_the_hmac_key_is_named() -> None:
    result = diagnose(headers_for(v1(SECRET.encode(), content())), BODY, SECRET, now=NOW)
    assert result.codes == ["whole_secret_as_key"]
    assert "base64-DECODED" in result.findings[0].message


def test_base64_text_used_as_the_hmac_key_without_decoding_is_named() -> None:
    undecoded = SECRET.removeprefix("whsec_").encode()
    result = diagnose(headers_for(v1(undecoded, content())), BODY, SECRET, now=NOW)
    assert result.codes == ["undecoded_secret_as_key"]


def test_hex_signature_instead_of_base64_is_named() -> None:
    hex_sig = "v1," + hmac.new(KEY, content(), hashlib.sha256).hexdigest()
    result = diagnose(headers_for(hex_sig), BODY, SECRET, now=NOW)
    assert result.codes == ["hex_signature"]


def test_signature_without_version_prefix_is_named() -> None:
    bare = SIGNATURE.removeprefix("v1,")
    assert diagnose(headers_for(bare), BODY, SECRET, now=NOW).codes == ["missing_version_prefix"]


def test_body_signed_alone_the_clerk_signature_way_is_named() -> None:
    # what blog posts show: createHmac('sha256', secret).update(body).digest('hex') in 'clerk-signature'
    blog_sig = hmac.new(SECRET.encode(), CLERK_EVENT, hashlib.sha256).hexdigest()
    headers = {"svix-id": MSG_ID, "svix-timestamp": str(TIMESTAMP), "clerk-signature": blog_sig}
    result = diagnose(headers, CLERK_EVENT, SECRET, now=NOW)
    assert result.codes == ["misnamed_header", "whole_secret_as_key", "body_only", "hex_signature"]
    assert "'{webhook-id}.{webhook-timestamp}.{body}'" in result.findings[2].message


def test_body_signed_alone_with_the_right_key_is_named() -> None:
    result = diagnose(headers_for(v1(KEY, CLERK_EVENT)), CLERK_EVENT, SECRET, now=NOW)
    assert result.codes == ["body_only"]


@pytest.mark.parametrize(
    "reserialize",
    [
        lambda d: json.dumps(d),
        lambda d: json.dumps(d, separators=(",", ":")),
        lambda d: json.dumps(d, ensure_ascii=False),
        lambda d: json.dumps(d, indent=2),
    ],
    ids=["python-default", "python-compact", "unicode", "indented"],
)
def test_body_reserialized_after_json_parsing_is_named(reserialize: object) -> None:
    headers = headers_for(v1(KEY, content(CLERK_EVENT)))
    received = reserialize(json.loads(CLERK_EVENT)).encode()  # type: ignore[operator]
    assert received != CLERK_EVENT
    result = diagnose(headers, received, SECRET, now=NOW)
    assert result.codes == ["body_reserialized"]
    assert "raw request bytes" in result.findings[0].message


@pytest.mark.parametrize(
    "received",
    [BODY + b"\n", BODY + b"\r\n", b"  " + BODY + b"\n  ", BODY.rstrip(b"}") + b"}\n"],
    ids=["trailing-newline", "trailing-crlf", "padded", "newline-added"],
)
def test_whitespace_change_is_named(received: bytes) -> None:
    result = diagnose(vector_headers(), received, SECRET, now=NOW)
    assert result.codes == ["whitespace_changed"]


def test_trailing_newline_removed_by_the_receiver_is_named() -> None:
    sent = BODY + b"\n"
    result = diagnose(headers_for(v1(KEY, content(sent))), BODY, SECRET, now=NOW)
    assert result.codes == ["whitespace_changed"]


def test_wrong_secret_is_named_with_how_many_were_tried() -> None:
    result = diagnose(vector_headers(), BODY, [generate_secret(), generate_secret()], now=NOW)
    assert result.codes == ["wrong_secret"]
    assert "none of the 2 secret(s)" in result.findings[0].message


def test_malformed_secret_is_named_and_the_others_still_tried() -> None:
    result = diagnose(vector_headers(), BODY, ["whsec_!!not-base64!!", SECRET], now=NOW)
    assert result.codes == ["invalid_secret"]
    assert "secret #1" in result.findings[0].message
    assert not result.ok  # verify() refuses a malformed secret too


def test_no_secret_is_named() -> None:
    assert diagnose(vector_headers(), BODY, [], now=NOW).codes == ["no_secret"]


@pytest.mark.parametrize("signature", ["nonsense", "v1,", "v1,@@@", "v1 , ", "sha256="])
def test_unreadable_signature_header_is_named(signature: str) -> None:
    result = diagnose({**vector_headers(), "webhook-signature": signature}, BODY, SECRET, now=NOW)
    assert result.codes == ["invalid_signature_header"]


def test_empty_signature_header_counts_as_missing() -> None:
    result = diagnose({**vector_headers(), "webhook-signature": " "}, BODY, SECRET, now=NOW)
    assert result.codes == ["missing_header"]


def test_oversized_signature_header_is_named() -> None:
    header = " ".join([SIGNATURE] * (MAX_SIGNATURE_HEADER // len(SIGNATURE) + 1))
    result = diagnose(vector_headers(header), BODY, SECRET, now=NOW)
    assert result.codes == ["invalid_signature_header"]
    assert not result.ok


def test_v1a_signature_checked_with_an_hmac_secret_is_named() -> None:
    headers = headers_for(sign(generate_keypair().signing_key, MSG_ID, TIMESTAMP, BODY))
    assert diagnose(headers, BODY, SECRET, now=NOW).codes == ["signature_version_mismatch"]


def test_v1_signature_checked_with_a_public_key_is_named() -> None:
    result = diagnose(vector_headers(), BODY, generate_keypair().public_key, now=NOW)
    assert result.codes == ["signature_version_mismatch"]
    assert "whsec_" in result.findings[0].message


def test_v1a_request_diagnoses_ok_wrong_key_and_body_changes() -> None:
    pair = generate_keypair()
    headers = headers_for(sign(pair.signing_key, MSG_ID, TIMESTAMP, BODY))
    assert diagnose(headers, BODY, pair.public_key, now=NOW).ok
    assert diagnose(headers, BODY + b"\n", pair.public_key, now=NOW).codes == ["whitespace_changed"]
    assert diagnose(headers, BODY, generate_keypair().public_key, now=NOW).codes == ["wrong_public_key"]


def test_several_problems_are_reported_together() -> None:
    result = diagnose(vector_headers(), BODY + b"\n", SECRET, now=NOW + 3600)
    assert result.codes == ["timestamp_too_old", "whitespace_changed"]
    assert str(result).splitlines()[0] == "signature does NOT verify"
    assert str(result).splitlines()[1].startswith("- [timestamp_too_old] timestamp is 3600 s old")


def test_headers_that_are_not_a_mapping_are_named() -> None:
    assert diagnose(None, BODY, SECRET, now=NOW).codes == ["invalid_headers"]  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [None, 42, {"test": 1}])
def test_body_of_the_wrong_type_is_named(body: object) -> None:
    assert diagnose(vector_headers(), body, SECRET, now=NOW).codes == ["invalid_payload"]  # type: ignore[arg-type]


@pytest.mark.parametrize("secret", [None, 42])
def test_secret_of_the_wrong_type_is_named(secret: object) -> None:
    assert diagnose(vector_headers(), BODY, secret, now=NOW).codes == ["invalid_secret"]  # type: ignore[arg-type]


def test_truncated_signature_is_an_unreadable_header() -> None:
    result = diagnose(vector_headers(SIGNATURE[:20]), BODY, SECRET, now=NOW)
    assert result.codes == ["invalid_signature_header"]


@pytest.mark.parametrize("kind", ["v1", "v1a"])
def test_valid_signature_after_many_junk_entries_is_ok_as_verify_says(kind: str) -> None:
    pair = generate_keypair()
    key, checker = (SECRET, SECRET) if kind == "v1" else (pair.signing_key, pair.public_key)
    junk = [
        f"{kind},{base64.b64encode(bytes([i]) * (32 if kind == 'v1' else 64)).decode()}" for i in range(60)
    ]
    header = " ".join([*junk, sign(key, MSG_ID, TIMESTAMP, BODY)])
    Webhook(checker).verify(BODY, headers_for(header), now=NOW)
    assert diagnose(headers_for(header), BODY, checker, now=NOW).ok
