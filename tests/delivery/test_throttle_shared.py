"""An endpoint's throttleRate holds across worker processes: they share its send slots through the store."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from hookline.config import DeliverySettings, parse_networks
from hookline.delivery import Wakeup, Worker
from hookline.ids import new_id
from hookline.store.records import Application, Endpoint, Message, NewMessage
from hookline.store.store import Store
from tests.delivery.test_throttle import assert_rate_held
from tests.support.servers import RecordingReceiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RATE = 4
MESSAGES = 16
# two in flight each, so neither worker can take the whole backlog while the other looks on
SETTINGS = DeliverySettings(
    allowed_targets=parse_networks("127.0.0.0/8"),
    max_in_flight=2,
    claim_batch=2,
    idle_recheck_seconds=0.2,
    lease_seconds=10.0,
    jitter=0.0,
)


async def test_two_workers_together_keep_to_an_endpoints_rate(
    database_url: str, receiver: RecordingReceiver
) -> None:
    # each on its own connections, as two `hookline worker` processes would be
    stores = [await Store.connect(database_url), await Store.connect(database_url, run_migrations=False)]
    workers = [Worker(s, SETTINGS, Wakeup()) for s in stores]
    try:
        now = time.time()
        app = await stores[0].create_app(Application(new_id("app"), "a", created_at=now, updated_at=now))
        ep = Endpoint(
            new_id("ep"), app.id, receiver.url + "/hook", throttle_rate=RATE, created_at=now, updated_at=now
        )
        await stores[0].create_endpoint(ep, SECRET)
        sent = [
            Message(new_id("msg"), app.id, "user.created", f'{{"n":{n}}}', created_at=now)
            for n in range(MESSAGES)
        ]
        await stores[0].accept_messages([NewMessage(m) for m in sent])
        for w in workers:
            await w.start()
        deadline = time.time() + 30
        while len(receiver.requests) < MESSAGES and time.time() < deadline:
            await asyncio.sleep(0.02)
        for w in workers:
            await w.stop()
        got = list(receiver.requests)
        assert Counter(r.headers["webhook-id"] for r in got) == Counter(m.id for m in sent), "each once"
        assert all(w.delivered > 0 for w in workers), [w.delivered for w in workers]
        assert_rate_held(got, RATE)
    finally:
        for w in workers:
            await w.stop()
        for s in stores:
            await s.close()
