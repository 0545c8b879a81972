"""Storage errors, each with a stable ``code`` the API maps to an HTTP status."""

from __future__ import annotations

from hookline.errors import HooklineError


class StoreError(HooklineError):
    """Base of every storage failure."""

    code = "store_error"


class NotFoundError(StoreError):
    """The row does not exist (or belongs to another application)."""

    code = "not_found"


class ConflictError(StoreError):
    """A unique key (uid, event id, name) is already taken."""

    code = "conflict"


class StoreUnavailableError(StoreError):
    """The database cannot take writes now (disk full, read-only, connection lost)."""

    code = "store_unavailable"


class MigrationError(StoreError):
    """The schema could not be brought up to date."""

    code = "migration_failed"
