"""JWT templates through Clerk's SDK: CRUD, shortcodes rendered for the session's user, the token signed
with the instance key (verified against /v1/jwks), and options that cannot take effect refused."""

from __future__ import annotations

import httpx
import jwt
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import create_user
from tests.support.servers import HooklineServer


def test_a_template_token_carries_rendered_claims_and_verifies(
    server: HooklineServer, clerk: Clerk, backend: httpx.Client
) -> None:
    user = create_user(clerk, public_metadata={"plan": "pro", "limits": {"seats": 5}})
    # the SDK's model of claims has no fields, so it sends {} whatever it is given: claims go over plain HTTP
    made = backend.post("/jwt_templates", json={
        "name": "supabase", "lifetime": 300, "allowed_clock_skew": 10,
        "claims": {"aud": "authenticated", "email": "{{user.primary_email_address}}",
                   "name": "{{user.first_name}} {{user.last_name}}", "meta": "{{user.public_metadata}}",
                   "seats": "{{user.public_metadata.limits.seats}}", "missing": "{{user.username}}",
                   "roles": ["member", "{{user.public_metadata.plan}}"]},
    })  # fmt: skip
    template = clerk.jwt_templates.get(template_id=made.json()["id"])
    assert (
        template.id.startswith("jtmp_") and template.lifetime == 300 and template.signing_algorithm == "RS256"
    )
    session = clerk.sessions.create(request={"user_id": user.id})
    token = clerk.sessions.create_token_from_template(session_id=session.id, template_name="supabase").jwt
    jwks = jwt.PyJWKSet.from_dict(httpx.get(server.url + "/v1/jwks").json())
    header = jwt.get_unverified_header(token)
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="authenticated")
    assert claims["sub"] == user.id and claims["email"] == "ada@example.org"
    assert claims["name"] == "Ada Lovelace" and claims["meta"] == {"plan": "pro", "limits": {"seats": 5}}
    assert claims["seats"] == 5 and claims["missing"] is None and claims["roles"] == ["member", "pro"]
    assert claims["exp"] - claims["iat"] == 300 and claims["iat"] - claims["nbf"] == 10
    short = clerk.sessions.create_token_from_template(
        session_id=session.id, template_name="supabase", expires_in_seconds=60
    ).jwt
    assert (lambda c: c["exp"] - c["iat"])(jwt.decode(short, options={"verify_signature": False})) == 60

    clerk.sessions.revoke(session_id=session.id)
    refused = backend.post(f"/sessions/{session.id}/tokens/supabase")
    assert refused.status_code == 401
    assert backend.post(f"/sessions/{session.id}/tokens/nope").status_code == 404


def test_templates_are_listed_updated_and_deleted(clerk: Clerk, backend: httpx.Client) -> None:
    a = clerk.jwt_templates.create(request={"name": "a", "claims": {}})
    clerk.jwt_templates.create(request={"name": "b", "claims": {}})
    assert [t.name for t in clerk.jwt_templates.list()] == ["a", "b"]
    updated = clerk.jwt_templates.update(template_id=a.id, name="a2", claims={}, lifetime=120)
    assert (updated.name, updated.lifetime) == ("a2", 120)
    raw = backend.patch(f"/jwt_templates/{a.id}", json={"name": "a2", "claims": {"x": 2}})
    assert raw.json()["claims"] == {"x": 2} and raw.json()["lifetime"] == 120
    assert clerk.jwt_templates.get(template_id=a.id).name == "a2"
    assert clerk.jwt_templates.delete(template_id=a.id).deleted is True
    with pytest.raises(models.ClerkErrors):
        clerk.jwt_templates.get(template_id=a.id)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "t", "claims": {"sub": "someone"}}, "claims"),
        ({"name": "t", "claims": {"x": "{{user.password}}"}}, "claims"),
        ({"name": "t", "claims": {"x": "{{org.id}}"}}, "claims"),
        ({"name": "t", "claims": [1]}, "claims"),
        ({"name": "t", "claims": {}, "custom_signing_key": True, "signing_key": "k"}, "custom_signing_key"),
        ({"name": "t", "claims": {}, "signing_algorithm": "HS256"}, "signing_algorithm"),
        ({"name": "t", "claims": {}, "lifetime": 5}, "lifetime"),
        ({"name": "bad name!", "claims": {}}, "name"),
    ],
)
def test_options_that_cannot_take_effect_are_refused(backend: httpx.Client, body: dict, param: str) -> None:
    resp = backend.post("/jwt_templates", json=body)
    assert resp.status_code == 422 and resp.json()["errors"][0]["meta"]["param_name"] == param


def test_a_duplicate_name_is_refused(backend: httpx.Client) -> None:
    assert backend.post("/jwt_templates", json={"name": "t", "claims": {}}).status_code == 200
    assert backend.post("/jwt_templates", json={"name": "t", "claims": {}}).status_code == 422
