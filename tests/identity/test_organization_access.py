"""Organization invitations, roles, permissions and domains through Clerk's SDK, with their events."""

from __future__ import annotations

import httpx
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import PASSWORD, Hooks, create_user


def test_invitations_create_bulk_list_get_and_revoke(
    clerk: Clerk, backend: httpx.Client, hooks: Hooks
) -> None:
    ada = create_user(clerk)
    bob = create_user(clerk, "bob@example.org")
    org = clerk.organizations.create(request={"name": "Acme", "created_by": ada.id})
    inv = clerk.organization_invitations.create(
        organization_id=org.id, email_address="New@Example.org", role="org:member", inviter_user_id=ada.id,
        public_metadata={"plan": "a"}, private_metadata={"s": 1}, expires_in_days=3,
    )  # fmt: skip
    assert inv.email_address == "new@example.org" and inv.status == "pending" and inv.role_name == "Member"
    assert inv.url and "/organizations/accept?__clerk_ticket=" in inv.url and inv.organization_id == org.id
    assert inv.expires_at == inv.created_at + 3 * 86_400_000 and inv.private_metadata == {"s": 1}
    assert inv.public_inviter_data is not None and inv.public_inviter_data.identifier == "ada@example.org"
    dup = backend.post(f"/organizations/{org.id}/invitations", json={"email_address": "new@example.org",
                                                                    "role": "org:member"})  # fmt: skip
    assert dup.status_code == 400
    member = backend.post(f"/organizations/{org.id}/invitations", json={"email_address": "ada@example.org",
                                                                       "role": "org:member"})  # fmt: skip
    assert (
        member.status_code == 400 and member.json()["errors"][0]["code"] == "already_a_member_in_organization"
    )
    not_admin = backend.post(f"/organizations/{org.id}/invitations", json={
        "email_address": "x@example.org", "role": "org:member", "inviter_user_id": bob.id})  # fmt: skip
    assert not_admin.status_code == 403
    for bad in ({"role": "org:member"}, {"email_address": "nope", "role": "org:member"},
                {"email_address": "y@example.org", "role": "org:boss"},
                {"email_address": "y@example.org", "role": "org:member", "expires_in_days": 0},
                {"email_address": "y@example.org", "role": "org:member", "redirect_url": "https://evil.example/"}):  # fmt: skip
        assert backend.post(f"/organizations/{org.id}/invitations", json=bad).status_code == 422, bad
    bulk = clerk.organization_invitations.bulk_create(organization_id=org.id, request_body=[
        {"email_address": "bob@example.org", "role": "org:admin", "notify": False},
        {"email_address": "carl@example.org", "role": "org:member"},
    ])  # fmt: skip
    assert bulk.total_count == 2 and [i.role for i in bulk.data] == ["org:admin", "org:member"]
    all_or_none = backend.post(f"/organizations/{org.id}/invitations/bulk", json=[
        {"email_address": "dan@example.org", "role": "org:member"}, {"email_address": "carl@example.org", "role": "org:member"}])  # fmt: skip
    assert all_or_none.status_code == 400
    assert clerk.organization_invitations.list(organization_id=org.id).total_count == 3
    listed = clerk.organization_invitations.list(organization_id=org.id, order_by="email_address")
    assert [i.email_address for i in listed.data] == [
        "bob@example.org",
        "carl@example.org",
        "new@example.org",
    ]
    assert (
        clerk.organization_invitations.list(
            organization_id=org.id, email_address="carl@example.org"
        ).total_count
        == 1
    )
    got = clerk.organization_invitations.get(organization_id=org.id, invitation_id=inv.id)
    assert got.id == inv.id and got.url is None  # the link is only shown when made
    revoked = clerk.organization_invitations.revoke(
        organization_id=org.id, invitation_id=inv.id, requesting_user_id=ada.id
    )
    assert revoked.status == "revoked"
    assert backend.post(f"/organizations/{org.id}/invitations/{inv.id}/revoke").status_code == 400
    assert clerk.organization_invitations.list_pending(organization_id=org.id).total_count == 2
    statuses = models.ListOrganizationInvitationsQueryParamStatus
    assert (
        clerk.organization_invitations.list(organization_id=org.id, status=statuses.REVOKED).total_count == 1
    )
    everywhere = clerk.organization_invitations.get_all(query="carl", order_by="-created_at")
    assert [i.email_address for i in everywhere.data] == ["carl@example.org"]
    bobs = clerk.users.get_organization_invitations(user_id=bob.id)
    assert [i.email_address for i in bobs.data] == ["bob@example.org"]
    assert backend.get("/organization_invitations", params={"status": "lost"}).status_code == 422
    bodies = hooks.wait("organizationInvitation.created", "organizationInvitation.revoked", "email.created")
    sent = [
        b["data"]
        for b in bodies
        if b["type"] == "email.created" and b["data"]["slug"] == "organization_invitation"
    ]
    assert sorted(m["to_email_address"] for m in sent) == [
        "carl@example.org",
        "new@example.org",
    ]  # bob: notify=false
    assert hooks.of_type("organizationInvitation.revoked")[0]["data"]["id"] == inv.id


