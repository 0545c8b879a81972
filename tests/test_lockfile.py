"""The lock files (``requirements/*.txt``, made by ``scripts/lock.sh``) match ``pyproject.toml``:
every dependency the project declares is pinned, at a version its range admits, and the server
lock agrees with the test lock on every package they share."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;]+)\s*(?:;\s*(.+))?$")


def _pins(name: str) -> dict[str, Version]:
    """The versions a lock file pins for this interpreter (lines whose markers apply here)."""
    pins: dict[str, Version] = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        m = PIN.match(line.strip())
        if m and (m.group(3) is None or Marker(m.group(3)).evaluate()):
            pins[canonicalize_name(m.group(1))] = Version(m.group(2))
    return pins


def _declared(extra: str) -> list[Requirement]:
    """The requirements of the project with ``extra``, following ``hookline[...]`` self-references."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out = [Requirement(r) for r in project["dependencies"]]
    todo, seen = [extra], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in project["optional-dependencies"][name]:
            req = Requirement(text)
            if canonicalize_name(req.name) == "hookline":
                todo.extend(req.extras)
            else:
                out.append(req)
    return [r for r in out if r.marker is None or r.marker.evaluate()]


@pytest.mark.parametrize(("lock", "extra"), [("dev.txt", "dev"), ("server.txt", "server")])
def test_every_declared_dependency_is_pinned_within_its_range(lock: str, extra: str) -> None:
    pins = _pins(lock)
    for req in _declared(extra):
        name = canonicalize_name(req.name)
        assert name in pins, (
            f"{req.name} is in pyproject.toml but not in requirements/{lock}: run scripts/lock.sh"
        )
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{lock} pins {req.name}=={pins[name]}, outside {req.specifier} in "
            "pyproject.toml: run scripts/lock.sh"
        )


def test_the_server_lock_agrees_with_the_test_lock() -> None:
    dev, server = _pins("dev.txt"), _pins("server.txt")
    differ = {n: (str(v), str(dev.get(n))) for n, v in server.items() if dev.get(n) != v}
    assert not differ, f"server.txt and dev.txt pin different versions (server, dev): {differ}"


def test_the_install_scripts_use_the_lock() -> None:
    assert "-c requirements/dev.txt" in (ROOT / "scripts" / "test.sh").read_text()
    assert "requirements/server.txt" in (ROOT / "README.md").read_text()
