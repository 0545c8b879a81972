"""docs/identity-compatibility.md lists every operation of ``clerk-backend-api`` with what hookline serves,
and matches the routes of the server as they are (regenerate with scripts/identity_compatibility.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
spec = importlib.util.spec_from_file_location(
    "identity_compatibility", ROOT / "scripts" / "identity_compatibility.py"
)
assert spec and spec.loader
compat = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = compat  # its dataclasses look their module up
spec.loader.exec_module(compat)


def test_the_document_is_up_to_date() -> None:
    assert compat.main(["--check"]) == 0, "run: python scripts/identity_compatibility.py"


def test_every_sdk_operation_is_listed_once() -> None:
    ops = compat.sdk_operations()
    assert len(ops) >= 200  # the SDK's whole surface, not a sample
    text = (ROOT / "docs" / "identity-compatibility.md").read_text()
    for op in ops:
        assert text.count(f"| `{op.group}.{op.name}` |") == 1, op


def test_served_operations_are_routed_and_others_are_not() -> None:
    routes = compat.served_routes()
    assert ("GET", "/users/{}") in routes and ("DELETE", "/users/{}/mfa") in routes
    assert ("GET", "/organizations") in routes and ("GET", "/role_sets") not in routes
    served = {r for r in compat.render().splitlines() if "| served" in r}
    assert any("`users.disable_mfa`" in r for r in served)
