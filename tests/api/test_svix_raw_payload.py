"""Raw payloads (the SDKs' ``message_in_raw`` / ``messageInRaw``: ``transformationsParams.rawPayload`` and a
``content-type`` header): sent byte for byte, with that Content-Type, signed over those bytes; answered
by the API as ``payload`` (the object, when the text is one) and hookline's ``rawPayload``."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook
from svix.api import (
    ApplicationOut,
    EndpointIn,
    MessageCreateOptions,
    MessageGetOptions,
    MessageListOptions,
    Svix,
)
from svix.api.message import message_in_raw
from svix.webhooks import Webhook

from tests.api.helpers import lower, wait_until
from tests.api.node_sdk import NODE_DIR, NodeSdk
from tests.support.servers import RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")

SPACED = '{ "b" : 1,\n  "a": "caf\\u00e9 \\/ x" }'  # whitespace and escapes Svix would otherwise minify
XML = "<?xml version='1.0'?>\n<order id=\"7\">caf\u00e9 &amp; more</order>"


def _endpoint(svix: Svix, app: ApplicationOut, receiver: RecordingReceiver, path: str) -> str:
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + path))
    return svix.endpoint.get_secret(app.id, ep.id).key


def test_a_raw_json_payload_goes_byte_for_byte_and_signed(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    secret = _endpoint(svix, app, receiver, "/json")
    out = svix.message.create(
        app.id, message_in_raw("user.created", SPACED), MessageCreateOptions(with_content=True)
    )
    assert out.payload == {"b": 1, "a": "caf\u00e9 / x"}
    assert svix.message.get(app.id, out.id, MessageGetOptions(with_content=True)).payload == {
        "b": 1,
        "a": "caf\u00e9 / x",
    }
    [got] = receiver.wait_for(1)
    assert got.body == SPACED.encode()
    assert lower(got.headers)["content-type"] == "application/json"
    Webhook(secret).verify(got.body, got.headers)  # raises unless signed over exactly these bytes
    assert StandardWebhook(secret).verify(got.body, got.headers) == {"b": 1, "a": "caf\u00e9 / x"}


def test_a_raw_xml_payload_keeps_its_content_type_and_reads_back(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver, raw: httpx.Client
) -> None:
    secret = _endpoint(svix, app, receiver, "/xml")
    out = svix.message.create(app.id, message_in_raw("user.created", XML, "application/xml; charset=utf-8"))
    assert out.payload == {}
    [got] = receiver.wait_for(1)
    assert got.body == XML.encode()
    assert lower(got.headers)["content-type"] == "application/xml; charset=utf-8"
    wh = Webhook(secret)
    wh.verify(got.body, got.headers)  # raises when the signature is not over these bytes
    # reading it back: the SDK's models take it, and hookline adds the text and its type
    assert svix.message.get(app.id, out.id, MessageGetOptions(with_content=True)).payload == {}
    listed = svix.message.list(app.id, MessageListOptions(with_content=True))
    assert [m.id for m in listed.data] == [out.id]
    one = raw.get(f"/api/v1/app/{app.id}/msg/{out.id}").json()
    assert (one["payload"], one["rawPayload"], one["contentType"]) == (
        {},
        XML,
        "application/xml; charset=utf-8",
    )
    hidden = raw.get(f"/api/v1/app/{app.id}/msg/{out.id}", params={"with_content": "false"}).json()
    assert hidden["payload"] == {} and "rawPayload" not in hidden
    page = raw.get(f"/api/v1/app/{app.id}/msg").json()["data"]
    assert page[0]["rawPayload"] == XML


def test_a_resent_raw_payload_is_sent_the_same_way(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    _endpoint(svix, app, receiver, "/again")
    out = svix.message.create(
        app.id, message_in_raw("user.created", "a=1&b=2", "application/x-www-form-urlencoded")
    )
    [first] = receiver.wait_for(1)
    [ep] = svix.endpoint.list(app.id).data
    svix.message_attempt.resend(app.id, out.id, ep.id)
    second = receiver.wait_for(2)[1]
    assert first.body == second.body == b"a=1&b=2"
    assert lower(second.headers)["content-type"] == "application/x-www-form-urlencoded"


def test_the_npm_sdk_message_in_raw(
    node_sdk: NodeSdk, svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    node = shutil.which("node")
    assert node is not None
    script = "import {messageInRaw} from 'svix'; process.stdout.write(JSON.stringify(messageInRaw(...JSON.parse(process.argv[1]))))"
    made = subprocess.run(
        [node, "--input-type=module", "-e", script, json.dumps(["user.created", XML, "text/xml"])],
        cwd=NODE_DIR, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    body: dict[str, Any] = json.loads(made.stdout)
    _endpoint(svix, app, receiver, "/node")
    [out] = node_sdk.run(("message.create", [app.id, body]))
    assert out.ok, out
    [got] = receiver.wait_for(1)
    assert (got.body, lower(got.headers)["content-type"]) == (XML.encode(), "text/xml")


@pytest.mark.parametrize(
    "params",
    [
        {"rawPayload": 5},
        {"rawPayload": "a\u0000b"},  # no database keeps a NUL in text
        {"rawPayload": "x", "transformation": "code"},  # transformations are not served
        {"rawPayload": "x", "headers": {"x-extra": "1"}},
        {"rawPayload": "x", "headers": {"content-type": "text/plain\r\nx-evil: 1"}},
        {"rawPayload": "x", "headers": {"content-type": "not a media type"}},
        {"rawPayload": "x", "headers": {"content-type": "text/" + "p" * 300}},
        {"rawPayload": "x", "headers": {"content-type": 7}},
        {"headers": {"content-type": "text/plain"}},  # a Content-Type without a raw payload
    ],
)
def test_what_a_raw_payload_cannot_be_is_refused(
    raw: httpx.Client, app: ApplicationOut, params: dict[str, Any]
) -> None:
    body = {"eventType": "user.created", "payload": {}, "transformationsParams": params}
    resp = raw.post(f"/api/v1/app/{app.id}/msg", json=body)
    assert resp.status_code == 422, (params, resp.text)
    assert raw.get(f"/api/v1/app/{app.id}/msg").json()["data"] == []


def test_raw_payload_and_a_json_payload_together_are_refused(raw: httpx.Client, app: ApplicationOut) -> None:
    body = {"eventType": "user.created", "payload": {"a": 1}, "transformationsParams": {"rawPayload": "x"}}
    assert raw.post(f"/api/v1/app/{app.id}/msg", json=body).status_code == 422


def test_a_lone_surrogate_in_a_raw_payload_is_refused(raw: httpx.Client, app: ApplicationOut) -> None:
    text = b'{"eventType":"user.created","payload":{},"transformationsParams":{"rawPayload":"\\ud800"}}'
    resp = raw.post(f"/api/v1/app/{app.id}/msg", content=text, headers={"content-type": "application/json"})
    assert resp.status_code == 422, resp.text


def test_a_raw_payload_over_the_limit_is_413(raw: httpx.Client, app: ApplicationOut) -> None:
    body = {
        "eventType": "user.created",
        "payload": {},
        "transformationsParams": {"rawPayload": "x" * (1024 * 1024 + 1)},
    }
    resp = raw.post(f"/api/v1/app/{app.id}/msg", json=body)
    assert resp.status_code == 413, resp.text


def test_a_deeply_nested_raw_payload_is_shown_as_text(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver, raw: httpx.Client
) -> None:
    _endpoint(svix, app, receiver, "/deep")
    deep = "[" * 5000 + "]" * 5000
    out = svix.message.create(app.id, message_in_raw("user.created", deep))
    [got] = receiver.wait_for(1)
    assert got.body == deep.encode()
    assert raw.get(f"/api/v1/app/{app.id}/msg/{out.id}").json()["rawPayload"] == deep
    wait_until(lambda: raw.get(f"/api/v1/app/{app.id}/attempt/msg/{out.id}").json()["data"])


def test_the_java_sdks_empty_string_payload_beside_a_raw_one(
    raw: httpx.Client, app: ApplicationOut, svix: Svix, receiver: RecordingReceiver
) -> None:
    _endpoint(svix, app, receiver, "/java")
    # messageInRaw of the Java and Kotlin SDKs sends "" as payload
    java = {"eventType": "user.created", "payload": "", "transformationsParams": {"rawPayload": "plain"}}
    assert raw.post(f"/api/v1/app/{app.id}/msg", json=java).status_code == 202
    [got] = receiver.wait_for(1)
    assert got.body == b"plain"
    # without a raw payload, "" is no payload at all
    bare = {"eventType": "user.created", "payload": ""}
    assert raw.post(f"/api/v1/app/{app.id}/msg", json=bare).status_code == 422
