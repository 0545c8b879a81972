"""``environment.export`` / ``import_`` through the official ``svix`` SDK: event types and settings as
Svix moves them, plus (hookline's addition) applications and endpoints with their ids and secrets, so a
configuration moves from one hookline server to another and keeps verifying."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from svix.api import (
    ApplicationIn,
    EndpointIn,
    EnvironmentIn,
    EventTypeIn,
    MessageIn,
    Svix,
    SvixOptions,
)
from svix.exceptions import HTTPValidationError
from svix.webhooks import Webhook

from tests.support.servers import HooklineServer, RecordingReceiver


@pytest.fixture
def second(tmp_path: Path) -> Iterator[tuple[HooklineServer, Svix]]:
    """Another hookline server with its own database: where an export is imported."""
    server = HooklineServer(f"sqlite:///{tmp_path / 'second.db'}").start()
    client = Svix(server.token, SvixOptions(server_url=server.url))
    yield server, client
    client._httpx_client.close()
    server.stop()


def test_an_export_moves_a_configuration_to_another_server(
    svix: Svix, raw: httpx.Client, second: tuple[HooklineServer, Svix], receiver: RecordingReceiver
) -> None:
    svix.event_type.create(
        EventTypeIn(name="order.paid", description="paid", schemas={"1": {"type": "object"}})
    )
    svix.environment.import_(EnvironmentIn(settings={"customColor": "#ff0000"}))
    app = svix.application.create(ApplicationIn(name="Shop", uid="shop", metadata={"k": "v"}))
    ep = svix.endpoint.create(
        app.id, EndpointIn(url=receiver.url + "/moved", uid="main", event_types=["order.paid"])
    )
    secret = svix.endpoint.get_secret(app.id, ep.id).key

    exported = raw.post("/api/v1/environment/export").json()
    sdk_view = svix.environment.export()  # the SDK reads Svix's part of it
    assert [e.name for e in sdk_view.event_types] == ["order.paid"]
    assert sdk_view.settings == {"customColor": "#ff0000"}

    server, other = second
    resp = httpx.post(f"{server.url}/api/v1/environment/import", json=exported,
                      headers={"authorization": f"Bearer {server.token}"})  # fmt: skip
    assert resp.status_code == 204, resp.text
    assert other.event_type.get("order.paid").schemas == {"1": {"type": "object"}}
    moved = other.application.get(app.id)
    assert (moved.uid, moved.name, moved.metadata) == ("shop", "Shop", {"k": "v"})
    moved_ep = other.endpoint.get(app.id, ep.id)
    assert (moved_ep.uid, moved_ep.event_types) == ("main", ["order.paid"])
    assert other.endpoint.get_secret(app.id, ep.id).key == secret
    assert other.environment.export().settings == {"customColor": "#ff0000"}

    other.message.create("shop", MessageIn(event_type="order.paid", payload={"from": "second"}))
    rec = receiver.wait_for(1, path="/moved")[0]
    Webhook(secret).verify(rec.body, rec.headers)

    # importing again adds nothing and changes no secret
    again = httpx.post(f"{server.url}/api/v1/environment/import", json=exported,
                       headers={"authorization": f"Bearer {server.token}"})  # fmt: skip
    assert again.status_code == 204
    assert [e.id for e in other.endpoint.list(app.id).data] == [ep.id]


def test_a_svix_shaped_import_sets_event_types_and_settings(svix: Svix) -> None:
    svix.environment.import_(EnvironmentIn(
        event_types=[EventTypeIn(name="a.b", description="first"), EventTypeIn(name="c.d", description="x", archived=True)],
        settings={"whiteLabel": True},
    ))  # fmt: skip
    assert svix.event_type.get("a.b").description == "first"
    assert svix.event_type.get("c.d").archived
    svix.environment.import_(EnvironmentIn(event_types=[EventTypeIn(name="a.b", description="second")]))
    assert svix.event_type.get("a.b").description == "second"
    assert svix.environment.export().settings == {"whiteLabel": True}  # left alone when not sent


def test_connectors_and_bad_records_are_refused(raw: httpx.Client, svix: Svix) -> None:
    resp = raw.post("/api/v1/environment/import", json={"connectors": [{"name": "x"}]})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"][-1] == "connectors"
    bad_id = raw.post("/api/v1/environment/import", json={"applications": [{"name": "n", "id": "app_short"}]})
    assert bad_id.status_code == 422
    bad_url = raw.post("/api/v1/environment/import", json={
        "applications": [{"name": "n", "endpoints": [{"url": "ftp://x"}]}],
    })  # fmt: skip
    assert bad_url.status_code == 422
    assert svix.application.list().data == []  # nothing of a refused import is stored
    with pytest.raises(HTTPValidationError):
        svix.environment.import_(EnvironmentIn(event_types=[EventTypeIn(name="bad name", description="")]))
