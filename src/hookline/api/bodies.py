"""Request bodies of ``/api/v1`` that no route could store are refused before any route reads them."""

from __future__ import annotations

import json

from fastapi import Request

from hookline.jsontext import problem
from hookline.services.errors import FieldError, OperationError


async def storable_body(request: Request) -> None:
    """A router dependency: 400 for a body that is not JSON or nests too deep, 422 for text that is not
    Unicode (lone surrogates), in Svix's error shapes, instead of a 500 where it is stored."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    raw = await request.body()  # kept by Starlette: the route reads the same bytes again
    if not raw.strip():
        return
    try:
        value = json.loads(raw)
    except RecursionError:
        raise OperationError(400, "bad_request", "JSON nested too deeply") from None
    except ValueError:
        return  # the route's own parsing answers malformed JSON, as it always did
    reason = problem(value)
    if reason is None:
        return
    if "nested" in reason:
        raise OperationError(400, "bad_request", reason)
    raise FieldError(["body"], reason, "string_unicode")
