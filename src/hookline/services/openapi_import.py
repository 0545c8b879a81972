"""``event_type.import_openapi``: the webhooks of an OpenAPI document become event types with schemas.

Each entry of the top-level ``webhooks`` (OpenAPI 3.1) or ``x-webhooks`` is one event type, named by its
key; its operation's ``description`` (or ``summary``) describes it, ``deprecated`` carries over, and the
JSON schema of its ``application/json`` request body, with ``$ref``s into ``components/schemas`` inlined,
is the type's schema version ``"1"``. Importing an archived type brings it back, as Svix documents.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, replace
from typing import Any

from hookline.services import yaml_document
from hookline.services.errors import FieldError, OperationError
from hookline.services.runtime import Runtime
from hookline.store.records import EventType

NAME = re.compile(r"^[a-zA-Z0-9\-_.]{1,256}$")
MAX_DEPTH = 64  # nesting of inlined references: a deeper (or cyclic) document is refused


@dataclass(frozen=True)
class Imported:
    """One event type read from the document."""

    name: str
    description: str
    schemas: dict[str, Any] | None
    deprecated: bool
    group_name: str | None
    feature_flags: list[str] | None


async def read_spec(spec: dict[str, Any] | None, spec_raw: str | None) -> dict[str, Any]:
    """The document from ``spec`` or ``specRaw`` (JSON or YAML text); exactly one of them, else a 400."""
    if (spec is None) == (spec_raw is None):
        raise OperationError(400, "bad_request", "send exactly one of spec and specRaw")
    if spec is not None:
        return spec
    assert spec_raw is not None
    try:
        parsed = json.loads(spec_raw)
    except ValueError:
        # YAML (Svix reads either); up to 4 MiB of it takes a while to parse, so not on the event loop
        parsed = await asyncio.to_thread(yaml_document.load, spec_raw, ["body", "specRaw"])
    if not isinstance(parsed, dict):
        raise FieldError(["body", "specRaw"], "specRaw must be a JSON or YAML mapping (an OpenAPI document)")
    return parsed


def _inline(node: Any, components: dict[str, Any], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise FieldError(["body", "spec"], "the schemas nest too deep (or refer to themselves)")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = components.get(ref.rsplit("/", 1)[1])
            if target is None:
                raise FieldError(["body", "spec"], f"unresolved reference {ref}")
            return _inline(target, components, depth + 1)
        return {k: _inline(v, components, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, components, depth + 1) for v in node]
    return node


def webhooks_of(doc: dict[str, Any]) -> list[Imported]:
    """The event types the document's webhooks describe, by name."""
    hooks = doc.get("webhooks") or doc.get("x-webhooks") or {}
    if not isinstance(hooks, dict):
        raise FieldError(["body", "spec"], "webhooks must be an object")
    components = (doc.get("components") or {}).get("schemas") or {}
    out: list[Imported] = []
    for name, item in sorted(hooks.items()):
        if not NAME.match(name):
            raise FieldError(["body", "spec"], f"{name!r} is not a valid event type name")
        op = item.get("post") if isinstance(item, dict) else None
        if not isinstance(op, dict):
            continue  # only POSTed webhooks are events
        body = ((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}
        schema = body.get("schema")
        flags = op.get("x-svix-feature-flags")
        out.append(Imported(
            name=name, description=str(op.get("description") or op.get("summary") or ""),
            schemas={"1": _inline(schema, components)} if isinstance(schema, dict) else None,
            deprecated=bool(op.get("deprecated", False)), group_name=op.get("x-svix-group-name"),
            feature_flags=flags if isinstance(flags, list) else None,
        ))  # fmt: skip
    return out


def imported_out(i: Imported) -> dict[str, Any]:
    """Svix's ``EventTypeFromOpenApi``."""
    return {"name": i.name, "description": i.description, "schemas": i.schemas, "deprecated": i.deprecated,
            "groupName": i.group_name, "featureFlags": i.feature_flags}  # fmt: skip


async def import_openapi(
    rt: Runtime, doc: dict[str, Any], dry_run: bool, replace_all: bool
) -> tuple[list[str], list[Imported]]:
    """Create or update the document's event types (none with ``dry_run``); with ``replace_all`` archive
    the live ones it does not name. Returns (names changed, what the document holds)."""
    found = webhooks_of(doc)
    if dry_run:
        return [], found
    now = time.time()
    modified: list[str] = []
    for i in found:
        existing = await rt.store.get_event_type(i.name)
        et = EventType(i.name, i.description, False, i.deprecated, i.schemas, i.group_name, i.feature_flags,
                       existing.created_at if existing else now, now)  # fmt: skip
        if existing is None or replace(existing, updated_at=now) != et:
            await rt.store.upsert_event_type(et)
            modified.append(i.name)
    if replace_all:
        names = {i.name for i in found}
        iterator: str | None = None
        while True:
            page = await rt.store.list_event_types(250, iterator)
            for et in page.data:
                if et.name not in names:
                    await rt.store.upsert_event_type(replace(et, archived=True, updated_at=now))
                    modified.append(et.name)
            if page.done or not page.iterator:
                break
            iterator = page.iterator
    return modified, found
