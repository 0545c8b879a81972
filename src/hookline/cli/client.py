"""A small synchronous client for the server's ``/api/v1``, used by the client commands."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from hookline.cli.common import CliError, Target


class ApiClient:
    """A small synchronous client for ``/api/v1`` (standard library only, no proxies).

    ``server_from`` and ``token_from`` name the setting each came from; errors name them as the fix.
    """

    def __init__(
        self,
        server: str,
        token: str | None,
        timeout: float = 30.0,
        *,
        server_from: str = "--server",
        token_from: str = "--token",
    ) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.server_from = server_from
        self.token_from = token_from
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @classmethod
    def to(cls, target: Target) -> ApiClient:
        """A client for a command's resolved ``--server`` and ``--token``."""
        return cls(target.server, target.token, server_from=target.server_from, token_from=target.token_from)

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
            detail = f"{method} {path}: HTTP {exc.code} {_error_detail(exc.read())}"
            raise CliError(detail + self.refusal_hint(exc.code)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise CliError(f"cannot reach {self.server} ({reason}){self.unreachable_hint()}") from None
        except ValueError:  # a URL or a token no request can carry (a space, a line break)
            raise CliError(
                f"cannot send {method} {path} to {self.server}: the address ({self.server_from}) or the API "
                f"token ({self.token_from}) holds characters a request cannot carry, such as spaces"
            ) from None
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise CliError(f"{method} {path}: the server answered something that is not JSON") from None

    def unreachable_hint(self) -> str:
        """What to check when the server cannot be reached: that it runs, and the setting naming it."""
        if self.server_from == "default":
            return (
                "; is `hookline serve` running? This is its default address: set HOOKLINE_SERVER "
                "(or HOOKLINE_HOST/HOOKLINE_PORT) or pass --server if it listens elsewhere"
            )
        if self.server_from == "HOOKLINE_HOST/HOOKLINE_PORT":
            return (
                "; is `hookline serve` running there? The address comes from HOOKLINE_HOST/HOOKLINE_PORT: "
                "set HOOKLINE_SERVER or pass --server if it listens elsewhere"
            )
        return (
            f"; is `hookline serve` running there? The address comes from {self.server_from}: "
            "change it if the server listens elsewhere"
        )

    def refusal_hint(self, status: int) -> str:
        """For a 401: which setting carries the API token, and where to get one."""
        if status != 401:
            return ""
        if not self.token:
            return " — no API token was given: set HOOKLINE_API_TOKEN or pass --token"
        return (
            f" — the server refused the token from {self.token_from}: set HOOKLINE_API_TOKEN or pass --token "
            "with one it accepts (printed by `hookline serve` on its first start, or made with "
            "`hookline token create`)"
        )

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
