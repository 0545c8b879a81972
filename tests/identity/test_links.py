"""Backend API through Clerk's SDK: allowlist and blocklist identifiers (and their effect on sign-up),
redirect URLs, invitations (and signing up with one), sign-in tokens (and signing in with one)."""

from __future__ import annotations

import httpx
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import PASSWORD, Hooks, create_user
from tests.identity.test_pages import csrf
from tests.support.servers import HooklineServer


def sign_up(http: httpx.Client, email: str) -> httpx.Response:
    return http.post("/identity/sign_up", json={"email_address": email, "password": PASSWORD})


def test_blocklist_keeps_addresses_and_domains_from_signing_up(clerk: Clerk, http: httpx.Client) -> None:
    one = clerk.blocklist_identifiers.create(request={"identifier": "Spam@Example.org"})
    assert (
        one.object == models.BlocklistIdentifierObject.BLOCKLIST_IDENTIFIER
        and one.identifier == "spam@example.org"
    )
    domain = clerk.blocklist_identifiers.create(request={"identifier": "*@bad.test"})
    listed = clerk.blocklist_identifiers.list()
    assert listed.total_count == 2 and {i.id for i in listed.data} == {one.id, domain.id}
    for address in ("spam@example.org", "anyone@bad.test"):
        refused = sign_up(http, address)
        assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "not_allowed_access"
    assert sign_up(http, "fine@example.org").status_code == 200
    # the Backend API itself is not restricted, as in Clerk
    assert create_user(clerk, "spam@example.org").id.startswith("user_")
    with pytest.raises(models.ClerkErrors):
        clerk.blocklist_identifiers.create(request={"identifier": "spam@example.org"})
    assert clerk.blocklist_identifiers.delete(identifier_id=domain.id).deleted is True
    assert sign_up(http, "anyone@bad.test").status_code == 200
    with pytest.raises(models.ClerkErrors):
        clerk.blocklist_identifiers.delete(identifier_id=domain.id)


def test_a_non_empty_allowlist_admits_only_its_identifiers(clerk: Clerk, http: httpx.Client) -> None:
    assert sign_up(http, "early@example.org").status_code == 200  # an empty allowlist restricts nothing
    allowed = clerk.allowlist_identifiers.create(request={"identifier": "*@corp.test"})
    assert (
        allowed.identifier == "*@corp.test" and allowed.identifier_type == models.IdentifierType.EMAIL_ADDRESS
    )
    assert [i.id for i in clerk.allowlist_identifiers.list()] == [allowed.id]
    with httpx.Client(base_url=str(http.base_url)) as other:
        assert sign_up(other, "outsider@example.org").status_code == 403
        assert sign_up(other, "staff@corp.test").status_code == 200
    clerk.allowlist_identifiers.delete(identifier_id=allowed.id)
    with httpx.Client(base_url=str(http.base_url)) as other:
        assert sign_up(other, "outsider@example.org").status_code == 200


def test_identifiers_hookline_cannot_hold_are_refused(backend: httpx.Client) -> None:
    for identifier in ("+15555550100", "0x52908400098527886E0F7030069857D2E4169EE7", "not an address"):
        resp = backend.post("/allowlist_identifiers", json={"identifier": identifier})
        assert resp.status_code == 422 and resp.json()["errors"][0]["meta"] == {"param_name": "identifier"}
    assert backend.get("/allowlist_identifiers", params={"colour": "red"}).status_code == 422


