"""The web dashboard: server-rendered pages (Jinja2 + htmx) under ``/dashboard``.

``install(app)`` adds the pages, the static files and the answers to sign-in and permission errors.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from hookline.dashboard.auth import (
    PAGE_PREFIX,
    Forbidden,
    NeedsSignIn,
    require_admin,
    require_portal,
    require_portal_key,
)
from hookline.dashboard.error_pages import install_error_pages

__all__ = ["install"]

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """Mount the dashboard on ``app`` at ``/dashboard``."""
    from hookline.dashboard import (
        app_pages,
        catalog_pages,
        endpoint_forms,
        operator_pages,
        pages,
        status_page,
        theme_form,
        user_pages,
    )
    from hookline.dashboard.render import render

    async def _sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NeedsSignIn)
        target = "/dashboard/sign-in?next=" + quote(exc.next_url)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"hx-redirect": target})
        if request.method != "GET" or request.url.path.endswith("/stream"):
            return Response("Sign in first: " + target, status_code=401)
        return RedirectResponse(target, status_code=303)

    async def _forbidden(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Forbidden)
        title = "Not found" if exc.status == 404 else "Not available"
        return render(request, "error.html", exc.status, message=exc.message, viewer=None, title=title)

    app.add_exception_handler(NeedsSignIn, _sign_in)
    app.add_exception_handler(Forbidden, _forbidden)
    install_error_pages(app)
    app.include_router(pages.router, prefix="/dashboard", include_in_schema=False)
    app.include_router(status_page.router, prefix="/dashboard", include_in_schema=False)
    app.include_router(theme_form.router, prefix="/dashboard", include_in_schema=False)
    app.include_router(catalog_pages.router, prefix="/dashboard", include_in_schema=False)
    app.include_router(operator_pages.router, prefix="/dashboard", include_in_schema=False)
    app.include_router(user_pages.router, prefix="/dashboard", include_in_schema=False)
    for dependency, prefix in (
        (require_admin, "/dashboard/app/{app_id}"),
        (require_portal, "/dashboard/portal/{app_id}"),
        (require_portal_key, PAGE_PREFIX + "/{key}/{app_id}"),
    ):
        if dependency is not require_admin:
            # administrators see the catalog at /dashboard/event-types; a portal link sees its own
            router = catalog_pages.make_portal_router(dependency)
            app.include_router(router, prefix=prefix, include_in_schema=False)
        # the endpoint forms first: /endpoint/new must not be read as an endpoint named "new"
        app.include_router(endpoint_forms.make_router(dependency), prefix=prefix, include_in_schema=False)
        app.include_router(app_pages.make_router(dependency), prefix=prefix, include_in_schema=False)
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")

    @app.get("/dashboard", include_in_schema=False)
    async def _root() -> Response:
        return RedirectResponse("/dashboard/", status_code=307)

    from hookline.dashboard import organization_pages  # the identity service's organizations

    app.include_router(organization_pages.router, prefix="/dashboard", include_in_schema=False)

    @app.get("/", include_in_schema=False)
    async def _site_root(request: Request) -> Response:
        # a browser opening the server's address wants the dashboard; a program gets where things are
        if "text/html" in request.headers.get("accept", ""):
            return RedirectResponse("/dashboard/", status_code=303)
        return JSONResponse(
            {
                "name": "hookline",
                "dashboard": "/dashboard/",
                "api": "/api/v1",
                "openapi": "/api/v1/openapi.json",
            }
        )
