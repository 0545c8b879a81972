"""Every HTTP route a running hookline application serves, read from the application itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.routing import APIRoute


def all_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) for every route, included routers walked with their prefixes."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            if hasattr(route, "original_router"):  # an included router, kept nested by newer FastAPI
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
            elif hasattr(route, "routes") and hasattr(route, "prefix") and not isinstance(route, APIRoute):
                yield from walk(route.routes, prefix + route.prefix)
            elif isinstance(route, APIRoute):
                for method in sorted(route.methods - {"HEAD"}):
                    yield method, prefix + route.path

    return sorted(set(walk(list(app.routes), "")))
