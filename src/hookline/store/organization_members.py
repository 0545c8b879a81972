"""Organization memberships and invitations as stored. Queries run on a caller's connection or transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from hookline.store.db import Conn, Row
from hookline.store.organizations import like

_MEM_COLS = "id, organization_id, user_id, role, public_metadata, private_metadata, created_at, updated_at"
_INV_COLS = (
    "id, organization_id, email_address, role, status, inviter_id, user_id, public_metadata, private_metadata, "
    "redirect_url, expires_at, created_at, updated_at"
)
_PRIMARY = "(SELECT e.email_address FROM identity_email_addresses e WHERE e.id = u.primary_email_address_id)"
# order_by of membership lists: the user's field (text) or the membership's creation
MEMBER_ORDER = {
    "created_at": ("m.created_at", False),
    "first_name": ("LOWER(COALESCE(u.first_name, ''))", True),
    "last_name": ("LOWER(COALESCE(u.last_name, ''))", True),
    "username": ("LOWER(COALESCE(u.username, ''))", True),
    "email_address": (f"LOWER(COALESCE({_PRIMARY}, ''))", True),
}
INVITATION_ORDER = {"created_at": ("created_at", False), "email_address": ("email_address", True)}


@dataclass(frozen=True)
class MembershipRow:
    """A user's membership of an organization (``orgmem_…``) with its role key."""

    id: str
    organization_id: str
    user_id: str
    role: str
    created_at: int
    updated_at: int
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, r: Row) -> MembershipRow:
        return cls(
            r[0], r[1], r[2], r[3], int(r[6]), int(r[7]), json.loads(r[4] or "{}"), json.loads(r[5] or "{}")
        )

    def params(self) -> tuple[Any, ...]:
        return (self.id, self.organization_id, self.user_id, self.role, json.dumps(self.public_metadata),
                json.dumps(self.private_metadata), self.created_at, self.updated_at)  # fmt: skip


@dataclass(frozen=True)
class InvitationRow:
    """An invitation (``orginv_…``) to join an organization: ``pending``, ``accepted``, ``revoked`` (or expired)."""

    id: str
    organization_id: str
    email_address: str
    role: str
    status: str
    inviter_id: str | None
    user_id: str | None
    redirect_url: str | None
    expires_at: int | None
    created_at: int
    updated_at: int
    public_metadata: dict[str, Any] = field(default_factory=dict)
    private_metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, r: Row) -> InvitationRow:
        return cls(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[9], r[10], int(r[11]), int(r[12]),
                   json.loads(r[7] or "{}"), json.loads(r[8] or "{}"))  # fmt: skip

    def status_at(self, at_ms: int) -> str:
        """The status as Clerk reports it: a pending invitation past its expiry is ``expired``."""
        if self.status == "pending" and self.expires_at is not None and self.expires_at <= at_ms:
            return "expired"
        return self.status


