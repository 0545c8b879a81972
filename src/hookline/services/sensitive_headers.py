"""Custom endpoint headers that hold credentials are never shown again, as Svix does.

Their names are listed in the headers answer's ``sensitive`` field; their values stay stored (and
are sent with every delivery) but never leave the server through the API or the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping

# Svix's list (svix-server, EndpointHeadersOut::SENSITIVE_HEADERS), compared case-insensitively
SENSITIVE = frozenset(
    {"x-auth-token", "www-authenticate", "authorization", "proxy-authenticate", "proxy-authorization"}
)
# what the dashboard shows in place of a sensitive value; saving it back keeps the stored value
HIDDEN = "(hidden)"


def is_sensitive(name: str) -> bool:
    """True for a header whose value is a credential."""
    return name.lower() in SENSITIVE


def split(headers: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The headers that may be shown, and the names of the sensitive ones."""
    shown = {k: v for k, v in headers.items() if not is_sensitive(k)}
    return shown, sorted(k for k in headers if is_sensitive(k))


def keep_hidden(new: Mapping[str, str], stored: Mapping[str, str]) -> dict[str, str]:
    """``new`` as edited in a form, where a sensitive header left at ``HIDDEN`` keeps its stored value."""
    lowered = {k.lower(): v for k, v in stored.items()}
    return {k: (lowered.get(k.lower(), v) if v == HIDDEN and is_sensitive(k) else v) for k, v in new.items()}
