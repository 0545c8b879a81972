"""docs/api-compatibility.md lists every operation of the ``svix`` SDK with what hookline serves, and
matches the routes of the server as they are (regenerate with scripts/svix_compatibility.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
spec = importlib.util.spec_from_file_location(
    "svix_compatibility", ROOT / "scripts" / "svix_compatibility.py"
)
assert spec and spec.loader
compat = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = compat  # its dataclasses look their module up
spec.loader.exec_module(compat)


def test_the_document_is_up_to_date() -> None:
    assert compat.main(["--check"]) == 0, "run: python scripts/svix_compatibility.py"


def test_every_sdk_operation_is_listed_once() -> None:
    ops = compat.sdk_operations()
    assert len(ops) >= 140  # the SDK's whole surface, not a sample
    text = (ROOT / "docs" / "api-compatibility.md").read_text()
    for op in ops:
        assert text.count(f"| `{op.name}` |") == 1, op


def test_served_operations_are_routed_and_refused_ones_are_not() -> None:
    routes = compat.served_routes()
    assert ("POST", "/api/v1/app/{}/endpoint") in routes
    assert ("GET", "/api/v1/operational-webhook/endpoint") in routes
    assert ("GET", "/api/v1/stream") not in routes  # a 501 of the unserved table is not served
    lines = compat.render().splitlines()
    assert any("`endpoint.bulk_replay`" in r and "| served" in r for r in lines)
    assert any("`streaming.stream.list`" in r and "not served (501)" in r and "cloud" in r for r in lines)


def test_every_difference_names_an_operation_of_the_sdk() -> None:
    names = {op.name for op in compat.sdk_operations()}
    assert set(compat.DIFFERENCES) <= names
