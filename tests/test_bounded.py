"""The bounded dictionary behind the hot-path caches keeps at most its limit, dropping the oldest first;
so do the caches built on it (parsed secrets and URLs, resolved hosts, opened secrets, accepting's targets)."""

from __future__ import annotations

import pytest

from hookline.bounded import BoundedDict
from hookline.delivery import http
from hookline.store import secret_box
from hookline.store.pg_targets import TargetCache, Targets


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


def test_the_target_cache_forgets_the_application_looked_up_longest_ago() -> None:
    cache = TargetCache(capacity=2)
    apps = {n: Targets(f"app_{n}", f"uid-{n}", 1) for n in (1, 2, 3, 4)}
    cache.put([apps[1], apps[2], apps[3]])
    assert cache.get(["app_1"]) is None and cache.get(["uid-1"]) is None
    assert cache.get(["app_2", "uid-3"]) == {"app_2": apps[2], "uid-3": apps[3]}
    cache.put([apps[2]])  # looked up again: now the most recent
    cache.put([apps[4]])
    assert cache.get(["app_3"]) is None and cache.get(["uid-3"]) is None
    assert cache.get(["uid-2", "app_4"]) == {"uid-2": apps[2], "app_4": apps[4]}


async def test_the_resolver_keeps_at_most_its_limit_of_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http, "CACHE_ENTRIES", 2)
    asked: list[str] = []

    async def lookup(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    resolver = http.CachingResolver(lambda host, addrs: addrs, lookup, ttl=60)
    for host in ("a.test", "b.test", "c.test", "c.test", "b.test", "a.test"):
        assert await resolver(host, 80) == ["127.0.0.1"]
    assert asked == ["a.test", "b.test", "c.test", "a.test"]


def test_opened_secrets_are_kept_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secret_box, "_CACHE_LIMIT", 2)
    box = secret_box.SecretBox(secret_box.parse_keys(secret_box.new_key()))
    opened: list[str] = []
    real = box._open

    def counting(stored: str) -> str:
        opened.append(stored)
        return real(stored)

    box._open = counting  # type: ignore[method-assign]
    sealed = [box.seal(f"whsec_{n}") for n in range(3)]
    for s in (*sealed, sealed[2], sealed[1], sealed[0]):
        assert box.open(s) == f"whsec_{sealed.index(s)}"
    assert opened == [*sealed, sealed[0]]
