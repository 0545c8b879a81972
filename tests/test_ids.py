"""Resource ids: KSUID encoding against the format's published values, and creation-time order."""

from __future__ import annotations

import os

from hookline.ids import _ALPHABET, _base62, ksuid, ksuid_floor, new_id


def one_digit_at_a_time(raw: bytes) -> str:
    """The plain base62 conversion the faster one must agree with."""
    value, out = int.from_bytes(raw, "big"), ""
    while value:
        value, rem = divmod(value, 62)
        out = _ALPHABET[rem] + out
    return out.rjust(27, "0")


def test_the_encoding_matches_the_ksuid_reference_values() -> None:
    assert _base62(bytes.fromhex("0669F7EFB5A1CD34B5F99D1154FB6853345C9735")) == "0ujtsYcgvSTl8PAuAdqWYSMnLOv"
    assert _base62(b"\xff" * 20) == "aWgEPTl1tmebfsQzFP4bxwgy80V"  # the largest KSUID
    assert _base62(bytes(20)) == "0" * 27


def test_the_encoding_agrees_with_one_digit_at_a_time_whatever_the_length() -> None:
    samples = [os.urandom(20) for _ in range(2000)]
    # small values exercise the padding: an odd and an even number of significant digits
    samples += [bytes(19) + bytes([n]) for n in (1, 61, 62, 255)] + [bytes(10) + os.urandom(10)]
    for raw in samples:
        assert _base62(raw) == one_digit_at_a_time(raw)


def test_ids_sort_by_creation_time_to_the_microsecond() -> None:
    at = 1_800_000_000.25
    # mid-microsecond, so float rounding cannot put two ids in one microsecond
    ids = [new_id("msg", at + (i + 0.5) / 1_000_000) for i in range(50)]
    assert ids == sorted(ids) and all(len(i) == len("msg_") + 27 for i in ids)
    assert ksuid_floor("msg", at) <= ids[0] and len(ksuid(at)) == 27
