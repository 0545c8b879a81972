"""Framework adapters: ``starlette`` (also FastAPI), ``flask`` and ``django``.

Import the one you use (``from hookline.receiver.adapters.flask import webhook_view``); this
package imports no framework itself, so ``hookline.receiver`` works with none installed.
"""

from __future__ import annotations

from hookline.receiver.adapters._responses import error_response, success_response

__all__ = ["error_response", "success_response"]
