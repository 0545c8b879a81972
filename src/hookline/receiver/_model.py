"""A small base for payload models: stdlib dataclasses with a tolerant ``from_dict``."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Self, Union, get_args, get_origin

_INVALID = object()


@dataclasses.dataclass(frozen=True)
class _FieldPlan:
    name: str
    hint: Any


_PLANS: dict[type, tuple[_FieldPlan, ...]] = {}


def _plan(cls: type[Model]) -> tuple[_FieldPlan, ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        # resolved lazily: models refer to each other by name, so hints resolve only once all exist
        hints = typing.get_type_hints(cls)
        plan = tuple(
            _FieldPlan(f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.name != "extra" and f.init
        )
        _PLANS[cls] = plan
    return plan


def _convert(hint: Any, value: Any) -> Any:
    """Return ``value`` shaped as ``hint``, or ``_INVALID`` when it does not fit."""
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        if value is None:
            return None
        for arg in get_args(hint):
            if arg is type(None):
                continue
            converted = _convert(arg, value)
            if converted is not _INVALID:
                return converted
        return _INVALID
    if hint is Any:
        return value
    if isinstance(hint, type) and issubclass(hint, Model):
        return hint.from_dict(value) if isinstance(value, Mapping) else _INVALID
    if origin is list:
        if not isinstance(value, list):
            return _INVALID
        (item_hint,) = get_args(hint) or (Any,)
        items = (_convert(item_hint, item) for item in value)
        return [item for item in items if item is not _INVALID]
    if origin is dict or hint is dict:
        return dict(value) if isinstance(value, Mapping) else _INVALID
    if hint is bool:
        return value if isinstance(value, bool) else _INVALID
    if hint is int:
        # bool is an int subclass; a JSON true is not a count or a time
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return _INVALID
    if hint is float:
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else _INVALID
    if hint is str:
        return value if isinstance(value, str) else _INVALID
    return value


def _dump(value: Any) -> Any:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, list):
        return [_dump(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class Model:
    """Base of the payload models: unknown keys are kept in ``extra``, missing ones take defaults.

    A value of the wrong type also falls back to the field's default rather than failing, so a
    payload from a newer sender still parses; the event's ``raw`` dict keeps the original.
    """

    extra: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Build the model from a JSON object, tolerating unknown, missing and mistyped fields."""
        kwargs: dict[str, Any] = {}
        known: set[str] = set()
        for field in _plan(cls):
            known.add(field.name)
            if field.name not in data:
                continue
            converted = _convert(field.hint, data[field.name])
            if converted is not _INVALID:
                kwargs[field.name] = converted
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(extra=extra, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-shaped dict: every field plus the ``extra`` keys."""
        out = dict(self.extra)
        for field in _plan(type(self)):
            out[field.name] = _dump(getattr(self, field.name))
        return out