def test_permissions_and_roles(clerk: Clerk, backend: httpx.Client, hooks: Hooks) -> None:
    perm = clerk.organization_permissions.create(
        name="Read invoices", key="org:invoices:read", description="Read"
    )
    assert perm.type == "user" and perm.key == "org:invoices:read"
    manage = clerk.organization_permissions.create(name="Manage invoices", key="org:invoices:manage")
    assert backend.post("/organization_permissions", json={"name": "x", "key": "invoices"}).status_code == 422
    assert (
        backend.post("/organization_permissions", json={"name": "x", "key": "org:sys_x:y"}).status_code == 422
    )
    assert (
        backend.post("/organization_permissions", json={"name": "x", "key": "org:invoices:read"}).status_code
        == 400
    )
    system = clerk.organization_permissions.list(query="sys_memberships")
    assert system.total_count == 2 and all(p.type == "system" for p in system.data)
    assert backend.delete(f"/organization_permissions/{system.data[0].id}").status_code == 403
    renamed = clerk.organization_permissions.update(permission_id=perm.id, name="See invoices")
    assert (
        renamed.name == "See invoices"
        and clerk.organization_permissions.get(permission_id=perm.id).name == "See invoices"
    )
    role = clerk.organization_roles.create(name="Billing", key="org:billing", description="Invoices",
                                           permissions=[perm.id])  # fmt: skip
    assert [p.key for p in role.permissions] == ["org:invoices:read"] and role.is_creator_eligible is False
    assert backend.post("/organization_roles", json={"name": "x", "key": "billing"}).status_code == 422
    sets = {"name": "x", "key": "org:x", "include_in_initial_role_set": True}
    assert backend.post("/organization_roles", json=sets).status_code == 422  # no role sets
    assert backend.post("/organization_roles", json={"name": "x", "key": "org:x", "permissions": ["perm_no"]}
                        ).status_code == 422  # fmt: skip
    granted = clerk.organization_roles.assign_permission(
        organization_role_id=role.id, permission_id=manage.id
    )
    assert [p.key for p in granted.permissions] == ["org:invoices:manage", "org:invoices:read"]
    taken = clerk.organization_roles.remove_permission(organization_role_id=role.id, permission_id=perm.id)
    assert [p.key for p in taken.permissions] == ["org:invoices:manage"]
    assert (
        clerk.organization_roles.update(organization_role_id=role.id, name="Billing team").name
        == "Billing team"
    )
    keys = [r.key for r in clerk.organization_roles.list(order_by="key").data]
    assert keys == ["org:admin", "org:billing", "org:member"]
    assert clerk.organization_roles.list(query="bill").total_count == 1
    admin = clerk.organization_roles.get(
        organization_role_id=clerk.organization_roles.list(query="org:admin").data[0].id
    )
    assert admin.is_creator_eligible and "org:sys_profile:delete" in [p.key for p in admin.permissions]
    assert backend.delete(f"/organization_roles/{admin.id}").status_code == 400
    # a role someone has cannot go; once no one has it, it can
    ada = create_user(clerk)
    org = clerk.organizations.create(request={"name": "Acme"})
    clerk.organization_memberships.create(organization_id=org.id, user_id=ada.id, role="org:billing")
    assert backend.delete(f"/organization_roles/{role.id}").status_code == 400
    clerk.organization_memberships.delete(organization_id=org.id, user_id=ada.id)
    assert clerk.organization_roles.delete(organization_role_id=role.id).deleted is True
    assert clerk.organization_permissions.delete(permission_id=perm.id).deleted is True
    with pytest.raises(models.ClerkErrors):
        clerk.organization_roles.get(organization_role_id=role.id)
    hooks.wait("role.created", "role.updated", "role.deleted", "permission.created", "permission.updated",
               "permission.deleted")  # fmt: skip
    assert hooks.of_type("role.deleted")[0]["data"] == {"object": "role", "id": role.id, "deleted": True}
    assert hooks.of_type("permission.created")[0]["data"]["key"] == "org:invoices:read"


