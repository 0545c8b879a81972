"""The READMEs work as written from a checkout: their install lines install from it (locked versions),
their commands name commands and options that exist, their Python compiles, and the README's
quickstart runs end to end offline — a real `hookline serve --dev`, the real svix and Clerk SDKs,
the example receiver — with the two differences a test needs: free ports instead of 8071 and 3000."""

from __future__ import annotations

import functools
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
# docs/performance.md holds the commands behind the README's performance table
READMES = [
    ROOT / "README.md",
    ROOT / "docs" / "performance.md",
    *sorted((ROOT / "examples").glob("*/README.md")),
]
# commands that run until stopped: the quickstart starts them in the background, as in another terminal
LONG_RUNNING = ("hookline serve", "python examples/receiver.py")
# commands of other programs, run where the README says (a database, a shell); only their presence matters
OTHER_PROGRAMS = {"export", "cd", "sqlite3", "pg_dump", "pg_restore", "createdb", "uvicorn", "npx", "curl"}


@dataclass(frozen=True)
class Block:
    """A fenced code block of a README: its language, its text, and the section it is in."""

    readme: Path
    lang: str
    code: str
    section: str


def blocks(readme: Path) -> list[Block]:
    """The fenced code blocks of a README, in order."""
    out, section, lang, lines = [], "", None, []
    for line in readme.read_text().splitlines():
        if lang is None and line.startswith("#"):
            section = line.lstrip("#").strip()
        elif lang is None and line.startswith("```"):
            lang, lines = line[3:].strip(), []
        elif lang is not None and line.startswith("```"):
            out.append(Block(readme, lang, "\n".join(lines) + "\n", section))
            lang = None
        elif lang is not None:
            lines.append(line)
    return out


def commands(block: Block) -> list[str]:
    """The shell commands of a block: each line without its comment, split at ``&&``."""
    found = []
    for line in block.code.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        command: list[str] = []
        for word in [*words, "&&"]:
            if word == "&&":
                found.append(shlex.join(command))
                command = []
            else:
                command.append(word)
    return [c for c in found if c]


def shell_commands() -> list[object]:
    return [
        pytest.param(block, command, id=f"{block.readme.relative_to(ROOT)}: {command[:60]}")
        for readme in READMES
        for block in blocks(readme)
        if block.lang in ("bash", "sh")
        for command in commands(block)
    ]


def python_blocks() -> list[object]:
    return [
        pytest.param(block, id=f"{block.readme.relative_to(ROOT)}: {block.section}")
        for readme in READMES
        for block in blocks(readme)
        if block.lang == "python"
    ]


def _locked(constraints: Path) -> dict[str, str]:
    pins = {}
    for line in constraints.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==(\S+)", line)
        if match:
            pins[re.sub(r"[-_.]+", "-", match.group(1)).lower()] = match.group(3)
    return pins


@pytest.mark.parametrize(("block", "command"), shell_commands())
def test_every_command_in_a_readme_works_from_a_checkout(block: Block, command: str) -> None:
    words = shlex.split(command)  # from the checkout's root, as every README says
    if words[:2] == ["pip", "install"]:
        _check_install(words[2:])
    elif words[0] == "hookline":
        _check_hookline(words[1:])
    elif words[0] in ("python", "bash"):
        assert (ROOT / words[1]).is_file(), f"{words[1]} is not in the checkout"
    elif words[0] == "cd":
        assert (ROOT / words[1]).is_dir(), f"{words[1]} is not a directory of the checkout"
    else:
        assert words[0] in OTHER_PROGRAMS, f"{command!r}: a command this test does not know"


def _check_install(args: list[str]) -> None:
    """An install line installs from the checkout: the project itself by path, and anything else
    only at a version a lock file pins (run offline with ``--dry-run``, where nothing is built)."""
    constraints: Path | None = None
    editable: list[str] = []
    named: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "-c":
            constraints = ROOT / next(it)
            assert constraints.is_file(), constraints
        elif arg == "-e":
            editable.append(next(it))
        else:
            assert not arg.startswith("-"), f"an install option this test does not know: {arg}"
            named.append(arg)
    assert editable or named
    assert "hookline" not in named, "hookline is installed from the checkout (`-e .`), not from a registry"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for path in editable:
        base, _, extra = path.partition("[")
        assert (ROOT / base / "pyproject.toml").is_file(), f"{path} is not the checkout"
        assert all(e in extras for e in extra.rstrip("]").split(",") if e), f"{path}: unknown extra"
    if named:
        assert constraints is not None, f"{named} must be installed with -c requirements/…: locked versions"
        pins = _locked(constraints)
        for name in named:
            assert re.sub(r"[-_.]+", "-", name).lower() in pins, f"{name} is not pinned in {constraints.name}"
        if not editable:
            result = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", *args],
                cwd=ROOT, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr


