"""Write docs/api-compatibility.md: every operation of the ``svix`` Python SDK and whether hookline's
``/api/v1`` serves it, read from the installed SDK and from the routes of the built app.

    python scripts/svix_compatibility.py           # rewrite the document
    python scripts/svix_compatibility.py --check   # exit 1 if the document is out of date

tests/api/test_compatibility_doc.py runs the check, so the table cannot drift from the code.
"""

from __future__ import annotations

import inspect
import re
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api-compatibility.md"
_CALL = re.compile(r'method="(\w+)",\s*path="([^"]+)"')

# How a served operation differs from Svix's (keyed by the SDK's dotted name).
_TASK = "the work is done within the request: the 202 answers the task already `finished`"
DIFFERENCES = {
    "endpoint.rotate_secret": "answers 200 with the new verification key (svix-server: 204); SDK 2.9.1 reads "
    "a JSON body",
    "endpoint.get_stats": "hookline's own fields (cap, in flight, circuit breaker) follow Svix's",
    "endpoint.recover": _TASK,
    "endpoint.replay_missing": _TASK,
    "endpoint.bulk_replay": _TASK,
    "message.expunge_all_contents": _TASK,
    "statistics.aggregate_app_stats": _TASK
    + "; `messageDestinations` counts deliveries (message x endpoint)",
    "statistics.aggregate_event_types": _TASK,
    "authentication.app_portal_access": "the link opens hookline's own app portal",
    "operational_webhook.endpoint.create": "events come from this server itself (Svix sends them from a "
    "separate organization); `endpoint.enabled` and `endpoint.disabled` with `trigger: manual` are raised "
    "when an API call switches an endpoint",
    "message.create": "`transformationsParams` takes a raw payload (`rawPayload`, a `content-type` header); "
    "anything else in it is a 422 (no transformations)",
}


@dataclass(frozen=True)
class Operation:
    """One SDK operation: ``svix.<name>()`` calling ``<method> <path>``."""

    name: str
    method: str
    path: str


def sdk_operations() -> list[Operation]:
    """Every operation of the installed ``svix`` SDK, read from its generated (synchronous) methods."""
    from svix.api import Svix, SvixOptions
    from svix.api.common import ApiBaseSync

    found: dict[str, Operation] = {}

    def walk(obj: Any, prefix: str) -> None:
        for name in dir(obj):
            if name.startswith("_"):
                continue
            attr = getattr(obj, name)
            if isinstance(attr, ApiBaseSync):
                walk(attr, f"{prefix}{name}.")
            elif inspect.ismethod(attr) and (m := _CALL.search(inspect.getsource(attr))):
                found[prefix + name] = Operation(prefix + name, m.group(1).upper(), m.group(2))

    walk(Svix("token", SvixOptions(server_url="http://127.0.0.1:1")), "")
    return sorted(found.values(), key=lambda o: o.name)


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def served_routes() -> set[tuple[str, str]]:
    """``(METHOD, path shape)`` of every route of the app that answers (not a 501 of ``unserved``)."""
    from hookline.api.v1 import unserved
    from hookline.config import Settings
    from hookline.server import create_app

    refused = {(m, _shape("/api/v1" + p)) for _, m, p in unserved.API_V1}
    refused |= {(m, _shape("/ingest/api/v1" + p)) for _, m, p in unserved.INGEST_V1}
    out: set[tuple[str, str]] = set()

    def walk(routes: list[Any], prefix: str) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI's lazily included router
            if included is not None:
                walk(included.routes, prefix + route.include_context.prefix)
                continue
            path = prefix + getattr(route, "path", "")
            for method in getattr(route, "methods", None) or ():
                out.add((method, _shape(path)))

    walk(create_app(Settings()).routes, "")
    return out - refused


def _reason(op: Operation) -> str:
    from hookline.api.v1 import unserved

    return unserved.not_implemented(op.name).detail.split("(", 1)[1].rstrip(").")


def render() -> str:
    """The whole document."""
    ops = sdk_operations()
    routes = served_routes()
    rows, served, different = [], 0, 0
    for op in ops:
        if (op.method, _shape(op.path)) in routes:
            served += 1
            note = DIFFERENCES.get(op.name, "")
            different += bool(note)
            status = "served with differences" if note else "served"
        else:
            status, note = "not served (501)", _reason(op)
        rows.append(f"| `{op.name}` | `{op.method} {op.path}` | {status} | {note} |")
    head = [
        "# Svix API compatibility",
        "",
        f"Every operation of the `svix` Python SDK ({version('svix')}) and whether hookline's `/api/v1` "
        "serves it. Generated by `python scripts/svix_compatibility.py` from the SDK and the routes of the "
        "server; a test fails when this file is out of date. An operation not served answers **501** "
        '`{"code": "not_implemented"}` naming it (see [api.md](api.md)).',
        "",
        f"Served: **{served}** of {len(ops)} operations ({different} of them with differences noted).",
        "",
        "| operation | request | status | notes |",
        "|---|---|---|---|",
    ]
    return "\n".join([*head, *rows, ""])


def main(argv: list[str]) -> int:
    """Write the document, or with ``--check`` compare it."""
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python scripts/svix_compatibility.py")
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
