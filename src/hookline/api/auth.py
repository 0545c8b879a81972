"""Bearer-token authentication for ``/api/v1``: the server's API tokens, and app-portal tokens for
their own application's routes (``services.portal_api``)."""

from __future__ import annotations

from fastapi import Depends, Request

from hookline.api import wire
from hookline.api.runtime import runtime
from hookline.services import portal_api
from hookline.services.runtime import Runtime
from hookline.store.auth_sessions import PORTAL_PREFIX

PORTAL_STATE = "hookline.portal_session"  # the scope key holding a portal token's session, for filters


async def require_token(request: Request, rt: Runtime = Depends(runtime)) -> None:
    """Refuse the request with 401 unless it carries an accepted ``Authorization: Bearer`` token; an
    app-portal token is held to its application and capabilities (403 otherwise)."""
    token = wire.bearer_token(request.headers.get("authorization", ""))
    if token is not None and token.startswith(PORTAL_PREFIX) and not rt.token_ok(token):
        route = request.scope.get("route")
        # the route as declared, without the /api/v1 it is mounted under (FastAPI keeps either form)
        declared = str(getattr(route, "path_format", ""))
        if not request.url.path.startswith("/api/v1/"):
            declared = ""  # the ingest routes share no rule with the API's
        session = await portal_api.authorize(
            rt, token, request.method, declared.removeprefix("/api/v1"), request.path_params
        )
        request.scope[PORTAL_STATE] = session
        return
    check_token(rt, request.headers.get("authorization", ""))


def check_token(rt: Runtime, authorization: str) -> None:
    """Raise the 401 the API answers unless ``authorization`` carries an accepted bearer token."""
    token = wire.bearer_token(authorization)
    if token is None:
        raise wire.missing_token()
    if not rt.token_ok(token):
        raise wire.invalid_token()
