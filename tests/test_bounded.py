"""The bounded dictionary behind the hot-path caches keeps at most its limit, dropping the oldest first."""

from __future__ import annotations

import pytest

from hookline.bounded import BoundedDict


def test_put_past_the_limit_drops_the_oldest_entries() -> None:
    cache: BoundedDict[str, int] = BoundedDict(3)
    for i, key in enumerate("abcde"):
        assert cache.put(key, i) == i
    assert dict(cache) == {"c": 2, "d": 3, "e": 4}


def test_replacing_a_key_keeps_the_others() -> None:
    cache: BoundedDict[str, int] = BoundedDict(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)
    assert dict(cache) == {"a": 3, "b": 2}


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BoundedDict(0)
