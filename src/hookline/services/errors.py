"""Errors of the operations: a stable ``code``, a ``detail`` sentence and the HTTP status it is answered with.

The API answers them in Svix's JSON shapes (``hookline.api.wire``); the dashboard shows ``detail``.
"""

from __future__ import annotations

from hookline.errors import HooklineError


class OperationError(HooklineError):
    """An operation refused: answered with ``status``, a stable ``code`` and a ``detail`` sentence."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail, code=code)
        self.status = status
        self.detail = detail


class FieldError(OperationError):
    """A 422 naming the field that is wrong (``loc``), in the shape of a request validation error."""

    def __init__(self, loc: list[str | int], msg: str, kind: str = "value_error") -> None:
        super().__init__(422, "validation", msg)
        self.loc = loc
        self.kind = kind


def not_found(what: str) -> OperationError:
    """A 404 for ``what`` (``"endpoint"``, ``"message"``, ...)."""
    return OperationError(404, "not_found", f"{what} not found")
