"""Write docs/identity-compatibility.md: every operation of the ``clerk-backend-api`` SDK and whether
hookline's ``/v1`` serves it, read from the installed SDK and from the routes of the built app.

    python scripts/identity_compatibility.py           # rewrite the document
    python scripts/identity_compatibility.py --check   # exit 1 if the document is out of date

tests/identity/test_compatibility_doc.py runs the check, so the table cannot drift from the code.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "identity-compatibility.md"
_CALL = re.compile(r'method="(\w+)",\s*path="([^"]+)".*?operation_id="(\w+)"', re.S)

# Why a group of operations is not served (the default for every operation of the group).
NOT_SERVED = {
    "agent_tasks": "no agent tasks in hookline",
    "api_keys": "no API keys for end users in hookline",
    "admin_portal_link_tokens": "no admin portal",
    "beta_features": "instance settings of Clerk's hosted product",
    "billing": "no billing in hookline",
    "domains": "one domain per hookline instance",
    "email_and_sms_templates": "emails are rendered by hookline; templates are not configurable",
    "email_sms_templates": "emails are rendered by hookline; templates are not configurable",
    "enterprise_connections": "no SAML/enterprise SSO",
    "instance_settings": "instance settings come from HOOKLINE_* variables",
    "m2m": "no machine-to-machine tokens",
    "machines": "no machine-to-machine tokens",
    "miscellaneous": "Clerk's hosted-product helpers",
    "oauth_access_tokens": "no OAuth access tokens of social connections",
    "oauth_applications": "hookline as an OAuth provider is in progress",
    "phone_numbers": "no phone numbers or SMS in hookline",
    "proxy_checks": "no frontend API proxy",
    "role_sets": "no role sets: every organization has the instance's roles",
    "saml_connections": "no SAML/enterprise SSO",
    "scim_directories": "no SCIM",
    "sign_ups": "sign-ups complete at once; there is no pending sign-up to update",
    "templates": "emails are rendered by hookline; templates are not configurable",
    "testing_tokens": "no bot protection, so no testing tokens",
    "waitlist_entries": "no waitlist",
}
# Why one operation is not served (overrides its group's reason).
NOT_SERVED_OPS = {
    "GetUserBillingSubscription": "no billing in hookline",
    "GetUserBillingCreditBalance": "no billing in hookline",
    "AdjustUserBillingCreditBalance": "no billing in hookline",
    "GetOAuthAccessToken": "no social connections",
    "GetOrganizationBillingCreditBalance": "no billing in hookline",
    "AdjustOrganizationBillingCreditBalance": "no billing in hookline",
    "GetOrganizationBillingSubscription": "no billing in hookline",
    "VerifyOrganizationDomainOwnership": "domains are verified by the Backend API (verified: true), not by DNS",
    "UserPasskeyDelete": "no passkeys",
    "UserWeb3WalletDelete": "no Web3 wallets",
    "DeleteExternalAccount": "no social connections",
    "ListUserTrustedDevices": "no trusted devices",
    "RevokeUserTrustedDevice": "no trusted devices",
    "DeleteSvixApp": "the identity application is kept; delete it through the Svix API",
}
# How a served operation differs from Clerk's.
DIFFERENCES = {
    "CreateUser": "password_digest (importing hashes) is refused with 422",
    "GetUserList": "phone-number and provider filters match no user, and ordering by phone_number or web3wallet is refused, as "
    "hookline has neither",
    "GetUsersCount": "as users.list: phone-number and provider filters match no user",
    "CreateSvixApp": "answers a link to hookline's own app portal",
    "GenerateSvixAuthURL": "answers a link to hookline's own app portal",
    "AttemptEmailAddressVerification": "a wrong code is 400 form_code_incorrect",
    "CreateAllowlistIdentifier": "email addresses and *@domain only (no phone numbers or Web3 wallets); the "
    "allowlist restricts sign-up whenever it is not empty, with no separate switch",
    "CreateBlocklistIdentifier": "email addresses and *@domain only (no phone numbers or Web3 wallets)",
    "CreateInvitation": "template_slug waitlist_invitation is refused (no waitlist); the link opens "
    "/accept-invitation on hookline",
    "ListInvitations": "order_by takes ±created_at only (others refused); url is null (links are kept hashed)",
    "CreateActorToken": "the link opens /sign-in/ticket on hookline; the session's actor shows in the Backend "
    "API and events, and its tokens carry the act claim",
    "CreateJWTTemplate": "signed with the instance's RS256 key: custom_signing_key, signing_key and other "
    "algorithms are refused; a shortcode hookline does not know is refused (the SDK's claims model has no "
    "fields, so the SDK sends {}: send claims over plain HTTP)",
    "UpdateJWTTemplate": "as create",
    "GetClientList": "a client is one browser's sign-in (its __client cookie); sign_in_id and sign_up_id are "
    "always null",
    "VerifyClient": "takes the __client cookie's value ({session_id}.{secret}), not a JWT",
    "CreateOrganization": "role_set_key is refused (no role sets); without slug, one is made from the name",
    "UpdateOrganization": "role_set_key is refused (no role sets); public_metadata and private_metadata are taken too",
    "ListOrganizationMemberships": "phone-number and Web3-wallet filters match no one, and ordering by phone_number is "
    "refused, as hookline's users have neither",
    "InstanceGetOrganizationMemberships": "ordering by phone_number is refused (no phone numbers)",
    "CreateOrganizationInvitation": "redirect_url must start with one of the instance's redirect URLs; the link opens "
    "/organizations/accept on hookline, and the invitation is sent as an email.created event (and by SMTP)",
    "CreateOrganizationInvitationBulk": "as create, all or none, at most 10",
    "CreateOrganizationRole": "include_in_initial_role_set: true is refused (no role sets)",
    "CreateOrganizationDomain": "enrollment_mode enterprise_sso is refused (no enterprise SSO)",
    "UpdateOrganizationDomain": "as create",
    "UploadOrganizationLogo": "uploader_user_id must be a user of the instance; it is checked, not kept",
    "CreateSignInToken": "org_id is refused (the session starts without an active organization); the link opens /sign-in/ticket on hookline",
    "SetUserProfileImage": "PNG, JPEG, GIF or WebP of up to 1 MiB, stored in hookline's database and served by "
    "hookline under /img (image_url keeps Clerk's token form); a user without one has a default avatar drawn by "
    "hookline, which profile_image_url names too (where Clerk names a Gravatar image)",
    "SetUserPasswordCompromised": "a sign-in with the password is refused with form_password_compromised until it "
    "is reset (by code or link) or replaced (users.update); there is no pending session with a reset-password task",
    "ReplaceUserEmailAddress": "identification_status reserved makes an unverified address (every address on "
    "hookline signs in and is the user's alone; reserved shows as false); unverified is refused",
    "RefreshSession": "refresh_token is the __client cookie's value ({session_id}.{secret}); request_origin must be "
    "an authorized party; request_headers and request_originating_ip are checked for type and not recorded",
}


@dataclass(frozen=True)
class Operation:
    """One SDK operation: ``clerk.<group>.<name>()`` calling ``<method> <path>``."""

    group: str
    name: str
    method: str
    path: str
    operation_id: str


def sdk_operations() -> list[Operation]:
    """Every operation of the installed ``clerk-backend-api``, read from its generated methods."""
    from clerk_backend_api import Clerk

    ops: dict[tuple[str, str], Operation] = {}
    for group, (module_name, class_name) in sorted(Clerk._sub_sdk_map.items()):
        cls = getattr(importlib.import_module(module_name), class_name)
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if name.startswith("_") or name.endswith("_async"):
                continue
            m = _CALL.search(inspect.getsource(fn))
            if m:
                ops[(group, name)] = Operation(group, name, m.group(1), m.group(2), m.group(3))
    return sorted(ops.values(), key=lambda o: (o.group, o.path, o.method, o.name))


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def served_routes() -> set[tuple[str, str]]:
    """``(METHOD, path shape)`` of every ``/v1`` route of the app, with path parameters as ``{}``."""
    from hookline.server import create_app
    from hookline.config import Settings

    out: set[tuple[str, str]] = set()

    def walk(routes: list[object], prefix: str) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)  # FastAPI's lazily included router
            if included is not None:
                walk(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
                continue
            path = prefix + getattr(route, "path", "")
            if path.startswith("/v1/"):
                for method in getattr(route, "methods", None) or ():
                    out.add((method, _shape(path.removeprefix("/v1"))))

    walk(create_app(Settings()).routes, "")
    return out


def render() -> str:
    """The whole document."""
    ops = sdk_operations()
    routes = served_routes()
    rows, served, different = [], 0, 0
    for op in ops:
        if (op.method, _shape(op.path)) in routes:
            served += 1
            note = DIFFERENCES.get(op.operation_id, "")
            different += bool(note)
            status = "served with differences" if note else "served"
        else:
            status = "not served"
            note = NOT_SERVED_OPS.get(op.operation_id) or NOT_SERVED.get(op.group, "not implemented yet")
        rows.append(f"| `{op.group}.{op.name}` | `{op.method} {op.path}` | {status} | {note} |")
    head = [
        "# Identity: Clerk Backend API compatibility",
        "",
        f"Every operation of the `clerk-backend-api` Python SDK ({version('clerk-backend-api')}) and whether "
        "hookline's `/v1` serves it. Generated by `python scripts/identity_compatibility.py` from the SDK and "
        "the routes of the server; a test fails when this file is out of date.",
        "",
        f"Served: **{served}** of {len(ops)} operations ({different} of them with differences noted).",
        "",
        "| operation | request | status | notes |",
        "|---|---|---|---|",
    ]
    return "\n".join([*head, *rows, ""])


def main(argv: list[str]) -> int:
    """Write the document, or with ``--check`` compare it."""
    text = render()
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run python scripts/identity_compatibility.py")
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
