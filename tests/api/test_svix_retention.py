"""Expunged payloads through the official ``svix`` SDK: on request (expunge_content) and past retention."""

from __future__ import annotations

import time

from svix.api import ApplicationOut, MessageGetOptions, MessageIn, MessageListOptions, Svix
from svix.exceptions import HttpError

from hookline.ops.retention import RetentionRunner
from hookline.opsconfig import RetentionSettings
from tests.support.servers import HooklineServer

EXPIRED = {"expired": True}
CONTENT = MessageGetOptions(with_content=True)


def test_expunge_content_keeps_the_message_and_shows_it_expired(svix: Svix, app: ApplicationOut) -> None:
    msg = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"secret": "s3"}))
    other = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"keep": 1}))
    svix.message.expunge_content(app.id, msg.id)
    assert svix.message.get(app.id, msg.id, CONTENT).payload == EXPIRED
    assert svix.message.get(app.id, other.id, CONTENT).payload == {"keep": 1}
    listed = {
        m.id: m.payload
        for m in svix.message.list(app.id, MessageListOptions(limit=10, with_content=True)).data
    }
    assert listed == {msg.id: EXPIRED, other.id: {"keep": 1}}
    try:
        svix.message.expunge_content(app.id, "msg_nonexistent")
    except HttpError as exc:
        assert exc.status_code == 404
    else:
        raise AssertionError("expunging an unknown message must answer 404")


def test_payloads_past_their_retention_are_expunged(
    svix: Svix, app: ApplicationOut, hookline_server: HooklineServer
) -> None:
    short = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload={"a": 1}, payload_retention_hours=1)
    )
    default = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"b": 2}))
    # the server's own retention pass, two hours on
    runner = RetentionRunner(
        hookline_server.app.state.runtime.store.db,
        RetentionSettings(pause_seconds=0.0),
        clock=lambda: time.time() + 2 * 3600,
        holder="test-runner",
    )
    report = hookline_server.run(runner.run_once())
    assert report is not None and report.payloads_expunged == 1
    assert svix.message.get(app.id, short.id, CONTENT).payload == EXPIRED
    assert svix.message.get(app.id, default.id, CONTENT).payload == {"b": 2}
