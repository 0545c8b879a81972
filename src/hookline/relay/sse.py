"""Server-sent events: encoding on the server, incremental parsing in the listener."""

from __future__ import annotations

from dataclasses import dataclass


def encode(data: str, event: str | None = None, event_id: str | None = None) -> bytes:
    """One event as its wire bytes (``data`` may span lines)."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    lines.extend(f"data: {line}" for line in data.split("\n"))
    return ("\n".join(lines) + "\n\n").encode()


@dataclass(frozen=True)
class Event:
    """One parsed event."""

    event: str
    data: str
    id: str | None = None


class Parser:
    """Feed lines (without their line ending); complete events come out."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> Event | None:
        """Take one line; return an event when ``line`` ends one."""
        if line == "":
            if not self._data and not self._event:
                return None
            out = Event(self._event or "message", "\n".join(self._data), self._id)
            self._event, self._data, self._id = "", [], None
            return out
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            self._id = value
        return None
