"""Event-type schemas as the catalog edits them: Svix's ``{"1": {JSON Schema}}`` map, checked before it is kept.

A schema is a JSON Schema (draft 7, as Svix's catalog uses); its ``examples`` are the payloads the
portal shows and test events send, so each must be valid against it. Size and depth are bounded first:
the checks below recurse, and a hostile document must answer with a 422, not exhaust the stack.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError, ValidationError
from referencing.exceptions import Unresolvable

from hookline.services.errors import FieldError
from hookline.services.schema_patterns import LinearDraft7Validator, PatternUnsupported

MAX_SCHEMA_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_VERSIONS = 20


def _depth(value: Any, limit: int) -> int:
    """How deeply ``value`` nests, counting no further than ``limit + 1`` (iterative, so no recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _short(text: str, limit: int = 300) -> str:
    """A validation message cut to ``limit`` characters: it quotes the example, which may be long."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(error: ValidationError | SchemaError) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    return f" at {path}" if path else ""


def check_schema(schema: Any, field: str = "schema") -> dict[str, Any]:
    """One version's JSON Schema, checked (a JSON object, bounded, valid draft 7, examples valid); else a 422."""
    if not isinstance(schema, dict):
        raise FieldError(["body", field], "the schema must be a JSON object")
    if len(json.dumps(schema, separators=(",", ":"))) > MAX_SCHEMA_BYTES:
        raise FieldError(["body", field], f"the schema is over {MAX_SCHEMA_BYTES // 1024} KiB")
    if _depth(schema, MAX_DEPTH) > MAX_DEPTH:
        raise FieldError(["body", field], f"the schema nests deeper than {MAX_DEPTH} levels")
    try:
        Draft7Validator.check_schema(schema)
    except SchemaError as exc:
        raise FieldError(["body", field], f"not a valid JSON Schema{_where(exc)}: {exc.message}") from None
    examples = schema.get("examples")
    if examples is not None and not isinstance(examples, list):
        raise FieldError(["body", field], "examples must be a list of payloads")
    validator = LinearDraft7Validator(schema)  # its patterns run in linear time: an example cannot hang it
    for i, example in enumerate(examples or []):
        if not isinstance(example, dict):
            raise FieldError(["body", field], f"example {i + 1} must be a JSON object (a payload)")
        try:
            error = next(iter(validator.iter_errors(example)), None)
        except (Unresolvable, RecursionError, PatternUnsupported) as exc:
            raise FieldError(["body", field], f"the schema cannot be applied: {exc}") from None
        if error is not None:
            raise FieldError(
                ["body", field],
                f"example {i + 1} does not match the schema{_where(error)}: {_short(error.message)}",
            )
    return schema


def check_schemas(schemas: Any) -> dict[str, Any] | None:
    """Svix's versioned schema map (``{"1": {...}}``), each version checked; None stays None."""
    if schemas is None:
        return None
    if not isinstance(schemas, dict):
        raise FieldError(["body", "schemas"], 'schemas must be an object of versions, e.g. {"1": {…}}')
    if len(schemas) > MAX_VERSIONS:
        raise FieldError(["body", "schemas"], f"at most {MAX_VERSIONS} schema versions")
    for version, schema in schemas.items():
        if not version.isdigit():
            raise FieldError(["body", "schemas"], f"schema version {version!r} must be a whole number")
        check_schema(schema, f"schemas.{version}")
    return schemas


def newest_version(schemas: dict[str, Any] | None) -> str | None:
    """The key of the newest schema version (``"2"`` before ``"10"`` sorts numerically), or None."""
    if not schemas:
        return None
    return max(schemas, key=lambda v: (len(v), v))


def with_example(schema: dict[str, Any], example: Any) -> dict[str, Any]:
    """``schema`` whose first example is ``example`` (None leaves its examples as they are)."""
    if example is None:
        return schema
    examples = list(schema.get("examples") or [])
    examples[0:1] = [example]
    return {**schema, "examples": examples}
