"""Starting real hookline processes in tests: their environment and their logged output."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.servers import TEST_ENCRYPTION_KEY


def hookline_env(database_url: str, token: str, **settings: str) -> dict[str, str]:
    """This process's environment plus what a hookline process under test needs (``HOOKLINE_*`` extras)."""
    env = dict(os.environ)
    env.setdefault("HOOKLINE_ENCRYPTION_KEY", TEST_ENCRYPTION_KEY)
    env.update(
        HOOKLINE_DATABASE_URL=database_url,
        HOOKLINE_API_TOKEN=token,
        HOOKLINE_ALLOWED_TARGETS="127.0.0.0/8",
        PYTHONUNBUFFERED="1",
        **settings,
    )
    return env


def spawn_logged(logs: Path, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start ``args`` with stdout and stderr appended to ``logs/<name>.out``."""
    logs.mkdir(parents=True, exist_ok=True)
    out = open(logs / f"{name}.out", "ab")  # noqa: SIM115 - the child owns it
    try:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        out.close()
