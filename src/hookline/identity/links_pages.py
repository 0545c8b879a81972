"""Hosted pages behind the Backend API's links: ``/accept-invitation`` (sign up with an invitation) and
``/sign-in/ticket`` (a sign-in token or an actor token). Opening a link shows a form; only submitting it uses the link,
so a mail scanner that follows links cannot spend them."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from hookline.identity import actor_tokens, invitations
from hookline.identity.errors import IdentityError, SecondFactorRequired
from hookline.identity.frontend_api import set_cookies
from hookline.identity.http import request_info, service
from hookline.identity.pages import _message, _redirect, ask_second_factor
from hookline.identity.pages import csrf_ok as _csrf_ok
from hookline.identity.pages import read_form as _form
from hookline.identity.pages import render as _render
from hookline.websafety import cross_site

router = APIRouter(tags=["identity pages"], include_in_schema=False)
EXPIRED = "The form expired; please try again."
INVITE = "identity_accept_invitation.html"
TICKET = "identity_sign_in_ticket.html"


@router.get("/accept-invitation", response_class=HTMLResponse)
async def accept_page(request: Request) -> Response:
    """The sign-up form of an invitation (its address fixed)."""
    ticket = request.query_params.get("__clerk_ticket", "")
    try:
        invitation = await invitations.invitation_for(service(request), ticket)
    except IdentityError as exc:
        return _render(request, INVITE, exc.status, error=_message(exc))
    return _render(request, INVITE, email=invitation.email_address, ticket=ticket)


@router.post("/accept-invitation", response_class=HTMLResponse)
async def accept_submit(request: Request) -> Response:
    """Create the account, sign in, and go to the invitation's registered redirect URL (or ``/account``)."""
    form = await _form(request)
    ticket = form.get("ticket", "")
    if not _csrf_ok(request, form) or cross_site(request):
        return _render(request, INVITE, 403, form=form, error=EXPIRED)
    try:
        signed, redirect = await invitations.accept_invitation(
            service(request), request_info(request), ticket, form.get("password", ""),
            form.get("first_name") or None, form.get("last_name") or None,
        )  # fmt: skip
    except IdentityError as exc:
        email = None
        with contextlib.suppress(IdentityError):  # the form again, if the link is still good
            email = (await invitations.invitation_for(service(request), ticket)).email_address
        return _render(
            request, INVITE, exc.status, form=form, email=email, ticket=ticket, error=_message(exc)
        )
    resp = _redirect(redirect or "/account")
    set_cookies(request, resp, signed)
    return resp


@router.get("/sign-in/ticket", response_class=HTMLResponse)
async def ticket_page(request: Request) -> Response:
    """The one-button form of a sign-in link."""
    return _render(request, TICKET, ticket=request.query_params.get("__clerk_ticket", ""))


@router.post("/sign-in/ticket", response_class=HTMLResponse)
async def ticket_submit(request: Request) -> Response:
    """Sign in with the link (once), asking for a second factor when the user has one."""
    form = await _form(request)
    if not _csrf_ok(request, form) or cross_site(request):
        return _render(request, TICKET, 403, error=EXPIRED)
    try:
        ticket = form.get("ticket", "")
        if ticket.startswith(actor_tokens.TOKEN_PREFIX):  # impersonation: no second factor, as in Clerk
            signed = await actor_tokens.use(service(request), request_info(request), ticket)
        else:
            signed = await invitations.use_sign_in_token(service(request), request_info(request), ticket)
    except SecondFactorRequired as pending:
        return await ask_second_factor(request, pending)
    except IdentityError as exc:
        return _render(request, TICKET, exc.status, error=_message(exc))
    resp = _redirect("/account")
    set_cookies(request, resp, signed)
    return resp
