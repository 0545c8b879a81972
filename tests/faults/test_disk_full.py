"""A full disk under the SQLite file: accepts fail with a clear 503 ``store_unavailable``, nothing is
half-written, and once space returns the server carries on and delivers every accepted message.

The full disk is a small tmpfs mounted for the test (it needs root; the test is skipped without it).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.faults.harness import TOKEN, Client, FaultRun, setup_app

HEADERS = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs of the test's own, unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs to fill ({done.stderr.strip() or done.returncode})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem has no space left; return it.

    Unbuffered: a buffered file keeps what a short write left over and fails again on close.
    """
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    chunk = b"\0" * 65536
    try:
        while True:
            os.write(fd, chunk)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler


async def _post(session: aiohttp.ClientSession, url: str, i: int) -> tuple[int, dict[str, object]]:
    body = {"eventType": "user.created", "payload": {"i": i, "pad": "y" * 2000}}
    headers = {**HEADERS, "idempotency-key": f"full_{uuid.uuid4().hex}"}
    async with session.post(url, json=body, headers=headers) as r:
        return r.status, await r.json(content_type=None)


async def _all_message_ids(session: aiohttp.ClientSession, api: str, app_id: str) -> list[str]:
    ids: list[str] = []
    iterator: str | None = None
    while True:
        query = "?limit=250" + (f"&iterator={iterator}" if iterator else "")
        async with session.get(f"{api}/api/v1/app/{app_id}/msg{query}", headers=HEADERS) as r:
            page = await r.json()
        ids += [m["id"] for m in page["data"]]
        if page["done"]:
            return ids
        iterator = page["iterator"]


async def test_full_disk_answers_503_and_loses_nothing(
    small_disk: Path, fault_run: Callable[..., FaultRun]
) -> None:
    run = fault_run(f"sqlite:///{small_disk / 'faults.db'}", fail_first=0)
    await run.start_receiver()
    await run.start_api()
    async with aiohttp.ClientSession() as session:
        client = Client(session, run.api_url)
        app_id = await setup_app(client, run.receiver_url, ["ok"])
        url = f"{run.api_url}/api/v1/app/{app_id}/msg"
        accepted = await client.send(app_id, 50, concurrency=4)

        filler = fill(small_disk)
        refused: list[tuple[int, dict[str, object]]] = []
        for i in range(6000):
            status, body = await _post(session, url, i)
            if status < 300:
                accepted.append(str(body["id"]))
            else:
                refused.append((status, body))
                if len(refused) >= 20:
                    break
        assert refused, "the disk never filled up"
        assert {(s, b.get("code")) for s, b in refused} == {(503, "store_unavailable")}, refused[:3]

        # space returns: the same server takes messages again without a restart
        filler.unlink()
        accepted += await client.send(app_id, 50, concurrency=4)
        assert not run.exited(), run.output()
        await run.wait_delivered(accepted, ["/hook/ok"], timeout=60)
        report = run.report(f"disk-full ({len(refused)} answered 503)", accepted)
        assert report.lost == 0, run.output()
        # nothing half-written: the stored messages are exactly the accepted ones
        stored = await _all_message_ids(session, run.api_url, app_id)
        assert sorted(stored) == sorted(set(accepted))
    with contextlib.suppress(FileNotFoundError):
        filler.unlink()
