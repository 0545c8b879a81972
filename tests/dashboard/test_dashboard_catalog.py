"""The event catalog: administrators create, edit and archive event types with checked schemas; portal
links see the live, flag-permitted ones, grouped and searchable, read-only."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.dashboard.conftest import Shop, csrf
from tests.support.portal import open_portal

INVOICE_SCHEMA = {
    "type": "object",
    "required": ["id", "amount"],
    "properties": {
        "id": {"type": "string", "description": "The invoice id"},
        "amount": {"type": "integer", "minimum": 0},
        "customer": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}},
        "lines": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
        "state": {"enum": ["open", "paid"]},
    },
}


def create_form(dash: httpx.Client, **fields: str) -> httpx.Response:
    token = csrf(dash.get("/dashboard/event-types/new").text)
    return dash.post("/dashboard/event-types/new", data={"csrf": token, **fields})


def make_invoice_paid(dash: httpx.Client) -> None:
    resp = create_form(
        dash, name="invoice.paid", description="An invoice was paid", group_name="invoice",
        schema=json.dumps(INVOICE_SCHEMA), example=json.dumps({"id": "inv_1", "amount": 1200}),
    )  # fmt: skip
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == "/dashboard/event-types/invoice.paid?done=created"


def portal_client(shop: Shop, **options: Any) -> httpx.Client:
    link = shop.api.post(f"/api/v1/auth/app-portal-access/{shop.app_id}", json=options).json()["url"]
    client = httpx.Client(follow_redirects=False, timeout=20)
    assert open_portal(client, link).status_code == 303
    return client


def test_created_event_type_is_stored_as_svix_shows_it_and_rendered_as_a_tree(
    shop: Shop, dash: httpx.Client
) -> None:
    make_invoice_paid(dash)
    stored = shop.api.get("/api/v1/event-type/invoice.paid?with_content=true").json()
    assert stored["groupName"] == "invoice" and stored["description"] == "An invoice was paid"
    assert stored["schemas"]["1"]["required"] == ["id", "amount"]
    assert stored["schemas"]["1"]["examples"] == [{"id": "inv_1", "amount": 1200}]
    page = dash.get("/dashboard/event-types/invoice.paid?done=created").text
    assert "Event type created." in page
    # the tree names nested fields, types, requirement and facts
    for text in ('field-name">customer', 'field-name">email', "format email", "array of object",
                 'field-name">sku', "≥ 0", "one of: &#39;open&#39;, &#39;paid&#39;", "The invoice id"):  # fmt: skip
        assert text in page, text
    assert page.count(">required</span>") == 2
    assert "&#34;amount&#34;: 1200" in page  # the example payload
    # the test-event form loads this example
    example = dash.get(f"{shop.base}/test/example", params={"event_type": "invoice.paid"}).text
    assert "inv_1" in example


def test_catalog_groups_searches_and_hides_archived_until_asked(shop: Shop, dash: httpx.Client) -> None:
    make_invoice_paid(dash)
    shop.api.post(
        "/api/v1/event-type",
        json={"name": "user.created", "description": "A user signed up", "groupName": "user"},
    )
    shop.api.post("/api/v1/event-type", json={"name": "misc.ping", "description": "Heartbeat"})
    shop.api.post("/api/v1/event-type", json={"name": "old.thing", "description": "gone", "archived": True})
    page = dash.get("/dashboard/event-types").text
    # named groups in order, the ungrouped last
    assert page.index(">invoice <") < page.index(">user <") < page.index(">Other <")
    assert "old.thing" not in page and "Show archived (1)" in page
    assert "old.thing" in dash.get("/dashboard/event-types?archived=1").text
    found = dash.get("/dashboard/event-types", params={"q": "SIGNED"}).text
    assert "user.created" in found and "invoice.paid" not in found and "1 of 3 event types" in found
    none = dash.get("/dashboard/event-types", params={"q": "zzz"})
    assert none.status_code == 200 and "No event type matches" in none.text


def test_editing_keeps_other_versions_and_archiving_asks_then_restores(
    shop: Shop, dash: httpx.Client
) -> None:
    make_invoice_paid(dash)
    form = dash.get("/dashboard/event-types/invoice.paid/edit").text
    assert "An invoice was paid" in form and "inv_1" in form
    schema = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    resp = dash.post("/dashboard/event-types/invoice.paid/edit", data={
        "csrf": csrf(form), "description": "Paid in full", "group_name": "billing", "deprecated": "1",
        "schema": json.dumps(schema), "example": json.dumps({"id": "inv_2"}),
    })  # fmt: skip
    assert resp.status_code == 303, resp.text
    stored = shop.api.get("/api/v1/event-type/invoice.paid?with_content=true").json()
    assert stored["deprecated"] is True and stored["groupName"] == "billing"
    assert stored["schemas"]["1"]["examples"] == [{"id": "inv_2"}]
    page = dash.get("/dashboard/event-types/invoice.paid").text
    assert "deprecated" in page and 'data-confirm="Archive invoice.paid?' in page
    archived = dash.post("/dashboard/event-types/invoice.paid/archive", data={"csrf": csrf(page)})
    assert archived.status_code == 303
    assert shop.api.get("/api/v1/event-type/invoice.paid").json()["archived"] is True
    restored = dash.post(
        "/dashboard/event-types/invoice.paid/archive", data={"csrf": csrf(page), "restore": "1"}
    )
    assert restored.status_code == 303
    assert shop.api.get("/api/v1/event-type/invoice.paid").json()["archived"] is False


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"name": "bad name!"}, 422, "name"),
        ({"name": "x.y", "schema": "{not json"}, 422, "not JSON"),
        ({"name": "x.y", "schema": "[1]"}, 422, "must be a JSON object"),
        ({"name": "x.y", "schema": '{"type": 5}'}, 422, "not a valid JSON Schema"),
        (
            {"name": "x.y", "schema": '{"properties": {"a": {"minimum": "low"}}}'},
            422,
            "not a valid JSON Schema",
        ),
        (
            {"name": "x.y", "schema": json.dumps(INVOICE_SCHEMA), "example": '{"id": 5}'},
            422,
            "does not match",
        ),
        ({"name": "x.y", "example": "[1, 2]"}, 422, "must be a JSON object"),
        ({"name": "x.y", "schema": "[" * 5000 + "]" * 5000}, 422, "nests"),
        (
            {
                "name": "x.y",
                "schema": json.dumps({"properties": {f"p{i}": {"type": "string"} for i in range(4000)}}),
            },
            422,
            "KiB",
        ),
        ({"name": "x.y", "schema": " " + "1" * 300_000}, 413, "KiB"),
        # a pattern that backtracks exponentially in Python's re: answered at once, the example refused
        (
            {
                "name": "x.y",
                "schema": '{"properties": {"a": {"type": "string", "pattern": "^(a+)+$"}}}',
                "example": json.dumps({"a": "a" * 5000 + "!"}),
            },
            422,
            "does not match",
        ),
        (
            {
                "name": "x.y",
                "schema": '{"patternProperties": {"^(x+)+$": {}}, "additionalProperties": false}',
                "example": json.dumps({"x" * 5000 + "!": 1}),
            },
            422,
            "additional properties are not allowed",
        ),
        (
            {
                "name": "x.y",
                "schema": '{"properties": {"a": {"type": "string", "pattern": "(?=x)y"}}}',
                "example": '{"a": "y"}',
            },
            422,
            "no lookaround",
        ),
    ],
)
def test_hostile_forms_are_answered_with_a_rendered_4xx(
    shop: Shop, dash: httpx.Client, fields: dict[str, str], status: int, says: str
) -> None:
    resp = create_form(dash, **fields)
    assert resp.status_code == status, resp.text[:500]
    assert "<form" in resp.text and says in resp.text
    assert shop.api.get("/api/v1/event-type/x.y").status_code == 404


def test_taken_name_is_a_409_on_the_form(shop: Shop, dash: httpx.Client) -> None:
    make_invoice_paid(dash)
    again = create_form(dash, name="invoice.paid")
    assert again.status_code == 409 and "already exists" in again.text


def test_event_type_pages_need_an_administrator(shop: Shop) -> None:
    anonymous = httpx.Client(base_url=shop.server.url, follow_redirects=False, timeout=20)
    assert anonymous.get("/dashboard/event-types").status_code == 303
    assert anonymous.post("/dashboard/event-types/new", data={"name": "x"}).status_code == 401
    portal = portal_client(shop)
    assert portal.get(f"{shop.server.url}/dashboard/event-types").status_code == 303
    missing = httpx.Client(base_url=shop.server.url, follow_redirects=False, timeout=20)
    missing.cookies = portal.cookies
    assert missing.get("/dashboard/event-types/new").status_code == 303


def test_portal_catalog_is_read_only_without_archived_or_flagged_types(
    shop: Shop, dash: httpx.Client
) -> None:
    make_invoice_paid(dash)
    shop.api.post(
        "/api/v1/event-type", json={"name": "beta.thing", "description": "beta", "featureFlags": ["beta"]}
    )
    shop.api.post("/api/v1/event-type", json={"name": "old.thing", "description": "gone", "archived": True})
    base = f"{shop.server.url}/dashboard/portal/{shop.app_id}/event-types"
    plain = portal_client(shop)
    page = plain.get(base).text
    assert "invoice.paid" in page and "beta.thing" not in page and "old.thing" not in page
    assert "New event type" not in page and "Show archived" not in page
    detail = plain.get(base + "/invoice.paid").text
    assert "The invoice id" in detail and "Edit" not in detail and "Archive" not in detail
    assert plain.get(base + "/beta.thing").status_code == 404
    assert plain.get(base + "/old.thing").status_code == 404
    flagged = portal_client(shop, featureFlags=["beta"])
    assert "beta.thing" in flagged.get(base).text
    # a portal link for another application does not open this catalog
    other = shop.api.post("/api/v1/app", json={"name": "Other", "uid": "other"}).json()["id"]
    assert plain.get(f"{shop.server.url}/dashboard/portal/{other}/event-types").status_code in (403, 404)
