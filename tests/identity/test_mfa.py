"""Second factors: TOTP enrolment with backup codes, the second step of sign-in (JSON and hosted pages),
and the Backend API's verify_totp, delete_totp, delete_backup_codes and disable_mfa through Clerk's SDK."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from clerk_backend_api import Clerk, models

from tests.identity.conftest import PASSWORD, Hooks, create_user
from tests.identity.test_pages import csrf, submit


def sign_in(http: httpx.Client, email: str = "ada@example.org") -> httpx.Response:
    return http.post("/identity/sign_in", json={"email_address": email, "password": PASSWORD})


def next_code(secret: str, after: float = 0) -> str:
    """A TOTP code of a time step not yet used (a code is accepted once)."""
    totp = pyotp.TOTP(secret)
    at = max(time.time(), after)
    return totp.at(at)


def enrol(http: httpx.Client) -> tuple[str, list[str]]:
    """Set up TOTP for the signed-in user; the secret and the backup codes."""
    made = http.post("/identity/me/totp")
    assert made.status_code == 200, made.text
    secret = made.json()["secret"]
    assert made.json()["verified"] is False
    assert parse_qs(urlsplit(made.json()["uri"]).query)["secret"] == [secret]
    done = http.post("/identity/me/totp/attempt_verification", json={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.text
    assert done.json()["verified"] is True and len(done.json()["backup_codes"]) == 10
    return secret, done.json()["backup_codes"]


def test_enrolment_turns_two_factor_on_and_sign_in_then_needs_a_code(
    clerk: Clerk, http: httpx.Client, hooks: Hooks
) -> None:
    user = create_user(clerk)
    assert sign_in(http).status_code == 200
    wrong = http.post("/identity/me/totp")
    secret = wrong.json()["secret"]
    bad = http.post("/identity/me/totp/attempt_verification", json={"code": "12345x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["code"] == "form_code_incorrect"
    assert clerk.users.get(user_id=user.id).totp_enabled is False  # not in force before a code matched
    done = http.post("/identity/me/totp/attempt_verification", json={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    fresh = clerk.users.get(user_id=user.id)
    assert (fresh.totp_enabled, fresh.backup_code_enabled, fresh.two_factor_enabled) == (True, True, True)
    assert fresh.mfa_enabled_at is not None
    events = [b["data"] for b in hooks.wait("user.updated") if b["type"] == "user.updated"]
    assert any(e["two_factor_enabled"] and e["totp_enabled"] for e in events)

    with httpx.Client(base_url=str(http.base_url)) as other:
        pending = sign_in(other)
        assert pending.status_code == 200
        body = pending.json()
        assert body["status"] == "needs_second_factor" and "token" not in body
        assert {f["strategy"] for f in body["supported_second_factors"]} == {"totp", "backup_code"}
        assert "__client" not in pending.cookies
        wrong_code = other.post("/identity/sign_in/attempt_second_factor",
                                json={"sign_in_id": body["id"], "strategy": "totp", "code": "000000"})  # fmt: skip
        assert wrong_code.status_code == 422
        # the code used for enrolment was spent; the next step's code signs in
        code = pyotp.TOTP(secret).at(time.time() + 30)
        ok = other.post("/identity/sign_in/attempt_second_factor",
                        json={"sign_in_id": body["id"], "strategy": "totp", "code": code})  # fmt: skip
        assert ok.status_code == 200, ok.text
        assert ok.json()["session"]["status"] == "active" and "__client" in ok.cookies
        again = other.post("/identity/sign_in/attempt_second_factor",
                           json={"sign_in_id": body["id"], "strategy": "totp", "code": code})  # fmt: skip
        assert again.json()["errors"][0]["code"] == "sign_in_expired"


def test_a_totp_code_works_once_and_a_backup_code_is_spent(clerk: Clerk, http: httpx.Client) -> None:
    create_user(clerk)
    sign_in(http)
    secret, backups = enrol(http)
    with httpx.Client(base_url=str(http.base_url)) as other:
        first = sign_in(other).json()["id"]
        code = pyotp.TOTP(secret).at(time.time() + 30)
        assert other.post("/identity/sign_in/attempt_second_factor",
                          json={"sign_in_id": first, "strategy": "totp", "code": code}).status_code == 200  # fmt: skip
        second = sign_in(other).json()["id"]
        replay = other.post("/identity/sign_in/attempt_second_factor",
                            json={"sign_in_id": second, "strategy": "totp", "code": code})  # fmt: skip
        assert replay.status_code == 422 and replay.json()["errors"][0]["code"] == "form_code_incorrect"
        backup = other.post("/identity/sign_in/attempt_second_factor",
                            json={"sign_in_id": second, "strategy": "backup_code", "code": backups[0].upper()})  # fmt: skip
        assert backup.status_code == 200
        third = sign_in(other).json()["id"]
        spent = other.post("/identity/sign_in/attempt_second_factor",
                           json={"sign_in_id": third, "strategy": "backup_code", "code": backups[0]})  # fmt: skip
        assert spent.status_code == 422


def test_five_wrong_codes_end_the_pending_sign_in(clerk: Clerk, http: httpx.Client) -> None:
    create_user(clerk)
    sign_in(http)
    secret, _ = enrol(http)
    with httpx.Client(base_url=str(http.base_url)) as other:
        pending = sign_in(other).json()["id"]
        answers = [other.post("/identity/sign_in/attempt_second_factor",
                              json={"sign_in_id": pending, "strategy": "backup_code", "code": "nope"})
                   for _ in range(5)]  # fmt: skip
        assert answers[-1].json()["errors"][0]["code"] == "verification_failed"
        late = other.post("/identity/sign_in/attempt_second_factor",
                          json={"sign_in_id": pending, "strategy": "totp",
                                "code": pyotp.TOTP(secret).at(time.time() + 30)})  # fmt: skip
        assert late.status_code == 422
        odd = other.post("/identity/sign_in/attempt_second_factor",
                         json={"sign_in_id": pending, "strategy": "sms", "code": "1"})  # fmt: skip
        assert odd.status_code == 422 and odd.json()["errors"][0]["meta"] == {"param_name": "strategy"}


def test_backend_api_verify_totp_and_removal_operations(
    clerk: Clerk, http: httpx.Client, hooks: Hooks
) -> None:
    user = create_user(clerk)
    sign_in(http)
    secret, backups = enrol(http)
    checked = clerk.users.verify_totp(user_id=user.id, code=pyotp.TOTP(secret).at(time.time() + 30))
    assert checked.verified is True and checked.code_type == models.CodeType.TOTP
    by_backup = clerk.users.verify_totp(user_id=user.id, code=backups[1])
    assert by_backup.code_type == models.CodeType.BACKUP_CODE
    with pytest.raises(models.SDKError) as err:
        clerk.users.verify_totp(user_id=user.id, code=backups[1])  # spent
    assert err.value.status_code == 422

    assert clerk.users.delete_backup_codes(user_id=user.id).user_id == user.id
    got = clerk.users.get(user_id=user.id)
    assert (got.totp_enabled, got.backup_code_enabled, got.two_factor_enabled) == (True, False, True)
    assert clerk.users.delete_totp(user_id=user.id).user_id == user.id
    got = clerk.users.get(user_id=user.id)
    assert (got.totp_enabled, got.two_factor_enabled) == (False, False) and got.mfa_disabled_at is not None
    assert sign_in(http).json()["session"]["status"] == "active"  # no second step any more

    secret, _ = enrol(http)
    assert clerk.users.disable_mfa(user_id=user.id).user_id == user.id
    got = clerk.users.get(user_id=user.id)
    assert (got.totp_enabled, got.backup_code_enabled, got.two_factor_enabled) == (False, False, False)
    with pytest.raises(models.ClerkErrors):
        clerk.users.disable_mfa(user_id="user_missing")

    def on_and_off(bodies: list[dict]) -> bool:
        kinds = {b["data"]["two_factor_enabled"] for b in bodies if b["type"] == "user.updated"}
        return kinds == {True, False}

    hooks.until(on_and_off)


def test_turning_off_and_new_backup_codes_need_the_current_password(clerk: Clerk, http: httpx.Client) -> None:
    create_user(clerk)
    sign_in(http)
    _, old = enrol(http)
    refused = http.post("/identity/me/backup_codes", json={"current_password": "wrong"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["meta"] == {
        "param_name": "current_password"
    }
    new = http.post("/identity/me/backup_codes", json={"current_password": PASSWORD})
    assert new.status_code == 200 and len(set(new.json()["codes"]) - set(old)) == 10
    assert http.request("DELETE", "/identity/me/totp", json={}).status_code == 422
    off = http.request("DELETE", "/identity/me/totp", json={"current_password": PASSWORD})
    assert off.status_code == 200 and http.get("/identity/me").json()["two_factor_enabled"] is False


def test_hosted_pages_set_up_two_factor_and_sign_in_with_a_code(clerk: Clerk, http: httpx.Client) -> None:
    create_user(clerk, "page@example.org")
    submit(http, "/sign-in", "/sign-in", email_address="page@example.org", password=PASSWORD)
    page = http.get("/two-factor")
    assert 'action="/two-factor/totp"' in page.text
    started = http.post("/two-factor/totp", data={"csrf": csrf(page)})
    secret = started.text.split('id="totp-secret">')[1].split("<")[0]
    on = http.post("/two-factor/totp/verify", data={"csrf": csrf(started), "code": pyotp.TOTP(secret).now()})
    assert on.status_code == 200 and on.text.count("<li><code>") == 10
    assert "On: signing in asks" in http.get("/account").text

    with httpx.Client(base_url=str(http.base_url)) as other:
        held = submit(other, "/sign-in", "/sign-in", email_address="page@example.org", password=PASSWORD)
        assert str(held.url).endswith("/sign-in/factor-two") and "__client" not in other.cookies
        done = other.post("/sign-in/factor-two", data={"csrf": csrf(held), "strategy": "totp",
                                                       "code": pyotp.TOTP(secret).at(time.time() + 30)},
                          follow_redirects=True)  # fmt: skip
        assert str(done.url).endswith("/account") and "page@example.org" in done.text
