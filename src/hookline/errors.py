"""The root of every hookline exception hierarchy."""

from __future__ import annotations


class HooklineError(Exception):
    """Base error: a clear message and a stable machine-readable ``code``."""

    code: str = "hookline_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0]) if self.args else self.code
