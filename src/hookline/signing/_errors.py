"""Signing and verification errors, each with a stable ``code``."""

from __future__ import annotations

from hookline.errors import HooklineError


class SigningError(HooklineError):
    """Base of every signing or verification failure."""

    code = "signing_error"


class InvalidSecretError(SigningError):
    """A secret or key is malformed (bad prefix, bad base64, wrong length)."""

    code = "invalid_secret"


class WebhookVerificationError(SigningError):
    """A request did not verify; ``code`` says which check failed."""

    code = "verification_failed"


class MissingHeadersError(WebhookVerificationError):
    """One of the id, timestamp or signature headers is absent."""

    code = "missing_headers"


class InvalidHeadersError(WebhookVerificationError):
    """A header is present but malformed (timestamp not a number, signature list unparsable)."""

    code = "invalid_headers"


class TimestampTooOldError(WebhookVerificationError):
    """The timestamp is older than the tolerance: a replay or a badly skewed clock."""

    code = "timestamp_too_old"


class TimestampTooNewError(WebhookVerificationError):
    """The timestamp is further in the future than the tolerance."""

    code = "timestamp_too_new"


class NoMatchingSignatureError(WebhookVerificationError):
    """No signature in the header matches any of the secrets."""

    code = "no_matching_signature"


class InvalidPayloadError(WebhookVerificationError):
    """The body verified but is not the JSON it must be."""

    code = "invalid_payload"
