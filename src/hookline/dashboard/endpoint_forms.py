"""Endpoint forms shared by the portal and the dashboard: add, edit, delete, send an example, and send
again (replay missing, recover failed) after a preview of how many deliveries that makes.

Every form works without JavaScript and carries the viewer's CSRF token; what a viewer's capabilities
forbid is neither shown nor served. The handlers call the service layer only.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from hookline.dashboard import queries
from hookline.dashboard.auth import Forbidden, Viewer, check_csrf
from hookline.dashboard.log import parse_when
from hookline.dashboard.render import render
from hookline.services import endpoints, messages, portal, replay, sensitive_headers
from hookline.services.errors import OperationError
from hookline.services.models import EndpointIn
from hookline.services.runtime import Runtime
from hookline.services.sensitive_headers import HIDDEN
from hookline.store.records import Application, Endpoint, EventType

ViewerDep = Callable[..., Awaitable[Viewer]]
# the "since" presets of replay and recover: label, seconds back from now
PRESETS = {
    "1h": ("the last hour", 3600),
    "24h": ("the last 24 hours", 86400),
    "7d": ("the last 7 days", 7 * 86400),
}
OTHER_GROUP = "Other"
YEAR_1, YEAR_9999 = -62135596800.0, 253402300799.0  # epoch seconds a datetime can hold


@dataclass(frozen=True)
class Draft:
    """An endpoint form as read and checked: what create or save is given."""

    url: str
    description: str
    event_types: tuple[str, ...]
    channels: tuple[str, ...]
    headers: dict[str, str]
    rate_limit: int | None


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def form_lists(request: Request) -> dict[str, list[str]]:
    """An urlencoded form body with every value of each name (checkboxes repeat their name)."""
    raw = (await request.body()).decode("utf-8", "replace")
    return parse_qs(raw, keep_blank_values=True)


def first(form: dict[str, list[str]]) -> dict[str, str]:
    """The first value of each name (what the CSRF check and single fields read)."""
    return {k: v[0] for k, v in form.items()}


def parse_headers(text: str) -> dict[str, str]:
    """``Name: value`` lines as a dict; a line without a colon is an error."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"“{line.strip()}” is not a header; write one “Name: value” per line.")
        out[name.strip()] = value.strip()
    return out


def _names(values: list[str]) -> tuple[str, ...]:
    # checkboxes send one name each; a typed field sends a comma-separated list
    return tuple(sorted({n.strip() for v in values for n in v.split(",") if n.strip()}))


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
    labels = {"filter_types": "Event types", "channels": "Channels", "rate_limit": "Rate limit", "url": "URL"}
    return f"{labels.get(field.split('.')[0], field)}: {err.get('msg', 'not valid')}."


def read_form(
    rt: Runtime, form: dict[str, list[str]], hidden_types: set[str], ep: Endpoint | None = None
) -> Draft:
    """Check an endpoint form as the API checks a body (ValueError or OperationError with a sentence);
    ``hidden_types`` are event types the viewer may not pick (kept only when the endpoint has them)."""
    one = first(form)
    url = endpoints.check_url(rt.settings, one.get("url", "").strip())
    types = _names(form.get("event_types", []))
    channels = _names(form.get("channels", []))
    rate_text = one.get("rate_limit", "").strip()
    if rate_text and (
        not (rate_text.isascii() and rate_text.isdigit()) or len(rate_text) > 6 or int(rate_text) < 1
    ):
        raise ValueError("The rate limit is a whole number of messages per second, or empty for none.")
    hidden = (set(types) & hidden_types) - set(ep.event_types or () if ep else ())
    if hidden:
        raise ValueError(f"No such event type: {', '.join(sorted(hidden))}.")
    headers = parse_headers(one.get("headers", ""))
    if ep is not None:
        headers = sensitive_headers.keep_hidden(headers, ep.headers)
    headers = endpoints.check_headers(headers)
    description = one.get("description", ep.description if ep else "")
    try:  # names, channels and the rate limit as the API's body model takes them
        EndpointIn(url=url, description=description, filter_types=list(types) or None,
                   channels=list(channels) or None, rate_limit=int(rate_text) if rate_text else None)  # fmt: skip
    except ValidationError as exc:
        raise ValueError(_first_error(exc)) from None
    return Draft(url, description, types, channels, headers, int(rate_text) if rate_text else None)


async def catalog(rt: Runtime, viewer: Viewer) -> list[EventType]:
    """The event types the viewer may pick (archived ones left out), by name."""
    found: list[EventType] = []
    iterator = None
    while True:
        page = await rt.store.list_event_types(250, iterator)
        found.extend(e for e in page.data if viewer.sees(e.feature_flags))
        if page.done or not page.iterator or len(found) > 5000:
            return found
        iterator = page.iterator


def grouped(types: list[EventType]) -> list[tuple[str, list[EventType]]]:
    """Event types by ``groupName`` (those without one last, under "Other")."""
    groups: dict[str, list[EventType]] = {}
    for et in types:
        groups.setdefault(et.group_name or OTHER_GROUP, []).append(et)
    return sorted(groups.items(), key=lambda kv: (kv[0] == OTHER_GROUP, kv[0].lower()))


