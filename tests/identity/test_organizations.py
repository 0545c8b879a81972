"""Organizations and memberships through Clerk's SDK: every operation, its options, its refusals and its events."""

from __future__ import annotations

import httpx
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import Hooks, create_user

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000001"
    "e221bc330000000049454e44ae426082"
)


def test_create_get_update_and_delete_an_organization(
    clerk: Clerk, backend: httpx.Client, hooks: Hooks
) -> None:
    ada = create_user(clerk)
    org = clerk.organizations.create(request={"name": "Acme Inc", "created_by": ada.id, "public_metadata": {"a": 1},
                                              "private_metadata": {"p": True}, "max_allowed_memberships": 5})  # fmt: skip
    assert org.slug == "acme-inc" and org.created_by == ada.id and org.max_allowed_memberships == 5
    assert org.public_metadata == {"a": 1} and org.private_metadata == {"p": True} and org.has_image is False
    assert clerk.organizations.get(organization_id="acme-inc").id == org.id  # by slug
    counted = clerk.organizations.get(organization_id=org.id, include_members_count=True)
    assert counted.members_count == 1 and counted.pending_invitations_count == 0
    # the creator is its first admin
    mine = clerk.users.get_organization_memberships(user_id=ada.id)
    assert mine.total_count == 1 and mine.data[0].role == "org:admin"
    assert "org:sys_memberships:manage" in (mine.data[0].permissions or [])
    updated = clerk.organizations.update(
        organization_id=org.id, name="Acme", slug="acme", admin_delete_enabled=False
    )
    assert (updated.name, updated.slug, updated.admin_delete_enabled) == ("Acme", "acme", False)
    merged = clerk.organizations.merge_metadata(organization_id=org.id, public_metadata={"b": 2, "a": None})
    assert merged.public_metadata == {"b": 2} and merged.private_metadata == {"p": True}
    replaced = clerk.organizations.replace_metadata(organization_id=org.id, private_metadata={"q": 1})
    assert replaced.private_metadata == {"q": 1} and replaced.public_metadata == {"b": 2}
    other = clerk.organizations.create(request={"name": "Other", "slug": "other"})
    with pytest.raises(models.ClerkErrors):
        clerk.organizations.update(organization_id=other.id, slug="acme")  # taken
    for bad in ({"name": ""}, {"name": "x", "slug": "Not A Slug"}, {"name": "<b>x</b>"},
                {"name": "x", "role_set_key": "basic"}, {"name": "x", "max_allowed_memberships": -1},
                {"name": "x", "created_at": "yesterday"}):  # fmt: skip
        assert backend.post("/organizations", json=bad).status_code == 422, bad
    assert backend.post("/organizations", json={"name": "x", "created_by": "user_missing"}).status_code == 404
    deleted = clerk.organizations.delete(organization_id=org.id)
    assert deleted.deleted is True and deleted.id == org.id
    assert backend.get(f"/organizations/{org.id}").status_code == 404
    assert clerk.users.get_organization_memberships(user_id=ada.id).total_count == 0
    bodies = hooks.wait("organization.created", "organization.updated", "organization.deleted",
                        "organizationMembership.created")  # fmt: skip
    created = next(b for b in bodies if b["type"] == "organization.created" and b["data"]["id"] == org.id)
    assert created["data"]["name"] == "Acme Inc" and created["data"]["object"] == "organization"
    assert hooks.of_type("organization.deleted")[0]["data"] == {"object": "organization", "id": org.id,
                                                               "deleted": True}  # fmt: skip
    joined = hooks.of_type("organizationMembership.created")[0]["data"]
    assert joined["organization"]["id"] == org.id and joined["public_user_data"]["user_id"] == ada.id


