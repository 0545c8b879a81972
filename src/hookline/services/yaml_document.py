"""Reading a YAML document from a client (``specRaw``) into JSON data, safely.

YAML reads more than JSON can hold, and a hostile document can be small and expand without end. So:
only the safe loader (no Python objects); plain scalars read as YAML 1.2's core schema, so timestamps
stay strings (an OpenAPI document's ``example: 2024-01-01`` is text, and a date could not be stored as
JSON), and so do ``yes`` and ``off``; every mapping key becomes a string (a
response code ``200:`` reads as the integer 200); and the document as expanded through its aliases
(``*anchor``) may hold at most ``MAX_NODES`` values, so a "billion laughs" document is refused before it
is walked. Binary values, sets, NaN and infinities have no JSON form and are refused.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from hookline.services.errors import FieldError

try:  # libyaml's parser, when PyYAML was built with it: several times faster
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on the wheel
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

MAX_NODES = 200_000  # values in the document once its aliases are expanded


class _Loader(_SafeLoader):
    """The safe loader reading plain scalars as YAML 1.2's core schema does, not
    as YAML 1.1: ``yes``, ``on`` and ``12:30`` stay strings, and so do dates and times."""


def _core_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text[:2] in ("0o", "0x"):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)  # a leading 0 is decimal in YAML 1.2, octal in 1.1


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag.endswith((":merge", ":value"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+0123456789.")),
    ("null", r"^(?:~|null|Null|NULL|)$", [*"~nN", ""]),
):  # fmt: skip
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first)
_Loader.add_constructor("tag:yaml.org,2002:int", _core_int)


class _TooBig(Exception):
    pass


def _key(key: Any, where: list[str | int]) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, (str, int)):
        return str(key)
    if isinstance(key, float) and math.isfinite(key):
        return repr(key)
    raise FieldError(where, f"a mapping key of type {type(key).__name__} has no JSON form")


def _json(node: Any, where: list[str | int], budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            key = _key(k, where)
            out[key] = _json(v, where, budget)
        return out
    if isinstance(node, list):
        return [_json(v, where, budget) for v in node]
    if isinstance(node, float) and not math.isfinite(node):
        raise FieldError(where, "NaN and infinite numbers have no JSON form")
    if node is None or isinstance(node, (str, bool, int, float)):
        return node
    raise FieldError(
        where, f"a value of type {type(node).__name__} (a YAML !!binary or !!set) has no JSON form"
    )


def load(text: str, where: list[str | int]) -> Any:
    """The JSON data of a YAML (or JSON) document; a ``FieldError`` at ``where`` for anything else.

    CPU-bound on a large document: call it off the event loop."""
    try:
        data = yaml.load(text, Loader=_Loader)  # the safe loader, see _Loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not a YAML or JSON document"
        raise FieldError(where, f"{where[-1]} is not valid YAML or JSON: {problem}{at}") from None
    except RecursionError:
        raise FieldError(where, f"{where[-1]} nests too deep") from None
    except (ValueError, OverflowError):  # an integer of more digits than Python converts
        raise FieldError(where, f"{where[-1]} holds a number too large to read") from None
    try:
        return _json(data, where, [MAX_NODES])
    except _TooBig:
        raise FieldError(
            where, f"{where[-1]} holds more than {MAX_NODES:,} values once its aliases are expanded"
        ) from None
    except RecursionError:
        raise FieldError(where, f"{where[-1]} nests too deep (or an alias refers to itself)") from None
