"""A webhook receiver in one file: verifies every delivery and prints it (standard library + hookline).

    export WEBHOOK_SECRET=whsec_...       # the endpoint's signing secret
    python examples/receiver.py           # listens on http://127.0.0.1:3000/webhooks

Answers 204 to a delivery whose signature verifies, 401 (and says why on the terminal) to one that
does not. It needs only the bare ``hookline`` package (``pip install -e .``), not the server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hookline.signing import Webhook, WebhookVerificationError, diagnose


def summary(event: object) -> str:
    """A Clerk event as its type and the id of what it is about; any other payload as JSON."""
    if isinstance(event, dict) and isinstance(event.get("data"), dict) and "type" in event:
        return f"{event['type']} {event['data'].get('id')}"
    return json.dumps(event)


def make_handler(secret: str) -> type[BaseHTTPRequestHandler]:
    """A request handler that verifies with ``secret`` and prints what it got."""
    webhook = Webhook(secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = dict(self.headers.items())
            try:
                event = webhook.verify(body, headers)  # the raw bytes, before anything parses them
            except WebhookVerificationError:
                print(f"refused {self.path}: {diagnose(headers, body, secret)}", flush=True)
                self.send_response(401)
                self.end_headers()
                return
            print(f"verified {headers.get('webhook-id')}: {summary(event)}", flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass  # one line per delivery is printed above

    return Handler


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3000, help="port to listen on (default 3000)")
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET"), help="default: $WEBHOOK_SECRET")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("give the endpoint's signing secret: --secret whsec_… or WEBHOOK_SECRET")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(args.secret))
    print(f"receiving webhooks on http://127.0.0.1:{server.server_address[1]}/webhooks", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
