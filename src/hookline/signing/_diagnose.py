"""Explain, in words a developer can act on, why a webhook request did not verify."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hookline.signing._errors import InvalidSecretError, SigningError
from hookline.signing._secrets import SECRET_PREFIX, parse_secret
from hookline.signing._webhook import DEFAULT_TOLERANCE, parse_signatures, signed_content

_PARTS = ("id", "timestamp", "signature")


@dataclass(frozen=True)
class Finding:
    """One reason a request fails (or a note when it passes), with a stable ``code``."""

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


def _find_headers(headers: Mapping[str, str]) -> tuple[dict[str, str], list[Finding]]:
    """Return the id/timestamp/signature values and findings about missing or misnamed headers."""
    lowered = {k.lower().strip(): v for k, v in headers.items()}
    for family in ("webhook", "svix"):
        values = {p: lowered.get(f"{family}-{p}", "") for p in _PARTS}
        if all(values.values()):
            return values, []
    findings: list[Finding] = []
    values = {}
    for part in _PARTS:
        exact = lowered.get(f"webhook-{part}") or lowered.get(f"svix-{part}")
        if exact:
            values[part] = exact
            continue
        near = [k for k in lowered if k.replace("_", "-").endswith(f"-{part}") or k.endswith(part)]
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


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, hashlib.sha256)


def _candidate_keys(secret: str | bytes) -> tuple[bytes | None, list[tuple[str, bytes]]]:
    """Return the correct HMAC key (if the secret parses) and keys of common mistakes."""
    mistakes: list[tuple[str, bytes]] = []
    try:
        key: bytes | None = parse_secret(secret)
    except InvalidSecretError:
        key = None
    if isinstance(secret, str):
        mistakes.append(("whole_secret_as_key", secret.encode()))
        if secret.startswith(SECRET_PREFIX):
            mistakes.append(("undecoded_secret_as_key", secret[len(SECRET_PREFIX) :].encode()))
    return key, mistakes


def _body_variants(body: bytes) -> list[tuple[str, bytes]]:
    """Bodies the sender may really have signed, when the one given was altered on the way in."""
    variants: list[tuple[str, bytes]] = []
    for label, alt in (
        ("whitespace_changed", body.strip()),
        ("whitespace_changed", body + b"\n"),
        ("whitespace_changed", body.rstrip(b"\r\n")),
        ("whitespace_changed", body.replace(b"\r\n", b"\n")),
        ("whitespace_changed", body.replace(b"\n", b"\r\n")),
    ):
        if alt != body:
            variants.append((label, alt))
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
        alt = json.dumps(parsed, **kwargs).encode()  # type: ignore[arg-type]
        if alt != body:
            variants.append(("body_reserialized", alt))
    return variants


_MESSAGES = {
    "whole_secret_as_key": "the signature was made with the whole 'whsec_…' string as the HMAC key; the key is "
    "the base64-DECODED bytes of the part after 'whsec_'",
    "undecoded_secret_as_key": "the signature was made with the base64 text after 'whsec_' as the key, not the "
    "decoded bytes; base64-decode it first",
    "hex_signature": "the signature is hex-encoded; Standard Webhooks signatures are base64 after 'v1,'",
    "body_only": "the signature covers the body alone (the hex HMAC that some blog posts call "
    "'clerk-signature'); the signed content is '{webhook-id}.{webhook-timestamp}.{body}'",
    "body_reserialized": "the body was re-serialized after JSON parsing (keys, spacing or escapes changed); "
    "verify the raw request bytes before parsing",
    "whitespace_changed": "the body differs from what was signed only in whitespace (a trailing newline, "
    "CRLF, or trimming); pass the raw bytes exactly as received",
}


def diagnose(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str | bytes | Iterable[str | bytes],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Diagnosis:
    """Check a request like ``verify`` does, and say why it fails in words a developer acts on."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    secrets_ = [secret] if isinstance(secret, str | bytes) else list(secret)
    values, findings = _find_headers(headers)
    current = time.time() if now is None else now

    ts_text = values.get("timestamp", "")
    if ts_text:
        try:
            skew = int(current - int(ts_text))
            if skew > tolerance:
                findings.append(
                    Finding(
                        "timestamp_too_old",
                        f"timestamp is {skew} s old; the tolerance "
                        f"is {tolerance} s (a replayed request, or this server's clock is off)",
                    )
                )
            elif -skew > tolerance:
                findings.append(
                    Finding(
                        "timestamp_too_new",
                        f"timestamp is {-skew} s in the future; the "
                        f"tolerance is {tolerance} s (check this server's clock)",
                    )
                )
        except ValueError:
            findings.append(
                Finding("invalid_timestamp", f"timestamp {ts_text!r:.40} is not integer unix seconds")
            )

    sig_header = values.get("signature", "")
    msg_id = values.get("id", "")
    if not sig_header or not msg_id or not ts_text:
        return Diagnosis(False, findings)

    sigs = parse_signatures(sig_header)
    raw_entries = [s.partition(",")[2] for s in sig_header.split(" ") if "," in s]
    if not sigs and not raw_entries:
        findings.append(
            Finding(
                "invalid_signature_header", "signature header must be space-separated 'v1,<base64>' entries"
            )
        )
        return Diagnosis(False, findings)

    keys: list[bytes] = []
    mistakes: list[tuple[str, bytes]] = []
    for candidate in secrets_:
        try:
            key, wrong = _candidate_keys(candidate)
        except SigningError as exc:
            findings.append(Finding(exc.code, str(exc)))
            continue
        if key is None:
            findings.append(
                Finding(
                    "invalid_secret",
                    "the secret is not 'whsec_' + base64; copy it again from the endpoint's settings",
                )
            )
        else:
            keys.append(key)
        mistakes.extend(wrong)

    v1 = [sig for version, sig in sigs if version == "v1"]
    hex_sigs = []
    for entry in [*raw_entries, sig_header.strip()]:
        with contextlib.suppress(ValueError):
            hex_sigs.append(bytes.fromhex(entry.strip()))

    def matches(key: bytes, content: bytes) -> str | None:
        expected = _hmac(key, content)
        if any(hmac.compare_digest(expected, s) for s in v1):
            return "base64"
        if any(hmac.compare_digest(expected, s) for s in hex_sigs):
            return "hex"
        return None

    content = signed_content(msg_id, ts_text, raw)
    for key in keys:
        kind = matches(key, content)
        if kind == "base64":
            timing = [f for f in findings if f.code.startswith("timestamp_")]
            return Diagnosis(not timing and not any(f.code == "missing_header" for f in findings), findings)
        if kind == "hex":
            findings.append(Finding("hex_signature", _MESSAGES["hex_signature"]))
            return Diagnosis(False, findings)

    probes: list[tuple[str, bytes, bytes]] = []
    for key in keys:
        probes.append(("body_only", key, raw))
        for label, alt in _body_variants(raw):
            probes.append((label, key, signed_content(msg_id, ts_text, alt)))
    for label, key in mistakes:
        probes.append((label, key, content))
        probes.append(("body_only", key, raw))
    for label, key, data in probes:
        if matches(key, data):
            findings.append(Finding(label, _MESSAGES[label]))
            return Diagnosis(False, findings)

    if keys:
        findings.append(
            Finding(
                "wrong_secret",
                f"none of the {len(keys)} secret(s) tried produces this "
                "signature: each endpoint has its own secret; after a rotation use the new one; "
                "test and live secrets differ",
            )
        )
    return Diagnosis(False, findings)