def test_list_filters_and_orders_organizations(clerk: Clerk, backend: httpx.Client) -> None:
    ada, bob = create_user(clerk), create_user(clerk, "bob@example.org", first_name="Bob")
    names = ["Beta", "alpha", "Gamma"]
    made = [clerk.organizations.create(request={"name": n, "created_by": ada.id}) for n in names]
    clerk.organization_memberships.create(organization_id=made[2].id, user_id=bob.id, role="org:member")
    listed = clerk.organizations.list()
    assert listed.total_count == 3 and [o.name for o in listed.data] == [
        "Gamma",
        "alpha",
        "Beta",
    ]  # newest first
    assert [o.name for o in clerk.organizations.list(order_by="name").data] == ["alpha", "Beta", "Gamma"]
    assert clerk.organizations.list(order_by="-members_count").data[0].name == "Gamma"
    assert [o.name for o in clerk.organizations.list(query="ALP").data] == ["alpha"]
    assert [o.name for o in clerk.organizations.list(query=made[0].id).data] == ["Beta"]
    assert [o.name for o in clerk.organizations.list(user_id=[bob.id]).data] == ["Gamma"]
    assert {o.name for o in clerk.organizations.list(user_id=["-" + bob.id]).data} == {"alpha", "Beta"}
    assert [o.name for o in clerk.organizations.list(organization_id=["-" + made[2].id, "-" + made[1].id]).data] == [
        "Beta"]  # fmt: skip
    page = clerk.organizations.list(limit=1, offset=1, order_by="name", include_members_count=True)
    assert page.total_count == 3 and [(o.name, o.members_count) for o in page.data] == [("Beta", 1)]
    flagged = clerk.organizations.list(include_missing_member_with_elevated_permissions=True).data
    assert all(o.missing_member_with_elevated_permissions is False for o in flagged)
    assert backend.get("/organizations", params={"order_by": "slug"}).status_code == 422
    assert backend.get("/organizations", params={"limit": 0}).status_code == 422
    assert backend.get("/organizations", params={"color": "red"}).status_code == 422


def test_memberships_create_list_update_and_delete(clerk: Clerk, backend: httpx.Client, hooks: Hooks) -> None:
    ada = create_user(clerk, username="ada_l")
    bob = create_user(clerk, "bob@example.org", first_name="Bob", last_name="Builder", username="bobby")
    org = clerk.organizations.create(
        request={"name": "Acme", "created_by": ada.id, "max_allowed_memberships": 2}
    )
    m = clerk.organization_memberships.create(organization_id=org.id, user_id=bob.id, role="org:member",
                                              public_metadata={"team": "red"})  # fmt: skip
    assert (
        m.role == "org:member" and m.role_name == "Member" and m.permissions == ["org:sys_memberships:read"]
    )
    assert m.public_user_data is not None and m.public_user_data.identifier == "bob@example.org"
    assert m.organization.id == org.id and m.public_metadata == {"team": "red"}
    carl = create_user(clerk, "carl@example.org")
    full = backend.post(
        f"/organizations/{org.id}/memberships", json={"user_id": carl.id, "role": "org:member"}
    )
    assert (
        full.status_code == 403
        and full.json()["errors"][0]["code"] == "organization_membership_quota_exceeded"
    )
    again = backend.post(
        f"/organizations/{org.id}/memberships", json={"user_id": bob.id, "role": "org:member"}
    )
    assert again.status_code == 400
    assert backend.post(f"/organizations/{org.id}/memberships", json={"user_id": carl.id, "role": "org:boss"}
                        ).status_code == 422  # fmt: skip
    listed = clerk.organization_memberships.list(organization_id=org.id, order_by="first_name")
    assert [x.public_user_data.first_name for x in listed.data if x.public_user_data] == ["Ada", "Bob"]
    assert listed.total_count == 2
    by = clerk.organization_memberships.list
    assert [x.public_user_data.user_id for x in by(organization_id=org.id, role=["org:member"]).data
            if x.public_user_data] == [bob.id]  # fmt: skip
    assert by(organization_id=org.id, query="builder").total_count == 1
    assert by(organization_id=org.id, email_address_query="ADA@").total_count == 1
    assert by(organization_id=org.id, username=["bobby"]).total_count == 1
    assert by(organization_id=org.id, user_id=["-" + ada.id]).total_count == 1
    assert by(organization_id=org.id, phone_number_query="555").total_count == 0
    assert (
        backend.get(f"/organizations/{org.id}/memberships", params={"order_by": "phone_number"}).status_code
        == 422
    )
    instance = clerk.users.get_instance_organization_memberships(order_by="-created_at")
    assert instance.total_count == 2
    changed = clerk.organization_memberships.update(organization_id=org.id, user_id=bob.id, role="org:admin")
    assert changed.role == "org:admin" and "org:sys_profile:delete" in (changed.permissions or [])
    meta = clerk.organization_memberships.update_metadata(organization_id=org.id, user_id=bob.id,
                                                          public_metadata={"lead": True}, private_metadata={"x": 1})  # fmt: skip
    assert meta.public_metadata == {"team": "red", "lead": True} and meta.private_metadata == {"x": 1}
    gone = clerk.organization_memberships.delete(organization_id=org.id, user_id=bob.id)
    assert gone.id == m.id
    assert backend.delete(f"/organizations/{org.id}/memberships/{bob.id}").status_code == 404
    hooks.wait("organizationMembership.updated", "organizationMembership.deleted")
    assert hooks.of_type("organizationMembership.deleted")[0]["data"]["id"] == m.id
    roles_seen = [b["data"]["role"] for b in hooks.of_type("organizationMembership.updated")]
    assert roles_seen[0] == "org:admin"


