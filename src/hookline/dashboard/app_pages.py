"""One application's pages: endpoints, the message log and detail, resend, recover and test events.

The same handlers serve administrators (``/dashboard/app/{app_id}``) and app-portal holders
(``/dashboard/portal/{app_id}``); only the dependency that names the viewer differs.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from hookline.dashboard import catalog_pages, endpoint_forms, endpoint_history, queries
from hookline.dashboard.auth import Forbidden, Viewer, check_csrf
from hookline.dashboard.log import log_page, log_stream, parse_when
from hookline.dashboard.render import form_data, render, render_text
from hookline.services import endpoints, event_types, messages, portal, replay
from hookline.services.errors import OperationError
from hookline.services.runtime import Runtime
from hookline.store.records import Application, Endpoint, Message, MessageStatus

ViewerDep = Callable[..., Awaitable[Viewer]]


def _rt(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


async def _app(request: Request, app_id: str) -> Application:
    app = await _rt(request).store.get_app(app_id)
    if app is None:
        raise Forbidden("No such application. Pick one from the list of applications.", 404)
    return app


async def _endpoint(request: Request, app: Application, ep_id: str) -> Endpoint:
    ep = await _rt(request).store.get_endpoint(app.id, ep_id)
    if ep is None:
        raise Forbidden("No such endpoint in this application. Go back to its endpoints.", 404)
    return ep


async def _message(request: Request, app: Application, msg_id: str) -> Message:
    msg = await _rt(request).store.get_message(app.id, msg_id)
    if msg is None:
        raise Forbidden("No such message in this application. Search the message log for it.", 404)
    return msg


def _back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def make_router(viewer_dep: ViewerDep) -> APIRouter:
    """The application pages behind ``viewer_dep`` (administrator or portal)."""
    router = APIRouter()
    V = Depends(viewer_dep)

    async def endpoint_rows(request: Request, app: Application) -> list[tuple[Endpoint, queries.Health]]:
        store = _rt(request).store
        return [
            (ep, await queries.endpoint_health(store, ep.id))
            for ep in await queries.endpoints_of(store, app.id)
        ]

    @router.get("", response_class=HTMLResponse)
    async def app_page(request: Request, app_id: str, viewer: Viewer = V) -> Response:
        """An application: its endpoints with their health, failing ones first."""
        app = await _app(request, app_id)
        created = (
            "Application created. Add an endpoint to it."
            if request.query_params.get("done") == "created"
            else None
        )
        return render(request, "app.html", viewer=viewer, app=app, base=viewer.base(app.id), notice=created,
                      endpoints=await endpoint_rows(request, app),
                      **await endpoint_history.app_chart(_rt(request), app.id, request.query_params.get("range")))  # fmt: skip

    async def hidden_types(request: Request, viewer: Viewer) -> set[str]:
        """The event types the viewer's feature flags keep hidden (none for an administrator)."""
        if viewer.feature_flags is None:
            return set()
        store = _rt(request).store
        return set(await queries.event_type_names(store)) - set(
            await queries.event_type_names(store, viewer.sees)
        )

    async def endpoint_view(
        request: Request, viewer: Viewer, app: Application, ep: Endpoint, status: int = 200, **extra: Any
    ) -> HTMLResponse:
        rt = _rt(request)
        store = rt.store
        submitted = extra.pop("submitted", None)
        params = request.query_params
        history = await endpoint_history.history(rt, ep, params.get("tab", "all"), params.get("iter"))
        extra.update(await endpoint_history.chart(rt, ep, params.get("range")))
        return render(
            request, "endpoint.html", status, viewer=viewer, app=app, ep=ep, base=viewer.base(app.id), history=history,
            health=await queries.endpoint_health(store, ep.id), event_types=await queries.event_type_names(store, viewer.sees),
            isolation=await store.endpoint_isolation(ep.id),
            default_cap=_rt(request).settings.delivery.endpoint_max_in_flight,
            **await endpoint_forms.form_context(request, viewer, ep, submitted), **extra,
        )  # fmt: skip

    @router.get("/endpoint/{ep_id}", response_class=HTMLResponse)
    async def endpoint_page(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """An endpoint: health, settings form, secret, recover."""
        app = await _app(request, app_id)
        ep = await _endpoint(request, app, ep_id)
        notice = {"saved": "Saved.", "rotated": "Secret rotated; the old one keeps signing for 24 hours.",
                  "recovered": None, "enabled": "Endpoint enabled.", "disabled": "Endpoint disabled.",
                  "created": "Endpoint created.", "replayed": None}  # fmt: skip
        done = request.query_params.get("done", "")
        n = request.query_params.get("n", "0")
        n = n if n.isdigit() else "0"
        if done == "recovered":
            notice["recovered"] = f"{n} failed deliveries scheduled again."
        elif done == "replayed":
            notice["replayed"] = f"{n} missing messages scheduled for this endpoint."
        return await endpoint_view(request, viewer, app, ep, notice=notice.get(done))

    @router.post("/endpoint/{ep_id}", response_class=HTMLResponse)
    async def endpoint_save(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """Save URL, event-type filter, channels, headers and rate limit."""
        viewer.require(portal.EDIT_ENDPOINT, "changing endpoints")
        app = await _app(request, app_id)
        ep = await _endpoint(request, app, ep_id)
        form = await endpoint_forms.form_lists(request)
        await check_csrf(request, viewer, endpoint_forms.first(form))
        rt = _rt(request)
        try:
            draft = endpoint_forms.read_form(rt, form, await hidden_types(request, viewer), ep)
        except OperationError as exc:
            return await endpoint_view(request, viewer, app, ep, 422, error=exc.detail, submitted=form)
        except ValueError as exc:
            return await endpoint_view(request, viewer, app, ep, 422, error=str(exc), submitted=form)
        await endpoints.save_settings(
            rt, ep, url=draft.url, event_types=draft.event_types, channels=draft.channels, headers=draft.headers,
            throttle_rate=draft.rate_limit, description=draft.description,
        )  # fmt: skip
        return _back(f"{viewer.base(app.id)}/endpoint/{ep.id}?done=saved")

    @router.post("/endpoint/{ep_id}/state")
    async def endpoint_state(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """Enable or disable an endpoint (enabling clears its failure streak)."""
        viewer.require(portal.EDIT_ENDPOINT, "changing endpoints")
        app = await _app(request, app_id)
        ep = await _endpoint(request, app, ep_id)
        form = await form_data(request)
        await check_csrf(request, viewer, form)
        enable = form.get("enable") == "1"
        await endpoints.set_enabled(_rt(request), ep, enable, "disabled in the dashboard")
        return _back(f"{viewer.base(app.id)}/endpoint/{ep.id}?done={'enabled' if enable else 'disabled'}")

    @router.get("/endpoint/{ep_id}/secret", response_class=HTMLResponse)
    async def endpoint_secret(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """The endpoint's current signing secret (a fragment the page swaps in)."""
        if viewer.read_only:
            raise Forbidden("This portal link is read-only: it cannot reveal signing secrets.")
        viewer.require(portal.SEE_SECRET, "revealing signing secrets")
        app = await _app(request, app_id)
        ep = await _endpoint(request, app, ep_id)
        secret = await endpoints.current_secret(_rt(request), ep)
        if not request.headers.get("hx-request"):  # without JavaScript: a page of its own
            return render(request, "endpoint_secret.html", viewer=viewer, app=app, ep=ep, base=viewer.base(app.id),
                          secret=secret)  # fmt: skip
        return HTMLResponse(render_text("_secret.html", secret=secret),
                            headers={"cache-control": "no-store"})  # fmt: skip

    @router.post("/endpoint/{ep_id}/secret/rotate")
    async def endpoint_rotate(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """Rotate the signing secret; the previous one keeps signing during the grace period."""
        viewer.require(portal.ROTATE_SECRET, "rotating signing secrets")
        app = await _app(request, app_id)
        ep = await _endpoint(request, app, ep_id)
        await check_csrf(request, viewer, await form_data(request))
        await endpoints.rotate_secret(_rt(request), ep)
        return _back(f"{viewer.base(app.id)}/endpoint/{ep.id}?done=rotated")

    @router.post("/endpoint/{ep_id}/recover")
    async def endpoint_recover(request: Request, app_id: str, ep_id: str, viewer: Viewer = V) -> Response:
        """Schedule again every failed delivery to the endpoint of messages since a time."""
        viewer.require(portal.SEND, "sending messages again")
        app = await _app(request, app_id)
        ep = await _endpoint(request, app, ep_id)
        form = await form_data(request)
        await check_csrf(request, viewer, form)
        since = parse_when(form.get("since"))
        if since is None:
            return await endpoint_view(request, viewer, app, ep, 422,
                                       error="Pick the date and time to recover failed messages from.")  # fmt: skip
        count = await replay.recover(_rt(request), ep, since)
        back = form.get("back")
        if back and back.startswith(viewer.base(app.id) + "/"):
            return _back(f"{back}?recovered={count}")
        return _back(f"{viewer.base(app.id)}/endpoint/{ep.id}?done=recovered&n={count}")

    @router.get("/attempt/{attempt_id}", response_class=HTMLResponse)
    async def attempt_page(request: Request, app_id: str, attempt_id: str, viewer: Viewer = V) -> Response:
        """One attempt: the request as sent (headers, body) and the answer (status, body, timing)."""
        app = await _app(request, app_id)
        store = _rt(request).store
        attempt = await store.get_attempt(app.id, attempt_id)
        if attempt is None:
            raise Forbidden("No such attempt in this application. Open the message to see its attempts.", 404)
        msg = await store.get_message(app.id, attempt.msg_id)
        ep = await store.get_endpoint(app.id, attempt.endpoint_id)
        return render(request, "attempt.html", viewer=viewer, app=app, base=viewer.base(app.id), a=attempt,
                      msg=msg, ep=ep)  # fmt: skip

    @router.get("/messages", response_class=HTMLResponse)
    async def messages_page(request: Request, app_id: str, viewer: Viewer = V) -> Response:
        """The application's message log."""
        app = await _app(request, app_id)
        return await log_page(request, _rt(request).store, viewer, app.id, app=app, base=viewer.base(app.id))

    @router.get("/messages/stream")
    async def messages_stream(request: Request, app_id: str, viewer: Viewer = V) -> StreamingResponse:
        """Server-sent events with the rows of new messages."""
        app = await _app(request, app_id)
        return await log_stream(request, _rt(request).store, viewer, app.id)

    async def delivery_context(request: Request, app: Application, msg: Message) -> dict[str, Any]:
        store = _rt(request).store
        sent = await queries.message_endpoints(store, msg)
        got = {ep.id for ep, _, _ in sent}
        missed = [
            (ep, queries.why_not(ep, msg))
            for ep in await queries.endpoints_of(store, app.id)
            if ep.id not in got
        ]
        busy = any(status in (MessageStatus.PENDING, MessageStatus.SENDING) for _, status, _ in sent)
        return {
            "sent": sent,
            "missed": missed,
            "attempts": await queries.message_attempts(store, msg.id),
            "busy": busy,
        }

    @router.get("/msg/{msg_id}", response_class=HTMLResponse)
    async def message_page(request: Request, app_id: str, msg_id: str, viewer: Viewer = V) -> Response:
        """A message: payload, where it went, every attempt, and why an endpoint did not get it."""
        app = await _app(request, app_id)
        msg = await _message(request, app, msg_id)
        notice = None
        if "resent" in request.query_params:
            notice = "Resend scheduled; the new attempt appears below."
        elif "recovered" in request.query_params:
            notice = f"{request.query_params['recovered']} failed deliveries scheduled again."
        return render(request, "message.html", viewer=viewer, app=app, msg=msg, base=viewer.base(app.id),
                      notice=notice, **await delivery_context(request, app, msg))  # fmt: skip

    @router.get("/msg/{msg_id}/delivery", response_class=HTMLResponse)
    async def message_delivery(request: Request, app_id: str, msg_id: str, viewer: Viewer = V) -> Response:
        """The delivery part of the message page (polled while a delivery is pending)."""
        app = await _app(request, app_id)
        msg = await _message(request, app, msg_id)
        html = render_text("_delivery.html", viewer=viewer, app=app, msg=msg, base=viewer.base(app.id),
                           **await delivery_context(request, app, msg))  # fmt: skip
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    @router.get("/msg/{msg_id}/row", response_class=HTMLResponse)
    async def message_row(request: Request, app_id: str, msg_id: str, viewer: Viewer = V) -> Response:
        """The message's row of the log, as it stands now (a pending row polls it until it settles)."""
        app = await _app(request, app_id)
        msg = await _message(request, app, msg_id)
        store = _rt(request).store
        endpoint_id = request.query_params.get("endpoint") or None
        row = await queries.log_row(store, msg, endpoint_id)
        html = render_text("_message_rows.html", rows=[row], viewer=viewer, apps=await queries.app_names(store),
                           labels=await queries.endpoint_labels(store, [row]), chosen_endpoint=endpoint_id or "")  # fmt: skip
        return HTMLResponse(html, headers={"cache-control": "no-store"})

    @router.post("/msg/{msg_id}/resend/{ep_id}")
    async def message_resend(
        request: Request, app_id: str, msg_id: str, ep_id: str, viewer: Viewer = V
    ) -> Response:
        """Send the message to one endpoint again, now."""
        viewer.require(portal.SEND, "sending messages again")
        app = await _app(request, app_id)
        msg = await _message(request, app, msg_id)
        ep = await _endpoint(request, app, ep_id)
        await check_csrf(request, viewer, await form_data(request))
        try:
            await replay.resend(_rt(request), msg, ep)
        except OperationError as exc:
            if exc.code != "payload_expired":
                raise
            raise Forbidden(
                "The payload of this message has expired, so it cannot be sent again.", 409
            ) from None
        return _back(f"{viewer.base(app.id)}/msg/{msg.id}?resent=1")

    async def test_view(
        request: Request, viewer: Viewer, app: Application, status: int = 200, **extra: Any
    ) -> HTMLResponse:
        rt = _rt(request)
        endpoints = await queries.endpoints_of(rt.store, app.id)
        catalog = [et for et in await event_types.catalog(rt) if viewer.sees(et.feature_flags)]
        chosen = (
            extra.pop("event_type", None)
            or request.query_params.get("event_type")
            or (catalog[0].name if catalog else "")
        )
        payload = extra.pop("payload", None)
        if payload is None:
            payload = await example_text(request, chosen)
        # a disabled endpoint is never the default: it would take no attempt
        chosen_endpoint = extra.pop("endpoint", None) or request.query_params.get("endpoint", "")
        if not any(ep.id == chosen_endpoint for ep in endpoints):
            chosen_endpoint = next((ep.id for ep in endpoints if not ep.disabled), "")
        return render(request, "test.html", status, viewer=viewer, app=app, base=viewer.base(app.id),
                      endpoints=endpoints, groups=catalog_pages.group(catalog, ""), known={et.name for et in catalog},
                      chosen=chosen, payload=payload, chosen_endpoint=chosen_endpoint, **extra)  # fmt: skip

    async def example_text(request: Request, event_type: str) -> str:
        example = await messages.event_type_example(_rt(request), event_type)
        return json.dumps(example if example is not None else {"example": True}, indent=2)

    @router.get("/test", response_class=HTMLResponse)
    async def test_page(request: Request, app_id: str, viewer: Viewer = V) -> Response:
        """Send an event type's example (or an edited payload) to one endpoint."""
        viewer.require(portal.SEND, "sending test messages")  # a link that cannot send is shown no form
        return await test_view(request, viewer, await _app(request, app_id))

    @router.get("/test/example", response_class=HTMLResponse)
    async def test_example(request: Request, app_id: str, viewer: Viewer = V) -> Response:
        """The example payload of an event type (the page swaps it into the editor)."""
        await _app(request, app_id)
        event_type = request.query_params.get("event_type", "")
        text = await example_text(
            request, "" if event_type in await hidden_types(request, viewer) else event_type
        )
        return HTMLResponse(render_text("_payload.html", payload=text))

    @router.post("/test", response_class=HTMLResponse)
    async def test_send(request: Request, app_id: str, viewer: Viewer = V) -> Response:
        """Accept the test message for the chosen endpoint only, then show it with its attempts."""
        viewer.require(portal.SEND, "sending test messages")
        app = await _app(request, app_id)
        form = await form_data(request)
        await check_csrf(request, viewer, form)
        rt = _rt(request)
        event_type, text = form.get("event_type", "").strip(), form.get("payload", "")
        keep = {"event_type": event_type, "payload": text, "endpoint": form.get("endpoint", "")}
        ep = await rt.store.get_endpoint(app.id, form.get("endpoint", ""))
        if ep is None:
            return await test_view(request, viewer, app, 422, error="Pick the endpoint to send to.", **keep)
        if ep.disabled:
            return await test_view(request, viewer, app, 409, error=(
                f"The endpoint {ep.url} is disabled, so it would take no attempt: enable it on its page, "
                "or pick another endpoint."), **keep)  # fmt: skip
        if not event_type or event_type in await hidden_types(request, viewer):
            return await test_view(request, viewer, app, 422, error="Give the event type to send.", **keep)
        try:
            payload = json.loads(text)
            if not isinstance(payload, dict):
                raise ValueError("the payload must be a JSON object")
        except ValueError as exc:
            return await test_view(
                request, viewer, app, 422, error=f"The payload is not a JSON object: {exc}.", **keep
            )
        body = json.dumps(payload, separators=(",", ":"))
        if len(body.encode()) > rt.settings.max_payload_bytes:
            return await test_view(request, viewer, app, 413, error="The payload is too large.", **keep)
        msg = await messages.send_to_endpoint(rt, ep, event_type, body)
        return _back(f"{viewer.base(app.id)}/msg/{msg.id}?test=1")

    return router
