"""hookline: authentication events delivered as signed webhooks."""

from __future__ import annotations

from hookline.errors import HooklineError

__all__ = ["HooklineError", "__version__"]
__version__ = "0.1.0"
