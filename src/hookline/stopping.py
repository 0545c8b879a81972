"""What a process says, and does, when it is asked to stop while deliveries are still being sent."""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hookline.config import DeliverySettings
    from hookline.delivery import Worker

# the exit code of a process ended by SIGINT, as the shell reports it
INTERRUPTED = 130


def _plural(count: int) -> str:
    return f"{count} delivery" if count == 1 else f"{count} deliveries"


def announce(worker: Worker, settings: DeliverySettings) -> None:
    """Say what stopping waits for, and make a second Ctrl-C quit at once.

    Quitting at once is safe: a delivery cut off is still leased in the database, so it is sent again
    once its lease ends, as after a crash.
    """
    in_flight = worker.in_flight
    if in_flight:
        _say(
            f"hookline: stopping; waiting for {_plural(in_flight)} in flight to finish (at most "
            f"{settings.request_timeout:g} s, HOOKLINE_REQUEST_TIMEOUT). Press Ctrl-C again to quit now: "
            f"they are sent again once their lease ends ({settings.lease_seconds:g} s, "
            "HOOKLINE_LEASE_SECONDS), as after a crash."
        )
    if threading.current_thread() is not threading.main_thread():
        return  # a server run by tests or an embedding application: its owner handles signals

    def quit_now(signum: int, frame: FrameType | None) -> None:
        left = worker.in_flight
        if left:
            _say(f"hookline: quitting now; {_plural(left)} cut off will be sent again once their lease ends.")
        os._exit(INTERRUPTED)

    signal.signal(signal.SIGINT, quit_now)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
