"""What accepting reads of an application on PostgreSQL, kept between batches and checked on use.

Each application row carries a configuration version that triggers raise with any change to its
uid, throttleRate, endpoints or signing secrets (migration 0007). The statement that stores a batch
compares the versions it was planned with and stores nothing when one moved; the batch is then
looked up afresh and stored again. So a batch costs one round trip, not two, and never uses a
configuration older than the one its statement sees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hookline.bounded import BoundedDict
from hookline.store.conn import Row
from hookline.store.records import Endpoint
from hookline.store.rows import endpoint_from_row

# How many applications one process remembers; past that, those looked up longest ago are forgotten.
MAX_APPLICATIONS = 10_000


@dataclass(frozen=True)
class Targets:
    """One application as accepting needs it: enabled endpoints and the secrets that sign for them."""

    app_id: str
    uid: str | None
    version: int
    endpoints: tuple[Endpoint, ...] = ()
    # endpoint id -> (secret, when it stops signing or None), newest first
    secrets: dict[str, tuple[tuple[str, float | None], ...]] = field(default_factory=dict)

    def signing(self, endpoint_id: str, now: float) -> list[str]:
        """The endpoint's secrets that sign at ``now``, newest first."""
        return [s for s, until in self.secrets.get(endpoint_id, ()) if until is None or until > now]


def targets_from_rows(rows: Iterable[Row]) -> list[Targets]:
    """Group look-up rows (target_id, target_uid, target_version, the endpoint's columns or NULLs,
    secrets, secret_expiries) by application."""
    found: dict[str, tuple[Any, Any, list[Endpoint], dict[str, tuple[tuple[str, float | None], ...]]]] = {}
    for r in rows:
        app = found.setdefault(r["target_id"], (r["target_uid"], r["target_version"], [], {}))
        if r["id"] is not None:  # an application without enabled endpoints has one row of NULLs
            ep = endpoint_from_row(r)
            app[2].append(ep)
            app[3][ep.id] = tuple(zip(r["secrets"] or (), r["secret_expiries"] or (), strict=True))
    return [
        Targets(app_id, uid, version, tuple(eps), sec) for app_id, (uid, version, eps, sec) in found.items()
    ]


class TargetCache:
    """Targets by application id and uid, as last looked up by this process."""

    def __init__(self, capacity: int = MAX_APPLICATIONS) -> None:
        self.capacity = capacity
        # under its id and its uid: two keys an application; looked up longest ago go first, since a
        # look-up forgets an application before it is remembered again
        self._by_key: BoundedDict[str, Targets] = BoundedDict(2 * capacity)

    def get(self, keys: Iterable[str]) -> dict[str, Targets] | None:
        """The targets of every key (id or uid), or None when one is not known."""
        out = {}
        for key in keys:
            t = self._by_key.get(key)
            if t is None:
                return None
            out[key] = t
        return out

    def put(self, targets: Iterable[Targets]) -> None:
        """Remember freshly looked-up targets under their id and uid."""
        for t in targets:
            self.forget([t.app_id])
            self._by_key.put(t.app_id, t)
            if t.uid is not None:
                self._by_key.put(t.uid, t)

    def forget(self, app_ids: Iterable[str]) -> None:
        """Drop what is known of these applications (under their ids and uids)."""
        for app_id in app_ids:
            t = self._by_key.pop(app_id, None)
            if t is not None and t.uid is not None and self._by_key.get(t.uid) is t:
                del self._by_key[t.uid]
