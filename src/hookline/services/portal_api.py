"""An app-portal token used as an API key (as in Svix): the routes it may call, and for which application.

The ``token`` that ``app-portal-access`` answers with authenticates ``/api/v1`` for its own application
only: its endpoints, messages and attempts, and the event-type catalog read-only. What it may change
follows its capabilities (``readOnly`` is ViewBase alone); every route not listed here is refused, so
a portal token never lists or creates applications, issues tokens, or reads another application.
"""

from __future__ import annotations

from collections.abc import Mapping

from hookline.services import portal
from hookline.services.errors import OperationError
from hookline.services.runtime import Runtime
from hookline.store.auth_sessions import PortalSession

VIEW = frozenset(portal.ALL_CAPABILITIES)  # any capability lets its holder look (ViewBase)
_APP = "/app/{app_id}"
_EP = _APP + "/endpoint/{endpoint_id}"
_MSG = _APP + "/msg/{msg_id}"

# (method, route path under /api/v1) -> the capabilities of which one allows the call
RULES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", _APP): VIEW,
    ("GET", _APP + "/endpoint"): VIEW,
    ("POST", _APP + "/endpoint"): portal.EDIT_ENDPOINT,
    ("GET", _EP): VIEW,
    ("PUT", _EP): portal.EDIT_ENDPOINT,
    ("PATCH", _EP): portal.EDIT_ENDPOINT,
    ("DELETE", _EP): portal.EDIT_ENDPOINT,
    ("GET", _EP + "/secret"): portal.SEE_SECRET,
    ("POST", _EP + "/secret/rotate"): portal.ROTATE_SECRET,
    ("GET", _EP + "/headers"): VIEW,
    ("PUT", _EP + "/headers"): portal.EDIT_ENDPOINT,
    ("PATCH", _EP + "/headers"): portal.EDIT_ENDPOINT,
    ("POST", _EP + "/recover"): portal.SEND,
    ("POST", _EP + "/replay-missing"): portal.SEND,
    ("POST", _EP + "/send-example"): portal.SEND,
    ("GET", _EP + "/stats"): VIEW,
    ("GET", _EP + "/msg"): VIEW,
    ("GET", _APP + "/msg"): VIEW,
    ("GET", _MSG): VIEW,
    ("GET", _APP + "/attempt/endpoint/{endpoint_id}"): VIEW,
    ("GET", _APP + "/attempt/msg/{msg_id}"): VIEW,
    ("GET", _MSG + "/attempt"): VIEW,
    ("GET", _MSG + "/endpoint/{endpoint_id}/attempt"): VIEW,
    ("GET", _MSG + "/attempt/{attempt_id}"): VIEW,
    ("GET", _MSG + "/endpoint"): VIEW,
    ("POST", _MSG + "/endpoint/{endpoint_id}/resend"): portal.SEND,
    ("GET", "/event-type"): VIEW,
    ("GET", "/event-type/{name}"): VIEW,
}


async def authorize(
    rt: Runtime, token: str, method: str, route_path: str, path_params: Mapping[str, str]
) -> PortalSession:
    """The session of a portal token allowed to call ``method route_path`` (under ``/api/v1``); 401 when the token is not
    live, 403 when the route, its application or the token's capabilities do not allow the call."""
    found = await portal.session(rt, token)
    if found is None:
        raise OperationError(401, "authentication_failed", "invalid or expired token")
    needed = RULES.get((method.upper() if method != "HEAD" else "GET", route_path))
    if needed is None:
        raise OperationError(403, "forbidden", "an app-portal token may only use its application's routes")
    if "app_id" in path_params:
        app = await rt.store.get_app(path_params["app_id"])
        if app is None or app.id != found.app_id:
            raise OperationError(403, "forbidden", "this app-portal token is for another application")
    caps = frozenset(("ViewBase",)) if found.read_only else portal.session_capabilities(found)
    if not caps & needed:
        raise OperationError(403, "forbidden", "this app-portal token's capabilities do not allow that")
    return found
