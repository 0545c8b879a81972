"""``message.expunge_content`` and ``message_attempt.expunge_content`` through the official ``svix`` SDK:
the payload or response body goes, the records stay (as svix-server does)."""

from __future__ import annotations

import pytest
from svix.api import ApplicationOut, EndpointIn, MessageGetOptions, MessageIn, MessageListOptions, Svix
from svix.exceptions import HttpError

from tests.api.helpers import attempts_of, wait_until
from tests.support.servers import RecordingReceiver

pytestmark = pytest.mark.usefixtures("event_types")

# the SDK (v2) asks for no payloads unless told to
WITH_CONTENT = MessageGetOptions(with_content=True)


def delivered(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver, **payload: object
) -> tuple[str, str]:
    """A message delivered once to a fresh endpoint; its id and endpoint id."""
    ep = svix.endpoint.create(app.id, EndpointIn(url=receiver.url + "/x"))
    msg = svix.message.create(
        app.id, MessageIn(event_type="user.created", payload=payload or {"secret": "s3"})
    )
    wait_until(lambda: attempts_of(svix, app.id, msg.id), what="the attempt")
    return msg.id, ep.id


def test_expunged_message_keeps_its_record_but_not_its_payload(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    msg_id, ep_id = delivered(svix, app, receiver)
    assert svix.message.get(app.id, msg_id, WITH_CONTENT).payload == {"secret": "s3"}
    svix.message.expunge_content(app.id, msg_id)
    msg = svix.message.get(app.id, msg_id, WITH_CONTENT)
    assert msg.id == msg_id and msg.event_type == "user.created"
    assert "s3" not in str(msg.payload)
    assert "s3" not in str(
        [m.payload for m in svix.message.list(app.id, MessageListOptions(with_content=True)).data]
    )
    assert len(attempts_of(svix, app.id, msg_id)) == 1
    with pytest.raises(HttpError) as err:
        svix.message_attempt.resend(app.id, msg_id, ep_id)
    assert err.value.status_code == 400


def test_expunging_an_unknown_message_is_404(svix: Svix, app: ApplicationOut) -> None:
    with pytest.raises(HttpError) as err:
        svix.message.expunge_content(app.id, "msg_2ZvQ6uRZ9hS5JwtYcVxXHSK6v8W")
    assert err.value.status_code == 404


def test_expunged_attempt_reads_expunged_and_keeps_the_rest(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    msg_id, _ = delivered(svix, app, receiver)
    (attempt,) = attempts_of(svix, app.id, msg_id)
    svix.message_attempt.expunge_content(app.id, msg_id, attempt.id)
    after = svix.message_attempt.get(app.id, msg_id, attempt.id)
    assert after.response == "EXPUNGED"
    assert (after.id, after.response_status_code, after.status, after.timestamp) == (
        attempt.id, attempt.response_status_code, attempt.status, attempt.timestamp,
    )  # fmt: skip
    assert svix.message.get(app.id, msg_id, WITH_CONTENT).payload == {
        "secret": "s3"
    }  # the message keeps its payload


def test_expunging_an_attempt_of_another_message_or_none_is_404(
    svix: Svix, app: ApplicationOut, receiver: RecordingReceiver
) -> None:
    first, _ = delivered(svix, app, receiver)
    second = svix.message.create(app.id, MessageIn(event_type="user.created", payload={"n": 2})).id
    (attempt,) = attempts_of(svix, app.id, first)
    for msg_id, attempt_id in ((second, attempt.id), (first, "atmpt_2ZvQ6uRZ9hS5JwtYcVxXHSK6v8W"),
                               ("msg_2ZvQ6uRZ9hS5JwtYcVxXHSK6v8W", attempt.id)):  # fmt: skip
        with pytest.raises(HttpError) as err:
            svix.message_attempt.expunge_content(app.id, msg_id, attempt_id)
        assert err.value.status_code == 404
    assert svix.message_attempt.get(app.id, first, attempt.id).response != "EXPUNGED"
