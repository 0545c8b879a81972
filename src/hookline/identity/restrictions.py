"""Sign-up restrictions: the allowlist and the blocklist of identifiers (Backend API
``allowlist_identifiers`` and ``blocklist_identifiers``).

An identifier is an email address or a whole domain (``*@example.org``). A blocked address cannot sign
up; while the allowlist has any identifier, only addresses on it (or invited) can. As in Clerk, the
restrictions apply to people signing up, not to users made through the Backend API.
"""

from __future__ import annotations

from typing import Any

from hookline.identity import emails, field_limits
from hookline.identity.errors import IdentityError, invalid, not_found
from hookline.identity.resources import now_ms
from hookline.ids import new_id
from hookline.store import identity_lists
from hookline.store.db import Conn
from hookline.store.identity_lists import IdentifierRule

LISTS = {"allow": "allowlist_identifier", "block": "blocklist_identifier"}


def normalize_identifier(identifier: str) -> str:
    """An email address lower-cased, or a domain as ``*@domain``; 422 for phone numbers and wallets."""
    text = identifier.strip().lower()
    if text.startswith("+") or text.lstrip("+").replace(" ", "").isdigit():
        raise invalid("identifier", "hookline has no phone numbers: use an email address or *@domain",
                      "form_param_value_invalid")  # fmt: skip
    if text.startswith("0x"):
        raise invalid("identifier", "hookline has no Web3 wallets: use an email address or *@domain",
                      "form_param_value_invalid")  # fmt: skip
    if text.startswith(("*@", "@")) or "@" not in text:
        domain = text.removeprefix("*").removeprefix("@")
        if len(domain) > 253 or not emails.looks_valid("x@" + domain):
            raise invalid("identifier", f"{identifier!r} is not an email address or a domain")
        return "*@" + domain
    field_limits.check_email(text)
    if not emails.looks_valid(text):
        raise invalid("identifier", f"{identifier!r} is not a valid email address")
    return text


def rule_json(rule: IdentifierRule, instance_id: str) -> dict[str, Any]:
    """An ``allowlist_identifier`` / ``blocklist_identifier`` object."""
    out = {"object": LISTS[rule.list], "id": rule.id, "identifier": rule.identifier,
           "identifier_type": rule.identifier_type, "instance_id": instance_id, "created_at": rule.created_at,
           "updated_at": rule.updated_at}  # fmt: skip
    if rule.list == "allow":
        out["invitation_id"] = rule.invitation_id
    return out


async def add(c: Conn, list_name: str, identifier: str, invitation_id: str | None = None) -> IdentifierRule:
    """Put an identifier on a list; 422 ``duplicate_record`` if it is there already."""
    now = now_ms()
    rule = IdentifierRule(new_id("alid" if list_name == "allow" else "blid"), list_name,
                          normalize_identifier(identifier), "email_address", invitation_id, now, now)  # fmt: skip
    # looked up first: a unique-key conflict may only surface when the transaction commits
    if await identity_lists.matching(c, list_name, [rule.identifier]):
        raise IdentityError(422, "duplicate_record", "duplicate allowlist identifier" if list_name == "allow"
                            else "duplicate blocklist identifier", f"{rule.identifier} is on the list already.",
                            {"param_name": "identifier"})  # fmt: skip
    await identity_lists.add_rule(c, rule)
    return rule


async def remove(c: Conn, list_name: str, rule_id: str) -> None:
    """Take an identifier off a list; 404 if it is not there."""
    if not await identity_lists.delete_rule(c, list_name, rule_id):
        raise not_found(LISTS[list_name].replace("_", " "))


def _keys(address: str) -> list[str]:
    address = emails.normalize(address)
    return [address, "*@" + address.rpartition("@")[2]]


def not_allowed() -> IdentityError:
    """403 ``not_allowed_access``, the same for a blocked address and one missing from the allowlist."""
    return IdentityError(403, "not_allowed_access", "Access not allowed.",
                         "This email address is not allowed to sign up. Contact the administrator.",
                         {"param_name": "email_address"})  # fmt: skip


async def check_sign_up(c: Conn, address: str, invited: bool = False) -> None:
    """Refuse a sign-up by a blocked address, or by one off a non-empty allowlist unless invited."""
    keys = _keys(address)
    if await identity_lists.matching(c, "block", keys):
        raise not_allowed()
    if (
        not invited
        and not await identity_lists.is_empty(c, "allow")
        and not await identity_lists.matching(c, "allow", keys)
    ):
        raise not_allowed()
