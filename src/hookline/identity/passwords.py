"""Passwords: argon2id hashes and the strength rules a new password must pass."""

from __future__ import annotations

import itertools
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hookline.identity.errors import IdentityError

MIN_LENGTH = 8
MAX_LENGTH = 72
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A dummy hash so that signing in as an unknown user costs the same as a wrong password.
_DUMMY_HASH = _hasher.hash("hookline-dummy-password")

# The most common passwords from public breach corpora; a refusal names the rule, never the list.
_BREACHED = frozenset(
    [
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "12345678",
        "123456789",
        "1234567890",
        "0123456789",
        "87654321",
        "11111111",
        "00000000",
        "qwertyui",
        "qwerty123",
        "qwertyuiop",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "iloveyou",
        "iloveyou1",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "welcome1",
        "welcome123",
        "letmein1",
        "letmein123",
        "abc12345",
        "abcd1234",
        "admin123",
        "administrator",
        "trustno1",
        "superman",
        "batman123",
        "dragon123",
        "monkey123",
        "starwars",
        "whatever",
        "computer",
        "michelle",
        "jennifer",
        "master123",
        "shadow123",
        "changeme",
        "changeme1",
        "secret123",
        "zaq12wsx",
        "aa123456",
        "asdfghjk",
        "asdf1234",
        "zxcvbnm1",
        "zxcvbnmm",
        "1qaz2wsx",
        "qazwsxedc",
        "football1",
        "charlie1",
        "liverpool",
    ]
)


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; a missing hash still spends the time of one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _is_breached_pattern(password: str) -> bool:
    lowered = password.lower()
    if lowered in _BREACHED or len(set(lowered)) <= 2:
        return True
    # runs like "abcdefgh" or "98765432"
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(lowered)}
    if steps in ({1}, {-1}):
        return True
    # a common word with digits or symbols appended ("password2024!")
    stem = re.sub(r"[\d\W_]+$", "", lowered)
    return stem in _BREACHED or (
        len(stem) >= 4 and stem in {"password", "qwerty", "letmein", "welcome", "admin"}
    )


def check_password(password: str, param: str = "password") -> None:
    """Raise a 422 with Clerk's code if ``password`` is too short, too long or a known breached pattern."""
    meta = {"param_name": param}
    if len(password) < MIN_LENGTH:
        raise IdentityError(
            422,
            "form_password_length_too_short",
            f"Passwords must be {MIN_LENGTH} characters or more.",
            f"Passwords must be {MIN_LENGTH} characters or more.",
            meta,
        )
    if len(password) > MAX_LENGTH:
        raise IdentityError(
            422,
            "form_password_length_too_long",
            f"Passwords must be {MAX_LENGTH} characters or less.",
            f"Passwords must be {MAX_LENGTH} characters or less.",
            meta,
        )
    if _is_breached_pattern(password):
        raise IdentityError(
            422,
            "form_password_pwned",
            "Password has been found in an online data breach.",
            "This password has been found as part of a breach and can not be used, please try another "
            "password instead.",
            meta,
        )
