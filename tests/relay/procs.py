"""Real processes for relay and CLI tests: the local app, `hookline listen`, one-shot CLI runs."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.servers import free_port

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a `hookline` child: no HOOKLINE_* settings from the caller's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")}
    env.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `hookline ARGS` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "hookline.cli", *args],
        env=env or cli_env(),
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )


def wait_http(url: str, timeout: float = 20) -> None:
    """Block until ``url`` answers anything."""
    deadline = time.time() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


@dataclass
class LocalApp:
    """tests/relay/local_app.py in its own process, verifying with ``secret``."""

    secret: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalApp:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "local_app.py"), str(self.port), self.secret], cwd=ROOT, env=cli_env()
        )
        wait_http(f"{self.url}/received")
        return self

    def received(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.url}/received", timeout=5).json())

    def wait_received(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.time() + timeout
        while True:
            got = self.received()
            if len(got) >= count:
                return got
            if time.time() > deadline:
                raise AssertionError(f"expected {count} verified deliveries, got {len(got)}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class LineReader:
    """Read a child's output lines in a thread, so tests can wait for one with a deadline."""

    def __init__(self, stream: Any) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: Any) -> None:
        for line in iter(stream.readline, ""):
            self.lines.put(line.rstrip("\n"))

    def next_json(self, event: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.time() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                raise AssertionError(f"no {event!r} line; output so far: {self.seen}") from None
            self.seen.append(line)
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if data.get("event") == event:
                return dict(data)


@dataclass
class ListenProcess:
    """`hookline listen TARGET --json` in its own process."""

    server: str
    token: str
    target: str
    extra: Sequence[str] = ()
    proc: subprocess.Popen[str] | None = None
    out: LineReader | None = None
    url: str = ""

    def start(self) -> ListenProcess:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hookline.cli",
                "listen",
                self.target,
                "--server",
                self.server,
                "--json",
                *self.extra,
            ],
            env=cli_env(HOOKLINE_API_TOKEN=self.token),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.out = LineReader(self.proc.stdout)
        self.url = str(self.out.next_json("connected")["url"])
        return self

    def next_forwarded(self, timeout: float = 20) -> dict[str, Any]:
        assert self.out is not None
        return self.out.next_json("forwarded", timeout)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None
