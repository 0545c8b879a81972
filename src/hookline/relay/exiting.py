"""End the relay's event streams when the serving process is asked to exit.

An event stream is a response that never completes, so uvicorn's graceful shutdown would wait its
full timeout (and then cancel the stream with an error) whenever a listener is connected. uvicorn
sets its own SIGINT/SIGTERM handlers while it serves; this chains a callback in front of them, so
streams end first and listeners reconnect to the next server. Nothing is chained off the main thread
(servers embedded in a thread keep the default behaviour).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def on_exit_signal(callback: Callable[[], None]) -> bool:
    """Run ``callback`` on the running loop when SIGINT or SIGTERM arrives, before the current handler.

    Returns False (and changes nothing) off the main thread or when a signal has no Python handler.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    if not all(callable(handler) for handler in previous.values()):
        return False

    def chained(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(callback)
        handler = previous[signal.Signals(signum)]
        assert callable(handler)
        handler(signum, frame)

    for sig in _SIGNALS:
        signal.signal(sig, chained)
    return True