@dataclass(frozen=True)
class MemberFilter:
    """Clerk's membership list filters, on the member's user and the membership."""

    user_ids: tuple[str, ...] = ()
    not_user_ids: tuple[str, ...] = ()
    email_addresses: tuple[str, ...] = ()
    usernames: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    query: str | None = None
    email_address_query: str | None = None
    username_query: str | None = None
    name_query: str | None = None
    last_active_at_before: int | None = None
    last_active_at_after: int | None = None
    created_at_before: int | None = None
    created_at_after: int | None = None
    match_nothing: bool = False  # a phone-number filter: hookline's users have no phone numbers

    def where(self) -> tuple[str, list[Any]]:
        """SQL conditions on ``identity_organization_memberships m JOIN identity_users u``."""
        conds: list[str] = ["1 = 0"] if self.match_nothing else []
        params: list[Any] = []

        def among(column: str, values: tuple[str, ...], negate: bool = False) -> None:
            if values:
                conds.append(f"{column} {'NOT ' if negate else ''}IN ({','.join('?' * len(values))})")
                params.extend(values)

        among("m.user_id", self.user_ids)
        among("m.user_id", self.not_user_ids, negate=True)
        among("u.username", self.usernames)
        among("m.role", self.roles)
        if self.email_addresses:
            conds.append("u.id IN (SELECT user_id FROM identity_email_addresses WHERE email_address IN "
                         f"({','.join('?' * len(self.email_addresses))}))")  # fmt: skip
            params.extend(e.lower() for e in self.email_addresses)
        emails = (
            "u.id IN (SELECT user_id FROM identity_email_addresses WHERE email_address LIKE ? ESCAPE '\\')"
        )
        names = ("(LOWER(COALESCE(u.first_name, '')) LIKE ? ESCAPE '\\' OR LOWER(COALESCE(u.last_name, '')) LIKE ? "
                 "ESCAPE '\\' OR LOWER(COALESCE(u.first_name, '') || ' ' || COALESCE(u.last_name, '')) LIKE ? ESCAPE '\\')")  # fmt: skip
        username = "LOWER(COALESCE(u.username, '')) LIKE ? ESCAPE '\\'"
        if self.query:
            conds.append(f"(u.id = ? OR {emails} OR {username} OR {names})")
            params.extend([self.query, like(self.query), like(self.query), *[like(self.query)] * 3])
        if self.email_address_query:
            conds.append(emails)
            params.append(like(self.email_address_query))
        if self.username_query:
            conds.append(username)
            params.append(like(self.username_query))
        if self.name_query:
            conds.append(names)
            params.extend([like(self.name_query)] * 3)
        for column, op, value in (
            ("u.last_active_at", "<", self.last_active_at_before),
            ("u.last_active_at", ">", self.last_active_at_after),
            ("u.created_at", "<", self.created_at_before),
            ("u.created_at", ">", self.created_at_after),
        ):
            if value is not None:
                conds.append(f"{column} {op} ?")
                params.append(value)
        return (" AND " + " AND ".join(conds)) if conds else "", params


# -- memberships ---------------------------------------------------------------------------------------------
async def get_membership(c: Conn, org_id: str, user_id: str) -> MembershipRow | None:
    """A user's membership of an organization."""
    row = await c.fetchone(
        f"SELECT {_MEM_COLS} FROM identity_organization_memberships WHERE organization_id = ? AND user_id = ?",
        (org_id, user_id),
    )
    return MembershipRow.from_row(row) if row else None


async def insert_membership(c: Conn, m: MembershipRow) -> None:
    """Store a new membership."""
    await c.execute(f"INSERT INTO identity_organization_memberships ({_MEM_COLS}) VALUES ({','.join('?' * 8)})",
                    m.params())  # fmt: skip


async def save_membership(c: Conn, m: MembershipRow) -> None:
    """Write a membership's role and metadata."""
    await c.execute(
        "UPDATE identity_organization_memberships SET role = ?, public_metadata = ?, private_metadata = ?, "
        "updated_at = ? WHERE id = ?",
        (m.role, json.dumps(m.public_metadata), json.dumps(m.private_metadata), m.updated_at, m.id),
    )


async def delete_membership(c: Conn, membership_id: str) -> None:
    """Remove a membership."""
    await c.execute("DELETE FROM identity_organization_memberships WHERE id = ?", (membership_id,))


async def search_memberships(
    c: Conn, org_id: str | None, f: MemberFilter, order: tuple[str, bool], limit: int, offset: int
) -> tuple[list[MembershipRow], int]:
    """A page of memberships (of one organization, or of every one) and how many match."""
    where, params = f.where()
    scope = "m.organization_id = ?" if org_id else "1 = 1"
    scope_params = [org_id] if org_id else []
    column, is_text = MEMBER_ORDER[order[0]]
    direction = "DESC" if order[1] else "ASC"
    key = f'{column} COLLATE "C"' if is_text and c.dialect == "postgres" else column
    base = f"FROM identity_organization_memberships m JOIN identity_users u ON u.id = m.user_id WHERE {scope}{where}"
    cols = ", ".join("m." + x.strip() for x in _MEM_COLS.split(","))
    rows = await c.fetchall(
        f"SELECT {cols} {base} ORDER BY {key} {direction}, m.id {direction} LIMIT ? OFFSET ?",
        [*scope_params, *params, limit, offset],
    )
    total = await c.fetchone(f"SELECT COUNT(*) AS n {base}", [*scope_params, *params])
    return [MembershipRow.from_row(r) for r in rows], int(total[0]) if total else 0