def test_domains(clerk: Clerk, backend: httpx.Client, hooks: Hooks) -> None:
    org = clerk.organizations.create(request={"name": "Acme"})
    other = clerk.organizations.create(request={"name": "Other"})
    d = clerk.organization_domains.create(
        organization_id=org.id, name="Example.ORG", enrollment_mode="automatic_invitation"
    )
    assert d.name == "example.org" and d.enrollment_mode == "automatic_invitation"
    assert d.verification is not None and d.verification.status == "verified"
    unverified = clerk.organization_domains.create(organization_id=other.id, name="other.org", verified=False)
    assert unverified.verification is not None and unverified.verification.status == "unverified"
    assert unverified.enrollment_mode == "manual_invitation"
    taken = backend.post(f"/organizations/{other.id}/domains", json={"name": "example.org"})
    assert taken.status_code == 400
    for bad in ({"name": "not a domain"}, {"name": "x.org", "enrollment_mode": "enterprise_sso"},
                {"name": "x.org", "enrollment_mode": "whatever"}):  # fmt: skip
        assert backend.post(f"/organizations/{org.id}/domains", json=bad).status_code == 422, bad
    assert clerk.organization_domains.list(organization_id=org.id).total_count == 1
    assert clerk.organization_domains.list(organization_id=org.id, verified="false").total_count == 0
    everywhere = clerk.organization_domains.list_all(order_by="name")
    assert [x.name for x in everywhere.data] == ["example.org", "other.org"]
    assert clerk.organization_domains.list_all(query=other.id).data[0].name == "other.org"
    assert clerk.organization_domains.list_all(domains=["example.org"]).total_count == 1
    excluded = backend.get(
        "/organization_domains", params={"enrollment_mode": "-automatic_invitation"}
    ).json()
    assert [x["name"] for x in excluded["data"]] == ["other.org"]
    assert backend.get("/organization_domains", params={"query": " "}).status_code == 422
    changed = clerk.organization_domains.update(organization_id=other.id, domain_id=unverified.id, verified=True,
                                                enrollment_mode="automatic_suggestion")  # fmt: skip
    assert changed.verification is not None and changed.verification.status == "verified"
    assert changed.enrollment_mode == "automatic_suggestion"
    assert backend.patch(f"/organizations/{org.id}/domains/{unverified.id}", json={}).status_code == 404
    assert clerk.organization_domains.delete(organization_id=org.id, domain_id=d.id).deleted is True
    hooks.wait("organizationDomain.created", "organizationDomain.updated", "organizationDomain.deleted")
    created = hooks.of_type("organizationDomain.created")[0]["data"]
    assert created["public_organization_data"]["id"] == org.id and created["object"] == "organization_domain"


def test_verified_automatic_invitation_domains_invite_their_users(
    clerk: Clerk, backend: httpx.Client, hooks: Hooks
) -> None:
    pat = create_user(clerk, "pat@auto.example")
    create_user(clerk, "sam@Other.example")
    org = clerk.organizations.create(request={"name": "Auto", "created_by": pat.id})
    other = clerk.organizations.create(request={"name": "Other"})
    # pat is a member of Auto already: nothing to invite
    d = clerk.organization_domains.create(organization_id=org.id, name="auto.example",
                                          enrollment_mode="automatic_invitation")  # fmt: skip
    assert d.total_pending_invitations == 0
    manual = clerk.organization_domains.create(organization_id=other.id, name="other.example", verified=False,
                                               enrollment_mode="automatic_invitation")  # fmt: skip
    assert manual.total_pending_invitations == 0  # not verified: no invitation yet
    verified = clerk.organization_domains.update(organization_id=other.id, domain_id=manual.id, verified=True)
    assert verified.total_pending_invitations == 1
    sams = clerk.organization_invitations.list(organization_id=other.id)
    assert [(i.email_address, i.role, i.status) for i in sams.data] == [
        ("sam@other.example", "org:member", "pending")
    ]
    again = clerk.organization_domains.update(organization_id=other.id, domain_id=manual.id,
                                              enrollment_mode="automatic_invitation")  # fmt: skip
    assert again.total_pending_invitations == 1  # not invited twice
    hooks.wait("organizationInvitation.created")
    assert not [
        b for b in hooks.verified() if b["type"] == "email.created"
    ]  # automatic invitations send no email


