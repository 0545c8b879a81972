"""App-portal access: tokens that open one application's pages, their scope, and their end (as Svix's).

A token is a random value whose SHA-256 is stored (``store.auth_sessions``), so logout and
expire-all end it at once in every server process of one database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from hookline.services import portal_theme
from hookline.services.errors import OperationError
from hookline.services.models import PortalCapability
from hookline.services.portal_theme import PortalTheme
from hookline.services.runtime import Runtime
from hookline.store.auth_sessions import FRAME_PREFIX, PORTAL_PREFIX, AuthSessions, PortalSession

PORTAL_SECONDS = 7 * 24 * 3600  # a link's life when the caller names none
MIN_EXPIRY = 60
MAX_EXPIRY = 30 * 24 * 3600
MAX_EXPIRE_ALL_GRACE = 3 * 24 * 3600  # as Svix
# A page key (what portal pages carry in their URLs) lapses after an hour unused: it is written in
# the browser's history and this server's own request lines, so it must be worth little once idle.
PAGE_KEY_SECONDS = 3600

ALL_CAPABILITIES: tuple[str, ...] = get_args(PortalCapability)
# what each capability lets a portal holder do beyond looking (ViewBase); Svix's meanings
SEE_SECRET = frozenset({"ViewEndpointSecret", "ManageEndpointSecret", "ManageEndpoint"})
ROTATE_SECRET = frozenset({"ManageEndpointSecret", "ManageEndpoint"})
EDIT_ENDPOINT = frozenset({"ManageEndpoint"})
SEND = frozenset({"CreateAttempts"})  # resend, recover and test messages: they create attempts

__all__ = [
    "ALL_CAPABILITIES", "FRAME_PREFIX", "MAX_EXPIRE_ALL_GRACE", "MAX_EXPIRY", "PAGE_KEY_SECONDS", "PORTAL_PREFIX",
    "PORTAL_SECONDS",
]  # fmt: skip


def capabilities_of(read_only: bool, capabilities: Sequence[str] | None) -> tuple[str, ...]:
    """What a token may do: the capabilities named, ViewBase alone for ``readOnly``, else all of them."""
    if capabilities is not None:
        return tuple(capabilities)
    return ("ViewBase",) if read_only else ALL_CAPABILITIES


def session_capabilities(found: PortalSession) -> frozenset[str]:
    """The capabilities of a live portal session (tokens from before they were kept: by ``read_only``)."""
    return frozenset(capabilities_of(found.read_only, found.capabilities))


def sees_event_type(feature_flags: Sequence[str] | None, allowed: Sequence[str]) -> bool:
    """Whether a portal token holding the flags ``allowed`` sees an event type gated by ``feature_flags``
    (as Svix: one without a flag, or with one of the token's)."""
    return not feature_flags or any(flag in allowed for flag in feature_flags)


def portal_url(base_url: str, token: str) -> str:
    """The link that opens the portal: the token rides in the fragment, so no access log ever sees it."""
    return f"{base_url.rstrip('/')}/dashboard/portal/access#token={token}"


async def open_portal(
    rt: Runtime,
    app_id: str,
    seconds: float = PORTAL_SECONDS,
    read_only: bool = False,
    session_id: str | None = None,
    capabilities: Sequence[str] | None = None,
    feature_flags: Sequence[str] = (),
) -> str:
    """Issue a token for the portal of ``app_id`` (an id, not a uid), living ``seconds`` (clamped to
    one minute .. 30 days; the API refuses what Svix refuses first), with ``capabilities`` (all when
    None, ViewBase alone when ``read_only``) and the ``feature_flags`` whose event types it sees."""
    life = min(max(MIN_EXPIRY, seconds), MAX_EXPIRY)
    caps = capabilities_of(read_only, capabilities)
    return await AuthSessions(rt.store.db).open_portal(
        app_id, life, caps == ("ViewBase",), session_id, capabilities=caps, feature_flags=feature_flags
    )


async def expire_all(rt: Runtime, app_id: str, grace: float, session_ids: Sequence[str] | None) -> None:
    """End every token issued so far for the application after ``grace`` seconds (at most 3 days),
    or only those issued with one of ``session_ids``."""
    if grace > MAX_EXPIRE_ALL_GRACE:
        raise OperationError(422, "validation", f"expiry must be at most {MAX_EXPIRE_ALL_GRACE} seconds")
    await AuthSessions(rt.store.db).expire_portal(app_id, float(grace), session_ids)


async def logout(rt: Runtime, token: str) -> None:
    """End the caller's own app-portal token; an API token is refused (403), anything else is a 401."""
    if not token.startswith(PORTAL_PREFIX):
        if rt.token_ok(token):
            raise OperationError(403, "forbidden", "only an app-portal token can log out; API tokens are "
                                 "revoked with `hookline token revoke`")  # fmt: skip
        raise OperationError(401, "authentication_failed", "invalid token")
    if not await AuthSessions(rt.store.db).end_portal(token):
        raise OperationError(401, "authentication_failed", "invalid or expired token")


async def session(rt: Runtime, token: str | None) -> PortalSession | None:
    """The live session of an app-portal token, or None."""
    return await AuthSessions(rt.store.db).portal(token)


async def scoped(rt: Runtime, token: str | None, app_id: str) -> PortalSession:
    """The session of a token that opens ``app_id``'s portal; a 403 for any other token."""
    found = await session(rt, token)
    if found is None:
        raise OperationError(
            403, "forbidden", "This portal link has expired or is not valid. Ask for a new link."
        )
    if found.app_id != app_id:
        raise OperationError(403, "forbidden", "This portal link does not open that application.")
    return found


async def open_page_key(rt: Runtime, token: str, theme: PortalTheme | None = None) -> str | None:
    """A page key standing for a live portal token in page URLs, with the theme its link asked for
    (None when the token is not live)."""
    return await AuthSessions(rt.store.db).open_frame(
        token, PAGE_KEY_SECONDS, theme.to_json() if theme else None
    )


async def page_scoped(rt: Runtime, key: str, app_id: str) -> tuple[PortalSession, PortalTheme | None]:
    """The session behind a page key that opens ``app_id``'s portal, and the look its pages take (the
    link's theme over the application's); a 403 for any other key."""
    found = await AuthSessions(rt.store.db).frame(key, PAGE_KEY_SECONDS)
    if found is None:
        raise OperationError(
            403, "forbidden", "This portal page has expired or is not valid. Open the portal link again."
        )
    session, theme = found
    if session.app_id != app_id:
        raise OperationError(403, "forbidden", "This portal link does not open that application.")
    stored = await portal_theme.app_theme(rt, app_id)
    link = PortalTheme.from_json(theme)
    return session, (link.over(stored) if link else stored)