async def memberships_of_user(
    c: Conn, user_id: str, limit: int, offset: int
) -> tuple[list[MembershipRow], int]:
    """A page of a user's memberships, newest first, and how many there are."""
    rows = await c.fetchall(
        f"SELECT {_MEM_COLS} FROM identity_organization_memberships WHERE user_id = ? "
        "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        (user_id, limit, offset),
    )
    total = await c.fetchone(
        "SELECT COUNT(*) AS n FROM identity_organization_memberships WHERE user_id = ?", (user_id,)
    )
    return [MembershipRow.from_row(r) for r in rows], int(total[0]) if total else 0


# -- invitations ---------------------------------------------------------------------------------------------
async def get_invitation(c: Conn, invitation_id: str) -> InvitationRow | None:
    """One invitation by id."""
    row = await c.fetchone(
        f"SELECT {_INV_COLS} FROM identity_organization_invitations WHERE id = ?", (invitation_id,)
    )
    return InvitationRow.from_row(row) if row else None


async def invitation_by_token(c: Conn, token_sha256: str) -> InvitationRow | None:
    """The invitation whose link carries the token with this digest."""
    row = await c.fetchone(
        f"SELECT {_INV_COLS} FROM identity_organization_invitations WHERE token_sha256 = ?", (token_sha256,)
    )
    return InvitationRow.from_row(row) if row else None


async def insert_invitation(c: Conn, i: InvitationRow, token_sha256: str) -> None:
    """Store a new invitation with the digest of its link's token."""
    await c.execute(
        f"INSERT INTO identity_organization_invitations ({_INV_COLS}, token_sha256) VALUES ({','.join('?' * 14)})",
        (i.id, i.organization_id, i.email_address, i.role, i.status, i.inviter_id, i.user_id,
         json.dumps(i.public_metadata), json.dumps(i.private_metadata), i.redirect_url, i.expires_at, i.created_at,
         i.updated_at, token_sha256),
    )  # fmt: skip


async def set_invitation_status(
    c: Conn, invitation_id: str, status: str, user_id: str | None, at_ms: int
) -> None:
    """Mark an invitation accepted (by ``user_id``) or revoked; its link stops working."""
    await c.execute(
        "UPDATE identity_organization_invitations SET status = ?, user_id = COALESCE(?, user_id), "
        "token_sha256 = NULL, updated_at = ? WHERE id = ?",
        (status, user_id, at_ms, invitation_id),
    )


async def pending_for_email(c: Conn, org_id: str, email: str, at_ms: int) -> InvitationRow | None:
    """An unexpired pending invitation of ``email`` to the organization."""
    row = await c.fetchone(
        f"SELECT {_INV_COLS} FROM identity_organization_invitations WHERE organization_id = ? AND email_address = ? "
        "AND status = 'pending' AND (expires_at IS NULL OR expires_at > ?)",
        (org_id, email, at_ms),
    )
    return InvitationRow.from_row(row) if row else None


