"""Verification: tolerance both ways, rotation, both header families, any header case, raw bytes."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping

import pytest
import standardwebhooks

from hookline.signing import (
    DEFAULT_TOLERANCE,
    InvalidPayloadError,
    MissingHeadersError,
    NoMatchingSignatureError,
    TimestampTooNewError,
    TimestampTooOldError,
    Webhook,
    WebhookVerificationError,
    generate_secret,
    read_headers,
    sign,
    signature_headers,
    signed_content,
    verify,
)
from tests.signing.vectors import BODY, MSG_ID, SECRET, SIGNATURE, TIMESTAMP, vector_headers

NOW = 1_700_000_000


def signed(
    body: bytes = BODY, *, secret: str = SECRET, ts: int = NOW, msg_id: str = MSG_ID
) -> dict[str, str]:
    return signature_headers(msg_id, ts, sign(secret, msg_id, ts, body))


# --- timestamp tolerance -------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-DEFAULT_TOLERANCE, -1, 0, 1, DEFAULT_TOLERANCE])
def test_timestamp_within_five_minutes_either_way_verifies(offset: int) -> None:
    assert verify(SECRET, BODY, signed(ts=NOW + offset), now=NOW) == {"test": 2432232314}


def test_timestamp_older_than_tolerance_fails_with_its_age() -> None:
    with pytest.raises(TimestampTooOldError) as info:
        verify(SECRET, BODY, signed(ts=NOW - DEFAULT_TOLERANCE - 1), now=NOW)
    assert info.value.code == "timestamp_too_old"
    assert "301 s old" in str(info.value)


def test_timestamp_further_in_future_than_tolerance_fails() -> None:
    with pytest.raises(TimestampTooNewError) as info:
        verify(SECRET, BODY, signed(ts=NOW + DEFAULT_TOLERANCE + 1), now=NOW)
    assert info.value.code == "timestamp_too_new"
    assert "301 s in the future" in str(info.value)


def test_tolerance_is_configurable_on_the_webhook_and_on_verify() -> None:
    headers = signed(ts=NOW - 3600)
    assert Webhook(SECRET, tolerance=3601).verify(BODY, headers, now=NOW) == {"test": 2432232314}
    assert verify(SECRET, BODY, headers, tolerance=3601, now=NOW) == {"test": 2432232314}
    with pytest.raises(TimestampTooOldError):
        Webhook(SECRET, tolerance=60).verify(BODY, headers, now=NOW)


def test_stale_timestamp_is_rejected_even_with_a_valid_signature() -> None:
    # the timestamp is checked on its own: a valid signature does not make a replay acceptable
    with pytest.raises(TimestampTooOldError):
        Webhook(SECRET).verify(BODY, vector_headers())


# --- several signatures (rotation) ---------------------------------------------------------------


def test_header_with_old_and_new_signatures_verifies_with_either_secret() -> None:
    old, new = generate_secret(), generate_secret()
    both = f"{sign(old, MSG_ID, NOW, BODY)} {sign(new, MSG_ID, NOW, BODY)}"
    headers = signature_headers(MSG_ID, NOW, both)
    assert Webhook(old).verify(BODY, headers, now=NOW) == {"test": 2432232314}
    assert Webhook(new).verify(BODY, headers, now=NOW) == {"test": 2432232314}
    with pytest.raises(NoMatchingSignatureError):
        Webhook(generate_secret()).verify(BODY, headers, now=NOW)


def test_verify_accepts_a_list_of_secrets_during_rotation() -> None:
    headers = signed()
    assert verify([generate_secret(), SECRET], BODY, headers, now=NOW) == {"test": 2432232314}
    with pytest.raises(NoMatchingSignatureError, match="tried 2 secrets"):
        verify([generate_secret(), generate_secret()], BODY, headers, now=NOW)


def test_unknown_versions_and_extra_spaces_in_the_signature_list_are_ignored() -> None:
    header = f"  v2,AAAA {SIGNATURE}  v1a,AAAA "
    assert verify(SECRET, BODY, vector_headers(header), now=TIMESTAMP) == {"test": 2432232314}


def test_signature_header_with_only_unknown_versions_fails() -> None:
    with pytest.raises(NoMatchingSignatureError, match="no well-formed 'v1,<base64>'"):
        verify(SECRET, BODY, vector_headers("v2," + SIGNATURE[3:]), now=TIMESTAMP)


# --- header families and case --------------------------------------------------------------------


def test_webhook_headers_alone_verify() -> None:
    assert verify(SECRET, BODY, vector_headers(family="webhook"), now=TIMESTAMP) == {"test": 2432232314}


def test_svix_headers_alone_verify() -> None:
    assert verify(SECRET, BODY, vector_headers(family="svix"), now=TIMESTAMP) == {"test": 2432232314}


def test_both_families_are_sent_on_every_delivery() -> None:
    headers = signature_headers(MSG_ID, TIMESTAMP, SIGNATURE)
    assert set(headers) == {
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "svix-id",
        "svix-timestamp",
        "svix-signature",
    }
    assert verify(SECRET, BODY, headers, now=TIMESTAMP) == {"test": 2432232314}


def test_families_may_be_mixed_part_by_part_as_the_svix_package_reads_them() -> None:
    headers = {"webhook-id": MSG_ID, "svix-timestamp": str(TIMESTAMP), "svix-signature": SIGNATURE}
    assert verify(SECRET, BODY, headers, now=TIMESTAMP) == {"test": 2432232314}


@pytest.mark.parametrize(
    "transform",
    [str.upper, str.title, lambda name: name.replace("id", "ID")],
    ids=["upper", "title", "mixed"],
)
@pytest.mark.parametrize("family", ["webhook", "svix"])
def test_header_names_match_in_any_case(transform: object, family: str) -> None:
    headers = {transform(k): v for k, v in vector_headers(family=family).items()}  # type: ignore[operator]
    assert verify(SECRET, BODY, headers, now=TIMESTAMP) == {"test": 2432232314}


class CaseInsensitive(Mapping[str, str]):
    """A header mapping like Starlette's or Werkzeug's: lookups ignore case, iteration keeps it."""

    def __init__(self, items: dict[str, str]) -> None:
        self._items = items
        self.gets: list[str] = []

    def __getitem__(self, key: str) -> str:
        for k, v in self._items.items():
            if k.lower() == key.lower():
                return v
        raise KeyError(key)

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.gets.append(key)
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


def test_case_insensitive_header_objects_are_read_through_their_own_lookup() -> None:
    headers = CaseInsensitive({k.title(): v for k, v in vector_headers().items()})
    assert read_headers(headers) == (MSG_ID, str(TIMESTAMP), SIGNATURE)
    assert headers.gets == ["webhook-id", "webhook-timestamp", "webhook-signature"]


def test_header_objects_of_starlette_werkzeug_and_django_are_read_as_they_are() -> None:
    from django.http.request import HttpHeaders
    from starlette.datastructures import Headers
    from werkzeug.datastructures import EnvironHeaders

    environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in vector_headers(family="svix").items()}
    raw = [(k.encode(), v.encode()) for k, v in vector_headers().items()]  # ASGI: lower-case names
    for headers in (Headers(raw=raw), EnvironHeaders(environ), HttpHeaders(environ)):
        assert verify(SECRET, BODY, headers, now=TIMESTAMP) == {"test": 2432232314}, type(headers)


def test_raw_asgi_header_pairs_in_bytes_are_accepted() -> None:
    pairs = [(k.encode(), v.encode()) for k, v in vector_headers().items()]
    assert verify(SECRET, BODY, pairs, now=TIMESTAMP) == {"test": 2432232314}  # type: ignore[arg-type]


def test_surrounding_whitespace_in_header_values_is_ignored() -> None:
    headers = {k: f" {v}\t" for k, v in vector_headers().items()}
    assert verify(SECRET, BODY, headers, now=TIMESTAMP) == {"test": 2432232314}


def test_empty_header_values_count_as_missing() -> None:
    headers = {**vector_headers(family="svix"), "webhook-id": "", "webhook-signature": " "}
    assert verify(SECRET, BODY, headers, now=TIMESTAMP) == {"test": 2432232314}


@pytest.mark.parametrize("missing", ["id", "timestamp", "signature"])
def test_missing_header_fails_naming_what_was_found(missing: str) -> None:
    headers = vector_headers()
    del headers[f"webhook-{missing}"]
    with pytest.raises(MissingHeadersError) as info:
        verify(SECRET, BODY, headers, now=TIMESTAMP)
    assert info.value.code == "missing_headers"
    assert "found only" in str(info.value)


# --- raw bytes only ------------------------------------------------------------------------------


def test_signature_covers_the_exact_bytes_of_the_body() -> None:
    assert signed_content(MSG_ID, TIMESTAMP, BODY) == f"{MSG_ID}.{TIMESTAMP}.".encode() + BODY


@pytest.mark.parametrize(
    "altered",
    [
        BODY + b"\n",
        BODY.replace(b": ", b":"),
        json.dumps(json.loads(BODY)).encode() + b" ",
        b" " + BODY,
    ],
)
def test_any_change_to_the_raw_body_fails_even_if_the_json_is_equal(altered: bytes) -> None:
    assert json.loads(altered) == json.loads(BODY)
    with pytest.raises(NoMatchingSignatureError):
        verify(SECRET, altered, vector_headers(), now=TIMESTAMP)


def test_non_json_bodies_verify_when_not_parsed() -> None:
    body = bytes(range(256))  # not even UTF-8
    assert Webhook(SECRET).verify(body, signed(body), json_parse=False, now=NOW) is None


def test_non_json_body_that_verifies_raises_invalid_payload_when_parsed() -> None:
    body = b"not json \xff"
    with pytest.raises(InvalidPayloadError) as info:
        verify(SECRET, body, signed(body), now=NOW)
    assert info.value.code == "invalid_payload"
    assert isinstance(info.value, WebhookVerificationError)


@pytest.mark.parametrize("body", [BODY, BODY.decode(), bytearray(BODY), memoryview(BODY)])
def test_body_may_be_bytes_str_bytearray_or_memoryview(body: object) -> None:
    assert verify(SECRET, body, vector_headers(), now=TIMESTAMP) == {"test": 2432232314}  # type: ignore[arg-type]


def test_str_bodies_are_signed_as_utf8() -> None:
    text = '{"name": "Zoë 🚀"}'
    assert sign(SECRET, MSG_ID, NOW, text) == sign(SECRET, MSG_ID, NOW, text.encode("utf-8"))


# --- drop-in for standardwebhooks.Webhook ------------------------------------------------------


def test_webhook_takes_the_parameter_names_of_standardwebhooks() -> None:
    for method in ("__init__", "sign", "verify"):
        theirs = list(inspect.signature(getattr(standardwebhooks.Webhook, method)).parameters)
        ours = list(inspect.signature(getattr(Webhook, method)).parameters)
        assert ours[: len(theirs)] == theirs, method


def test_webhook_called_with_keywords_like_standardwebhooks() -> None:
    wh = Webhook(whsecret=SECRET)
    sig = wh.sign(msg_id=MSG_ID, timestamp=TIMESTAMP, data=BODY.decode())
    assert sig == SIGNATURE
    assert wh.verify(data=BODY, headers=vector_headers(sig), json_parse=False, now=TIMESTAMP) is None
