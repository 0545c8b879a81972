"""Passwords: argon2id hashes and the strength rules a new password must pass."""

from __future__ import annotations

from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from hookline.identity.errors import IdentityError

MIN_LENGTH = 8
MAX_LENGTH = 72
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A dummy hash so that signing in as an unknown user costs the same as a wrong password; made on first
# use (a hash takes a fifth of a second of CPU, which every process would pay at import otherwise).
_dummy: tuple[PasswordHasher, str] | None = None


def _dummy_hash() -> str:
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("hookline-dummy-password"))
    return _dummy[1]


# A password must reach this zxcvbn score (0 to 4): 3 is "safely unguessable: moderate protection
# from offline slow-hash scenario" (over 10^8 guesses), which argon2 makes an expensive attack.
MIN_STRENGTH = 3


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches; a missing hash still spends the time of one verification."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _from_common_list(result: dict[str, object]) -> bool:
    sequence = result.get("sequence")
    return isinstance(sequence, list) and any(
        isinstance(m, dict) and m.get("pattern") == "dictionary" and m.get("dictionary_name") == "passwords"
        for m in sequence
    )


def check_password(
    password: str, param: str = "password", user_inputs: Sequence[str] = (), min_strength: int = MIN_STRENGTH
) -> None:
    """Raise a 422 with Clerk's code if ``password`` is too short, too long, common or easy to guess.

    Strength is zxcvbn's estimate (its lists of breached passwords, words and names ship with the
    package); ``user_inputs`` (the user's email and names) count as known words.
    """
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
    result = zxcvbn(password, user_inputs=[u for u in user_inputs if u][:10])
    if int(result["score"]) >= min_strength:
        return
    if _from_common_list(result):
        raise IdentityError(
            422,
            "form_password_pwned",
            "Password has been found in an online data breach.",
            "This password has been found as part of a breach and can not be used, please try another "
            "password instead.",
            meta,
        )
    feedback = result.get("feedback") or {}
    hint = " ".join([feedback.get("warning") or "", *(feedback.get("suggestions") or [])]).strip()
    raise IdentityError(
        422,
        "form_password_not_strong_enough",
        "Given password is not strong enough.",
        "Given password is not strong enough." + (f" {hint}" if hint else ""),
        {
            **meta,
            "zxcvbn": {
                "suggestions": [{"code": "", "message": m} for m in feedback.get("suggestions") or []]
            },
        },
    )
