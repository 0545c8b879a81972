"""The hot path: ``POST /api/v1/app/{app}/msg`` handled before routing, with the same contract.

Creating messages is what clients do thousands of times a second; answering it ahead of the
application skips the middleware stack, the router and dependency injection. Only a request that
will be accepted is answered here: one that the documented route would refuse (no or a bad token,
a body that is not a valid message, a query parameter that is not a boolean, a body over the
limit) is handed to that route with the bytes already read, so every refusal is the route's own
answer. Errors raised while storing are answered through ``hookline.api.wire``, as the route answers them.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hookline.api import wire
from hookline.api.idempotency import idempotency_scope_key
from hookline.api.serialize import message_json
from hookline.errors import HooklineError
from hookline.jsontext import problem
from hookline.services.messages import accept_message
from hookline.services.models import MessageIn
from hookline.services.runtime import Runtime

MESSAGE_PATH = re.compile(r"^/api/v1/app/([^/]+)/msg/?$")
JSON_TYPES = (b"application/json", b"application/json; charset=utf-8")


def message_route(scope: Scope) -> str | None:
    """The application id or uid of a message-creation request, or None for any other request."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    match = MESSAGE_PATH.match(scope["path"])
    return unquote(match.group(1)) if match else None


def _replaying(chunks: list[bytes], more: bool, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read so far again, then the rest of the request."""
    pending = list(chunks)

    async def replay() -> Message:
        if pending:
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending) or more}
        return await receive()

    return replay


class MessageFastPath:
    """Answers message creation for the application (see ``HooklineAPI``); ``route`` answers the rest."""

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body

    async def create(
        self, rt: Runtime, scope: Scope, receive: Receive, send: Send, app_key: str, route: ASGIApp
    ) -> None:
        """Accept one message as the documented route would, or hand the request to ``route``."""
        authorization = b""
        idem = b""
        plain_json = True
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == b"idempotency-key":
                idem = value
            elif name == b"content-type":
                plain_json = value.lower() in JSON_TYPES
            elif name == b"content-length" and value.isdigit() and int(value) > self.max_body:
                plain_json = False  # the route's body limit answers the 413
        token = wire.bearer_token(authorization.decode("latin-1"))
        if not plain_json or token is None or not rt.token_ok(token):
            await route(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.max_body:
                break
        raw_query = scope.get("query_string", b"")
        query = parse_qs(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else {}
        with_content = wire.query_bool(query["with_content"][-1] if "with_content" in query else None, True)
        body = None
        if size <= self.max_body:
            try:
                body = MessageIn.model_validate_json(b"".join(chunks))
            except ValidationError:
                body = None
        # a raw payload goes the route's way, whose body check covers its text as well
        if (
            body is None
            or with_content is None
            or body.transformations_params is not None
            or problem(body.payload, 1) is not None
        ):
            await route(scope, _replaying(chunks, more, receive), send)
            return
        key = idempotency_scope_key(scope["path"], authorization, idem) if idem else None
        content = with_content
        try:
            out = await accept_message(rt, app_key, body, key, lambda m: message_json(m, content))
        except HooklineError as exc:
            await wire.send_error(send, exc)
            return
        await wire.send_json(send, 202, out.encode())
