"""The live view of ``hookline listen``: a line per request, and the ones in flight with their age."""

from __future__ import annotations

import json
import time

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.text import Text

from hookline.relay.listen import Events, Forwarded


def _status_style(status: int | None) -> str:
    if status is None:
        return "bold red"
    if status < 300:
        return "green"
    if status < 500:
        return "yellow"
    return "red"


def finished_line(item: Forwarded) -> Text:
    """One finished request: time, method, path, status (or error) and duration."""
    at = time.strftime("%H:%M:%S", time.localtime(item.started_at))
    line = Text(f"{at}  {item.method:<6} {item.path}  ")
    line.append("ERR" if item.status is None else str(item.status), style=_status_style(item.status))
    line.append(f"  {item.duration_ms or 0:.0f} ms")
    if item.error:
        line.append(f"  {item.error}  → sender got 502", style="red")
    if not item.reported:
        line.append("  (answer not reported: the sender timed out or went away)", style="yellow")
    return line


class LiveDisplay(Events):
    """Human output: finished requests scroll, requests in flight stay at the bottom, updating."""

    def __init__(self, console: Console, target: str) -> None:
        self.console = console
        self.target = target
        self.pending: dict[str, Forwarded] = {}
        self.state = "connecting…"
        self.count = 0
        self.live = Live(console=console, refresh_per_second=8, transient=True, get_renderable=self._render)

    def _render(self) -> RenderableType:
        rows: list[RenderableType] = [
            Text(f"{self.state} · forwarding to {self.target} · {self.count} relayed", style="dim")
        ]
        now = time.time()
        for item in self.pending.values():
            rows.append(Text(f"  …  {item.method:<6} {item.path}  {(now - item.started_at) * 1000:.0f} ms"))
        return Group(*rows)

    def connected(self, ingress_url: str) -> None:
        """The stream is open."""
        self.state = "connected"
        self.console.print(Text(f"Forwarding {ingress_url} → {self.target}", style="bold"))

    def disconnected(self, reason: str, retry_in: float) -> None:
        """The stream dropped."""
        self.state = f"disconnected ({reason}); reconnecting in {retry_in:g} s"

    def started(self, item: Forwarded) -> None:
        """A request is in flight."""
        self.pending[item.id] = item

    def finished(self, item: Forwarded) -> None:
        """A request finished."""
        self.pending.pop(item.id, None)
        self.count += 1
        self.console.print(finished_line(item))


class JsonLines(Events):
    """``--json`` output: one JSON object per line and event."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def _emit(self, data: dict[str, object]) -> None:
        self.console.out(json.dumps(data, separators=(",", ":")), highlight=False)

    def connected(self, ingress_url: str) -> None:
        """The stream is open."""
        self._emit({"event": "connected", "url": ingress_url})

    def disconnected(self, reason: str, retry_in: float) -> None:
        """The stream dropped."""
        self._emit({"event": "disconnected", "reason": reason, "retryIn": retry_in})

    def finished(self, item: Forwarded) -> None:
        """A request finished."""
        self._emit({"event": "forwarded", **item.as_json()})
