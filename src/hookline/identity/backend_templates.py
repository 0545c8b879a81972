"""Clerk's Backend API ``jwt_templates`` and ``sessions.create_token_from_template``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hookline.identity import jwt_templates
from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.http import json_body, require_secret_key, service, text
from hookline.identity.resources import now_ms
from hookline.ids import new_id
from hookline.store import identity_templates
from hookline.store.identity_templates import TemplateRow

router = APIRouter(prefix="/v1", dependencies=[Depends(require_secret_key)], tags=["identity"])


def _seconds(body: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = body.get(key)
    if value is None:
        return default
    if type(value) is not int or not lo <= value <= hi:
        raise invalid(key, f"{key} must be a whole number from {lo} to {hi}", "form_param_value_invalid")
    return value


def _refuse_signing_options(body: dict[str, Any]) -> None:
    """Tokens are signed with the instance's RS256 key; another key or algorithm is refused."""
    if body.get("custom_signing_key"):
        raise invalid(
            "custom_signing_key", "templates are signed with the instance key", "form_param_value_invalid"
        )
    if body.get("signing_key") is not None:
        raise invalid("signing_key", "templates are signed with the instance key", "form_param_value_invalid")
    if body.get("signing_algorithm") not in (None, "RS256"):
        raise invalid("signing_algorithm", "templates are signed with RS256", "form_param_value_invalid")


def _name(body: dict[str, Any]) -> str:
    name = text(body, "name", required=True) or ""
    if not jwt_templates.NAME.match(name):
        raise invalid("name", "name must be 1 to 64 letters, digits, _ or -", "form_param_format_invalid")
    return name


async def _save(request: Request, t: TemplateRow) -> dict[str, Any]:
    async with service(request).store.db.transaction() as tx:
        other = await identity_templates.get(tx, t.name)
        if other is not None and other.id != t.id:
            raise IdentityError(422, "duplicate_record", "duplicate template name",
                                f"A template named {t.name} exists already.", {"param_name": "name"})  # fmt: skip
        await identity_templates.save(tx, t)
    return jwt_templates.template_json(t)


async def _get(request: Request, template_id: str) -> TemplateRow:
    async with service(request).store.db.reader() as c:
        found = await identity_templates.get(c, template_id)
    if found is None or found.id != template_id:
        raise not_found("jwt template")
    return found


@router.get("/jwt_templates")
async def list_templates(request: Request) -> JSONResponse:
    """Every template, by name."""
    async with service(request).store.db.reader() as c:
        found = await identity_templates.all_templates(c)
    return JSONResponse([jwt_templates.template_json(t) for t in found])


@router.post("/jwt_templates")
async def create_template(request: Request) -> dict[str, Any]:
    """A template: ``name``, ``claims`` (with shortcodes), ``lifetime`` (60 s), ``allowed_clock_skew`` (5 s)."""
    body = await json_body(request)
    _refuse_signing_options(body)
    now = now_ms()
    t = TemplateRow(new_id("jtmp"), _name(body), _seconds(body, "lifetime", 60, 30, 315_360_000),
                    _seconds(body, "allowed_clock_skew", 5, 0, 300), now, now,
                    jwt_templates.check_claims(body.get("claims")))  # fmt: skip
    return await _save(request, t)


@router.get("/jwt_templates/{template_id}")
async def get_template(request: Request, template_id: str) -> dict[str, Any]:
    """One template."""
    return jwt_templates.template_json(await _get(request, template_id))


@router.patch("/jwt_templates/{template_id}")
async def update_template(request: Request, template_id: str) -> dict[str, Any]:
    """Change a template (Clerk's update takes the whole template: name and claims are required)."""
    body = await json_body(request)
    _refuse_signing_options(body)
    old = await _get(request, template_id)
    t = replace(old, name=_name(body), claims=jwt_templates.check_claims(body.get("claims")),
                lifetime=_seconds(body, "lifetime", old.lifetime, 30, 315_360_000),
                allowed_clock_skew=_seconds(body, "allowed_clock_skew", old.allowed_clock_skew, 0, 300),
                updated_at=now_ms())  # fmt: skip
    return await _save(request, t)


@router.delete("/jwt_templates/{template_id}")
async def delete_template(request: Request, template_id: str) -> dict[str, Any]:
    """Remove a template."""
    async with service(request).store.db.transaction() as tx:
        if not await identity_templates.delete(tx, template_id):
            raise not_found("jwt template")
    return {"object": "jwt_template", "id": template_id, "deleted": True}


@router.post("/sessions/{session_id}/tokens/{template_name}")
async def token_from_template(request: Request, session_id: str, template_name: str) -> dict[str, Any]:
    """A token of an active session made from a template (``expires_in_seconds`` overrides its lifetime)."""
    ident = service(request)
    body = await json_body(request)
    lifetime = _seconds(body, "expires_in_seconds", 0, 30, 315_360_000) or None
    async with ident.store.db.reader() as c:
        template = await identity_templates.get(c, template_name)
    if template is None or template.name != template_name:
        raise not_found("jwt template")
    await ident.refresh_token(session_id)  # 404 / 401 unless the session exists and is active
    session = await ident.get_session(session_id)
    user = await ident.get_user(session.user_id)
    claims = jwt_templates.token_claims(template, user, session, ident.signer.issuer, lifetime)
    return {"object": "token", "jwt": ident.signer.sign(claims)}
