"""Resource ids: a prefix and a 27-character KSUID, sortable by creation time."""

from __future__ import annotations

import os
import random
import re
import time

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_EPOCH = 1_400_000_000  # KSUID epoch
_LENGTH = 27
UID_PATTERN = re.compile(r"^[a-zA-Z0-9\-_.]{1,256}$")
# ids are not secrets (every read needs a token), so a seeded PRNG serves: no syscall per id
_random = random.Random(os.urandom(32))


# two digits per division: every message and every attempt takes an id on the hot path
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def _base62(raw: bytes) -> str:
    value = int.from_bytes(raw, "big")
    out = []
    while value:
        value, rem = divmod(value, 3844)
        out.append(_PAIRS[rem])
    # 20 bytes fit in 27 digits; the pairs may start with one zero too many
    return "".join(reversed(out)).rjust(_LENGTH + 1, "0")[-_LENGTH:]


def ksuid(at: float | None = None) -> str:
    """Return a new KSUID: 4 bytes of seconds since the KSUID epoch and 16 bytes of payload, base62.

    The payload starts with the microseconds within the second, so ids sort by creation time to the
    microsecond (lists come out in creation order), and ends with 13 random bytes.
    """
    now = time.time() if at is None else at
    seconds = int(now - _EPOCH)
    micros = int((now % 1) * 1_000_000)
    return _base62(
        seconds.to_bytes(4, "big") + micros.to_bytes(3, "big") + _random.getrandbits(104).to_bytes(13, "big")
    )


def new_id(prefix: str, at: float | None = None) -> str:
    """Return ``{prefix}_{ksuid}``, e.g. ``msg_2KWPBgLlAfxdpx2AI54pPJ85f4W``."""
    return f"{prefix}_{ksuid(at)}"


def ksuid_floor(prefix: str, at: float) -> str:
    """Return the smallest id of ``prefix`` created at or after ``at`` (for time-range scans)."""
    seconds = max(0, int(at - _EPOCH))
    micros = int((at % 1) * 1_000_000)
    return f"{prefix}_" + _base62(seconds.to_bytes(4, "big") + micros.to_bytes(3, "big") + bytes(13))


def ksuid_time(value: str) -> float | None:
    """The creation time (to the microsecond) of an id ``{prefix}_{ksuid}``, or None if it is not one."""
    digits = value.rpartition("_")[2]
    if len(digits) != _LENGTH or any(c not in _ALPHABET for c in digits):
        return None
    raw = sum(_ALPHABET.index(c) * 62**i for i, c in enumerate(reversed(digits)))
    if raw >= 1 << 160:
        return None
    head = (raw >> 104).to_bytes(7, "big")
    return _EPOCH + int.from_bytes(head[:4], "big") + int.from_bytes(head[4:], "big") / 1_000_000


def is_valid_uid(value: str) -> bool:
    """True if ``value`` is an acceptable user-chosen uid or event type name."""
    return bool(UID_PATTERN.match(value))


_DIGITS = {ch: i for i, ch in enumerate(_ALPHABET)}


def id_time(value: str) -> float | None:
    """The creation time a ``{prefix}_{ksuid}`` id carries (to the microsecond), or None if it has none."""
    raw = value.rpartition("_")[2]
    if len(raw) != _LENGTH or any(ch not in _DIGITS for ch in raw):
        return None
    number = 0
    for ch in raw:
        number = number * 62 + _DIGITS[ch]
    data = number.to_bytes(21, "big")[-20:]
    return _EPOCH + int.from_bytes(data[:4], "big") + int.from_bytes(data[4:7], "big") / 1_000_000
