"""The OpenID Connect provider's HTTP face: discovery, authorize (with sign-in and consent), token,
userinfo, introspection and revocation. The rules live in ``oauth_provider`` (Authlib)."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qsl, urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import InsecureTransportError
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc.jwk import RSAKey

from hookline.identity import oauth_models as models
from hookline.identity import oauth_provider as provider
from hookline.identity.errors import IdentityError
from hookline.identity.http import service
from hookline.identity.oauth_apps import PATHS, SCOPES, issuer
from hookline.identity.pages import csrf_ok, read_form, render, signed_in
from hookline.identity.redirects import normalized_origin
from hookline.identity.resources import Session, User, now_ms
from hookline.identity.service import Identity
from hookline.identity.tokens import Signer
from hookline.store import oauth as db
from hookline.websafety import cross_site

router = APIRouter(tags=["oauth"], include_in_schema=False)

JWKS_PATH = "/.well-known/jwks.json"
REVOKE_PATH = "/oauth/token/revoke"
FRESH_PARAM = (
    "hl_auth_after"  # added by hookline when it sends a user to sign in again (prompt=login, max_age)
)
PROMPTS = {"none", "login", "consent", "select_account"}
SCOPE_TEXT = {
    "openid": "Confirm who you are",
    "profile": "See your name and username",
    "email": "See your email address",
    "public_metadata": "See your account's public metadata",
    "private_metadata": "See your account's private metadata",
    "user:org:read": "See your active organization",
}
CLAIMS = (
    "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "user_id", "name", "given_name",
    "family_name", "preferred_username", "username", "picture", "updated_at", "email", "email_verified",
    "public_metadata", "private_metadata", "org_id", "org_name", "org_slug",
)  # fmt: skip
NO_STORE = {"cache-control": "no-store", "pragma": "no-cache"}
# token, userinfo and discovery answers carry no cookies, so any origin's scripts (a public client in a
# browser) may read them
OPEN_CORS = {"access-control-allow-origin": "*"}


@functools.lru_cache(maxsize=4)
def _signing_key(signer: Signer) -> RSAKey:
    return RSAKey.import_key(signer.private_key)


def _server(ident: Identity, snap: provider.Snapshot) -> provider.Server:
    return provider.Server(snap, _signing_key(ident.signer), ident.signer.kid, issuer(ident))


def _json(result: tuple[int, Any, list[tuple[str, str]]]) -> JSONResponse:
    status, body, headers = result
    return JSONResponse(body, status_code=status, headers={**dict(headers), **NO_STORE, **OPEN_CORS})


def _oauth_json_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers={**NO_STORE, **OPEN_CORS})  # fmt: skip


async def _form_items(request: Request) -> list[tuple[str, str]] | JSONResponse:
    """The form-encoded body's parameters; an OAuth error answer for any other body."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    raw = await request.body()
    if raw.strip() and media != "application/x-www-form-urlencoded":
        return _oauth_json_error(
            400, "invalid_request", "Send the parameters as application/x-www-form-urlencoded."
        )
    try:
        text = raw.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=False, max_num_fields=64)
    except (UnicodeDecodeError, ValueError):
        return _oauth_json_error(400, "invalid_request", "The request body is not valid form encoding.")


def _first(items: list[tuple[str, str]], key: str) -> str | None:
    return next((v for k, v in items if k == key), None)


def _req(ident: Identity, request: Request, items: list[tuple[str, str]]) -> models.Request:
    # the URL on the issuer (the public URL), so Authlib's transport check sees what clients see
    try:
        return models.Request(request.method, issuer(ident) + request.url.path, request.headers, items)
    except InsecureTransportError:
        raise IdentityError(400, "insecure_transport", "OAuth needs HTTPS",
                            "OAuth and OpenID Connect are served over HTTPS only (plain HTTP on loopback "
                            "addresses): set HOOKLINE_PUBLIC_URL to this server's https:// address.") from None  # fmt: skip


