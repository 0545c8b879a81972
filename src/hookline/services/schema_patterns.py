"""JSON Schema's regular expressions (``pattern``, ``patternProperties``) applied in linear time.

jsonschema applies them with Python's ``re``, which backtracks: ``{"pattern": "^(a+)+$"}`` against forty
``a`` and a ``!`` runs for hours, holding the interpreter (and so the event loop) all the while. Here they
run on RE2 (``google-re2``), whose matching time grows with the text, never exponentially. RE2 has no
lookaround and no backreferences; a pattern that uses them cannot be applied, which is said (a
``PatternUnsupported``) rather than skipped.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import re2
from jsonschema import Draft7Validator, validators
from jsonschema.exceptions import ValidationError

MAX_PATTERN = 4096  # characters: a schema is at most 64 KiB anyway, and RE2 also bounds its memory


class PatternUnsupported(Exception):
    """A schema's pattern that RE2 cannot run (lookaround, backreferences) or that is too large."""


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is the client's mistake, not a line in the server's log
    if len(pattern) > MAX_PATTERN:
        raise PatternUnsupported(f"the pattern {pattern[:40]!r}… is longer than {MAX_PATTERN} characters")
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternUnsupported(
            f"the pattern {pattern!r} cannot be applied ({reason}); examples are checked with RE2 syntax, "
            "which has no lookaround or backreferences"
        ) from None


def search(pattern: str, text: str) -> bool:
    """Whether ``pattern`` matches somewhere in ``text`` (as JSON Schema's ``pattern`` asks)."""
    return _compiled(pattern).search(text) is not None


def _pattern(validator: Any, patrn: str, instance: Any, schema: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not search(patrn, instance):
        yield ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(
    validator: Any, patterns: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for patrn, subschema in patterns.items():
        for key, value in instance.items():
            if search(patrn, key):
                yield from validator.descend(value, subschema, path=key, schema_path=patrn)


def _additional_properties(
    validator: Any, allowed: Any, instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    named = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    extras = sorted(k for k in instance if k not in named and not any(search(p, k) for p in patterns))
    if validator.is_type(allowed, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], allowed, path=extra)
    elif not allowed and extras:
        yield ValidationError(f"additional properties are not allowed ({', '.join(map(repr, extras))})")


# draft 7 as jsonschema implements it, its three regular-expression keywords on RE2
LinearDraft7Validator = validators.extend(
    Draft7Validator,
    {
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "additionalProperties": _additional_properties,
    },
)
