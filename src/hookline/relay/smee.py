"""smee.io's event format, so the stock ``smee-client`` (npm) can listen on a hookline channel.

smee.io sends each request as one server-sent event whose ``data`` is a JSON object: the request
headers flattened as keys (lower-case, as Node gives them), plus ``body`` (the parsed body),
``query`` (the parsed query string) and ``timestamp`` (epoch milliseconds). smee-client posts
``JSON.stringify(body)`` to its target with every other key as a header, so a compact JSON body
(as webhook senders emit) arrives byte for byte and its signature still verifies.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from hookline.jsontext import check_storable
from hookline.relay.messages import HOP_BY_HOP, RelayedRequest


def _parsed_body(req: RelayedRequest, content_type: str) -> Any:
    if not req.body:
        return {}
    if "json" in content_type:
        try:
            return check_storable(json.loads(req.body))
        except (ValueError, RecursionError):
            pass  # not JSON an event can carry (malformed, nested too deep, lone surrogates): sent as text
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
    return req.body.decode("utf-8", "replace")


def smee_event(req: RelayedRequest) -> dict[str, Any]:
    """The ``data`` object smee.io would send for ``req``."""
    data: dict[str, Any] = {}
    for name, value in req.headers:
        key = name.lower()
        if key in HOP_BY_HOP:
            continue
        # Node joins repeated headers with ", ", and smee.io forwards Node's view
        data[key] = f"{data[key]}, {value}" if key in data else value
    data["body"] = _parsed_body(req, str(data.get("content-type", "")))
    data["query"] = dict(parse_qsl(req.query, keep_blank_values=True))
    data["timestamp"] = int(req.received_at * 1000)
    return data