def test_redirect_urls_are_created_listed_got_and_deleted(clerk: Clerk, backend: httpx.Client) -> None:
    made = clerk.redirect_urls.create(request={"url": "https://app.example.org/welcome"})
    native = clerk.redirect_urls.create(request={"url": "myapp://callback"})
    assert made.id.startswith("ru_") and made.object == models.RedirectURLObject.REDIRECT_URL
    assert [r.url for r in clerk.redirect_urls.list()] == [
        "https://app.example.org/welcome",
        "myapp://callback",
    ]
    assert clerk.redirect_urls.get(id=made.id).url == made.url
    assert backend.post("/redirect_urls", json={"url": "https://app.example.org/welcome"}).status_code == 422
    assert backend.post("/redirect_urls", json={"url": "javascript alert(1)"}).status_code == 422
    paged = backend.get("/redirect_urls", params={"paginated": "true", "limit": 1}).json()
    assert paged["total_count"] == 2 and len(paged["data"]) == 1
    assert clerk.redirect_urls.delete(id=native.id).deleted is True
    with pytest.raises(models.ClerkErrors):
        clerk.redirect_urls.get(id=native.id)


def test_an_invitation_is_emailed_and_signs_up_into_its_redirect_url(
    server: HooklineServer, clerk: Clerk, http: httpx.Client, hooks: Hooks
) -> None:
    clerk.redirect_urls.create(request={"url": "https://app.example.org/"})
    inv = clerk.invitations.create(request={"email_address": "New@Example.org", "public_metadata": {"plan": "team"},
                                            "redirect_url": "https://app.example.org/welcome"})  # fmt: skip
    assert inv.status == models.InvitationStatus.PENDING and inv.email_address == "new@example.org"
    assert inv.url and inv.url.startswith(server.settings.base_url + "/accept-invitation?__clerk_ticket=")
    sent = [b["data"] for b in hooks.wait("email.created") if b["type"] == "email.created"]
    assert sent[0]["slug"] == "invitation" and sent[0]["data"]["action_url"] == inv.url
    with pytest.raises(models.ClerkErrors):
        clerk.invitations.create(request={"email_address": "new@example.org"})  # already invited

    page = http.get(inv.url.removeprefix(server.settings.base_url))
    assert page.status_code == 200 and "new@example.org" in page.text
    ticket = inv.url.split("__clerk_ticket=")[1]
    done = http.post("/accept-invitation", data={"csrf": csrf(page), "ticket": ticket, "password": PASSWORD,
                                                 "first_name": "Nia"})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "https://app.example.org/welcome"
    user = clerk.users.list(request={"email_address": ["new@example.org"]})[0]
    assert user.public_metadata == {"plan": "team"} and user.first_name == "Nia"
    assert user.email_addresses[0].verification.status == "verified"
    assert [i.status for i in clerk.invitations.list()] == [models.InvitationStatus.ACCEPTED]
    again = http.post("/accept-invitation", data={"csrf": csrf(page), "ticket": ticket, "password": PASSWORD})
    assert again.status_code == 422


def test_invitations_list_filters_revoke_and_bulk(
    clerk: Clerk, backend: httpx.Client, http: httpx.Client
) -> None:
    made = clerk.invitations.bulk_create(request=[{"email_address": f"b{i}@example.org", "notify": False}
                                                  for i in range(3)])  # fmt: skip
    assert len(made) == 3
    revoked = clerk.invitations.revoke(invitation_id=made[0].id)
    assert revoked.status == "revoked" and revoked.id == made[0].id
    with pytest.raises(models.ClerkErrors):
        clerk.invitations.revoke(invitation_id=made[0].id)
    pending = clerk.invitations.list(status=models.ListInvitationsQueryParamStatus.PENDING)
    assert sorted(i.id for i in pending) == sorted(i.id for i in made[1:])
    assert [i.id for i in clerk.invitations.list(query="b2@")] == [made[2].id]
    assert [i.id for i in clerk.invitations.list(order_by="+created_at")] == [i.id for i in made]
    assert backend.get("/invitations", params={"order_by": "-email"}).status_code == 422
    assert backend.get("/invitations", params={"status": "lost"}).status_code == 422
    refused = http.get("/accept-invitation", params={"__clerk_ticket": made[0].url.split("=")[1]})
    assert refused.status_code == 422
    create_user(clerk, "taken@example.org")
    assert backend.post("/invitations", json={"email_address": "taken@example.org"}).status_code == 422
    assert (
        backend.post(
            "/invitations", json={"email_address": "x@example.org", "expires_in_days": 0}
        ).status_code
        == 422
    )


