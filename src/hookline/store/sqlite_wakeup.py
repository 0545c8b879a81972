"""Wake-ups between processes sharing one SQLite file: a Unix datagram socket per listening process.

Each process binds a socket in a directory named after the database file; an announcement rings
here and sends one byte to every other socket there. A socket whose process is gone refuses the
byte and is removed. Nothing is queued beyond one byte per listener: a ring means "claim now",
however many announcements it stands for.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import socket
import tempfile
import time
from pathlib import Path

from hookline.wakeup import Wakeup

log = logging.getLogger("hookline.wakeup")

# a socket path must fit sockaddr_un (108 bytes on Linux, 104 on macOS), with room for the name
_MAX_DIR = 80
# how long the list of listeners is reused: a process that starts listening is heard from within this
PEERS_SECONDS = 1.0


def wake_dir(db_path: str) -> Path:
    """Where the listeners of this database file bind: beside it, or in the temporary directory
    (named by a hash of the file's absolute path) when that path is too long for a socket."""
    absolute = os.path.abspath(db_path)
    beside = Path(absolute + ".wake")
    if len(str(beside)) <= _MAX_DIR:
        return beside
    digest = hashlib.sha256(absolute.encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"hookline-wake-{digest}"


def live_processes(db_path: str) -> list[int]:
    """The ids of other running processes on this machine that listen for wake-ups on this database file.

    Each listening process names its socket after its pid; a socket left by a killed process is skipped.
    """
    try:
        names = [p.name for p in wake_dir(db_path).glob("*.sock")]
    except OSError:
        return []
    pids = set()
    for name in names:
        head = name.split("-", 1)[0]
        if head.isdigit() and int(head) != os.getpid() and _running(int(head)):
            pids.add(int(head))
    return sorted(pids)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def supported(db_path: str) -> bool:
    """Whether processes can ring each other for this database (a file, on a system with Unix sockets)."""
    return db_path != ":memory:" and hasattr(socket, "AF_UNIX")


class SqliteWakeup(Wakeup):
    """Wakes the workers of every process that opened the same SQLite file (``hookline worker``
    beside ``hookline serve --no-worker``); the worker's fallback timer bounds any ring that is lost."""

    def __init__(self, db_path: str) -> None:
        super().__init__()
        self.dir = wake_dir(db_path)
        self._sock: socket.socket | None = None
        self._path: Path | None = None
        self._peers: list[Path] = []
        self._peers_read_at = float("-inf")

    async def start(self) -> None:
        """Bind this process's socket and ring when a byte arrives."""
        try:
            self.dir.mkdir(mode=0o700, exist_ok=True)
            self._path = self.dir / f"{os.getpid()}-{secrets.token_hex(4)}.sock"
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.bind(str(self._path))
        except OSError as exc:
            log.warning("no wake-ups from other processes (workers fall back to their timer): %s", exc)
            self._path = None
            return
        self._sock = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._on_readable)

    async def stop(self) -> None:
        """Stop listening and remove this process's socket."""
        if self._sock is not None:
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        if self._path is not None:
            with contextlib.suppress(OSError):
                self._path.unlink()
            self._path = None

    async def announce(self) -> None:
        """Ring here and in every other process listening on this database."""
        self.ring()
        if self._sock is None:
            return
        for peer in self._listeners():
            try:
                self._sock.sendto(b"w", str(peer))
            except BlockingIOError:
                pass  # its queue is full: it has been rung already
            except (ConnectionRefusedError, FileNotFoundError):
                # nobody listens there any more (the process was killed)
                with contextlib.suppress(OSError):
                    peer.unlink()
                self._peers_read_at = float("-inf")
            except OSError as exc:
                log.debug("ringing %s failed: %s", peer, exc)

    def _listeners(self) -> list[Path]:
        now = time.monotonic()
        if now - self._peers_read_at > PEERS_SECONDS:
            try:
                self._peers = [p for p in self.dir.glob("*.sock") if p != self._path]
            except OSError:
                self._peers = []
            self._peers_read_at = now
        return self._peers

    def _on_readable(self) -> None:
        assert self._sock is not None
        with contextlib.suppress(OSError):
            while self._sock.recv(64):
                pass
        self.ring()