def test_automatic_invitations_reach_users_who_verify_an_address_later(
    clerk: Clerk, http: httpx.Client, hooks: Hooks
) -> None:
    owner = create_user(clerk)
    org = clerk.organizations.create(request={"name": "Auto", "created_by": owner.id})
    other = clerk.organizations.create(request={"name": "Other"})
    clerk.organization_domains.create(organization_id=org.id, name="auto.example",
                                      enrollment_mode="automatic_invitation")  # fmt: skip
    clerk.organization_domains.create(organization_id=other.id, name="suggest.example",
                                      enrollment_mode="automatic_suggestion")  # fmt: skip

    def invited(org_id: str) -> list[str]:
        listed = clerk.organization_invitations.list(
            organization_id=org_id, status=models.ListOrganizationInvitationsQueryParamStatus.PENDING
        )
        return sorted(i.email_address for i in listed.data)  # fmt: skip

    # a user created through the Backend API with a (verified) address there
    kim = create_user(clerk, "Kim@AUTO.example", first_name="Kim")
    assert invited(org.id) == ["kim@auto.example"]
    # an address added verified; one added unverified waits for its verification
    lee = create_user(clerk, "lee@elsewhere.example", first_name="Lee")
    clerk.email_addresses.create(
        request={"user_id": lee.id, "email_address": "lee@auto.example", "verified": True}
    )
    pending = clerk.email_addresses.create(
        request={"user_id": owner.id, "email_address": "owner@auto.example", "verified": False}
    )
    mia = create_user(clerk, "mia@elsewhere.example", first_name="Mia")
    mias = clerk.email_addresses.create(
        request={"user_id": mia.id, "email_address": "mia@auto.example", "verified": False}
    )
    assert invited(org.id) == ["kim@auto.example", "lee@auto.example"]
    clerk.email_addresses.update(email_address_id=mias.id, verified=True)
    assert invited(org.id) == ["kim@auto.example", "lee@auto.example", "mia@auto.example"]
    # verifying an owner's address invites no one: they are a member
    clerk.email_addresses.update(email_address_id=pending.id, verified=True)
    assert len(invited(org.id)) == 3
    # a sign-up verifies its address with the emailed code; the invitation comes then
    signed = http.post("/identity/sign_up", json={"email_address": "new@auto.example", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    assert invited(org.id) == ["kim@auto.example", "lee@auto.example", "mia@auto.example"]
    address_id = signed.json()["user"]["email_addresses"][0]["id"]
    ver = clerk.email_addresses.prepare_verification(email_address_id=address_id)
    code = hooks.until(lambda bs: any(b["type"] == "email.created" and b["data"]["slug"] == "verification_code"
                                      and b["data"]["to_email_address"] == "new@auto.example" for b in bs))  # fmt: skip
    otp = [b["data"]["data"]["otp_code"] for b in code if b["type"] == "email.created"
           and b["data"]["to_email_address"] == "new@auto.example"][-1]  # fmt: skip
    clerk.email_addresses.attempt_verification(email_address_id=address_id, verification_id=ver.id, code=otp)
    assert "new@auto.example" in invited(org.id)
    # a revoked automatic invitation is not made again by a later change
    kims = next(i for i in clerk.organization_invitations.list(organization_id=org.id).data
                if i.email_address == "kim@auto.example")  # fmt: skip
    clerk.organization_invitations.revoke(organization_id=org.id, invitation_id=kims.id)
    clerk.email_addresses.update(email_address_id=kim.email_addresses[0].id, verified=True)
    assert "kim@auto.example" not in invited(org.id)
    # automatic suggestions, unverified domains and other domains invite no one
    create_user(clerk, "sue@suggest.example", first_name="Sue")
    assert invited(other.id) == []
    made = [b["data"] for b in hooks.wait("organizationInvitation.created")
            if b["type"] == "organizationInvitation.created"]  # fmt: skip
    assert all(m["organization_id"] == org.id and m["role"] == "org:member" for m in made)
