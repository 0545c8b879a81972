"""What a signed-in user may change about their own account, and what each change asks of them.

A password change needs the current password and ends every other session of the user; an email
change needs the current password too (or, for an account without one, a sign-in in the last
ten minutes), so a session left open on a shared machine cannot take the account over.
"""

from __future__ import annotations

from hookline.identity.errors import IdentityError
from hookline.identity.events import RequestInfo
from hookline.identity.resources import Session, User, now_ms
from hookline.identity.service import Identity

FRESH_SIGN_IN_MS = 10 * 60 * 1000


def wrong_current_password() -> IdentityError:
    """422 ``form_password_incorrect`` naming ``current_password``."""
    return IdentityError(422, "form_password_incorrect", "Password is incorrect.",
                         "The current password is incorrect.", {"param_name": "current_password"})  # fmt: skip


async def confirm_identity(
    ident: Identity, request: RequestInfo, session: Session, user: User, current_password: str | None
) -> None:
    """Refuse unless the user proved it is them: the current password, or a fresh sign-in without one."""
    if user.password_hash is None:
        if now_ms() - session.created_at > FRESH_SIGN_IN_MS:
            raise IdentityError(403, "session_reverification_required", "Sign in again to continue.",
                                "This change needs a sign-in from the last ten minutes.")  # fmt: skip
        return
    if not current_password or not await ident.passwords.check(
        ident.attempt(request, user), user.password_hash, current_password
    ):
        raise wrong_current_password()


async def change_password(
    ident: Identity, request: RequestInfo, session: Session, user: User, current: str | None, new: str
) -> User:
    """Set a new password after checking the current one; every other session of the user is revoked."""
    await confirm_identity(ident, request, session, user, current)
    return await ident.update_user(
        request, user.id, {"password": new, "sign_out_of_other_sessions": True}, keep_session_id=session.id
    )


async def change_email(
    ident: Identity, request: RequestInfo, session: Session, user: User, current: str | None, address: str
) -> User:
    """Replace the primary email address after checking the current password."""
    await confirm_identity(ident, request, session, user, current)
    return await ident.change_email(request, user, address)
