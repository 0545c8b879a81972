"""Standard Webhooks signatures: sign, verify, and the headers that carry them."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol, TypeAlias

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hookline.signing._errors import (
    InvalidHeadersError,
    InvalidPayloadError,
    InvalidSecretError,
    MissingHeadersError,
    NoMatchingSignatureError,
    TimestampTooNewError,
    TimestampTooOldError,
)
from hookline.signing._secrets import (
    PUBLIC_KEY_PREFIX,
    SIGNING_KEY_PREFIX,
    parse_public_key,
    parse_secret,
    parse_signing_key,
)

DEFAULT_TOLERANCE = 300  # seconds, both ways, as Standard Webhooks recommends
HEADER_FAMILIES = ("webhook", "svix")
# Real senders put two or three signatures in the header; the cap bounds the ed25519 work that one
# forged request can cause (about 180 v1a entries fit) and is far above any proxy's header limit.
MAX_SIGNATURE_HEADER = 16 * 1024
# Unix seconds have 10 digits until 2286; 13-digit values are milliseconds, a sender bug worth naming.
_MAX_TIMESTAMP_DIGITS = 15
_PARTS = tuple(
    tuple(f"{family}-{part}" for family in HEADER_FAMILIES) for part in ("id", "timestamp", "signature")
)


class HeaderLookup(Protocol):
    """What verification needs from a header object: Starlette's, Werkzeug's and Django's have it."""

    def get(self, key: str, /) -> Any: ...

    def items(self) -> Iterable[tuple[Any, Any]]: ...


# A mapping, a framework's header object, or an ASGI scope's (name, value) pairs.
Headers: TypeAlias = Mapping[str, str] | HeaderLookup | Iterable[tuple[str | bytes, str | bytes]]


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise InvalidPayloadError(f"webhook body must be bytes or str, not {type(data).__name__}")


def _timestamp_int(timestamp: datetime | int | float) -> int:
    if isinstance(timestamp, datetime):
        # naive datetimes are read as UTC, as standardwebhooks does
        aware = timestamp if timestamp.tzinfo else timestamp.replace(tzinfo=UTC)
        return int(aware.timestamp())
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
        raise InvalidHeadersError(f"timestamp must be a datetime or unix seconds, not {timestamp!r:.40}")
    return int(timestamp)


def signed_content(msg_id: str, timestamp: int | str, body: bytes) -> bytes:
    """Return the exact bytes that are signed: ``{msg_id}.{timestamp}.{body}``."""
    return f"{msg_id}.{timestamp}.".encode() + body


def sign_v1(key: bytes, msg_id: str, timestamp: int | str, body: bytes) -> str:
    """Return a ``v1,`` HMAC-SHA256 signature with a raw HMAC key."""
    digest = hmac.digest(key, signed_content(msg_id, timestamp, body), hashlib.sha256)
    return "v1," + binascii.b2a_base64(digest, newline=False).decode("ascii")


def signature_headers(msg_id: str, timestamp: int, signature: str) -> dict[str, str]:
    """Return the delivery headers in both families (``webhook-*`` and the ``svix-*`` aliases)."""
    ts = str(timestamp)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": ts,
        "webhook-signature": signature,
        "svix-id": msg_id,
        "svix-timestamp": ts,
        "svix-signature": signature,
    }


