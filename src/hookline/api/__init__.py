"""The HTTP API: Svix-compatible ``/api/v1``."""

from __future__ import annotations

from hookline.api.app import create_app

__all__ = ["create_app"]
