"""Hostile input to the organization routes: always a 4xx in Clerk's error shape, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from clerk_backend_api import Clerk

from tests.identity.conftest import PASSWORD, create_user

ODD: list[Any] = [None, 5, True, -1, 1.5, [], ["x"], {}, {"a": {"b": None}}, "", " ", "\u202e", "x" * 5000,
                  "' OR 1=1 --", "%", "_", "org:", "org:sys_profile:manage", "a\x00b", ["\x00"], "\\"]  # fmt: skip


def _refused(resp: httpx.Response) -> None:
    assert 400 <= resp.status_code < 500, (
        resp.request.method,
        resp.request.url,
        resp.status_code,
        resp.text[:300],
    )
    assert "errors" in resp.json(), (resp.request.method, resp.request.url, resp.status_code, resp.text[:300])
    assert resp.json()["errors"][0]["code"]


# Each route of a resource with the fields its body takes; ``{org}``, ``{user}``, ``{role}``, ``{perm}``,
# ``{domain}`` and ``{inv}`` are the records ``records`` makes. One test per resource, so the test
# processes share the routes out instead of one process sending every odd body.
BODY_TARGETS: dict[str, list[tuple[str, str, list[str]]]] = {
    "organization_create": [
        ("POST", "/organizations", ["name", "slug", "created_by", "public_metadata", "max_allowed_memberships",
                                    "created_at", "role_set_key"]),
    ],
    "organization_update": [
        ("PATCH", "/organizations/{org}", ["name", "slug", "max_allowed_memberships", "admin_delete_enabled",
                                           "private_metadata", "created_at"]),
        ("PATCH", "/organizations/{org}/metadata", ["public_metadata", "private_metadata"]),
    ],
    "memberships": [
        ("POST", "/organizations/{org}/memberships", ["user_id", "role", "public_metadata"]),
        ("PATCH", "/organizations/{org}/memberships/{user}", ["role"]),
        ("PATCH", "/organizations/{org}/memberships/{user}/metadata", ["public_metadata"]),
    ],
    "invitations": [
        ("POST", "/organizations/{org}/invitations", ["email_address", "role", "inviter_user_id",
                                                      "expires_in_days", "notify", "redirect_url",
                                                      "public_metadata"]),
        ("POST", "/organizations/{org}/invitations/{inv}/revoke", ["requesting_user_id"]),
    ],
    "roles": [
        ("POST", "/organization_roles", ["name", "key", "description", "permissions",
                                         "include_in_initial_role_set"]),
        ("PATCH", "/organization_roles/{role}", ["name", "key", "permissions"]),
    ],
    "permissions": [
        ("POST", "/organization_permissions", ["name", "key", "description"]),
        ("PATCH", "/organization_permissions/{perm}", ["name", "key", "description"]),
    ],
    "domains": [
        ("POST", "/organizations/{org}/domains", ["name", "enrollment_mode", "verified"]),
        ("PATCH", "/organizations/{org}/domains/{domain}", ["enrollment_mode", "verified"]),
    ],
}  # fmt: skip


@pytest.fixture
def records(clerk: Clerk) -> dict[str, str]:
    """A user and, made by them, an organization with a domain and an invitation; a role and a permission."""
    ada = create_user(clerk)
    org = clerk.organizations.create(request={"name": "Acme", "created_by": ada.id})
    role = clerk.organization_roles.create(name="R", key="org:r")
    perm = clerk.organization_permissions.create(name="P", key="org:p:read")
    domain = clerk.organization_domains.create(organization_id=org.id, name="acme.example")
    inv = clerk.organization_invitations.create(
        organization_id=org.id, email_address="x@example.org", role="org:member"
    )
    return {
        "user": ada.id,
        "org": org.id,
        "role": role.id,
        "perm": perm.id,
        "domain": domain.id,
        "inv": inv.id,
    }


@pytest.mark.parametrize("resource", list(BODY_TARGETS))
def test_odd_bodies_are_refused_or_accepted_never_a_500(
    backend: httpx.Client, records: dict[str, str], resource: str
) -> None:
    valid = {
        "name": "N",
        "email_address": "y@example.org",
        "role": "org:member",
        "key": "org:k",
        "user_id": records["user"],
    }
    for method, path, fields in BODY_TARGETS[resource]:
        for field in fields:
            for odd in ODD:
                body = {**valid, field: odd}
                resp = backend.request(method, path.format(**records), json=body)
                if resp.status_code >= 400:
                    _refused(resp)


def test_bodies_that_are_not_json_objects_are_refused(backend: httpx.Client, records: dict[str, str]) -> None:
    base = f"/organizations/{records['org']}"
    for method, path in [("POST", "/organizations"), ("POST", f"{base}/invitations/bulk"), ("PATCH", base)]:
        for raw in (b"[", b"[1]", b'"x"', b"null", b"[" + b"{}," * 20 + b"{}]", b'{"name": "\\ud800"}'):
            resp = backend.request(method, path, content=raw, headers={"content-type": "application/json"})
            _refused(resp)


def test_odd_query_parameters_and_paths_are_refused(clerk: Clerk, backend: httpx.Client) -> None:
    org = clerk.organizations.create(request={"name": "Acme"})
    lists = ["/organizations", f"/organizations/{org.id}/memberships", "/organization_memberships",
             f"/organizations/{org.id}/invitations", "/organization_invitations", "/organization_roles",
             "/organization_permissions", f"/organizations/{org.id}/domains", "/organization_domains"]  # fmt: skip
    for path in lists:
        for params in ({"limit": "-1"}, {"limit": "x"}, {"offset": "1e3"}, {"order_by": "-nothing"},
                       {"order_by": "+"}, {"unknown": "1"}, {"query": "q" * 300}, {"status": "lost"},
                       {"verified": "maybe"}, {"enrollment_mode": "magic"}, {"user_id": ["x"] * 101},
                       {"created_at_after": "yesterday"}, {"query": "\x00"}, {"email_address": "a\x00"}):  # fmt: skip
            resp = backend.get(path, params=params)
            if resp.status_code != 200:
                _refused(resp)
        assert backend.get(path, params={"query": "%_\\' OR 1=1"}).status_code in (200, 422)
    for path in ("/organizations/%00", "/organizations/" + "x" * 3000, "/organization_roles/role_%27",
                 f"/organizations/{org.id}/invitations/orginv_none",
                 "/users/user_none/organization_memberships", "/users/user_none/organization_invitations"):  # fmt: skip
        _refused(backend.get(path))
    not_multipart = backend.put(f"/organizations/{org.id}/logo", json={"file": "x"})
    _refused(not_multipart)
    no_file = backend.put(
        f"/organizations/{org.id}/logo", files={"other": ("a.png", b"\x89PNG", "image/png")}
    )
    _refused(no_file)
    broken = backend.put(f"/organizations/{org.id}/logo", content=b"--x\r\nbroken",
                         headers={"content-type": "multipart/form-data; boundary=x"})  # fmt: skip
    _refused(broken)


def test_hostile_input_to_the_signed_in_endpoints_and_pages(clerk: Clerk, http: httpx.Client) -> None:
    create_user(clerk)
    assert http.post("/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD}
                     ).status_code == 200  # fmt: skip
    for odd in ODD:
        resp = http.post("/identity/me/active_organization", json={"organization_id": odd})
        if resp.status_code != 200:
            _refused(resp)
    assert http.get("/organizations/accept", params={"__clerk_ticket": "x" * 5000}).status_code == 422
    assert http.get("/organizations/org_none").status_code == 404
    assert http.post("/organizations/active", data={"organization_id": "org_none"}).status_code == 403
    assert http.post("/organizations", data={"name": "a\x00b"}).status_code == 422


def test_every_hosted_form_wants_a_session_and_its_csrf_token(clerk: Clerk, http: httpx.Client) -> None:
    ada = create_user(clerk)
    org = clerk.organizations.create(request={"name": "Acme", "created_by": ada.id})
    posts = ["/organizations", "/organizations/active", "/organizations/invitations/orginv_x/accept",
             "/organizations/accept", f"/organizations/{org.id}/invitations", f"/organizations/{org.id}/delete",
             f"/organizations/{org.id}/members/{ada.id}/remove"]  # fmt: skip
    for path in posts:
        anonymous = http.post(path, data={"name": "Globex", "csrf": "x"})
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/sign-in", path
    assert http.post("/identity/sign_in", json={"email_address": "ada@example.org", "password": PASSWORD}
                     ).status_code == 200  # fmt: skip
    for path in posts:
        for form in ({"name": "Globex"}, {"name": "Globex", "csrf": "forged"}):
            refused = http.post(path, data=form)
            assert refused.status_code == 403 and "The form expired" in refused.text, (path, form)
    # nothing was done: ada is still the only member, and no organization was made
    assert [m.public_user_data.user_id for m in clerk.organization_memberships.list(organization_id=org.id).data] \
        == [ada.id]  # fmt: skip
    assert clerk.organizations.list().total_count == 1
