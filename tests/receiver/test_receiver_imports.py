"""``hookline.receiver`` needs no web framework, database driver or server-side hookline module."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCKED = (
    "starlette",
    "fastapi",
    "flask",
    "werkzeug",
    "django",
    "asyncpg",
    "aiosqlite",
    "pydantic",
    "aiohttp",
)

CHILD = textwrap.dedent(
    """
    import sys

    BLOCKED = set(sys.argv[1].split(","))

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is not installed here")
            return None

    sys.meta_path.insert(0, Block())

    import hookline.receiver
    import hookline.receiver.adapters
    from hookline.receiver import Inbox, Receiver
    from hookline.signing import Webhook

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    receiver = Receiver(secret)
    seen = []
    receiver.on("user.created")(seen.append)
    body = b'{"type": "user.created", "data": {"id": "user_1"}}'
    import time
    ts = int(time.time())
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(ts),
               "webhook-signature": Webhook(secret).sign("msg_1", ts, body)}
    assert receiver.handle_sync(body, headers).status == "accepted"
    assert seen[0].data.id == "user_1"
    Inbox("sqlite:///:memory:")

    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    server_side = sorted(
        m for m in sys.modules if m.startswith(("hookline.store", "hookline.delivery", "hookline.api",
                                                "hookline.identity", "hookline.cli"))
    )
    assert not loaded and not server_side, (loaded, server_side)
    print("ok")
    """
)


def test_the_receiver_imports_and_works_without_any_framework_or_driver() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, ",".join(BLOCKED)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
