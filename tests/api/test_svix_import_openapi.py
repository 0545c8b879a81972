"""``event_type.import_openapi`` through the official ``svix`` SDK: an OpenAPI document's webhooks become
event types with their request-body schemas (references inlined); ``dryRun`` changes nothing and
``replaceAll`` archives the types the document does not name."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from svix.api import EventTypeImportOpenApiIn, EventTypeIn, EventTypeListOptions, Svix
from svix.exceptions import HttpError, HTTPValidationError

from tests.api.node_sdk import NodeSdk

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "shop", "version": "1"},
    "webhooks": {
        "order.paid": {
            "post": {
                "description": "An order was paid.",
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}
                },
            }
        },
        "order.legacy": {"post": {"summary": "Old style", "deprecated": True}},
    },
    "components": {
        "schemas": {
            "Order": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "total": {"$ref": "#/components/schemas/Money"}},
            },
            "Money": {"type": "integer", "minimum": 0},
        }
    },
}


def test_webhooks_become_event_types_with_inlined_schemas(svix: Svix) -> None:
    out = svix.event_type.import_openapi(EventTypeImportOpenApiIn(spec=SPEC))
    assert sorted(out.data.modified) == ["order.legacy", "order.paid"]
    paid = svix.event_type.get("order.paid")
    assert paid.description == "An order was paid."
    assert paid.schemas == {"1": {"type": "object", "properties": {
        "id": {"type": "string"}, "total": {"type": "integer", "minimum": 0},
    }}}  # fmt: skip
    legacy = svix.event_type.get("order.legacy")
    assert (legacy.description, legacy.deprecated, legacy.schemas) == ("Old style", True, None)
    # the same document again changes nothing
    assert svix.event_type.import_openapi(EventTypeImportOpenApiIn(spec=SPEC)).data.modified == []


def test_spec_raw_as_json_text_and_x_webhooks(svix: Svix) -> None:
    doc = {"x-webhooks": {"user.joined": {"post": {"description": "joined"}}}}
    out = svix.event_type.import_openapi(EventTypeImportOpenApiIn(spec_raw=json.dumps(doc)))
    assert out.data.modified == ["user.joined"]


def test_dry_run_changes_nothing_and_lists_the_types(svix: Svix) -> None:
    out = svix.event_type.import_openapi(EventTypeImportOpenApiIn(spec=SPEC, dry_run=True))
    assert out.data.modified == []
    assert sorted(t.name for t in out.data.to_modify or []) == ["order.legacy", "order.paid"]
    with pytest.raises(HttpError) as err:
        svix.event_type.get("order.paid")
    assert err.value.status_code == 404


def test_replace_all_archives_the_types_the_document_leaves_out(svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="stale.event", description="old"))
    out = svix.event_type.import_openapi(EventTypeImportOpenApiIn(spec=SPEC, replace_all=True))
    assert "stale.event" in out.data.modified
    assert svix.event_type.get("stale.event").archived
    live = [e.name for e in svix.event_type.list(EventTypeListOptions()).data]
    assert sorted(live) == ["order.legacy", "order.paid"]


def test_importing_an_archived_type_brings_it_back(svix: Svix) -> None:
    svix.event_type.create(EventTypeIn(name="order.paid", description="x"))
    svix.event_type.delete("order.paid")
    svix.event_type.import_openapi(EventTypeImportOpenApiIn(spec=SPEC))
    assert not svix.event_type.get("order.paid").archived


def _webhook_a(ref: str, schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    """A document with one webhook, ``a``, whose body's schema is the reference ``ref``."""
    body = {"content": {"application/json": {"schema": {"$ref": ref}}}}
    doc: dict[str, Any] = {"webhooks": {"a": {"post": {"requestBody": body}}}}
    if schemas is not None:
        doc["components"] = {"schemas": schemas}
    return doc


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),  # neither spec nor specRaw
        ({"spec": SPEC, "specRaw": "{}"}, 400),  # both
        ({"specRaw": "- a list"}, 422),  # YAML, but not a mapping
        ({"specRaw": "webhooks: [\n"}, 422),  # broken YAML
        ({"spec": {"webhooks": {"bad name!": {"post": {}}}}}, 422),
        ({"spec": _webhook_a("#/components/schemas/Missing")}, 422),  # an unresolved reference
        (
            {"spec": _webhook_a("#/components/schemas/A", {"A": {"$ref": "#/components/schemas/A"}})},
            422,
        ),  # a cycle
    ],
)
def test_bad_documents_are_refused(raw: httpx.Client, svix: Svix, body: dict[str, Any], status: int) -> None:
    resp = raw.post("/api/v1/event-type/import/openapi", json=body)
    assert resp.status_code == status, resp.text
    assert svix.event_type.list().data == []


