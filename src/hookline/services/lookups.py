"""Finding what an operation acts on, by id or uid, or a 404 naming what is missing."""

from __future__ import annotations

from hookline.services.errors import not_found
from hookline.store.records import Application, Endpoint, Message
from hookline.store.store import Store


async def app_or_404(store: Store, app_id: str) -> Application:
    """The application with this id or uid, or a 404."""
    app = await store.get_app(app_id)
    if app is None:
        raise not_found("application")
    return app


async def endpoint_or_404(store: Store, app: Application, endpoint_id: str) -> Endpoint:
    """The application's endpoint with this id or uid, or a 404."""
    ep = await store.get_endpoint(app.id, endpoint_id)
    if ep is None:
        raise not_found("endpoint")
    return ep


async def message_or_404(store: Store, app: Application, msg_id: str) -> Message:
    """The application's message with this id or event id, or a 404."""
    msg = await store.get_message(app.id, msg_id)
    if msg is None:
        raise not_found("message")
    return msg
