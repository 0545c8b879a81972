"""What travels through a relay channel: the request a sender made and the answer a listener got."""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from hookline.relay.safety import check_reply_headers

# Connection-level headers describe one hop; they are neither streamed nor forwarded nor answered.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def request_id() -> str:
    """An unguessable id for one relayed request (also the key of its reply)."""
    return "rreq_" + secrets.token_urlsafe(18)


@dataclass(frozen=True)
class RelayedRequest:
    """A request that arrived on a channel's ingress URL, byte for byte."""

    method: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    id: str = field(default_factory=request_id)
    received_at: float = field(default_factory=time.time)

    @property
    def size(self) -> int:
        """Roughly the memory this request holds: its body and headers."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + len(self.query)

    def hookline_event(self, reply_path: str) -> dict[str, Any]:
        """The event a ``hookline listen`` client gets: exact method, headers, body (base64)."""
        return {
            "id": self.id,
            "method": self.method,
            "query": self.query,
            "headers": [[k, v] for k, v in self.headers],
            "body": base64.b64encode(self.body).decode(),
            "timestamp": int(self.received_at * 1000),
            "reply_path": reply_path,
        }


@dataclass(frozen=True)
class Reply:
    """What a listener's local app answered, or why it could not answer (``error``)."""

    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    error: str | None = None
    duration_ms: float = 0.0

    @property
    def answered(self) -> bool:
        """True when the local app answered (with any status); False when it was unreachable."""
        return self.status is not None and self.error is None

    def to_json(self) -> dict[str, Any]:
        """The reply as a listener posts it back."""
        return {
            "status": self.status,
            "headers": [[k, v] for k, v in self.headers],
            "body": base64.b64encode(self.body).decode(),
            "error": self.error,
            "duration_ms": self.duration_ms,
        }

    @classmethod
    def from_json(cls, data: Any) -> Reply:
        """Read a posted reply; raise ValueError when it is malformed."""
        if not isinstance(data, dict):
            raise ValueError("reply must be a JSON object")
        status = data.get("status")
        if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
            raise ValueError("status must be an HTTP status code or null")
        headers = data.get("headers") or []
        if not isinstance(headers, list) or not all(
            isinstance(h, list) and len(h) == 2 and all(isinstance(x, str) for x in h) for h in headers
        ):
            raise ValueError("headers must be a list of [name, value] pairs")
        check_reply_headers((k, v) for k, v in headers)
        error = data.get("error")
        if error is not None and not isinstance(error, str):
            raise ValueError("error must be a string or null")
        try:
            body = base64.b64decode(data.get("body") or "", validate=True)
        except (ValueError, TypeError):
            raise ValueError("body must be base64") from None
        duration = data.get("duration_ms") or 0.0
        if not isinstance(duration, int | float):
            raise ValueError("duration_ms must be a number")
        if status is None and error is None:
            error = "the listener gave no status"
        return cls(status, tuple((k, v) for k, v in headers), body, error, float(duration))
