"""The HTTP API: Svix-compatible ``/api/v1`` (``hookline.api.app.install``); the server mounts it."""
