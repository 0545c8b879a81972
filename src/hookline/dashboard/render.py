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

from hookline.dashboard.queries import Bucket

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_NAMES = {0: "success", 1: "pending", 2: "fail", 3: "sending", 4: "canceled"}


def when(ts: float | None) -> str:
    """Epoch seconds as ``2026-05-01 12:00:03 UTC``."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def when_ms(ts: int | None) -> str:
    return when(ts / 1000) if ts else "—"


def pretty(text: str | None) -> str:
    """Indent a JSON document for reading; other text unchanged."""
    if text is None:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def qs(params: dict[str, Any], **changes: Any) -> str:
    """A query string from ``params`` with ``changes`` applied; empty values left out."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
_env.filters.update(when=when, when_ms=when_ms, pretty=pretty, percent=percent)
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


def volume_chart(buckets: list[Bucket], width: int = 720, height: int = 200) -> Markup:
    """Bars of attempts per hour (successes in green over failures in red) and a success-rate line."""
    pad_left, pad_bottom, pad_top = 36, 22, 10
    inner_w = width - pad_left - 8
    inner_h = height - pad_bottom - pad_top
    peak = max((b.total for b in buckets), default=0) or 1
    step = inner_w / max(1, len(buckets))
    bar = max(2.0, step * 0.7)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Delivery attempts and success rate per hour, last {len(buckets)} hours">',
        f'<line x1="{pad_left}" y1="{pad_top + inner_h}" x2="{width - 8}" y2="{pad_top + inner_h}" class="axis"/>',
        f'<text x="{pad_left - 4}" y="{pad_top + 8}" class="tick" text-anchor="end">{peak}</text>',
        f'<text x="{pad_left - 4}" y="{pad_top + inner_h}" class="tick" text-anchor="end">0</text>',
    ]
    points = []
    for i, b in enumerate(buckets):
        x = pad_left + i * step + (step - bar) / 2
        fail_h = (b.total - b.ok) / peak * inner_h
        ok_h = b.ok / peak * inner_h
        base = pad_top + inner_h
        label = f"{when(b.start)[11:16]} UTC: {b.total} attempts, {percent(b.rate)} succeeded"
        parts.append(f"<g><title>{label}</title>")
        if ok_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - ok_h:.1f}" width="{bar:.1f}" height="{ok_h:.1f}" class="ok"/>'
            )
        if fail_h:
            parts.append(
                f'<rect x="{x:.1f}" y="{base - ok_h - fail_h:.1f}" width="{bar:.1f}" height="{fail_h:.1f}" class="bad"/>'
            )
        parts.append("</g>")
        if b.rate is not None:
            cx, cy = x + bar / 2, pad_top + (1 - b.rate) * inner_h
            points.append(f"{cx:.1f},{cy:.1f}")
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3" class="dot"/>')
        if i % 6 == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 6}" class="tick" text-anchor="middle">'
                f"{when(b.start)[11:16]}</text>"
            )
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" class="rate"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
