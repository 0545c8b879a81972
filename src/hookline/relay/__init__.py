"""Local-development relay: a public ingress URL whose requests reach an app on localhost.

``hookline serve`` offers channels (``router``, mounted by the API); ``hookline listen`` (``Listen``)
or the stock ``smee-client`` connects out to a channel and forwards each request to the local app.
"""

from __future__ import annotations

from hookline.relay.listen import Forwarded, Listen, ListenOptions, RelayError
from hookline.relay.routes import MAX_BODY_BYTES, router

__all__ = ["MAX_BODY_BYTES", "Forwarded", "Listen", "ListenOptions", "RelayError", "router"]
