"""ed25519 endpoint secrets through the official ``svix`` SDKs: a ``whsk_`` signing key accepted on create
and rotate, ``get_secret`` answering its ``whpk_`` public key (as svix-server does), and deliveries signed
``v1a`` that verify with that public key.

The svix and standardwebhooks packages (Python and npm) verify only ``v1`` (HMAC) signatures, so ``v1a`` is
checked with ``cryptography`` and with ``node:crypto``; the test below that the packages reject a ``v1a``-only
delivery keeps the documentation of that limitation honest."""

from __future__ import annotations

import base64

import pytest
import standardwebhooks
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from svix.api import ApplicationOut, EndpointIn, EndpointSecretRotateIn, MessageIn, Svix
from svix.exceptions import HTTPValidationError
from svix.webhooks import Webhook as SvixWebhook
from svix.webhooks import WebhookVerificationError

from hookline.signing import Webhook, generate_keypair
from tests.api.helpers import lower
from tests.api.node_sdk import NodeSdk
from tests.support.servers import Received, RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")

RAW = serialization.Encoding.Raw


def svix_keypair() -> tuple[str, str]:
    """A key as svix-server writes one: ``whsk_`` + base64(seed ‖ public key), and its ``whpk_``."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    public = private.public_key().public_bytes(RAW, serialization.PublicFormat.Raw)
    return "whsk_" + base64.b64encode(seed + public).decode(), "whpk_" + base64.b64encode(public).decode()


def v1a_entries(rec: Received) -> list[bytes]:
    entries = lower(rec.headers)["webhook-signature"].split(" ")
    return [base64.b64decode(e.split(",", 1)[1]) for e in entries if e.startswith("v1a,")]


def check_with_cryptography(public_key: str, rec: Received) -> None:
    """Verify the delivery's v1a signature from first principles: ed25519 over ``id.timestamp.body``."""
    headers = lower(rec.headers)
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key.removeprefix("whpk_")))
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + rec.body
    signatures = v1a_entries(rec)
    assert signatures, headers["webhook-signature"]
    key.verify(signatures[0], content)  # raises InvalidSignature on a mismatch


def send(svix: Svix, app_id: str, receiver: RecordingReceiver, n: int) -> Received:
    svix.message.create(app_id, MessageIn(event_type="user.created", payload={"n": n}))
    return receiver.wait_for(n)[n - 1]