@functools.cache
def _help(*words: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "hookline.cli", *words, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, f"hookline {' '.join(words)}: {result.stderr}"
    return result.stdout


def _check_hookline(words: list[str]) -> None:
    """A `hookline` command names a command that exists, with options it has."""
    command = words[:2] if words[:1] == ["token"] else words[:1]
    text = _help(*command)
    for word in words[len(command) :]:
        if word.startswith("-") and word not in ("-e", "-d"):
            assert re.search(rf"(^|\s|,){re.escape(word.split('=')[0])}[\s,]", text), (
                f"hookline {' '.join(command)} has no option {word}"
            )


@pytest.mark.parametrize("block", python_blocks())
def test_every_python_snippet_in_a_readme_compiles(block: Block) -> None:
    compile(block.code, f"{block.readme.name}: {block.section}", "exec")


class Quickstart:
    """The README's quickstart, run in a directory of its own with the checkout's examples and locks."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        for name in ("examples", "requirements"):
            (workdir / name).symlink_to(ROOT / name)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HOOKLINE_")}
        self.env.pop("WEBHOOK_SECRET", None)
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["PYTHONUNBUFFERED"] = "1"
        self.server_port = free_port()
        self.receiver_port = free_port()
        self.env["HOOKLINE_PORT"] = str(self.server_port)  # 8071 may be taken on a shared machine
        self.background: dict[str, tuple[subprocess.Popen[str], list[str]]] = {}
        self.outputs: list[str] = []

    def ports(self, text: str) -> str:
        """The receiver on its free port instead of 3000."""
        return text.replace("127.0.0.1:3000", f"127.0.0.1:{self.receiver_port}")

    def start(self, command: str, ready: str) -> list[str]:
        """Start a long-running command, as in another terminal; wait until it prints ``ready``."""
        args = shlex.split(command)
        if args[:2] == ["python", "examples/receiver.py"]:
            args += ["--port", str(self.receiver_port)]
        proc = subprocess.Popen(
            args,
            cwd=self.workdir,
            env=dict(self.env),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        lines: list[str] = []

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)

        threading.Thread(target=read, daemon=True).start()
        self.background[args[0] + " " + args[1]] = (proc, lines)
        self.wait_for(lines, ready, f"{command!r} to print {ready!r}")
        return lines

    def wait_for(self, lines: list[str], text: str, what: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while text not in "".join(lines):
            assert time.monotonic() < deadline, f"timed out waiting for {what}; got:\n{''.join(lines)}"
            time.sleep(0.05)
        return "".join(lines)

    def paste_exports(self, output: str) -> None:
        """Do what the README asks: paste an ``export`` line a program printed."""
        for line in output.splitlines():
            if line.strip().startswith("export "):
                self.env.update(word.split("=", 1) for word in shlex.split(line)[1:])

    def run(self, command: str) -> str:
        args = shlex.split(command)
        if args[:2] == ["pip", "install"]:
            args = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", *args[2:]]  # offline
        result = subprocess.run(
            args, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"{command}:\n{result.stdout}{result.stderr}"
        self.outputs.append(result.stdout)
        return result.stdout

    def python(self, code: str) -> str:
        script = self.workdir / "snippet.py"
        script.write_text(self.ports(code))
        return self.run(f"python {script}")

    def stop(self) -> None:
        for proc, _ in self.background.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()


@pytest.fixture
def quickstart(tmp_path: Path) -> Iterator[Quickstart]:
    run = Quickstart(tmp_path)
    yield run
    run.stop()


def test_the_quickstart_runs_as_written(quickstart: Quickstart) -> None:
    readme = blocks(ROOT / "README.md")
    install = next(b for b in readme if b.section == "Install and run")
    # command 1 installs (checked above) and then serves
    serve = next(c for c in commands(install) if c.startswith("hookline serve"))
    assert serve == "hookline serve --dev"
    server_out = quickstart.start(serve, "  export HOOKLINE_SERVER=")
    exported = next(line for line in server_out if line.strip().startswith("export "))
    quickstart.paste_exports(exported)
    assert quickstart.env["HOOKLINE_SERVER"] == f"http://127.0.0.1:{quickstart.server_port}"

    steps = [b for b in readme if b.section.startswith("Quickstart")]
    assert [b.lang for b in steps] == ["bash", "python", "bash", "bash", "python"], "the quickstart's shape"
    receiver: list[str] = []
    printed: list[str] = []
    snippets: list[str] = []
    for block in steps:
        if block.lang == "python":
            out = quickstart.python(block.code)
            snippets.append(out)
            quickstart.paste_exports(out)
            continue
        for command in commands(block):
            if command.startswith("export "):
                # the README's line stands for the one a program printed: the same variables
                names = {word.split("=", 1)[0] for word in shlex.split(command)[1:]}
                assert names <= set(quickstart.env), f"{names - set(quickstart.env)} were never printed"
            elif command.startswith(LONG_RUNNING):
                receiver = quickstart.start(command, "receiving webhooks on")
            else:
                printed.append(quickstart.run(command))

    assert snippets[0].startswith("export WEBHOOK_SECRET=whsec_")
    quickstart.wait_for(receiver, "verified msg_", "the message at the receiver")
    assert any(
        line.startswith("verified msg_") and line.rstrip().endswith('{"id": "user_123"}') for line in receiver
    )
    tail = next(out for out in printed if "my-app" in out and "success" in out)
    assert "204 success" in tail and f"http://127.0.0.1:{quickstart.receiver_port}/webhooks" in tail
    output = quickstart.wait_for(receiver, "user.created user_", "Clerk's user.created at the receiver")
    assert output.count("verified msg_") == 2
    portal = re.search(r"its portal: (\S+)", snippets[-1])
    assert portal and portal.group(1).startswith(
        f"{quickstart.env['HOOKLINE_SERVER']}/dashboard/portal/access#token="
    )
    with httpx.Client(follow_redirects=True) as browser:
        # as the link's page does: the token in its fragment is posted back
        base, token = portal.group(1).split("#token=", 1)
        page = browser.post(base, data={"token": token})
    assert page.status_code == 200 and re.search(r"/dashboard/p/hlpage_[\w-]+/app_", str(page.url))
