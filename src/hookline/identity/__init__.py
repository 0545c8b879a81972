"""Identity: a Clerk-compatible user service whose every change is delivered as a signed webhook.

``install(app)`` adds the Backend API (``/v1``), the end-user endpoints, the hosted pages and the
OpenID Connect provider (``/oauth/*``, ``/.well-known/openid-configuration``);
``await start(app, settings, store, wakeup)`` prepares the service in the app's lifespan.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from hookline.config import Settings
from hookline.delivery import Wakeup
from hookline.identity.errors import IdentityError
from hookline.identity.events import APP_UID, RequestInfo
from hookline.identity.organization_hooks import OrganizationHooks
from hookline.identity.policy import Policy
from hookline.identity.service import Identity, SignedIn
from hookline.identity.tokens import SessionClaims, Signer
from hookline.store.store import Store

__all__ = [
    "APP_UID",
    "Identity",
    "IdentityError",
    "Policy",
    "RequestInfo",
    "SessionClaims",
    "SignedIn",
    "Signer",
    "install",
    "start",
]


def install(app: FastAPI) -> None:
    """Add the identity routes and the handler that answers identity errors in Clerk's shape."""
    from hookline.identity import (
        account_api,
        account_pages,
        backend_account,
        backend_api,
        backend_clients,
        backend_links,
        backend_templates,
        backend_users_more,
        frontend_api,
        images,
        links_pages,
        mfa_api,
        mfa_pages,
        oauth_apps,
        oauth_routes,
        organization_api,
        organization_api_access,
        organization_pages,
        pages,
        session_refresh,
    )
    from hookline.identity.http import error_response

    async def _identity_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, IdentityError)
        return error_response(exc)

    app.add_exception_handler(IdentityError, _identity_error)
    app.include_router(backend_api.public)
    app.include_router(backend_api.router)
    app.include_router(oauth_apps.router)
    app.include_router(oauth_routes.router)
    app.include_router(frontend_api.router)
    app.include_router(pages.router)
    app.include_router(account_api.router)
    app.include_router(account_pages.router)
    app.include_router(backend_account.router)
    app.include_router(mfa_api.router)
    app.include_router(mfa_api.backend)
    app.include_router(mfa_pages.router)
    app.include_router(backend_links.router)
    app.include_router(backend_clients.router)
    app.include_router(backend_templates.router)
    app.include_router(backend_users_more.router)
    app.include_router(links_pages.router)
    app.include_router(organization_api.router)
    app.include_router(organization_api.public)
    app.include_router(organization_api_access.router)
    app.include_router(organization_pages.api)
    app.include_router(organization_pages.router)
    app.include_router(images.router)
    app.include_router(images.public)
    app.include_router(session_refresh.router)


async def start(app: FastAPI, settings: Settings, store: Store, wakeup: Wakeup) -> Identity:
    """Start the service and keep it on ``app.state.identity``; print a generated secret key once."""
    identity = await Identity.start(settings, store, wakeup)
    identity.user_hooks.append(OrganizationHooks(identity))
    app.state.identity = identity
    if identity.generated_secret_key:
        # printed once, on the start that created it; only its hash is stored
        print(f"hookline: generated identity secret key (shown once, keep it): {identity.generated_secret_key}",
              flush=True)  # fmt: skip
    return identity
