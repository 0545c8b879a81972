"""A process killed with SIGKILL loses no stored event: a restarted inbox handles it, once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookline.receiver import Event, Inbox, Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CHILD = Path(__file__).with_name("inbox_child.py")
MakeEvent = Callable[..., dict[str, Any]]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def run_and_kill(mode: str, db: Path, body: bytes, headers: dict[str, str]) -> str:
    """Start the child, wait for the line it prints at the critical point, then SIGKILL it."""
    child = subprocess.Popen(
        [sys.executable, str(CHILD), mode, str(db), SECRET],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    child.stdin.write(json.dumps({"body": body.decode(), "headers": headers}).encode())
    child.stdin.close()
    line = child.stdout.readline().decode().strip()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stderr = child.stderr.read().decode()
    child.stdout.close()
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL, stderr
    assert line, f"the child printed nothing: {stderr}"
    return line


def restarted(db: Path, clock: Callable[[], float] = time.time) -> tuple[Inbox, Receiver, list[str]]:
    inbox = Inbox(db, lease=60, clock=clock)
    receiver = Receiver(SECRET, inbox=inbox)
    handled: list[str] = []

    @receiver.on("user.created")
    def record(event: Event[Any]) -> None:
        handled.append(event.message_id or "")

    return inbox, receiver, handled


def test_an_event_stored_just_before_a_crash_is_handled_after_restart(
    tmp_path: Path, signer: Any, make_event: MakeEvent
) -> None:
    db = tmp_path / "inbox.db"
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))

    assert run_and_kill("store", db, body, headers) == "stored accepted"

    inbox, receiver, handled = restarted(db)

    async def after_restart() -> tuple[int, str]:
        count = await inbox.drain()
        redelivered = await receiver.handle(body, headers)
        await inbox.drain()
        await inbox.stop()
        return count, redelivered.status

    assert asyncio.run(after_restart()) == (1, "duplicate")
    assert handled == [headers["webhook-id"]]


def test_an_event_whose_worker_was_killed_mid_handler_is_handled_once_its_lease_ends(
    tmp_path: Path, signer: Any, make_event: MakeEvent
) -> None:
    db = tmp_path / "inbox.db"
    body, headers = signer.request(make_event("user.created", {"id": "user_1"}))

    assert run_and_kill("handle", db, body, headers) == f"handling {headers['webhook-id']}"

    now = [time.time()]
    inbox, _, handled = restarted(db, clock=lambda: now[0])

    async def after_restart() -> tuple[int, int, Any]:
        while_leased = await inbox.drain()  # the dead worker's lease has not run out yet
        now[0] += 61
        after_lease = await inbox.drain()
        record = await inbox.get(headers["webhook-id"])
        await inbox.stop()
        return while_leased, after_lease, record

    while_leased, after_lease, record = asyncio.run(after_restart())
    assert (while_leased, after_lease) == (0, 1)
    assert handled == [headers["webhook-id"]]
    assert (record.status, record.attempts) == ("done", 2)