def test_logo_upload_is_served_and_deleted(clerk: Clerk, backend: httpx.Client, http: httpx.Client) -> None:
    org = clerk.organizations.create(request={"name": "Acme"})
    default = http.get(org.image_url.removeprefix(str(http.base_url).rstrip("/")) if org.image_url else "")
    assert default.status_code == 200 and default.headers["content-type"].startswith("image/svg+xml")
    with_logo = clerk.organizations.upload_logo(
        organization_id=org.id, file={"file_name": "logo.png", "content": PNG, "content_type": "image/png"}
    )
    assert with_logo.has_image is True and with_logo.image_url and with_logo.image_url != org.image_url
    served = http.get(with_logo.image_url)
    assert (
        served.status_code == 200 and served.content == PNG and served.headers["content-type"] == "image/png"
    )
    refused = backend.put(f"/organizations/{org.id}/logo", files={"file": ("x.png", b"<svg/>", "image/png")})
    assert refused.status_code == 422
    assert clerk.organizations.delete_logo(organization_id=org.id).has_image is False
    assert http.get(with_logo.image_url).status_code == 404
    assert backend.delete(f"/organizations/{org.id}/logo").status_code == 404


def test_users_list_and_count_filter_by_organization(clerk: Clerk, backend: httpx.Client) -> None:
    ada, bob = create_user(clerk), create_user(clerk, "bob@example.org", first_name="Bob")
    cyd = create_user(clerk, "cyd@example.org", first_name="Cyd")
    acme = clerk.organizations.create(request={"name": "Acme", "created_by": ada.id})
    globex = clerk.organizations.create(request={"name": "Globex", "created_by": bob.id})
    clerk.organization_memberships.create(organization_id=globex.id, user_id=ada.id, role="org:member")

    def listed(orgs: list[str]) -> set[str]:
        return {u.id for u in clerk.users.list(request={"organization_id": orgs, "limit": 50})}

    assert listed([acme.id]) == {ada.id}
    assert listed([acme.id, globex.id]) == {ada.id, bob.id}  # members of any of them
    assert listed(["+" + globex.id]) == {ada.id, bob.id}
    assert listed(["-" + acme.id]) == {bob.id, cyd.id}  # excluded: members of acme
    assert listed([globex.id, "-" + acme.id]) == {bob.id}
    assert listed(["org_unknown"]) == set()
    assert clerk.users.count(request={"organization_id": [globex.id]}).total_count == 2
    assert clerk.users.count(request={"organization_id": ["-" + globex.id]}).total_count == 1
    # combined with the other filters
    assert [u.id for u in clerk.users.list(request={"organization_id": [globex.id], "query": "bob"})] == [
        bob.id
    ]
    clerk.organization_memberships.delete(organization_id=globex.id, user_id=ada.id)
    assert listed([globex.id]) == {bob.id}
    assert backend.get("/users", params={"organization_id": ["x"] * 101}).status_code == 422


def test_deleting_a_user_removes_their_memberships_with_events(clerk: Clerk, hooks: Hooks) -> None:
    ada, bob = create_user(clerk), create_user(clerk, "bob@example.org", first_name="Bob")
    acme = clerk.organizations.create(request={"name": "Acme", "created_by": ada.id})
    globex = clerk.organizations.create(request={"name": "Globex", "created_by": bob.id})
    joined = clerk.organization_memberships.create(
        organization_id=globex.id, user_id=ada.id, role="org:member"
    )
    clerk.users.delete(user_id=ada.id)
    bodies = hooks.wait("user.deleted", "organizationMembership.deleted")
    gone = [b["data"] for b in bodies if b["type"] == "organizationMembership.deleted"]
    assert sorted((g["organization"]["id"], g["role"]) for g in gone) == sorted(
        [(acme.id, "org:admin"), (globex.id, "org:member")]
    )
    assert all(g["public_user_data"]["user_id"] == ada.id for g in gone)
    assert joined.id in {g["id"] for g in gone}
    # in the same transaction as the deletion: the memberships' events come before user.deleted's
    types = [b["type"] for b in bodies if b["type"] in ("organizationMembership.deleted", "user.deleted")]
    assert types == ["organizationMembership.deleted", "organizationMembership.deleted", "user.deleted"]
    counted = clerk.organizations.get(organization_id=globex.id, include_members_count=True)
    assert counted.members_count == 1
    assert clerk.organization_memberships.list(organization_id=acme.id).total_count == 0
    # bob, who stays, lost nothing
    assert [m.organization.id for m in clerk.users.get_organization_memberships(user_id=bob.id).data] == [
        globex.id
    ]