# -- discovery -------------------------------------------------------------------------------------
def metadata(ident: Identity) -> dict[str, Any]:
    """The OpenID Provider metadata (also served as OAuth authorization server metadata, RFC 8414)."""
    base = issuer(ident)
    return {
        "issuer": base,
        "authorization_endpoint": base + PATHS["authorize_url"],
        "token_endpoint": base + PATHS["token_fetch_url"],
        "userinfo_endpoint": base + PATHS["user_info_url"],
        "jwks_uri": base + JWKS_PATH,
        "introspection_endpoint": base + PATHS["token_introspection_url"],
        "revocation_endpoint": base + REVOKE_PATH,
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(models.GRANT_TYPES),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": models.TOKEN_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": models.TOKEN_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": sorted(PROMPTS),
        "claims_supported": list(CLAIMS),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }


@router.get("/.well-known/openid-configuration")
@router.get("/.well-known/oauth-authorization-server")
async def discovery(request: Request) -> JSONResponse:
    """Where everything is, for OpenID Connect clients."""
    return JSONResponse(metadata(service(request)), headers=OPEN_CORS)


@router.get(JWKS_PATH)
async def jwks(request: Request) -> JSONResponse:
    """The keys that verify ID tokens (the instance's session-token keys)."""
    return JSONResponse(service(request).signer.jwks(), headers=OPEN_CORS)


# -- authorize -------------------------------------------------------------------------------------
def _error_page(request: Request, code: str, description: str, status: int = 400) -> Response:
    return render(request, "identity_oauth_error.html", status, code=code, description=description)


def _error_redirect(
    redirect_uri: str, error: str, description: str, state: str | None, status: int
) -> Response:
    params = [("error", error), ("error_description", description)] + ([("state", state)] if state else [])
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=status)


def _answer(request: Request, result: tuple[int, Any, list[tuple[str, str]]], status: int) -> Response:
    code, body, headers = result
    location = dict(headers).get("Location")
    if location:
        return RedirectResponse(location, status_code=status)
    body = body if isinstance(body, dict) else {}
    return _error_page(request, body.get("error", "invalid_request"), body.get("error_description", ""), code)


def _refusal(items: list[tuple[str, str]]) -> tuple[str, str] | None:
    """An authorization parameter hookline does not serve, refused rather than ignored."""
    data = dict(items)
    for key, error in (("request", "request_not_supported"), ("request_uri", "request_uri_not_supported"),
                       ("registration", "registration_not_supported")):  # fmt: skip
        if key in data:
            return error, f"The {key} parameter is not supported."
    if "claims" in data:
        return "invalid_request", "The claims parameter is not supported; ask for scopes instead."
    if data.get("response_mode", "query") != "query":
        return "invalid_request", "Only response_mode=query is supported."
    prompts = set(data.get("prompt", "").split())
    if prompts - PROMPTS:
        return "invalid_request", f"Unsupported prompt value(s): {' '.join(sorted(prompts - PROMPTS))}."
    if "none" in prompts and len(prompts) > 1:
        return "invalid_request", "prompt=none cannot be combined with other values."
    nonce = data.get("nonce")
    if nonce is not None and not (nonce.isprintable() and len(nonce) <= 512):
        return "invalid_request", "nonce must be printable text of at most 512 characters."
    for key in ("max_age", FRESH_PARAM):
        if key in data and not (data[key].isdigit() and len(data[key]) <= 15):
            return "invalid_request", f"{key} must be a non-negative integer."
    return None


def _needs_sign_in(items: list[tuple[str, str]], session: Session | None) -> bool:
    if session is None:
        return True
    data = dict(items)
    signed_in_at = session.created_at
    if FRESH_PARAM in data:
        # hookline asked for a fresh sign-in: once it happened, prompt=login and max_age are satisfied
        return signed_in_at < int(data[FRESH_PARAM])
    if "login" in data.get("prompt", "").split():
        return True
    return "max_age" in data and now_ms() - signed_in_at > int(data["max_age"]) * 1000


