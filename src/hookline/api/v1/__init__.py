"""The Svix-compatible ``/api/v1`` routes."""
