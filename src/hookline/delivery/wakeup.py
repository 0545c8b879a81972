"""Wake-ups live in ``hookline.wakeup`` (the store's PostgreSQL driver rings them too); re-exported here."""

from __future__ import annotations

from hookline.wakeup import Wakeup

__all__ = ["Wakeup"]