def test_an_endpoint_created_with_a_whsk_key_shows_its_public_key_and_signs_v1a(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    signing_key, public_key = svix_keypair()
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ed", secret=signing_key))
    assert svix.endpoint.get_secret(app.id, ep.id).key == public_key
    rec = send(svix, app.id, receiver, 1)
    assert lower(rec.headers)["webhook-signature"].startswith("v1a,")
    assert lower(rec.headers)["svix-signature"] == lower(rec.headers)["webhook-signature"]
    check_with_cryptography(public_key, rec)
    assert Webhook(public_key).verify(rec.body, rec.headers) == {"n": 1}


def test_the_python_svix_and_standardwebhooks_packages_do_not_verify_v1a(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    signing_key, public_key = svix_keypair()
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ed", secret=signing_key))
    rec = send(svix, app.id, receiver, 1)
    # neither accepts a public key (they base64-decode it as an HMAC key) nor any v1a entry
    with pytest.raises(WebhookVerificationError):
        SvixWebhook(svix.endpoint.get_secret(app.id, ep.id).key).verify(rec.body, rec.headers)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(public_key.removeprefix("whpk_")).verify(rec.body, lower(rec.headers))


def test_a_32_byte_seed_key_as_hookline_generates_it_is_accepted(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    pair = generate_keypair()
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/seed", secret=pair.signing_key))
    assert svix.endpoint.get_secret(app.id, ep.id).key == pair.public_key
    check_with_cryptography(pair.public_key, send(svix, app.id, receiver, 1))


def test_rotating_from_hmac_to_ed25519_signs_v1_and_v1a_during_the_grace_period(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/rot"))
    old = svix.endpoint.get_secret(app.id, ep.id).key
    signing_key, public_key = svix_keypair()
    out = svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(key=signing_key))
    assert out.key == public_key == svix.endpoint.get_secret(app.id, ep.id).key
    rec = send(svix, app.id, receiver, 1)
    versions = sorted(e.split(",")[0] for e in lower(rec.headers)["webhook-signature"].split(" "))
    assert versions == ["v1", "v1a"]
    SvixWebhook(old).verify(rec.body, rec.headers)  # the old HMAC secret still verifies its v1 entry
    check_with_cryptography(public_key, rec)


def test_rotating_an_ed25519_endpoint_without_a_key_goes_back_to_a_generated_hmac_secret(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    signing_key, _ = svix_keypair()
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/back", secret=signing_key))
    out = svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(grace_period_seconds=0))
    assert out.key.startswith("whsec_")
    rec = send(svix, app.id, receiver, 1)
    assert not v1a_entries(rec)
    SvixWebhook(out.key).verify(rec.body, rec.headers)


@pytest.mark.parametrize(
    "secret",
    [
        "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=",  # a public key cannot sign
        "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kv",  # cut short
        # svix-server's own test key with its public half altered: a corrupted key
        "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlaaaaaaaaaaAJ6p9lMicMFs6Kvg==",
        "whsk_%%%",
    ],
)
def test_a_malformed_ed25519_key_is_refused_on_create_and_rotate(
    svix: Svix, app: ApplicationOut, secret: str
) -> None:
    with pytest.raises(HTTPValidationError) as err:
        svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook", secret=secret))
    assert err.value.detail[0].loc[-1] in ("secret", "key")
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook"))
    before = svix.endpoint.get_secret(app.id, ep.id).key
    with pytest.raises(HTTPValidationError):
        svix.endpoint.rotate_secret(app.id, ep.id, EndpointSecretRotateIn(key=secret))
    assert svix.endpoint.get_secret(app.id, ep.id).key == before


def test_svix_servers_own_test_key_gives_its_public_key(svix: Svix, app: ApplicationOut) -> None:
    # the key and public key of svix-server's endpoint secret tests
    key = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
    ep = svix.endpoint.create(app.id, EndpointIn(url="https://example.com/hook", secret=key))
    assert svix.endpoint.get_secret(app.id, ep.id).key == "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="


def test_the_npm_sdk_creates_and_rotates_ed25519_endpoints_and_node_crypto_verifies_v1a(
    node_sdk: NodeSdk, app: ApplicationOut, receiver: RecordingReceiver, svix: Svix
) -> None:
    first_key, first_public = svix_keypair()
    second_key, second_public = svix_keypair()
    out = node_sdk.run(
        ("endpoint.create", [app.id, {"url": receiver.url + "/js", "secret": first_key}]),
        ("endpoint.getSecret", [app.id, {"$result": [0, "id"]}]),
        ("endpoint.rotateSecret", [app.id, {"$result": [0, "id"]}, {"key": second_key}]),
        ("endpoint.getSecret", [app.id, {"$result": [0, "id"]}]),
        ("message.create", [app.id, {"eventType": "user.created", "payload": {"from": "node"}}]),
    )
    assert all(o.ok for o in out), out
    assert out[1].result["key"] == first_public
    assert out[3].result["key"] == second_public
    rec = receiver.wait_for(1)[0]
    assert len(v1a_entries(rec)) == 2  # the replaced key signs beside the new one for a day
    body = rec.body.decode()
    for public_key in (first_public, second_public):
        verified, payload = node_sdk.verify("ed25519", public_key, lower(rec.headers), body)
        assert verified, payload
        assert payload == {"from": "node"}
    verified, _ = node_sdk.verify("ed25519", svix_keypair()[1], lower(rec.headers), body)
    assert not verified
    for lib in ("svix", "standardwebhooks"):  # the npm packages verify v1 only
        verified, _ = node_sdk.verify(lib, second_public, lower(rec.headers), body)
        assert not verified