def test_a_sign_in_token_signs_in_once_and_can_be_revoked(
    server: HooklineServer, clerk: Clerk, http: httpx.Client, backend: httpx.Client
) -> None:
    user = create_user(clerk)
    token = clerk.sign_in_tokens.create(request={"user_id": user.id, "expires_in_seconds": 600})
    assert token.status == models.SignInTokenStatus.PENDING and token.user_id == user.id and token.token
    page = http.get(token.url.removeprefix(server.settings.base_url))
    assert page.status_code == 200 and "Continue" in page.text
    done = http.post("/sign-in/ticket", data={"csrf": csrf(page), "ticket": token.token})
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert http.get("/identity/me").json()["id"] == user.id
    with httpx.Client(base_url=server.url) as other:
        page = other.get("/sign-in/ticket", params={"__clerk_ticket": token.token})
        assert (
            other.post("/sign-in/ticket", data={"csrf": csrf(page), "ticket": token.token}).status_code == 422
        )
    second = clerk.sign_in_tokens.create(request={"user_id": user.id})
    assert clerk.sign_in_tokens.revoke(sign_in_token_id=second.id).status == models.SignInTokenStatus.REVOKED
    with httpx.Client(base_url=server.url) as other:
        page = other.get("/sign-in/ticket", params={"__clerk_ticket": second.token})
        assert (
            other.post("/sign-in/ticket", data={"csrf": csrf(page), "ticket": second.token}).status_code
            == 422
        )
    assert backend.post("/sign_in_tokens", json={"user_id": "user_missing"}).status_code == 404
    assert (
        backend.post("/sign_in_tokens", json={"user_id": user.id, "expires_in_seconds": -1}).status_code
        == 422
    )
    assert backend.post("/sign_in_tokens", json={"user_id": user.id, "org_id": "org_1"}).status_code == 422


def test_an_actor_token_opens_an_impersonated_session_with_the_act_claim(
    server: HooklineServer, clerk: Clerk, http: httpx.Client, backend: httpx.Client, hooks: Hooks
) -> None:
    import jwt

    user = create_user(clerk)
    made = clerk.actor_tokens.create(request={"user_id": user.id, "actor": {"sub": "user_admin"},
                                              "session_max_duration_in_seconds": 600})  # fmt: skip
    assert made.status == models.ActorTokenStatus.PENDING and made.user_id == user.id
    page = http.get(made.url.removeprefix(server.settings.base_url))
    done = http.post("/sign-in/ticket", data={"csrf": csrf(page), "ticket": made.token})
    assert done.status_code == 303
    token = http.post("/identity/token").json()["jwt"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["act"] == {"sub": "user_admin"} and claims["sub"] == user.id
    session = clerk.sessions.get(session_id=claims["sid"])
    assert backend.get(f"/sessions/{session.id}").json()["actor"] == {"sub": "user_admin"}
    assert 0 < session.expire_at - session.created_at <= 600_000
    created = [b["data"] for b in hooks.wait("session.created") if b["type"] == "session.created"]
    assert created[-1]["actor"] == {"sub": "user_admin"}
    with httpx.Client(base_url=server.url) as other:  # once only
        page = other.get("/sign-in/ticket", params={"__clerk_ticket": made.token})
        assert (
            other.post("/sign-in/ticket", data={"csrf": csrf(page), "ticket": made.token}).status_code == 422
        )
    second = clerk.actor_tokens.create(request={"user_id": user.id, "actor": {"sub": "user_admin"}})
    assert clerk.actor_tokens.revoke(actor_token_id=second.id).status == models.ActorTokenStatus.REVOKED
    assert backend.post("/actor_tokens", json={"user_id": user.id, "actor": {}}).status_code == 422
    assert (
        backend.post("/actor_tokens", json={"user_id": "user_missing", "actor": {"sub": "a"}}).status_code
        == 404
    )