async def hidden_types(rt: Runtime, viewer: Viewer) -> set[str]:
    """The event types the viewer's feature flags keep hidden (none for an administrator)."""
    if viewer.feature_flags is None:
        return set()
    return set(await queries.event_type_names(rt.store)) - set(
        await queries.event_type_names(rt.store, viewer.sees)
    )


def fields_of(ep: Endpoint | None, submitted: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The values the form shows: what was just submitted (after an error), else the endpoint's."""
    if submitted is not None:
        one = first(submitted)
        return {"url": one.get("url", ""), "description": one.get("description", ""),
                "types": set(_names(submitted.get("event_types", []))), "channels": one.get("channels", ""),
                "rate_limit": one.get("rate_limit", ""), "headers": one.get("headers", "")}  # fmt: skip
    if ep is None:
        return {"url": "", "description": "", "types": set(), "channels": "", "rate_limit": "", "headers": ""}
    return {
        "url": ep.url, "description": ep.description, "types": set(ep.event_types or ()),
        "channels": ", ".join(ep.channels or ()), "rate_limit": ep.throttle_rate or "",
        "headers": "\n".join(f"{k}: {HIDDEN if sensitive_headers.is_sensitive(k) else v}" for k, v in ep.headers.items()),
    }  # fmt: skip


async def form_context(
    request: Request, viewer: Viewer, ep: Endpoint | None, submitted: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    """What the endpoint form and the action forms need: the grouped catalog, the values, the presets."""
    types = await catalog(_rt(request), viewer)
    with_example = [et.name for et in types if messages.example_payload(et.schemas, 0) is not None]
    fields = fields_of(ep, submitted)
    fields["kept"] = sorted(fields["types"] - {et.name for et in types})
    return {"groups": grouped(types), "fields": fields, "presets": PRESETS,
            "example_types": with_example}  # fmt: skip


def since_of(value: str | None, now: float) -> float | None:
    """A preset (``1h``, ``24h``, ``7d``), epoch seconds, or a ``datetime-local`` value (UTC) as epoch seconds."""
    if not value:
        return None
    if value in PRESETS:
        return now - PRESETS[value][1]
    try:
        number = float(value)
    except ValueError:
        return parse_when(value)
    return number if YEAR_1 <= number <= YEAR_9999 else None  # what a datetime-local can name; not nan


def make_router(viewer_dep: ViewerDep) -> APIRouter:
    """The endpoint forms behind ``viewer_dep`` (administrator or portal), under an application's prefix."""
    router = APIRouter()
    V = Depends(viewer_dep)

    async def app_of(request: Request, app_id: str) -> Application:
        app = await _rt(request).store.get_app(app_id)
        if app is None:
            raise Forbidden("No such application. Pick one from the list of applications.", 404)
        return app

    async def endpoint_of(request: Request, app: Application, ep_id: str) -> Endpoint:
        ep = await _rt(request).store.get_endpoint(app.id, ep_id)
        if ep is None:
            raise Forbidden("No such endpoint in this application. Go back to its endpoints.", 404)
        return ep

    async def new_view(
        request: Request, viewer: Viewer, app: Application, status: int = 200, **extra: Any
    ) -> HTMLResponse:
        submitted = extra.pop("submitted", None)
        return render(request, "endpoint_form.html", status, viewer=viewer, app=app, base=viewer.base(app.id),
                      **await form_context(request, viewer, None, submitted), **extra)  # fmt: skip

    @router.get("/endpoint/new", response_class=HTMLResponse)
    async def endpoint_new(request: Request, app_id: str, viewer: Viewer = V) -> Response:
        """The form that adds an endpoint."""
        viewer.require(portal.EDIT_ENDPOINT, "adding endpoints")
        return await new_view(request, viewer, await app_of(request, app_id))

    @router.post("/endpoint/new", response_class=HTMLResponse)
    async def endpoint_create(request: Request, app_id: str, viewer: Viewer = V) -> Response:
        """Add the endpoint; its page follows."""
        viewer.require(portal.EDIT_ENDPOINT, "adding endpoints")
        app = await app_of(request, app_id)
        form = await form_lists(request)
        await check_csrf(request, viewer, first(form))
        rt = _rt(request)
        try:
            draft = read_form(rt, form, await hidden_types(rt, viewer))
            ep = await endpoints.create(rt, app, EndpointIn(
                url=draft.url, description=draft.description, filter_types=list(draft.event_types) or None,
                channels=list(draft.channels) or None, rate_limit=draft.rate_limit, headers=draft.headers,
            ))  # fmt: skip
        except OperationError as exc:
            return await new_view(request, viewer, app, 422, error=exc.detail, submitted=form)
        except ValueError as exc:
            return await new_view(request, viewer, app, 422, error=str(exc), submitted=form)
        return RedirectResponse(f"{viewer.base(app.id)}/endpoint/{ep.id}?done=created", status_code=303)

    @router.get("/endpoint/{ep_id}/delete", response_class=HTMLResponse)
    async def endpoint_delete_confirm(
        request: Request, app_id: str, ep_id: str, viewer: Viewer = V
    ) -> Response:
        """Ask before deleting, saying what goes with the endpoint."""
        viewer.require(portal.EDIT_ENDPOINT, "deleting endpoints")
        app = await app_of(request, app_id)
        ep = await endpoint_of(request, app, ep_id)
        pending = (await _rt(request).store.endpoint_stats(ep.id, None, None)).get(1, 0)
        return render(request, "endpoint_confirm.html", viewer=viewer, app=app, ep=ep, base=viewer.base(app.id),
                      title="Delete this endpoint?", action=f"{viewer.base(app.id)}/endpoint/{ep.id}/delete",
                      button="Delete endpoint", danger=True, hidden={},
                      lines=[f"{ep.url} stops receiving messages at once; its signing secret is deleted.",
                             f"{pending} deliveries waiting for it are dropped. Attempts already made stay in the log."])  # fmt: skip

    @router.post("/endpoint/{ep_id}/delete")
    async def endpoint_delete(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """Delete the endpoint; back to the application."""
        viewer.require(portal.EDIT_ENDPOINT, "deleting endpoints")
        app = await app_of(request, app_id)
        ep = await endpoint_of(request, app, ep_id)
        await check_csrf(request, viewer, first(await form_lists(request)))
        await endpoints.delete(_rt(request), ep)
        return RedirectResponse(viewer.base(app.id), status_code=303)

    @router.post("/endpoint/{ep_id}/example")
    async def endpoint_example(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """Send the chosen event type's example to this endpoint only; its message page follows."""
        viewer.require(portal.SEND, "sending test messages")
        app = await app_of(request, app_id)
        ep = await endpoint_of(request, app, ep_id)
        form = first(await form_lists(request))
        await check_csrf(request, viewer, form)
        rt = _rt(request)
        event_type = form.get("event_type", "")
        if not event_type or event_type in await hidden_types(rt, viewer):
            raise Forbidden("Pick an event type from the list to send its example.", 422)
        try:
            msg = await messages.send_example(rt, ep, event_type, None)
        except OperationError as exc:
            raise Forbidden(exc.detail[:1].upper() + exc.detail[1:] + ".", 422) from None
        return RedirectResponse(f"{viewer.base(app.id)}/msg/{msg.id}?test=1", status_code=303)

    @router.get("/endpoint/{ep_id}/replay", response_class=HTMLResponse)
    async def replay_preview(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """How many deliveries a replay or recovery since the chosen time makes, with the button to do it."""
        viewer.require(portal.SEND, "sending messages again")
        app = await app_of(request, app_id)
        ep = await endpoint_of(request, app, ep_id)
        kind = request.query_params.get("kind", "")
        now = time.time()
        since = since_of(request.query_params.get("since"), now)
        if kind not in ("recover", "missing") or since is None:
            raise Forbidden("Pick what to send again (missing or failed messages) and since when.", 422)
        found = await replay.preview(_rt(request), ep, kind, since)
        count = found.count
        preset = PRESETS.get(request.query_params.get("since", ""), ("", 0))[0]
        when = f"from {preset}" if preset else time.strftime("since %Y-%m-%d %H:%M UTC", time.gmtime(since))
        more = "" if found.complete else "or more "
        what = ("failed deliveries to this endpoint" if kind == "recover"
                else "messages this endpoint never got (created before it, or filtered out then)")  # fmt: skip
        return render(request, "endpoint_confirm.html", viewer=viewer, app=app, ep=ep, base=viewer.base(app.id),
                      title="Recover failed messages?" if kind == "recover" else "Replay missing messages?",
                      action=f"{viewer.base(app.id)}/endpoint/{ep.id}/replay", danger=False,
                      nothing=count == 0 and found.complete,
                      button=f"Send {count} {more}again" if kind == "recover" else f"Send {count} {more}now",
                      hidden={"kind": kind, "since": repr(since)},
                      lines=[f"{count} {more}{what}, of messages {when}."] + ([] if found.complete else [
                          f"Counted among the first {replay.PREVIEW_SCAN:,} messages {when}; "
                          "sending goes through all of them."]))  # fmt: skip

    @router.post("/endpoint/{ep_id}/replay")
    async def replay_do(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """Replay missing or recover failed messages since the previewed time."""
        viewer.require(portal.SEND, "sending messages again")
        app = await app_of(request, app_id)
        ep = await endpoint_of(request, app, ep_id)
        form = first(await form_lists(request))
        await check_csrf(request, viewer, form)
        kind = form.get("kind", "")
        since = since_of(form.get("since"), time.time())
        if kind not in ("recover", "missing") or since is None:
            raise Forbidden("Pick what to send again (missing or failed messages) and since when.", 422)
        rt = _rt(request)
        if kind == "recover":
            count = await replay.recover(rt, ep, since)
        else:
            count = await replay.replay_missing(rt, ep, since)
        done = "recovered" if kind == "recover" else "replayed"
        return RedirectResponse(
            f"{viewer.base(app.id)}/endpoint/{ep.id}?done={done}&n={count}", status_code=303
        )

    return router
