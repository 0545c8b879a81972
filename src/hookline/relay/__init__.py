"""Local-development relay: a public ingress URL whose requests reach an app on localhost.

``hookline serve`` offers channels (``hookline.relay.routes``); ``hookline listen`` (``hookline.relay.listen``)
or the stock ``smee-client`` connects out to a channel and forwards each request to the local app.
"""

from __future__ import annotations

from hookline.relay.routes import MAX_BODY_BYTES, router

__all__ = ["MAX_BODY_BYTES", "router"]
