"""The npm ``svix`` SDK (tests/node) driven from Python: a list of calls in, each call's result out."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import in_ci
from tests.support.servers import HooklineServer

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


@dataclass(frozen=True)
class Outcome:
    """One SDK call's result, or the error it raised (``status`` is the HTTP code)."""

    ok: bool
    result: Any = None
    status: int | None = None
    body: Any = None
    error: str = ""


class NodeSdk:
    """Runs tests/node/sdk.mjs (the pinned npm ``svix``) against one server."""

    def __init__(self, executable: str, server: HooklineServer) -> None:
        self.executable = executable
        self.server = server

    def run(self, *calls: tuple[str, list[Any]]) -> list[Outcome]:
        """Make the calls in order; ``{"$result": [i, "a.b"]}`` in an argument is field a.b of call i's result."""
        data = {"url": self.server.url, "token": self.server.token, "calls": [list(c) for c in calls]}
        done = subprocess.run(
            [self.executable, "sdk.mjs"], input=json.dumps(data), capture_output=True, text=True,
            cwd=NODE_DIR, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, f"sdk.mjs exited {done.returncode}: {done.stderr}"
        return [Outcome(**item) for item in json.loads(done.stdout)]

    def verify(self, lib: str, secret: str, headers: dict[str, str], body: str) -> tuple[bool, Any]:
        """Verify one delivery with tests/node/verify.mjs; return (verified, payload or error)."""
        data = {"lib": lib, "secret": secret, "headers": headers, "body": body}
        done = subprocess.run(
            [self.executable, "verify.mjs"], input=json.dumps(data), capture_output=True, text=True,
            cwd=NODE_DIR, timeout=60,
        )  # fmt: skip
        assert done.returncode in (0, 1), f"verify.mjs exited {done.returncode}: {done.stderr}"
        out = json.loads(done.stdout)
        return out["ok"], out.get("payload", out.get("error"))


def node_sdk_for(server: HooklineServer) -> NodeSdk:
    """The npm SDK against ``server``; skips without Node (fails under CI=true)."""
    executable = shutil.which("node")
    problem = None
    if executable is None:
        problem = "Node.js is not installed"
    elif not (NODE_DIR / "node_modules" / "svix" / "package.json").is_file():
        problem = "the npm svix package is not installed: run `cd tests/node && npm install`"
    if problem is not None:
        if in_ci():
            pytest.fail(f"{problem} (CI=true: the npm SDK tests must run)")
        pytest.skip(problem)
    assert executable is not None
    return NodeSdk(executable, server)