def _text(value: object, name: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        # raw ASGI/WSGI headers are bytes; HTTP header bytes are latin-1 by definition
        return bytes(value).decode("latin-1")
    raise InvalidHeadersError(f"header {name!r:.60} must be a string, not {type(value).__name__}")


def _find(headers: Any) -> tuple[str, str, str] | None:
    # Each part is read from webhook-* first, then svix-*, as the svix package reads them.
    found = []
    for names in _PARTS:
        for name in names:
            value = headers.get(name)
            if value and (text := _text(value, name).strip()):
                found.append(text)
                break
        else:
            return None
    return found[0], found[1], found[2]


def read_headers(headers: Headers) -> tuple[str, str, str]:
    """Return (id, timestamp, signature) from ``webhook-*`` or ``svix-*`` headers, in any case."""
    source: Any = headers
    if not (hasattr(source, "get") and hasattr(source, "items")):
        try:
            source = dict(source)  # e.g. an ASGI scope's list of (name, value) pairs
        except (TypeError, ValueError):
            raise InvalidHeadersError(
                f"headers must be a mapping or (name, value) pairs, not {type(headers).__name__}"
            ) from None
    # Fast path: lower-case keys (ASGI, HTTP/2, aiohttp) or a case-insensitive mapping (Starlette,
    # Werkzeug, Django) answer directly, without copying every header into a lower-cased dict.
    found = _find(source)
    if found is not None:
        return found
    lowered = {_text(k, k).lower(): v for k, v in source.items()}
    found = _find(lowered)
    if found is not None:
        return found
    present = sorted(k for k in lowered if k.startswith(("webhook-", "svix-")))
    raise MissingHeadersError(
        "missing webhook-id/webhook-timestamp/webhook-signature (or svix-*) headers"
        + (f"; found only {', '.join(present)}" if present else "")
    )


def parse_timestamp(ts_header: str) -> int:
    """Parse a timestamp header: integer unix seconds, ASCII digits only."""
    if not (0 < len(ts_header) <= _MAX_TIMESTAMP_DIGITS and ts_header.isascii() and ts_header.isdigit()):
        raise InvalidHeadersError(f"webhook-timestamp must be integer unix seconds, got {ts_header!r:.40}")
    return int(ts_header)


def check_timestamp(ts_header: str, tolerance: int = DEFAULT_TOLERANCE, now: float | None = None) -> int:
    """Parse the timestamp header and check it is within ``tolerance`` seconds of now."""
    ts = parse_timestamp(ts_header)
    current = time.time() if now is None else now
    if ts < current - tolerance:
        raise TimestampTooOldError(
            f"message timestamp is {int(current - ts)} s old (tolerance {tolerance} s)"
        )
    if ts > current + tolerance:
        raise TimestampTooNewError(
            f"message timestamp is {int(ts - current)} s in the future (tolerance {tolerance} s)"
        )
    return ts


def parse_signatures(header: str) -> list[tuple[str, bytes]]:
    """Split a signature header into (version, raw signature bytes); malformed entries are skipped."""
    out: list[tuple[str, bytes]] = []
    for item in header.split(" "):
        version, sep, b64 = item.partition(",")
        if not sep:
            continue
        try:
            out.append((version, binascii.a2b_base64(b64)))
        except (binascii.Error, ValueError):
            continue
    return out


def _check_signature_header(sig_header: str) -> None:
    if len(sig_header) > MAX_SIGNATURE_HEADER:
        raise InvalidHeadersError(
            f"webhook-signature is {len(sig_header)} characters; at most {MAX_SIGNATURE_HEADER} are accepted"
        )


class Webhook:
    """Signs and verifies one endpoint's webhooks; a drop-in for ``standardwebhooks.Webhook``.

    ``Webhook("whsec_...")`` signs and verifies ``v1`` (HMAC); ``Webhook("whsk_...")`` signs ``v1a``
    (ed25519) and verifies it; ``Webhook("whpk_...")`` only verifies ``v1a``.
    """

    __slots__ = ("_hmac", "_key", "_private", "_public", "tolerance")

    def __init__(self, whsecret: str | bytes, *, tolerance: int = DEFAULT_TOLERANCE) -> None:
        self.tolerance = tolerance
        self._key: bytes | None = None
        self._hmac: Any = None
        self._private: Ed25519PrivateKey | None = None
        self._public: Ed25519PublicKey | None = None
        text = whsecret.strip() if isinstance(whsecret, str) else ""
        if text.startswith(SIGNING_KEY_PREFIX):
            self._private = parse_signing_key(text)
            self._public = self._private.public_key()
        elif text.startswith(PUBLIC_KEY_PREFIX):
            self._public = parse_public_key(text)
        else:
            self._key = parse_secret(whsecret)
            # HMAC state after absorbing the key, copied per message: saves the key schedule each time
            self._hmac = hmac.new(self._key, digestmod=hashlib.sha256)

    def sign(self, msg_id: str, timestamp: datetime | int | float, data: str | bytes) -> str:
        """Return the signature (``v1,…`` or ``v1a,…``) for this message id, timestamp and body."""
        ts = _timestamp_int(timestamp)
        body = _as_bytes(data)
        if self._hmac is not None:
            return "v1," + binascii.b2a_base64(self._digest(msg_id, ts, body), newline=False).decode("ascii")
        if self._private is None:
            raise InvalidSecretError("a whpk_ public key can verify but cannot sign; sign with the whsk_ key")
        raw = self._private.sign(signed_content(msg_id, ts, body))
        return "v1a," + binascii.b2a_base64(raw, newline=False).decode("ascii")

    def verify(
        self,
        data: bytes | str,
        headers: Headers,
        *,
        json_parse: bool = True,
        now: float | None = None,
    ) -> Any:
        """Verify the raw body against the headers; return the parsed JSON (None if not ``json_parse``).

        ``now`` (unix seconds) replaces the clock for the timestamp check, e.g. to re-check a saved request.
        """
        body = _as_bytes(data)
        msg_id, ts_header, sig_header = read_headers(headers)
        check_timestamp(ts_header, self.tolerance, now)
        _check_signature_header(sig_header)
        self._match(msg_id, ts_header, body, sig_header)
        if not json_parse:
            return None
        try:
            return json.loads(body)
        except ValueError as exc:
            raise InvalidPayloadError(f"body is not valid JSON: {exc}") from None

    def _digest(self, msg_id: str, ts: int | str, body: bytes) -> bytes:
        h = self._hmac.copy()
        h.update(f"{msg_id}.{ts}.".encode())
        h.update(body)  # fed separately: no copy of the body into a concatenated buffer
        digest: bytes = h.digest()
        return digest

    def _match(self, msg_id: str, ts_header: str, body: bytes, sig_header: str) -> None:
        entries = parse_signatures(sig_header)
        if self._hmac is not None:
            want, what = "v1", "secret"
            expected = self._digest(msg_id, ts_header, body)
            matched = False
            for version, sig in entries:
                # keep comparing after a match so timing does not reveal which entry matched
                if version == "v1" and hmac.compare_digest(expected, sig):
                    matched = True
            if matched:
                return
        else:
            assert self._public is not None
            want, what = "v1a", "public key"
            content = signed_content(msg_id, ts_header, body)
            for version, sig in entries:
                if version != "v1a" or len(sig) != 64:  # an ed25519 signature is 64 bytes
                    continue
                try:
                    self._public.verify(sig, content)
                    return
                except InvalidSignature:
                    continue
        versions = {version for version, _ in entries}
        if want in versions:
            count = sum(1 for version, _ in entries if version == want)
            raise NoMatchingSignatureError(
                f"none of the {count} {want} signature(s) in the header matches the {what}"
            )
        other = {
            "v1": "v1a (ed25519): verify with the sender's whpk_ public key",
            "v1a": "v1 (HMAC): verify with the whsec_ secret",
        }
        hint = f"; it carries only {other[want]}" if versions & {"v1", "v1a"} else ""
        raise NoMatchingSignatureError(
            f"the signature header has no well-formed '{want},<base64>' entry{hint}"
        )


@lru_cache(maxsize=256)
def _cached_webhook(secret: str | bytes, tolerance: int) -> Webhook:
    return Webhook(secret, tolerance=tolerance)


def _webhook(secret: str | bytes, tolerance: int) -> Webhook:
    # Parsing a secret and building the HMAC state costs more than a whole verification, so the
    # module-level functions keep recent Webhook objects; unhashable secrets simply skip the cache.
    if isinstance(secret, str | bytes):
        return _cached_webhook(secret, tolerance)
    return Webhook(secret, tolerance=tolerance)


def sign(secret: str | bytes, msg_id: str, timestamp: datetime | int, body: str | bytes) -> str:
    """Sign one message with one secret or signing key."""
    return _webhook(secret, DEFAULT_TOLERANCE).sign(msg_id, timestamp, body)


def verify(
    secrets: str | bytes | Iterable[str | bytes],
    body: bytes | str,
    headers: Headers,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Any:
    """Verify against any of several secrets (e.g. during rotation); return the parsed JSON.

    Every secret is parsed first, so a malformed one raises ``InvalidSecretError`` whichever matches.
    """
    candidates = [secrets] if isinstance(secrets, str | bytes) else list(secrets)
    if not candidates:
        raise InvalidSecretError("no secret given")
    hooks = [_webhook(c, tolerance) for c in candidates]
    last: NoMatchingSignatureError | None = None
    for hook in hooks:
        try:
            return hook.verify(body, headers, now=now)
        except NoMatchingSignatureError as exc:
            last = exc
    assert last is not None
    if len(hooks) > 1:
        raise NoMatchingSignatureError(f"{last} (tried {len(hooks)} secrets)")
    raise last
