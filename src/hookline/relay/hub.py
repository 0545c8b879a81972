"""Connected listeners, in the serving process's memory: fan a request out, gather the answers."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from hookline.relay.messages import RelayedRequest, Reply

# a listener that falls this far behind is treated as gone rather than buffered without bound
LISTENER_QUEUE_SIZE = 1000
# bytes waiting for one listener to read them, and for all the listeners of one channel
LISTENER_QUEUE_BYTES = 8 * 1024 * 1024
CHANNEL_QUEUE_BYTES = 16 * 1024 * 1024
MAX_LISTENERS_PER_CHANNEL = 8


class HubFull(Exception):
    """A channel holds as many listeners, or as many queued bytes, as it may."""


class ListenerKind(StrEnum):
    """How a listener takes requests: smee.io's events (no answer) or hookline's (answers back)."""

    SMEE = "smee"
    HOOKLINE = "hookline"


@dataclass(frozen=True)
class Delivery:
    """A request handed to one listener; ``reply_key`` is set when the listener should answer."""

    request: RelayedRequest
    reply_key: str | None

    @property
    def size(self) -> int:
        """The bytes this delivery holds while queued."""
        return self.request.size


class _Gather:
    """Waits for the first listener whose local app answered; fails when every listener failed."""

    def __init__(self, expected: int) -> None:
        self.future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self.left = expected

    def add(self, reply: Reply) -> None:
        if self.future.done():
            return
        self.left -= 1
        if reply.answered or self.left <= 0:
            self.future.set_result(reply)


@dataclass(eq=False)
class Listener:
    """One connected stream."""

    channel_id: str
    kind: ListenerKind
    id: int
    # None ends the stream (the server is exiting)
    queue: asyncio.Queue[Delivery | None] = field(default_factory=lambda: asyncio.Queue(LISTENER_QUEUE_SIZE))
    awaiting: set[str] = field(default_factory=set)
    queued_bytes: int = 0

    async def next(self) -> Delivery | None:
        """The next delivery (None ends the stream); its bytes stop counting against the caps."""
        delivery = await self.queue.get()
        if delivery is not None:
            self.queued_bytes -= delivery.size
        return delivery


class Outcome(Enum):
    """How a relay ended when no listener's answer is available."""

    NO_LISTENER = "no_listener"
    BROADCAST = "broadcast"  # only smee-style listeners: they never answer
    TIMEOUT = "timeout"


class Hub:
    """Every channel's connected listeners and the requests waiting for their answers."""

    def __init__(
        self,
        listener_bytes: int = LISTENER_QUEUE_BYTES,
        channel_bytes: int = CHANNEL_QUEUE_BYTES,
        max_listeners: int = MAX_LISTENERS_PER_CHANNEL,
    ) -> None:
        self.listener_bytes = listener_bytes
        self.channel_bytes = channel_bytes
        self.max_listeners = max_listeners
        self._listeners: dict[str, set[Listener]] = {}
        self._waiting: dict[str, tuple[_Gather, Listener]] = {}
        self._ids = itertools.count(1)
        self.closing = False

    def listeners(self, channel_id: str) -> int:
        """How many listeners are connected to a channel."""
        return len(self._listeners.get(channel_id, ()))

    def queued_bytes(self, channel_id: str) -> int:
        """Bytes queued for the listeners of a channel and not read yet."""
        return sum(lsn.queued_bytes for lsn in self._listeners.get(channel_id, ()))

    def subscribe(self, channel_id: str, kind: ListenerKind) -> Listener:
        """Connect a listener to a channel; HubFull when it has as many as it may."""
        if self.listeners(channel_id) >= self.max_listeners:
            raise HubFull(f"a channel takes at most {self.max_listeners} listeners")
        listener = Listener(channel_id, kind, next(self._ids))
        self._listeners.setdefault(channel_id, set()).add(listener)
        if self.closing:
            listener.queue.put_nowait(None)
        return listener

    def close(self) -> None:
        """End every stream (the process is exiting); later listeners are ended at once."""
        self.closing = True
        for group in self._listeners.values():
            for listener in group:
                with contextlib.suppress(asyncio.QueueFull):
                    listener.queue.put_nowait(None)

    def unsubscribe(self, listener: Listener) -> None:
        """Disconnect a listener; requests waiting for its answer count it as failed."""
        group = self._listeners.get(listener.channel_id)
        if group is not None:
            group.discard(listener)
            if not group:
                del self._listeners[listener.channel_id]
        for key in list(listener.awaiting):
            self.answer(key, Reply(None, error="the listener disconnected before answering"))

    def answer(self, reply_key: str, reply: Reply) -> bool:
        """Take a listener's answer; False when nothing waits for it (unknown, late or repeated)."""
        entry = self._waiting.pop(reply_key, None)
        if entry is None:
            return False
        gather, listener = entry
        listener.awaiting.discard(reply_key)
        gather.add(reply)
        return True

    async def relay(self, channel_id: str, request: RelayedRequest, timeout: float) -> Reply | Outcome:
        """Send ``request`` to every listener of the channel; return the first answer from a local app.

        When every answering listener failed, their last failure is returned; with only smee-style
        listeners the result is ``BROADCAST`` at once. HubFull when the channel's listeners already
        have as many bytes waiting as a channel may hold.
        """
        listeners = list(self._listeners.get(channel_id, ()))
        if not listeners:
            return Outcome.NO_LISTENER
        if self.queued_bytes(channel_id) + request.size * len(listeners) > self.channel_bytes:
            raise HubFull(f"the channel's listeners have over {self.channel_bytes} bytes waiting")
        answering = [lsn for lsn in listeners if lsn.kind is ListenerKind.HOOKLINE]
        gather = _Gather(len(answering))
        keys: list[str] = []
        for listener in listeners:
            key = f"{request.id}.{listener.id}" if listener.kind is ListenerKind.HOOKLINE else None
            if key is not None:
                self._waiting[key] = (gather, listener)
                listener.awaiting.add(key)
                keys.append(key)
            try:
                if listener.queued_bytes + request.size > self.listener_bytes:
                    raise asyncio.QueueFull
                listener.queue.put_nowait(Delivery(request, key))
                listener.queued_bytes += request.size
            except asyncio.QueueFull:
                if key is not None:
                    self.answer(key, Reply(None, error="the listener is not keeping up"))
        if not answering:
            return Outcome.BROADCAST
        try:
            return await asyncio.wait_for(asyncio.shield(gather.future), timeout)
        except TimeoutError:
            return Outcome.TIMEOUT
        finally:
            for key in keys:
                entry = self._waiting.pop(key, None)
                if entry is not None:
                    entry[1].awaiting.discard(key)