def _sign_in_redirect(request: Request, items: list[tuple[str, str]], fresh: bool) -> Response:
    back = []
    for k, v in items:
        if k == "prompt":
            v = " ".join(p for p in v.split() if p != "login")
            if not v:
                continue
        if k != FRESH_PARAM:
            back.append((k, v))
    if fresh:
        back.append((FRESH_PARAM, str(now_ms())))
    target = "/oauth/authorize?" + urlencode(back)
    query = {"redirect_url": target, **({"prompt": "login"} if fresh else {})}
    return RedirectResponse("/sign-in?" + urlencode(query), status_code=303)


async def _authorize(request: Request, decision: str | None) -> Response:
    ident = service(request)
    items = list(request.query_params.multi_items())
    status = 303 if request.method == "POST" else 302
    current = await signed_in(request)
    session, user = current if current else (None, None)
    nonce = _first(items, "nonce")
    snap = await provider.load(ident, client_ids=[_first(items, "client_id")],
                               nonce=nonce if nonce and nonce.isprintable() else None)  # fmt: skip
    if session is not None and user is not None:
        snap.auth_time = session.created_at
        snap.users[user.id] = user
        snap.active_organization_id = session.last_active_organization_id
    server = _server(ident, snap)
    req = _req(ident, request, items)
    try:
        grant = server.get_consent_grant(req, end_user=user)
    except OAuth2Error as err:
        return _answer(request, server.handle_error_response(req, err), status)
    redirect_uri: str = grant.redirect_uri
    state = _first(items, "state")
    refused = _refusal(items)
    if refused:
        return _error_redirect(redirect_uri, *refused, state, status)
    prompts = set((_first(items, "prompt") or "").split())
    if _needs_sign_in(items, session):
        if "none" in prompts:
            return _error_redirect(
                redirect_uri, "login_required", "The user is not signed in.", state, status
            )
        return _sign_in_redirect(request, items, fresh=session is not None)
    assert user is not None
    app: db.OAuthApp = req.client.app
    scope = req.scope or ""
    grant_user: User | None = user
    if app.consent_screen_enabled:
        async with ident.store.db.reader() as c:
            agreed = await db.consented_scope(c, app.id, user.id)
        covered = agreed is not None and set(scope.split()) <= set(agreed.split())
        if decision is None and ("consent" in prompts or not covered):
            if "none" in prompts:
                return _error_redirect(
                    redirect_uri, "consent_required", "The user has not agreed yet.", state, status
                )
            return _consent_page(request, app, user, scope, redirect_uri)
        if decision == "allow":
            merged = " ".join(dict.fromkeys([*(agreed or "").split(), *scope.split()]))
            async with ident.store.db.transaction() as tx:
                await db.save_consent(tx, app.id, user.id, merged, now_ms())
    if decision == "deny":
        grant_user = None
    result = server.create_authorization_response(req, grant_user=grant_user, grant=grant)
    await provider.commit(ident, snap)
    return _answer(request, result, status)


def _consent_page(request: Request, app: db.OAuthApp, user: User, scope: str, redirect_uri: str) -> Response:
    origin = normalized_origin(redirect_uri)
    scopes = [{"name": s, "text": SCOPE_TEXT.get(s, s)} for s in scope.split()]
    return render(request, "identity_consent.html", form_targets=(origin,) if origin else (),
                  app_name=app.name, email=user.primary_email, scopes=scopes, query=request.url.query,
                  redirect_origin=origin or redirect_uri)  # fmt: skip


@router.get("/oauth/authorize")
async def authorize(request: Request) -> Response:
    """Start an authorization: sign the user in if needed, ask for consent if the application wants it,
    then send the browser back to the client's redirect URI with a code."""
    return await _authorize(request, None)


@router.post("/oauth/authorize")
async def authorize_decision(request: Request) -> Response:
    """The consent form's answer (``decision=allow|deny``), protected by the page's CSRF token."""
    form = await read_form(request)
    if not csrf_ok(request, form) or cross_site(request):
        return _error_page(request, "invalid_request", "The form expired; please start again.", 403)
    decision = form.get("decision")
    if decision not in ("allow", "deny"):
        return _error_page(request, "invalid_request", "Choose Allow or Deny.")
    return await _authorize(request, decision)


