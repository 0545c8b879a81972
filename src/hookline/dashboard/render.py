"""Templates, their filters, and the server-side SVG chart of the overview."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_NAMES = {0: "success", 1: "pending", 2: "fail", 3: "sending", 4: "canceled"}


def when(ts: float | None) -> str:
    """Epoch seconds as ``2026-05-01 12:00:03 UTC``."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def when_ms(ts: int | None) -> str:
    return when(ts / 1000) if ts else "—"


def ago(ts: float | None) -> Markup:
    """A ``<time>`` element: the absolute UTC time, which the page's script turns into "3 min ago" with
    the local time on hover (without scripts the UTC time stays)."""
    if ts is None:
        return Markup("—")
    iso = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}" data-ago>{}</time>').format(iso, when(ts))


def ago_ms(ts: int | None) -> Markup:
    return ago(ts / 1000) if ts else Markup("—")


def pretty(text: str | None) -> str:
    """Indent a JSON document for reading; other text unchanged."""
    if text is None:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):  # a raw payload may be any text, nested as deep as it likes
        return text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def qs(params: dict[str, Any], **changes: Any) -> str:
    """A query string from ``params`` with ``changes`` applied; empty values left out."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
_env.filters.update(when=when, when_ms=when_ms, ago=ago, ago_ms=ago_ms, pretty=pretty, percent=percent)
_env.globals.update(STATUS_NAMES=STATUS_NAMES, qs=qs)


def render(
    request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """Render a dashboard template into a response."""
    html = _env.get_template(name).render(request=request, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store", **(headers or {})})


def render_text(name: str, **context: Any) -> str:
    """Render a template (or fragment) to a string."""
    return _env.get_template(name).render(**context)


async def form_data(request: Request) -> dict[str, str]:
    """An urlencoded form body as a dict of first values."""
    raw = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
