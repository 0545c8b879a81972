"""An app-portal token as an API key, through the official ``svix`` SDK (as Svix's React hooks and custom
portals use it): its own application's endpoints, messages, attempts and the event-type catalog, within
its capabilities, and nothing else; expiry, expire-all and logout end it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from svix.api import (
    ApplicationIn,
    ApplicationOut,
    ApplicationTokenExpireIn,
    AppPortalAccessIn,
    EndpointIn,
    EndpointPatch,
    EndpointSecretRotateIn,
    EventExampleIn,
    EventTypeIn,
    MessageIn,
    Svix,
    SvixOptions,
)
from svix.exceptions import HttpError

from tests.support.servers import HooklineServer, RecordingReceiver


def as_customer(server: HooklineServer, token: str) -> Svix:
    return Svix(token, SvixOptions(server_url=server.url))


def status_of(call: object) -> int:
    with pytest.raises(HttpError) as info:
        call()  # type: ignore[operator]
    return info.value.status_code


@pytest.fixture
def other(svix: Svix) -> ApplicationOut:
    return svix.application.create(ApplicationIn(name="Other", uid="other"))


@pytest.fixture
def customer(svix: Svix, app: ApplicationOut, hookline_server: HooklineServer) -> Iterator[tuple[Svix, str]]:
    token = svix.authentication.app_portal_access(app.id, AppPortalAccessIn()).token
    client = as_customer(hookline_server, token)
    yield client, token
    client._httpx_client.close()


def test_portal_token_manages_its_own_applications_endpoints(
    svix: Svix, app: ApplicationOut, other: ApplicationOut, customer: tuple[Svix, str],
    receiver: RecordingReceiver,
) -> None:  # fmt: skip
    client, _ = customer
    svix.event_type.create(EventTypeIn(name="invoice.paid", description="paid",
                                       schemas={"1": {"examples": [{"invoice": "in_1"}]}}))  # fmt: skip
    svix.event_type.create(EventTypeIn(name="beta.thing", description="flagged", feature_flags=["beta"]))
    assert client.application.get(app.id).name == "Acme"
    ep = client.endpoint.create("acme", EndpointIn(url=receiver.url + "/mine", filter_types=["invoice.paid"]))
    assert [e.id for e in client.endpoint.list(app.id).data] == [ep.id]
    client.endpoint.patch(app.id, ep.id, EndpointPatch(description="billing"))
    assert svix.endpoint.get(app.id, ep.id).description == "billing"
    assert client.endpoint.get_secret(app.id, ep.id).key.startswith("whsec_")
    msg = client.endpoint.send_example(app.id, ep.id, EventExampleIn(event_type="invoice.paid"))
    assert b"in_1" in receiver.wait_for(1, path="/mine")[0].body
    assert client.message.get(app.id, msg.id).event_type == "invoice.paid"
    assert any(m.id == msg.id for m in client.message.list(app.id).data)
    # the receiver has the request before the worker has recorded the attempt: wait for the record
    deadline = time.time() + 15
    while not client.message_attempt.list_by_msg(app.id, msg.id).data:
        assert time.time() < deadline, "the attempt was never recorded"
        time.sleep(0.05)
    names = [t.name for t in client.event_type.list().data]
    assert "invoice.paid" in names and "beta.thing" not in names  # no feature flag, no flagged types
    assert status_of(lambda: client.event_type.get("beta.thing")) == 404
    client.endpoint.delete(app.id, ep.id)
    assert client.endpoint.list(app.id).data == []


def test_portal_token_reaches_nothing_outside_its_application(
    svix: Svix, app: ApplicationOut, other: ApplicationOut, customer: tuple[Svix, str],
    receiver: RecordingReceiver,
) -> None:  # fmt: skip
    client, _ = customer
    svix.endpoint.create(other.id, EndpointIn(url=receiver.url + "/theirs"))
    refused = {
        "list apps": lambda: client.application.list(),
        "create app": lambda: client.application.create(ApplicationIn(name="x")),
        "delete own app": lambda: client.application.delete(app.id),
        "other's endpoints": lambda: client.endpoint.list(other.id),
        "other's app": lambda: client.application.get(other.id),
        "other's messages": lambda: client.message.list(other.id),
        "create event type": lambda: client.event_type.create(EventTypeIn(name="x.y", description="x")),
        "new portal link": lambda: client.authentication.app_portal_access(app.id, AppPortalAccessIn()),
        "expire all": lambda: client.authentication.expire_all(app.id, ApplicationTokenExpireIn()),
        # message creation is the operator's: the fast path hands it to the route, which refuses
        "create message": lambda: client.message.create(app.id, MessageIn(event_type="a.b", payload={})),
    }
    for what, call in refused.items():
        assert status_of(call) == 403, what
    assert status_of(lambda: client.message.create(other.id, MessageIn(event_type="a", payload={}))) == 403
    assert svix.message.list(app.id).data == []


@pytest.mark.parametrize(
    ("grant", "allowed", "refused"),
    [
        ({"read_only": True}, {"list"}, {"create", "secret", "rotate", "example"}),
        (
            {"capabilities": ["ViewBase", "ViewEndpointSecret"]},
            {"list", "secret"},
            {"create", "rotate", "example"},
        ),
        (
            {"capabilities": ["ViewBase", "CreateAttempts"]},
            {"list", "example"},
            {"create", "secret", "rotate"},
        ),
        (
            {"capabilities": ["ViewBase", "ManageEndpointSecret"]},
            {"list", "secret", "rotate"},
            {"create", "example"},
        ),
    ],
)
def test_read_only_and_capabilities_limit_the_token(
    svix: Svix, app: ApplicationOut, hookline_server: HooklineServer, receiver: RecordingReceiver,
    grant: dict[str, object], allowed: set[str], refused: set[str],
) -> None:  # fmt: skip
    svix.event_type.create(EventTypeIn(name="t.x", description="t", schemas={"1": {"examples": [{"a": 1}]}}))
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/cap"))
    token = svix.authentication.app_portal_access(app.id, AppPortalAccessIn(**grant)).token  # type: ignore[arg-type]
    client = as_customer(hookline_server, token)
    calls = {
        "list": lambda: client.endpoint.list(app.id),
        "create": lambda: client.endpoint.create(app.id, EndpointIn(url=receiver.url + "/new")),
        "secret": lambda: client.endpoint.get_secret(app.id, ep.id),
        "rotate": lambda: client.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn()),
        "example": lambda: client.endpoint.send_example(app.id, ep.id, EventExampleIn(event_type="t.x")),
    }
    for name in allowed:
        calls[name]()
    for name in refused:
        assert status_of(calls[name]) == 403, name
    client._httpx_client.close()


def test_logout_expire_all_and_expiry_end_the_token(
    svix: Svix, app: ApplicationOut, hookline_server: HooklineServer
) -> None:
    def works(token: str) -> bool:
        r = httpx.get(f"{hookline_server.url}/api/v1/app/{app.id}/endpoint",
                      headers={"authorization": f"Bearer {token}"})  # fmt: skip
        assert r.status_code in (200, 401), r.text
        return r.status_code == 200

    first = svix.authentication.app_portal_access(app.id, AppPortalAccessIn()).token
    second = svix.authentication.app_portal_access(app.id, AppPortalAccessIn()).token
    assert works(first) and works(second)
    as_customer(hookline_server, first).authentication.logout()
    assert not works(first) and works(second)
    svix.authentication.expire_all(app.id, ApplicationTokenExpireIn(expiry=0))
    assert not works(second)
    short = svix.authentication.app_portal_access(app.id, AppPortalAccessIn()).token
    hookline_server.run(_age_all_tokens(hookline_server))
    assert not works(short)


async def _age_all_tokens(server: HooklineServer) -> None:
    # expiry as time passing would make it: the row's expiry moved into the past
    async with server.app.state.runtime.store.db.transaction() as tx:
        await tx.execute("UPDATE portal_sessions SET expires_at = 1")
