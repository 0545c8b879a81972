"""Identity errors, answered in Clerk's error body: ``{"errors": [{"message", "long_message", "code", "meta"}]}``."""

from __future__ import annotations

from typing import Any

from hookline.errors import HooklineError


class IdentityError(HooklineError):
    """An identity failure with an HTTP status and a stable Clerk error ``code``."""

    code = "identity_error"

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        long_message: str | None = None,
        meta: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, code=code)
        self.status = status
        self.long_message = long_message or message
        self.meta = meta or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Clerk answers with."""
        return {
            "errors": [
                {
                    "message": self.message,
                    "long_message": self.long_message,
                    "code": self.code,
                    "meta": self.meta,
                }
            ]
        }


class SecondFactorRequired(IdentityError):
    """The password was right but the user has a second factor: the sign-in waits for it (identity/mfa.py)."""

    def __init__(self, user_id: str, azp: str | None) -> None:
        super().__init__(403, "second_factor_required", "A second factor is required.",
                         "Send a code from the authenticator app, or a backup code.")  # fmt: skip
        self.user_id = user_id
        self.azp = azp


def not_found(what: str) -> IdentityError:
    """404 ``resource_not_found``."""
    return IdentityError(404, "resource_not_found", "not found", f"{what} not found")


def invalid(param: str, long_message: str, code: str = "form_param_format_invalid") -> IdentityError:
    """422 for one bad request parameter, naming it in ``meta.param_name`` as Clerk does."""
    return IdentityError(422, code, "is invalid", long_message, {"param_name": param})


def unauthorized(long_message: str) -> IdentityError:
    """401 for a missing or wrong secret key or session."""
    return IdentityError(401, "authentication_invalid", "Invalid authentication", long_message)


def password_compromised() -> IdentityError:
    """Clerk's answer to a sign-in with a password marked compromised (``users.set_password_compromised``)."""
    return IdentityError(
        422, "form_password_compromised", "Your password may be compromised.",
        "Your password may be compromised. To protect your account, please continue with an alternative "
        "sign-in method. You will be required to reset your password after signing in.",
        {"param_name": "password"},
    )  # fmt: skip
