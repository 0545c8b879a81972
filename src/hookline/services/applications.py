"""Applications: the record a create body makes, and the one a message names, created when missing."""

from __future__ import annotations

import time

from hookline.ids import new_id
from hookline.services.lookups import app_or_404
from hookline.services.models import ApplicationIn
from hookline.services.runtime import Runtime
from hookline.store.errors import ConflictError
from hookline.store.records import Application


def new_application(body: ApplicationIn) -> Application:
    """An application record from a create body."""
    now = time.time()
    rate = body.throttle_rate if body.throttle_rate is not None else body.rate_limit
    return Application(new_id("app"), body.name, body.uid, rate, body.metadata or {}, now, now)


async def ensure_app(rt: Runtime, app_id: str, spec: ApplicationIn) -> str:
    """Create the application a message names when it does not exist yet; return its id."""
    app = await rt.store.get_app(app_id)
    if app is not None:
        return app.id
    if spec.uid is None and not app_id.startswith("app_"):
        spec = spec.model_copy(update={"uid": app_id})
    try:
        return (await rt.store.create_app(new_application(spec))).id
    except ConflictError:
        # another request created it a moment ago
        return (await app_or_404(rt.store, spec.uid or app_id)).id
