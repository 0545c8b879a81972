"""Endpoint secret options through the official ``svix`` SDK: ``rotate_secret``'s ``key`` and
``gracePeriodSeconds`` take effect, its limit of ten replaced secrets, and a ``secret`` in a PUT or PATCH
of an existing endpoint (Svix changes secrets only by rotation) refused rather than ignored."""

from __future__ import annotations

import httpx
import pytest
from svix.api import (
    ApplicationOut,
    EndpointIn,
    EndpointPatch,
    EndpointSecretRotateIn,
    EndpointUpsertIn,
    MessageIn,
    Svix,
)
from svix.exceptions import HttpError, HTTPValidationError
from svix.webhooks import Webhook, WebhookVerificationError

from tests.api.helpers import lower
from tests.support.servers import Received, RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")

CHOSEN = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def send_and_receive(svix: Svix, app_id: str, receiver: RecordingReceiver, n: int) -> Received:
    svix.message.create(app_id, MessageIn(event_type="user.created", payload={"n": n}))
    return receiver.wait_for(n)[n - 1]


def signatures(rec: Received) -> list[str]:
    return lower(rec.headers)["webhook-signature"].split(" ")


def test_grace_period_zero_retires_the_old_secret_at_once(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/g0"))
    old = svix.endpoint.get_secret(app.id, ep.id).key
    rotated = svix.endpoint.rotate_secret(
        app.id, ep.id, EndpointSecretRotateIn(key=CHOSEN, grace_period_seconds=0)
    )
    assert rotated.key == CHOSEN == svix.endpoint.get_secret(app.id, ep.id).key
    rec = send_and_receive(svix, app.id, receiver, 1)
    assert len(signatures(rec)) == 1
    Webhook(CHOSEN).verify(rec.body, rec.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(rec.body, rec.headers)


def test_a_positive_grace_period_keeps_the_old_secret_signing(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/g1"))
    old = svix.endpoint.get_secret(app.id, ep.id).key
    svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(grace_period_seconds=60))
    new = svix.endpoint.get_secret(app.id, ep.id).key
    rec = send_and_receive(svix, app.id, receiver, 1)
    assert len(signatures(rec)) == 2
    Webhook(old).verify(rec.body, rec.headers)
    Webhook(new).verify(rec.body, rec.headers)


def test_a_grace_of_zero_leaves_older_replaced_secrets_their_own_time(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/g2"))
    first = svix.endpoint.get_secret(app.id, ep.id).key
    svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())  # first keeps signing a day
    second = svix.endpoint.get_secret(app.id, ep.id).key
    svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(key=CHOSEN, grace_period_seconds=0))
    rec = send_and_receive(svix, app.id, receiver, 1)
    assert len(signatures(rec)) == 2
    Webhook(first).verify(rec.body, rec.headers)
    Webhook(CHOSEN).verify(rec.body, rec.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(second).verify(rec.body, rec.headers)


@pytest.mark.parametrize("grace", [-1, 7 * 24 * 3600 + 1])
def test_a_grace_period_outside_0_to_7_days_is_refused(svix: Svix, app: ApplicationOut, grace: int) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    before = svix.endpoint.get_secret(app.id, ep.id).key
    with pytest.raises(HTTPValidationError) as err:
        svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(grace_period_seconds=grace))
    assert err.value.detail[0].loc[-1] in ("gracePeriodSeconds", "grace_period_seconds")
    assert svix.endpoint.get_secret(app.id, ep.id).key == before


def test_a_seven_day_grace_is_accepted(svix: Svix, app: ApplicationOut) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    out = svix.endpoint.rotate_secret(
        app.id, ep.id, EndpointSecretRotateIn(grace_period_seconds=7 * 24 * 3600)
    )
    assert out.key == svix.endpoint.get_secret(app.id, ep.id).key


def test_an_eleventh_secret_still_signing_is_refused_with_limit_reached(
    svix: Svix, app: ApplicationOut, raw: httpx.Client
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    for _ in range(10):
        svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn())
    current = svix.endpoint.get_secret(app.id, ep.id).key
    resp = raw.post(f"/api/v1/app/{app.id}/endpoint/{ep.id}/secret/rotate", json={})
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == "limit_reached"
    assert svix.endpoint.get_secret(app.id, ep.id).key == current
    # a rotation that retires the current secret at once adds none, so it is allowed
    out = svix.endpoint.rotate_secret(
        app.id, ep.id, EndpointSecretRotateIn(key=CHOSEN, grace_period_seconds=0)
    )
    assert out.key == CHOSEN


def test_an_invalid_key_is_refused(svix: Svix, app: ApplicationOut) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    with pytest.raises(HTTPValidationError):
        svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(key="whsec_tooshort"))


def test_a_secret_in_a_patch_is_refused_not_ignored(
    svix: Svix, app: ApplicationOut, raw: httpx.Client
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    before = svix.endpoint.get_secret(app.id, ep.id).key
    resp = raw.patch(f"/api/v1/app/{app.id}/endpoint/{ep.id}", json={"secret": CHOSEN, "description": "x"})
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "secret"]
    assert svix.endpoint.get_secret(app.id, ep.id).key == before
    assert svix.endpoint.get(app.id, ep.id).description == ""
    # naming the secret it already has changes nothing and is fine
    same = raw.patch(f"/api/v1/app/{app.id}/endpoint/{ep.id}", json={"secret": before, "description": "y"})
    assert same.status_code == 200, same.text
    assert svix.endpoint.patch(app.id, ep.id, EndpointPatch(description="z")).description == "z"


def test_a_secret_in_a_put_of_an_existing_endpoint_is_refused(
    svix: Svix, app: ApplicationOut, raw: httpx.Client
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook", uid="put-me"))
    before = svix.endpoint.get_secret(app.id, ep.id).key
    body = {"url": "https://example.com/other", "secret": CHOSEN}
    resp = raw.put(f"/api/v1/app/{app.id}/endpoint/{ep.id}", json=body)
    assert resp.status_code == 422, resp.text
    assert resp.json()["detail"][0]["loc"] == ["body", "secret"]
    assert svix.endpoint.get_secret(app.id, ep.id).key == before
    assert svix.endpoint.get(app.id, ep.id).url == "https://example.com/hook"
    # the SDK's upsert sends no secret: it keeps working
    out = svix.endpoint.upsert(app.id, ep.id, EndpointUpsertIn(url="https://example.com/other", uid="put-me"))
    assert out.url == "https://example.com/other"


def test_a_secret_in_a_put_that_creates_the_endpoint_is_its_secret(
    svix: Svix, app: ApplicationOut, raw: httpx.Client
) -> None:
    resp = raw.put(
        f"/api/v1/app/{app.id}/endpoint/fresh-uid", json={"url": "https://example.com/h", "secret": CHOSEN}
    )
    assert resp.status_code == 201, resp.text
    assert svix.endpoint.get_secret(app.id, "fresh-uid").key == CHOSEN


def test_rotate_on_an_unknown_endpoint_is_404(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HttpError) as err:
        svix.endpoint.rotate_secret(app.id, "ep_missing", EndpointSecretRotateIn(grace_period_seconds=0))
    assert err.value.status_code == 404
