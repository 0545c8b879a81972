"""A JSON Schema as a readable tree: each field with its type, whether it is required, and its description."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_NODES = 400  # a schema bigger than this shows its first fields and says so
MAX_DEPTH = 12


@dataclass
class Field:
    """One node of the tree: a property, an array's items, or one alternative of ``oneOf``/``anyOf``."""

    name: str
    type: str
    required: bool = False
    description: str = ""
    facts: list[str] = field(default_factory=list)  # enum values, format, bounds, ``$ref``
    children: list[Field] = field(default_factory=list)


@dataclass
class Tree:
    fields: list[Field]
    truncated: bool


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if isinstance(kind, str):
        if kind == "array" and isinstance(schema.get("items"), dict):
            inner = schema["items"].get("type")
            return f"array of {inner}" if isinstance(inner, str) else "array"
        return kind
    if "$ref" in schema:
        return "reference"
    for word in ("oneOf", "anyOf", "allOf"):
        if word in schema:
            return {"oneOf": "one of", "anyOf": "any of", "allOf": "all of"}[word]
    if "enum" in schema:
        return "enum"
    if "const" in schema:
        return "constant"
    return "any"


def _facts(schema: dict[str, Any]) -> list[str]:
    facts = []
    if isinstance(schema.get("enum"), list):
        facts.append(
            "one of: " + ", ".join(repr(v) if isinstance(v, str) else str(v) for v in schema["enum"][:20])
        )
    if "const" in schema:
        facts.append(f"always {schema['const']!r}")
    for key, label in (("format", "format"), ("pattern", "pattern"), ("$ref", "see")):
        if isinstance(schema.get(key), str):
            facts.append(f"{label} {schema[key]}")
    for key, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
    ):
        if isinstance(schema.get(key), int | float) and not isinstance(schema.get(key), bool):
            facts.append(f"{label} {schema[key]}")
    return facts


class _Builder:
    def __init__(self) -> None:
        self.count = 0
        self.truncated = False

    def node(self, name: str, schema: Any, required: bool, depth: int) -> Field | None:
        if self.count >= MAX_NODES:
            self.truncated = True
            return None
        self.count += 1
        if not isinstance(schema, dict):  # ``true``/``false`` schemas
            return Field(name, "any" if schema is not False else "nothing", required)
        description = schema.get("description") or schema.get("title") or ""
        node = Field(name, _type_of(schema), required, str(description), _facts(schema))
        if depth >= MAX_DEPTH:
            self.truncated = True
            return node
        node.children = self.children(schema, depth + 1)
        return node

    def children(self, schema: dict[str, Any], depth: int) -> list[Field]:
        out: list[Field] = []
        named = schema.get("required")
        required: list[Any] = named if isinstance(named, list) else []
        props = schema.get("properties")
        if isinstance(props, dict):
            for name, sub in props.items():
                child = self.node(str(name), sub, name in required, depth)
                if child is not None:
                    out.append(child)
        items = schema.get("items")
        if isinstance(items, dict) and (items.get("properties") or items.get("items")):
            out.extend(self.children(items, depth))
        for word in ("oneOf", "anyOf", "allOf"):
            options = schema.get(word)
            if isinstance(options, list):
                for i, sub in enumerate(options):
                    child = self.node(f"option {i + 1}", sub, False, depth)
                    if child is not None:
                        out.append(child)
        return out


def schema_tree(schema: Any) -> Tree:
    """The fields of ``schema`` as a tree (bounded in size and depth)."""
    builder = _Builder()
    fields = builder.children(schema, 0) if isinstance(schema, dict) else []
    return Tree(fields, builder.truncated)
