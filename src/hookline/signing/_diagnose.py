"""Explain, in words a developer can act on, why a webhook request did not verify."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
import string
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hookline.signing._errors import SigningError
from hookline.signing._secrets import (
    PUBLIC_KEY_PREFIX,
    SECRET_PREFIX,
    SIGNING_KEY_PREFIX,
    parse_public_key,
    parse_secret,
    parse_signing_key,
)
from hookline.signing._webhook import (
    DEFAULT_TOLERANCE,
    MAX_SIGNATURE_HEADER,
    Headers,
    _as_bytes,
    parse_timestamp,
    read_headers,
    signed_content,
)

_PARTS = ("id", "timestamp", "signature")
# Name endings that betray a renamed header: 'HTTP_WEBHOOK_ID', 'x-webhook-ts', 'clerk-signature'.
_SUFFIXES = {"id": ("id",), "timestamp": ("timestamp", "ts", "time"), "signature": ("signature", "sig")}
_BRANDS = ("webhook", "svix", "clerk", "standard")
_HEX = frozenset(string.hexdigits)
# Milliseconds since the epoch pass 10**12 in 2001; seconds will not reach it for 30,000 years.
_MILLISECONDS = 10**12
_MAX_GUESSED = 8


@dataclass(frozen=True)
class Finding:
    """One reason a request fails, with a stable ``code`` and a message a developer can act on."""

    code: str
    message: str


@dataclass
class Diagnosis:
    """The outcome of :func:`diagnose`: ``ok`` when the request verifies, and what was found."""

    ok: bool
    findings: list[Finding] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        """The codes of every finding, in order."""
        return [f.code for f in self.findings]

    def __str__(self) -> str:
        head = "signature OK" if self.ok else "signature does NOT verify"
        return "\n".join([head, *(f"- [{f.code}] {f.message}" for f in self.findings)])


_MESSAGES = {
    "whole_secret_as_key": "the signature was made with the whole 'whsec_…' string as the HMAC key; the key is "
    "the base64-DECODED bytes of the part after 'whsec_'",
    "undecoded_secret_as_key": "the signature was made with the base64 text after 'whsec_' as the key, not the "
    "decoded bytes; base64-decode it first",
    "hex_signature": "the signature is hex-encoded; Standard Webhooks signatures are base64 after 'v1,'",
    "missing_version_prefix": "the signature has no version prefix; each entry must read 'v1,<base64>'",
    "body_only": "the signature covers the body alone (the hex HMAC that some blog posts call "
    "'clerk-signature'); the signed content is '{webhook-id}.{webhook-timestamp}.{body}'",
    "body_reserialized": "the body was re-serialized after JSON parsing (keys, spacing or escapes changed); "
    "verify the raw request bytes before parsing",
    "whitespace_changed": "the body differs from what was signed only in whitespace (a trailing newline, "
    "CRLF, or trimming); pass the raw bytes exactly as received",
}


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("latin-1")
    return value if isinstance(value, str) else str(value)


def _find_headers(headers: Headers) -> tuple[dict[str, str], list[Finding]]:
    """Return the id/timestamp/signature values and findings about missing or misnamed headers."""
    try:
        msg_id, ts, sig = read_headers(headers)
        return {"id": msg_id, "timestamp": ts, "signature": sig}, []
    except SigningError:
        pass
    try:
        # a mapping, or the (name, value) pairs of an ASGI scope, which read_headers accepts too
        items: list[Any] = list(headers.items()) if hasattr(headers, "items") else list(headers)
        lowered = {_text(k).lower().strip(): _text(v).strip() for k, v in items}
    except (TypeError, ValueError):
        return {}, [Finding("invalid_headers", "headers must be a mapping of names to values")]
    values: dict[str, str] = {}
    findings: list[Finding] = []
    for part in _PARTS:
        exact = lowered.get(f"webhook-{part}") or lowered.get(f"svix-{part}")
        if exact:
            values[part] = exact
            continue
        near = [k for k, v in lowered.items() if v and _looks_like(k, part)]
        if near:
            values[part] = lowered[near[0]]
            findings.append(
                Finding(
                    "misnamed_header",
                    f"header '{near[0]}' looks like the {part} header, but it must be named "
                    f"'webhook-{part}' (or 'svix-{part}'); check your framework is not renaming or "
                    "prefixing headers",
                )
            )
        else:
            findings.append(
                Finding(
                    "missing_header",
                    f"no 'webhook-{part}' or 'svix-{part}' header; pass the request's headers unchanged",
                )
            )
    return values, findings


def _looks_like(name: str, part: str) -> bool:
    compact = name.replace("_", "").replace("-", "")
    return any(b in compact for b in _BRANDS) and compact.endswith(_SUFFIXES[part])


def _timestamp_findings(ts_text: str, tolerance: int, now: float | None) -> list[Finding]:
    try:
        ts = parse_timestamp(ts_text)
    except SigningError:
        return [Finding("invalid_timestamp", f"timestamp {ts_text!r:.40} is not integer unix seconds")]
    current = time.time() if now is None else now
    skew = int(current - ts)
    if ts >= _MILLISECONDS:
        return [
            Finding(
                "timestamp_in_milliseconds",
                f"timestamp {ts} is in milliseconds; webhook-timestamp must be unix SECONDS",
            )
        ]
    if skew > tolerance:
        return [
            Finding(
                "timestamp_too_old",
                f"timestamp is {skew} s old; the tolerance is {tolerance} s "
                "(a replayed request, a delayed retry of a saved request, or this server's clock is off)",
            )
        ]
    if -skew > tolerance:
        return [
            Finding(
                "timestamp_too_new",
                f"timestamp is {-skew} s in the future; the tolerance is {tolerance} s "
                "(check this server's clock)",
            )
        ]
    return []


@dataclass
class _Signatures:
    """Every way the signature header can be read, so near misses can be named."""

    v1: list[bytes] = field(default_factory=list)
    v1a: list[bytes] = field(default_factory=list)
    hex: list[bytes] = field(default_factory=list)
    unversioned: list[bytes] = field(default_factory=list)
    versions: set[str] = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not (self.v1 or self.v1a or self.hex or self.unversioned)


def _b64(text: str) -> bytes | None:
    try:
        return binascii.a2b_base64(text)
    except (binascii.Error, ValueError):
        return None


def _from_hex(text: str) -> bytes | None:
    text = text.removeprefix("sha256=")
    if len(text) == 64 and set(text) <= _HEX:
        return bytes.fromhex(text)
    return None


def _read_signatures(header: str) -> _Signatures:
    sigs = _Signatures()
    sizes = {"v1": 32, "v1a": 64}  # HMAC-SHA256 and ed25519: other lengths cannot match

    def add(found: list[bytes], sig: bytes) -> None:
        if sig not in found:
            found.append(sig)

    for entry in header[:MAX_SIGNATURE_HEADER].split():
        version, sep, value = entry.partition(",")
        if sep:
            sigs.versions.add(version)
            decoded = _b64(value)
            if decoded is not None and len(decoded) == sizes.get(version):
                add(getattr(sigs, version), decoded)
            if (hexed := _from_hex(value)) is not None:
                add(sigs.hex, hexed)
        elif (hexed := _from_hex(entry)) is not None:
            add(sigs.hex, hexed)
        elif (decoded := _b64(entry)) is not None and len(decoded) == 32:
            add(sigs.unversioned, decoded)
    return sigs


def _body_variants(body: bytes) -> list[tuple[str, bytes]]:
    """Bodies the sender may really have signed, when the one given was altered on the way in."""
    variants: list[tuple[str, bytes]] = []
    for alt in (
        body.strip(),
        body + b"\n",
        body.rstrip(b"\r\n"),
        body.replace(b"\r\n", b"\n"),
        body.replace(b"\n", b"\r\n"),
    ):
        if alt != body:
            variants.append(("whitespace_changed", alt))
    try:
        parsed = json.loads(body)
    except ValueError:
        return variants
    for kwargs in (
        {"separators": (",", ":")},
        {"separators": (",", ":"), "ensure_ascii": False},
        {},
        {"ensure_ascii": False},
        {"separators": (",", ":"), "sort_keys": True},
        {"sort_keys": True},
        {"indent": 2},
    ):
        alt = json.dumps(parsed, **kwargs).encode()
        if alt != body:
            variants.append(("body_reserialized", alt))
    return variants


@dataclass
class _Keys:
    hmac: list[tuple[str | None, bytes]] = field(default_factory=list)  # (mistake label, key)
    ed25519: list[Ed25519PublicKey] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _read_keys(secrets_: list[str | bytes]) -> _Keys:
    keys = _Keys()
    mistakes: list[tuple[str | None, bytes]] = []
    for number, candidate in enumerate(secrets_, 1):
        label = f"secret #{number}" if len(secrets_) > 1 else "the secret"
        text = candidate.strip() if isinstance(candidate, str) else ""
        try:
            if text.startswith(SIGNING_KEY_PREFIX):
                keys.ed25519.append(parse_signing_key(text).public_key())
            elif text.startswith(PUBLIC_KEY_PREFIX):
                keys.ed25519.append(parse_public_key(text))
            else:
                keys.hmac.append((None, parse_secret(candidate)))
        except SigningError as exc:
            keys.findings.append(
                Finding(exc.code, f"{label} is malformed: {exc}; copy it again from the endpoint's settings")
            )
        if text.startswith(SECRET_PREFIX):
            mistakes.append(("whole_secret_as_key", text.encode()))
            mistakes.append(("undecoded_secret_as_key", text[len(SECRET_PREFIX) :].encode()))
    keys.hmac.extend(mistakes)
    return keys


def _search(
    keys: _Keys, sigs: _Signatures, msg_id: str, ts: str, raw: bytes
) -> tuple[bool, list[str] | None]:
    """Return (verified, labels of the closest explanation or None when nothing explains it)."""
    content = signed_content(msg_id, ts, raw)
    contents: list[tuple[str | None, bytes]] = [(None, content), ("body_only", raw)]
    contents += [(label, signed_content(msg_id, ts, alt)) for label, alt in _body_variants(raw)]

    def encoding(digest: bytes) -> str | None:
        for label, found in (
            (None, sigs.v1),
            ("hex_signature", sigs.hex),
            ("missing_version_prefix", sigs.unversioned),
        ):
            if any(hmac.compare_digest(digest, sig) for sig in found):
                return label or ""
        return None

    best: list[str] | None = None
    for key_label, key in keys.hmac:
        for content_label, data in contents:
            enc = encoding(hmac.digest(key, data, hashlib.sha256))
            if enc is None:
                continue
            labels = [label for label in (key_label, content_label, enc) if label]
            if not labels:
                return True, []
            if best is None or len(labels) < len(best):
                best = labels
    for public in keys.ed25519:
        for content_label, data in contents:
            # Every entry is checked against the real content, as verify does; near-miss guesses
            # only try the first few, so a forged header of ~180 entries cannot cost thousands of
            # ed25519 checks (real headers carry two or three).
            for sig in sigs.v1a if content_label is None else sigs.v1a[:_MAX_GUESSED]:
                try:
                    public.verify(sig, data)
                except InvalidSignature:
                    continue
                if content_label is None:
                    return True, []
                if best is None:
                    best = [content_label]
    return False, best


def diagnose(
    headers: Headers,
    body: bytes | str,
    secret: str | bytes | Iterable[str | bytes],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Diagnosis:
    """Check a request like ``verify`` does, and say why it fails in words a developer acts on."""
    try:
        raw = _as_bytes(body)
    except SigningError as exc:
        return Diagnosis(False, [Finding(exc.code, str(exc))])
    secrets_ = (
        [secret] if isinstance(secret, str | bytes) or not isinstance(secret, Iterable) else list(secret)
    )
    values, findings = _find_headers(headers)
    if values.get("timestamp"):
        findings += _timestamp_findings(values["timestamp"], tolerance, now)
    sig_header, msg_id, ts = values.get("signature", ""), values.get("id", ""), values.get("timestamp", "")
    if not (sig_header and msg_id and ts):
        return Diagnosis(False, findings)

    if len(sig_header) > MAX_SIGNATURE_HEADER:
        findings.append(
            Finding(
                "invalid_signature_header",
                f"signature header is {len(sig_header)} characters; at most {MAX_SIGNATURE_HEADER} are accepted",
            )
        )
    sigs = _read_signatures(sig_header)
    if sigs.empty:
        findings.append(
            Finding(
                "invalid_signature_header",
                "the signature header has no readable signature: entries are 'v1,<base64 of 32 bytes>' "
                "(or 'v1a,<base64 of 64 bytes>'), separated by spaces",
            )
        )
        return Diagnosis(False, findings)

    if not secrets_:
        findings.append(Finding("no_secret", "no secret given to check the signature with"))
        return Diagnosis(False, findings)
    keys = _read_keys(secrets_)
    findings += keys.findings
    verified, labels = _search(keys, sigs, msg_id, ts, raw)
    if verified:
        return Diagnosis(not findings, findings)
    if labels:
        findings += [Finding(label, _MESSAGES[label]) for label in labels]
        return Diagnosis(False, findings)

    hmac_keys = sum(1 for label, _ in keys.hmac if label is None)
    if hmac_keys and not sigs.v1 and sigs.v1a:
        findings.append(
            Finding(
                "signature_version_mismatch",
                "the header carries only v1a (ed25519) signatures; verify with the sender's whpk_ public key",
            )
        )
    elif keys.ed25519 and not sigs.v1a and sigs.v1:
        findings.append(
            Finding(
                "signature_version_mismatch",
                "the header carries only v1 (HMAC) signatures; verify with the endpoint's whsec_ secret",
            )
        )
    elif hmac_keys:
        findings.append(
            Finding(
                "wrong_secret",
                f"none of the {hmac_keys} secret(s) tried produces this signature: each endpoint has its "
                "own secret; after a rotation use the new one; test and live secrets differ",
            )
        )
    elif keys.ed25519:
        findings.append(
            Finding(
                "wrong_public_key",
                f"none of the {len(keys.ed25519)} public key(s) tried verifies this signature; use the "
                "whpk_ key of the endpoint that sent it",
            )
        )
    return Diagnosis(False, findings)