async def search_invitations(
    c: Conn, *, org_id: str | None, statuses: tuple[str, ...], email: str | None, query: str | None,
    emails: tuple[str, ...], order: tuple[str, bool], limit: int, offset: int, at_ms: int,
) -> tuple[list[InvitationRow], int]:  # fmt: skip
    """A page of invitations and how many match: of one organization or all, by status (``expired`` is a pending
    invitation past its expiry), exact email, email in part, or any of ``emails``."""
    conds: list[str] = []
    params: list[Any] = []
    if org_id:
        conds.append("organization_id = ?")
        params.append(org_id)
    if statuses:
        parts = []
        for s in statuses:
            if s == "pending":
                parts.append("(status = 'pending' AND (expires_at IS NULL OR expires_at > ?))")
                params.append(at_ms)
            elif s == "expired":
                parts.append("(status = 'pending' AND expires_at <= ?)")
                params.append(at_ms)
            else:
                parts.append("status = ?")
                params.append(s)
        conds.append("(" + " OR ".join(parts) + ")")
    if email:
        conds.append("email_address = ?")
        params.append(email.lower())
    if query:
        conds.append("email_address LIKE ? ESCAPE '\\'")
        params.append(like(query))
    if emails:
        conds.append(f"email_address IN ({','.join('?' * len(emails))})")
        params.extend(emails)
    where = (" WHERE " + " AND ".join(conds)) if conds else ""
    column, is_text = INVITATION_ORDER[order[0]]
    direction = "DESC" if order[1] else "ASC"
    key = f'{column} COLLATE "C"' if is_text and c.dialect == "postgres" else column
    rows = await c.fetchall(
        f"SELECT {_INV_COLS} FROM identity_organization_invitations{where} ORDER BY {key} {direction}, "
        f"id {direction} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    total = await c.fetchone(f"SELECT COUNT(*) AS n FROM identity_organization_invitations{where}", params)
    return [InvitationRow.from_row(r) for r in rows], int(total[0]) if total else 0


# -- the members' users, as memberships show them --------------------------------------------------------------
@dataclass(frozen=True)
class PublicUser:
    """What a membership shows of its user (Clerk's ``public_user_data``)."""

    user_id: str
    first_name: str | None
    last_name: str | None
    username: str | None
    identifier: str | None  # the primary email address
    banned: bool


async def public_users(c: Conn, user_ids: list[str]) -> dict[str, PublicUser]:
    """The public data of the given users that exist, by id."""
    unique = sorted(set(user_ids))  # one user may be named many times (their memberships)
    if not unique:
        return {}
    rows = await c.fetchall(
        f"SELECT u.id, u.first_name, u.last_name, u.username, {_PRIMARY} AS identifier, u.banned "
        f"FROM identity_users u WHERE u.id IN ({','.join('?' * len(unique))})",
        unique,
    )
    return {str(r[0]): PublicUser(str(r[0]), r[1], r[2], r[3], r[4], bool(r[5])) for r in rows}


async def verified_emails(c: Conn, user_id: str) -> list[str]:
    """A user's verified email addresses."""
    rows = await c.fetchall(
        "SELECT email_address FROM identity_email_addresses WHERE user_id = ? AND verification_status = 'verified'",
        (user_id,),
    )
    return [str(r[0]) for r in rows]


async def user_id_by_email(c: Conn, email: str) -> str | None:
    """The user who has this email address."""
    row = await c.fetchone("SELECT user_id FROM identity_email_addresses WHERE email_address = ?", (email,))
    return str(row[0]) if row else None


async def email_addresses(c: Conn, user_id: str) -> list[str]:
    """Every email address of a user."""
    rows = await c.fetchall(
        "SELECT email_address FROM identity_email_addresses WHERE user_id = ?", (user_id,)
    )
    return [str(r[0]) for r in rows]


async def verified_on_domain(c: Conn, domain: str) -> list[tuple[str, str]]:
    """``(user_id, email_address)`` of every verified address at ``domain``."""
    escaped = domain.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = await c.fetchall(
        "SELECT user_id, email_address FROM identity_email_addresses WHERE verification_status = 'verified' "
        "AND LOWER(email_address) LIKE ? ESCAPE '\\' ORDER BY created_at, id",
        ("%@" + escaped,),
    )
    return [(str(r[0]), str(r[1])) for r in rows]


async def count_pending_on_domain(c: Conn, org_id: str, domain: str, at_ms: int) -> int:
    """How many unexpired pending invitations of an organization go to addresses at ``domain``."""
    escaped = domain.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    row = await c.fetchone(
        "SELECT COUNT(*) AS n FROM identity_organization_invitations WHERE organization_id = ? AND status = 'pending' "
        "AND (expires_at IS NULL OR expires_at > ?) AND email_address LIKE ? ESCAPE '\\'",
        (org_id, at_ms, "%@" + escaped),
    )
    return int(row[0]) if row else 0