# -- token, userinfo, introspection, revocation ----------------------------------------------------
async def _client_request(request: Request) -> tuple[list[tuple[str, str]], list[str | None]] | JSONResponse:
    items = await _form_items(request)
    if isinstance(items, JSONResponse):
        return items
    creds = models.basic_credentials(request.headers)
    if creds is None:
        return _oauth_json_error(401, "invalid_client", "The Authorization header is not valid HTTP Basic.")
    return items, [creds[0], _first(items, "client_id")]


@router.post(PATHS["token_fetch_url"])
async def token(request: Request) -> Response:
    """Exchange a code (with PKCE's verifier where required) or a refresh token for tokens."""
    ident = service(request)
    got = await _client_request(request)
    if isinstance(got, JSONResponse):
        return got
    items, client_ids = got
    grant_type = _first(items, "grant_type")
    snap = await provider.load(
        ident, client_ids=client_ids,
        code=_first(items, "code") if grant_type == "authorization_code" else None,
        refresh=_first(items, "refresh_token") if grant_type == "refresh_token" else None,
    )  # fmt: skip
    result = _server(ident, snap).create_token_response(_req(ident, request, items))
    if result[0] != 200:
        await provider.revoke_replayed(ident, snap)
        return _json(result)
    try:
        await provider.commit(ident, snap)
    except provider.Lost:
        # another exchange of the same code or refresh token won: this one gets nothing, and the grant ends
        snap.replayed_grant = (
            snap.code.code_sha256 if snap.code else snap.by_refresh.grant_id if snap.by_refresh else None
        )
        await provider.revoke_replayed(ident, snap)
        return _oauth_json_error(400, "invalid_grant", "The code or refresh token was already used.")
    return _json(result)


@router.api_route(PATHS["user_info_url"], methods=["GET", "POST"])
async def userinfo(request: Request) -> Response:
    """The signed-in user's claims, as the access token's scopes allow."""
    ident = service(request)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    snap = await provider.load(
        ident, client_ids=[], access=value.strip() if scheme.lower() == "bearer" else None
    )
    server = _server(ident, snap)
    try:
        found = server.protector.validate_request(None, _req(ident, request, []))
    except OAuth2Error as err:
        return _json(err())
    claims = {
        **models.user_claims(found.user, found.scope),
        **snap.org_claims(found.row.organization_id, found.scope),
    }
    return JSONResponse(claims, headers={**NO_STORE, **OPEN_CORS})


@router.post(PATHS["token_introspection_url"])
async def introspect(request: Request) -> Response:
    """RFC 7662: whether a token is active, and for whom (the client must authenticate)."""
    return await _token_endpoint(request, "introspection")


@router.post(REVOKE_PATH)
async def revoke(request: Request) -> Response:
    """RFC 7009: revoke an access or refresh token, and with it every token of the same grant."""
    return await _token_endpoint(request, "revocation")


async def _token_endpoint(request: Request, name: str) -> Response:
    ident = service(request)
    got = await _client_request(request)
    if isinstance(got, JSONResponse):
        return got
    items, client_ids = got
    presented = _first(items, "token")
    snap = await provider.load(ident, client_ids=client_ids, access=presented, refresh=presented)
    result = _server(ident, snap).create_endpoint_response(name, _req(ident, request, items))
    if result[0] == 200:
        await provider.commit(ident, snap)
    return _json(result)


@router.options(PATHS["token_fetch_url"])
@router.options(PATHS["user_info_url"])
@router.options(REVOKE_PATH)
async def preflight() -> Response:
    """CORS preflight for public clients running in a browser (these endpoints take no cookies)."""
    return Response(status_code=204, headers={
        **OPEN_CORS, "access-control-allow-methods": "GET, POST", "access-control-max-age": "600",
        "access-control-allow-headers": "authorization, content-type",
    })  # fmt: skip
