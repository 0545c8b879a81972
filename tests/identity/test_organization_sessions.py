"""The active organization of a session: its token's ``o`` claim, read by Clerk's SDKs (Python and, under Node,
``@clerk/backend``'s ``authenticateRequest().toAuth()``); the hosted organization pages; organization events
accepted by Clerk's ``verifyWebhook``."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from clerk_backend_api import Clerk

from hookline.receiver import Event, parse_event
from tests.identity.conftest import PASSWORD, Hooks, create_user
from tests.support.postgres import in_ci
from tests.support.servers import HooklineServer

NODE_DIR = Path(__file__).resolve().parent / "node"


def node_or_skip() -> str:
    executable = shutil.which("node")
    if (
        executable is None
        or not (NODE_DIR / "node_modules" / "@clerk" / "backend" / "package.json").is_file()
    ):
        if in_ci():
            pytest.fail("node and tests/identity/node's packages are needed")
        pytest.skip("node or @clerk/backend is not installed")
    return executable


def run_node(script: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    run = subprocess.run([node_or_skip(), str(NODE_DIR / script)], input=json.dumps(payload), capture_output=True,
                         text=True, cwd=NODE_DIR, timeout=60, check=True)  # fmt: skip
    return [json.loads(line) for line in run.stdout.splitlines()]


def csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def sign_in(http: httpx.Client, email: str) -> dict[str, Any]:
    answer = http.post("/identity/sign_in", json={"email_address": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def billing_setup(clerk: Clerk) -> tuple[Any, Any, Any]:
    """A user who is admin of Acme and billing member of Globex (three custom permissions)."""
    ada = create_user(clerk)
    ids = [clerk.organization_permissions.create(name=k, key=k).id
           for k in ("org:invoices:read", "org:invoices:manage", "org:reports:read")]  # fmt: skip
    clerk.organization_roles.create(name="Billing", key="org:billing", permissions=ids)
    acme = clerk.organizations.create(request={"name": "Acme", "created_by": ada.id})
    globex = clerk.organizations.create(request={"name": "Globex", "slug": "globex"})
    clerk.organization_memberships.create(organization_id=globex.id, user_id=ada.id, role="org:billing")
    return ada, acme, globex


def test_the_session_token_carries_the_active_organization(
    server: HooklineServer, clerk: Clerk, http: httpx.Client
) -> None:
    ada, acme, globex = billing_setup(clerk)
    signed = sign_in(http, "ada@example.org")
    assert "o" not in jwt.decode(signed["token"], options={"verify_signature": False})
    listed = http.get("/identity/me/organizations").json()
    assert listed["active_organization_id"] is None and len(listed["data"]) == 2
    switched = http.post("/identity/me/active_organization", json={"organization_id": "globex"}).json()
    assert switched["active_organization_id"] == globex.id
    claims = jwt.decode(switched["jwt"], options={"verify_signature": False})
    assert claims["v"] == 2 and claims["fea"] == "o:invoices,o:reports"
    assert claims["o"] == {
        "id": globex.id,
        "slg": "globex",
        "rol": "billing",
        "per": "manage,read",
        "fpm": "3,2",
    }
    # the next refresh keeps it; the admin organization has system permissions only, which tokens leave out
    refreshed = jwt.decode(http.post("/identity/token").json()["jwt"], options={"verify_signature": False})
    assert refreshed["o"]["id"] == globex.id
    admin = http.post("/identity/me/active_organization", json={"organization_id": acme.id}).json()
    admin_claims = jwt.decode(admin["jwt"], options={"verify_signature": False})
    assert (
        admin_claims["o"] == {"id": acme.id, "slg": acme.slug, "rol": "admin"} and "fea" not in admin_claims
    )
    # the Backend API's tokens carry it too; removed from the organization, the claim goes
    backend_token = clerk.sessions.create_token(session_id=signed["session"]["id"])
    assert backend_token is not None and backend_token.jwt
    assert jwt.decode(backend_token.jwt, options={"verify_signature": False})["o"]["id"] == acme.id
    clerk.organization_memberships.delete(organization_id=acme.id, user_id=ada.id)
    assert "o" not in jwt.decode(
        http.post("/identity/token").json()["jwt"], options={"verify_signature": False}
    )
    other = clerk.organizations.create(request={"name": "Other"})
    refused = http.post("/identity/me/active_organization", json={"organization_id": other.id})
    assert refused.status_code == 404
    assert http.post("/identity/me/active_organization", json={"organization_id": 5}).status_code == 422
    none = http.post("/identity/me/active_organization", json={"organization_id": None}).json()
    assert none["active_organization_id"] is None


def test_clerk_backend_to_auth_reports_the_organization(
    server: HooklineServer, clerk: Clerk, http: httpx.Client
) -> None:
    node_or_skip()
    _, _, globex = billing_setup(clerk)
    sign_in(http, "ada@example.org")
    token = http.post("/identity/me/active_organization", json={"organization_id": globex.id}).json()["jwt"]
    host = server.url.removeprefix("http://")
    publishable = "pk_test_" + base64.b64encode(f"{host}$".encode()).decode()
    [auth] = run_node("authenticate.mjs", {"jwt_key": server.app.state.identity.signer.public_pem, "token": token,
                                           "publishable_key": publishable, "secret_key": server.secret_key,
                                           "api_url": server.url})  # fmt: skip
    assert auth["status"] == "signed-in", auth
    assert (auth["orgId"], auth["orgRole"], auth["orgSlug"]) == (globex.id, "org:billing", "globex")
    assert sorted(auth["orgPermissions"]) == ["org:invoices:manage", "org:invoices:read", "org:reports:read"]
    assert auth["hasManage"] is True


def test_organization_events_pass_clerks_verify_webhook(clerk: Clerk, hooks: Hooks) -> None:
    node_or_skip()
    _, acme, _ = billing_setup(clerk)
    clerk.organization_invitations.create(
        organization_id=acme.id, email_address="new@example.org", role="org:member"
    )
    domain = clerk.organization_domains.create(organization_id=acme.id, name="acme.example")
    clerk.organization_domains.delete(organization_id=acme.id, domain_id=domain.id)
    clerk.organizations.delete(organization_id=acme.id)
    wanted = ("organization.created", "organization.deleted", "organizationMembership.created", "role.created",
              "permission.created", "organizationInvitation.created", "organizationDomain.created",
              "organizationDomain.deleted")  # fmt: skip
    hooks.wait(*wanted)
    deliveries = [{"headers": r.headers, "body": r.body.decode()} for r in hooks.receiver.requests]
    results = run_node("verify_clerk.mjs", {"secret": hooks.secret, "deliveries": deliveries})
    assert len(results) == len(deliveries) and all(r["ok"] for r in results), results
    assert set(wanted) <= {r["type"] for r in results}
    for r in hooks.receiver.requests:  # hookline's own receiver reads each into its typed class
        event = parse_event(r.body, message_id=r.headers["svix-id"])
        assert type(event) is not Event and not isinstance(event.data, dict), event.type
    tampered = deliveries[0]["body"].replace('"object":"event"', '"object":"evil"')
    assert tampered != deliveries[0]["body"]
    [bad] = run_node(
        "verify_clerk.mjs", {"secret": hooks.secret, "deliveries": [{**deliveries[0], "body": tampered}]}
    )
    assert bad["ok"] is False


def other_org(clerk: Clerk) -> Any:
    return clerk.organizations.create(request={"name": "Globex"})


def test_hosted_pages_create_switch_invite_and_accept(
    server: HooklineServer, clerk: Clerk, http: httpx.Client, hooks: Hooks
) -> None:
    create_user(clerk)
    bob = create_user(clerk, "bob@example.org", first_name="Bob")
    assert http.get("/organizations").status_code == 303
    sign_in(http, "ada@example.org")
    page = http.get("/organizations")
    assert page.status_code == 200 and "You do not belong" in page.text
    made = http.post("/organizations", data={"csrf": csrf(page), "name": "Acme <Labs>"})
    assert made.status_code == 422 and "may not contain" in made.text and "<Labs>" not in made.text
    made = http.post("/organizations", data={"csrf": csrf(page), "name": "Acme Labs", "slug": "acme"},
                     follow_redirects=True)  # fmt: skip
    assert made.status_code == 200 and "Acme Labs" in made.text and "active in this session" in made.text
    org = clerk.organizations.get(organization_id="acme")
    assert http.post("/organizations", data={"name": "No token"}).status_code == 403
    invited = http.post(f"/organizations/{org.id}/invitations",
                        data={"csrf": csrf(made), "email_address": "bob@example.org", "role": "org:member"},
                        follow_redirects=True)  # fmt: skip
    assert invited.status_code == 200 and "bob@example.org" in invited.text
    mails = [b["data"] for b in hooks.wait("email.created") if b["type"] == "email.created"]
    link = next(m for m in mails if m["slug"] == "organization_invitation")["data"]["action_url"]
    with httpx.Client(base_url=server.url) as browser:
        path = link.removeprefix(server.url)
        to_sign_in = browser.get(path)
        assert to_sign_in.status_code == 303 and to_sign_in.headers["location"].startswith(
            "/sign-in?redirect_url="
        )
        sign_in(browser, "bob@example.org")
        confirm = browser.get(path)
        assert confirm.status_code == 200 and "Acme Labs" in confirm.text
        ticket = re.search(r'name="ticket" value="([^"]+)"', confirm.text)
        assert ticket
        joined = browser.post("/organizations/accept", data={"csrf": csrf(confirm), "ticket": ticket.group(1)},
                              follow_redirects=True)  # fmt: skip
        assert joined.status_code == 200 and "Member" in joined.text
        again = browser.post("/organizations/accept", data={"csrf": csrf(confirm), "ticket": ticket.group(1)})
        assert again.status_code == 422
        mine = browser.get("/identity/me/organizations").json()
        assert mine["active_organization_id"] == org.id
    memberships = clerk.organization_memberships.list(organization_id=org.id)
    assert {m.public_user_data.user_id for m in memberships.data if m.public_user_data} >= {bob.id}
    hooks.wait("organizationInvitation.accepted")
    # an invitation without its link: the user's organizations page offers it
    clerk.organization_invitations.create(organization_id=other_org(clerk).id, email_address="ada@example.org",
                                          role="org:member", notify=False)  # fmt: skip
    listing = http.get("/organizations")
    listed = re.search(r'action="(/organizations/invitations/orginv_[^"]+/accept)"', listing.text)
    assert listed and "Globex" in listing.text
    joined = http.post(listed.group(1), data={"csrf": csrf(listing)}, follow_redirects=True)
    assert joined.status_code == 200 and "Globex" in joined.text
    assert http.post(listed.group(1), data={"csrf": csrf(listing)}).status_code == 422
    # switching back to the personal account
    listing = http.get("/organizations")
    switched = http.post("/organizations/active", data={"csrf": csrf(listing), "organization_id": ""},
                         follow_redirects=True)  # fmt: skip
    assert switched.status_code == 200 and "Active organization changed" in switched.text
    assert http.get("/identity/me/organizations").json()["active_organization_id"] is None


def test_hosted_pages_remove_leave_and_delete(clerk: Clerk, http: httpx.Client, hooks: Hooks) -> None:
    ada = create_user(clerk)
    bob = create_user(clerk, "bob@example.org", first_name="Bob")
    carl = create_user(clerk, "carl@example.org", first_name="Carl")
    org = clerk.organizations.create(request={"name": "Acme", "created_by": ada.id})
    for user in (bob, carl):
        clerk.organization_memberships.create(organization_id=org.id, user_id=user.id, role="org:member")
    with httpx.Client(base_url=str(http.base_url)) as bobs:
        sign_in(bobs, "bob@example.org")
        page = bobs.get(f"/organizations/{org.id}")
        assert "delete-organization" not in page.text and f"/members/{carl.id}/remove" not in page.text
        refused = bobs.post(f"/organizations/{org.id}/members/{carl.id}/remove", data={"csrf": csrf(page)})
        assert refused.status_code == 403  # a member may not remove others
        assert bobs.post(f"/organizations/{org.id}/delete", data={"csrf": csrf(page)}).status_code == 403
        left = bobs.post(f"/organizations/{org.id}/members/{bob.id}/remove", data={"csrf": csrf(page)},
                         follow_redirects=True)  # fmt: skip
        assert left.status_code == 200 and "You left the organization" in left.text
    sign_in(http, "ada@example.org")
    page = http.get(f"/organizations/{org.id}")
    removed = http.post(f"/organizations/{org.id}/members/{carl.id}/remove", data={"csrf": csrf(page)},
                        follow_redirects=True)  # fmt: skip
    assert removed.status_code == 200 and "Member removed" in removed.text
    members = clerk.organization_memberships.list(organization_id=org.id)
    assert [m.public_user_data.user_id for m in members.data if m.public_user_data] == [ada.id]
    # admin_delete_enabled takes effect: off, even an admin cannot delete it here
    clerk.organizations.update(organization_id=org.id, admin_delete_enabled=False)
    page = http.get(f"/organizations/{org.id}")
    assert "delete-organization" not in page.text
    assert http.post(f"/organizations/{org.id}/delete", data={"csrf": csrf(page)}).status_code == 403
    clerk.organizations.update(organization_id=org.id, admin_delete_enabled=True)
    page = http.get(f"/organizations/{org.id}")
    deleted = http.post(f"/organizations/{org.id}/delete", data={"csrf": csrf(page)}, follow_redirects=True)
    assert deleted.status_code == 200 and "Organization deleted" in deleted.text
    hooks.wait("organization.deleted", "organizationMembership.deleted")
    assert len(hooks.of_type("organizationMembership.deleted")) == 2


def test_clerk_backend_node_client_manages_organizations(server: HooklineServer, clerk: Clerk) -> None:
    node_or_skip()
    ada, bob = create_user(clerk), create_user(clerk, "bob@example.org")
    [got] = run_node("organizations_backend.mjs", {"api_url": server.url, "secret_key": server.secret_key,
                                                   "user_id": ada.id, "other_user_id": bob.id})  # fmt: skip
    org_id = got["created"]["id"]
    assert got["created"] == {"id": org_id, "name": "Node Org", "slug": "node-org", "createdBy": ada.id,
                              "publicMetadata": {"tier": "gold"}, "maxAllowedMemberships": 10}  # fmt: skip
    assert got["bySlug"] == {"id": org_id, "membersCount": 1}
    assert got["updated"] == {"name": "Node Org 2", "adminDeleteEnabled": False}
    assert got["merged"] == {"secret": 1}
    assert got["list"] == {"total": 1, "names": ["Node Org 2"]}
    assert got["member"]["role"] == "org:member" and got["member"]["org"] == org_id
    assert got["member"]["user"] == bob.id and got["member"]["identifier"] == "bob@example.org"
    assert got["member"]["permissions"] == ["org:sys_memberships:read"]
    assert got["promoted"] == "org:admin" and got["members"] == {
        "total": 2,
        "roles": ["org:admin", "org:admin"],
    }
    assert got["userMemberships"] == [org_id]
    assert got["invitation"] == {"email": "node@example.org", "status": "pending", "role": "org:member",
                                 "orgId": org_id}  # fmt: skip
    assert got["invitations"] == 1 and got["revoked"] == "revoked"
    assert got["roles"] == ["org:admin", "org:member"]
    assert got["removed"] == bob.id and got["deleted"] == {"id": org_id, "deleted": True}


def test_session_objects_and_events_name_the_active_organization(
    clerk: Clerk, http: httpx.Client, hooks: Hooks
) -> None:
    ada, acme, globex = billing_setup(clerk)
    session_id = sign_in(http, "ada@example.org")["session"]["id"]
    assert clerk.sessions.get(session_id=session_id).last_active_organization_id is None
    http.post("/identity/me/active_organization", json={"organization_id": "globex"}).raise_for_status()
    assert clerk.sessions.get(session_id=session_id).last_active_organization_id == globex.id
    [listed] = clerk.sessions.list(user_id=ada.id)
    assert listed.id == session_id and listed.last_active_organization_id == globex.id
    # removed from the organization, the session has no active one
    clerk.organization_memberships.delete(organization_id=globex.id, user_id=ada.id)
    assert clerk.sessions.get(session_id=session_id).last_active_organization_id is None
    http.post("/identity/me/active_organization", json={"organization_id": acme.id}).raise_for_status()
    revoked = clerk.sessions.revoke(session_id=session_id)
    assert revoked is not None and revoked.last_active_organization_id == acme.id
    hooks.wait("session.revoked")
    [event] = hooks.of_type("session.revoked")
    assert event["data"]["last_active_organization_id"] == acme.id
    created = next(b for b in hooks.of_type("session.created") if b["data"]["id"] == session_id)
    assert created["data"]["last_active_organization_id"] is None
