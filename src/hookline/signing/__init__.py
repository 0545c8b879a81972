"""Standard Webhooks signing: secrets, ``sign``, ``verify`` and ``diagnose``.

``hookline.signing.Webhook`` is a drop-in for ``standardwebhooks.Webhook`` and ``svix.webhooks.Webhook``
and reads both the ``webhook-*`` and the ``svix-*`` headers.
"""

from __future__ import annotations

from hookline.signing._diagnose import Diagnosis, Finding, diagnose
from hookline.signing._errors import (
    InvalidHeadersError,
    InvalidPayloadError,
    InvalidSecretError,
    MissingHeadersError,
    NoMatchingSignatureError,
    SigningError,
    TimestampTooNewError,
    TimestampTooOldError,
    WebhookVerificationError,
)
from hookline.signing._secrets import (
    KeyPair,
    generate_keypair,
    generate_secret,
    parse_public_key,
    parse_secret,
    parse_signing_key,
    verification_key,
)
from hookline.signing._webhook import (
    DEFAULT_TOLERANCE,
    Webhook,
    read_headers,
    sign,
    sign_v1,
    signature_headers,
    signed_content,
    verify,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "Diagnosis",
    "Finding",
    "InvalidHeadersError",
    "InvalidPayloadError",
    "InvalidSecretError",
    "KeyPair",
    "MissingHeadersError",
    "NoMatchingSignatureError",
    "SigningError",
    "TimestampTooNewError",
    "TimestampTooOldError",
    "Webhook",
    "WebhookVerificationError",
    "diagnose",
    "generate_keypair",
    "generate_secret",
    "parse_public_key",
    "parse_secret",
    "parse_signing_key",
    "read_headers",
    "sign",
    "sign_v1",
    "signature_headers",
    "signed_content",
    "verification_key",
    "verify",
]
