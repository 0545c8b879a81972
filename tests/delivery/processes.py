"""``hookline`` as a real child process: started with an environment, read line by line, killed for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port


def hookline_env(**settings: str) -> dict[str, str]:
    """This process's environment without any HOOKLINE_* setting, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")}
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(*args: str, cwd: Path, timeout: float = 60, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run ``hookline <args>`` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "hookline.cli", *args],
        cwd=cwd,
        env=hookline_env(**settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class ServeProcess:
    """``hookline serve --port P`` in a child process; its output is collected as it is printed."""

    def __init__(self, cwd: Path, **settings: str) -> None:
        self.cwd = cwd
        self.settings = settings
        self.port = 0
        self.lines: list[str] = []
        self.proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def start(
        self, timeout: float = 60, port_from_env: bool = False, args: tuple[str, ...] = ()
    ) -> ServeProcess:
        """Start and wait until ``/api/v1/health`` answers; the port is given by ``--port``, or by
        ``HOOKLINE_PORT`` with ``port_from_env``; ``args`` are more options for ``serve``."""
        self.port = free_port()
        self.lines = []
        port = {"HOOKLINE_PORT": str(self.port)} if port_from_env else {}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hookline.cli",
                "serve",
                *([] if port else ["--port", str(self.port)]),
                *args,
            ],
            cwd=self.cwd,
            env=hookline_env(**self.settings, **port),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, args=(self.proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"hookline serve exited with {self.proc.returncode}:\n{self.output}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 204:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"hookline serve did not become healthy:\n{self.output}")
            time.sleep(0.05)

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self._join()

    def stop(self) -> None:
        """SIGTERM and wait for a clean exit (or kill after a while)."""
        if self.proc is None or self.proc.poll() is not None:
            self._join()
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self._join()

    def _join(self) -> None:
        if self._reader is not None:
            self._reader.join(10)