def test_the_sdk_reports_a_refusal(svix: Svix) -> None:
    with pytest.raises(HTTPValidationError):
        svix.event_type.import_openapi(EventTypeImportOpenApiIn(spec_raw="webhooks: {a: .nan}"))


YAML_SPEC = """
openapi: 3.1.0
info: {title: shop, version: '1'}
webhooks:
  order.shipped:
    post:
      summary: An order left the warehouse.
      requestBody:
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/Shipment'
      responses:
        200: {description: Received}
components:
  schemas:
    Base: &base
      type: object
      required: [id]
    Shipment:
      <<: *base
      properties:
        id: {type: string}
        carrier: {type: string, enum: [yes, no, on, off]}
        shipped_on: {type: string, example: 2024-01-01}
        window: {type: string, example: 12:30}
        parcels: {type: integer, minimum: 010}
"""
SHIPMENT = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        # read by YAML 1.2's core schema: yes/on stay strings, dates and times too, 010 is ten
        "carrier": {"type": "string", "enum": ["yes", "no", "on", "off"]},
        "shipped_on": {"type": "string", "example": "2024-01-01"},
        "window": {"type": "string", "example": "12:30"},
        "parcels": {"type": "integer", "minimum": 10},
    },
}


def test_spec_raw_as_yaml(svix: Svix) -> None:
    out = svix.event_type.import_openapi(EventTypeImportOpenApiIn(spec_raw=YAML_SPEC))
    assert out.data.modified == ["order.shipped"]
    shipped = svix.event_type.get("order.shipped")
    assert shipped.description == "An order left the warehouse."
    assert shipped.schemas == {"1": SHIPMENT}


def test_the_npm_sdk_imports_yaml(node_sdk: NodeSdk, svix: Svix) -> None:
    [out] = node_sdk.run(("eventType.importOpenapi", [{"specRaw": YAML_SPEC, "dryRun": True}]))
    assert out.ok, out
    assert out.result["data"]["modified"] == []
    assert [t["name"] for t in out.result["data"]["toModify"]] == ["order.shipped"]
    assert svix.event_type.list().data == []


def _laughs(levels: int) -> str:
    """A "billion laughs" document: each level's list holds the one before ten times."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "webhooks:\n  a:\n    post:\n      description: x\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (_laughs(9), "once its aliases are expanded"),  # a billion values from 1 KB
        ("webhooks: &w {a: *w}", "nests too deep"),  # an alias to itself
        ("webhooks: " + "[" * 3000 + "]" * 3000, "nest"),
        ("webhooks: {a: {post: {description: !!binary aGk=}}}", "no JSON form"),
        ("webhooks: !!set {a, b}", "no JSON form"),
        ("webhooks: {a: {post: {description: -.inf}}}", "no JSON form"),
        ("webhooks: !!python/object/apply:os.system [echo]", "not valid YAML"),
        ("webhooks: {a: {post: {description: " + "9" * 5000 + "}}}", "too large"),
        ("webhooks:\n\ta: 1", "not valid YAML"),
    ],
)
def test_hostile_yaml_is_refused_quickly(raw: httpx.Client, svix: Svix, text: str, says: str) -> None:
    resp = raw.post("/api/v1/event-type/import/openapi", json={"specRaw": text})
    assert resp.status_code == 422, resp.text
    assert says in json.dumps(resp.json()), resp.text
    assert svix.event_type.list().data == []


def test_the_npm_sdk_imports_a_document_and_moves_the_environment(node_sdk: NodeSdk, svix: Svix) -> None:
    out = node_sdk.run(
        ("eventType.importOpenapi", [{"spec": SPEC}]),
        ("eventType.get", ["order.paid"]),
        (
            "environment.import",
            [{"eventTypes": [{"name": "extra.one", "description": "x"}], "settings": {"a": 1}}],
        ),
        ("environment.export", []),
    )
    assert all(o.ok for o in out), out
    assert sorted(out[0].result["data"]["modified"]) == ["order.legacy", "order.paid"]
    assert out[1].result["schemas"]["1"]["properties"]["total"] == {"type": "integer", "minimum": 0}
    assert sorted(e["name"] for e in out[3].result["eventTypes"]) == [
        "extra.one",
        "order.legacy",
        "order.paid",
    ]
    assert out[3].result["settings"] == {"a": 1}
    assert svix.event_type.get("extra.one").description == "x"
