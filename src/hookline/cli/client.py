"""A small synchronous client for the server's ``/api/v1``, used by the client commands."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from hookline.cli.common import CliError


class ApiClient:
    """A small synchronous client for ``/api/v1`` (standard library only, no proxies)."""

    def __init__(self, server: str, token: str | None, timeout: float = 30.0) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        """Send one request; return the decoded JSON answer (None when empty); raise CliError."""
        url = self.server + path
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None}, doseq=True)
        data = None if body is None else json.dumps(body).encode()
        headers = {"accept": "application/json"}
        if data is not None:
            headers["content-type"] = "application/json"
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise CliError(f"{method} {path}: HTTP {exc.code} {_error_detail(exc.read())}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CliError(f"cannot reach {self.server}: {reason}") from None
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise CliError(f"{method} {path}: the server answered something that is not JSON") from None

    def pages(self, path: str, query: dict[str, Any] | None = None, most: int = 10_000) -> list[Any]:
        """Every item of a paginated list (up to ``most``)."""
        items: list[Any] = []
        iterator = None
        while len(items) < most:
            page = self.call("GET", path, query={**(query or {}), "limit": 250, "iterator": iterator})
            items.extend(page["data"])
            iterator = page.get("iterator")
            if page.get("done", True) or not iterator:
                break
        return items


def _error_detail(raw: bytes) -> str:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:200]
    detail = data.get("detail", data) if isinstance(data, dict) else data
    if isinstance(detail, list):  # 422: [{"loc", "msg", "type"}]
        return "; ".join(f"{'.'.join(str(x) for x in d.get('loc', []))}: {d.get('msg')}" for d in detail)
    return str(detail)
