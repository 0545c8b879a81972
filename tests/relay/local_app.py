"""A local FastAPI app that receives webhooks and verifies them, run as its own process.

    python tests/relay/local_app.py PORT WHSEC_SECRET

``POST /api/webhooks`` answers 204 for a verified delivery (401 otherwise) and keeps the event;
``GET /received`` lists what was verified; ``/echo`` answers 201 with the request it got.
"""

from __future__ import annotations

import base64
import sys
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from hookline.signing import Webhook, WebhookVerificationError


def build(secret: str) -> FastAPI:
    app = FastAPI()
    wh = Webhook(secret)
    received: list[dict[str, Any]] = []

    @app.post("/api/webhooks")
    async def webhooks(request: Request) -> Response:
        body = await request.body()
        try:
            event = wh.verify(body, request.headers)
        except WebhookVerificationError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        received.append({"id": request.headers.get("webhook-id"), "event": event})
        return Response(status_code=204, headers={"x-local-app": "yes"})

    @app.api_route("/echo", methods=["POST", "PUT", "PATCH", "DELETE"])
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "query": request.url.query,
                "headers": [[k, v] for k, v in request.headers.items()],
                "body": base64.b64encode(body).decode(),
            },
            status_code=201,
            headers={"x-echo": "1"},
        )

    @app.get("/received")
    async def listed() -> list[dict[str, Any]]:
        return received

    return app


if __name__ == "__main__":
    uvicorn.run(build(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
