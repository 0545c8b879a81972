"""Email verification and password reset: codes and links delivered as ``email.created`` events (and by
SMTP when configured), through the Backend API, the end-user JSON endpoints and the hosted pages."""

from __future__ import annotations

import asyncio
import time
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller
from clerk_backend_api import Clerk, models

from hookline.config import ConfigError
from hookline.identity.mail import LogMailer, NoMailer, Postman, SmtpMailer, mailer_from_env
from tests.identity.conftest import PASSWORD, Hooks, create_user
from tests.identity.test_pages import csrf, submit
from tests.support.servers import HooklineServer, free_port

NEW_PASSWORD = "a completely different passphrase"


def sign_up(http: httpx.Client, email: str = "vera@example.org") -> dict:
    resp = http.post("/identity/sign_up", json={"email_address": email, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return resp.json()


def emails_to(hooks: Hooks, address: str, slug: str, count: int = 1) -> list[dict]:
    """The ``email.created`` events for an address and slug, once ``count`` of them arrived."""
    deadline = time.time() + 15
    while True:
        found = [b["data"] for b in hooks.verified() if b["type"] == "email.created"
                 and b["data"]["to_email_address"] == address and b["data"]["slug"] == slug]  # fmt: skip
        if len(found) >= count or time.time() > deadline:
            assert len(found) >= count, f"no {slug} email to {address}"
            return found
        time.sleep(0.05)


def test_backend_api_verifies_an_address_with_the_emailed_code(clerk: Clerk, hooks: Hooks) -> None:
    user = create_user(clerk)
    email = clerk.email_addresses.create(
        request={"user_id": user.id, "email_address": "second@example.org", "verified": False}
    )
    assert email.verification.status == "unverified"
    ver = clerk.email_addresses.prepare_verification(email_address_id=email.id)
    assert ver.id.startswith("ver_") and ver.status == "unverified" and ver.strategy == "email_code"
    sent = emails_to(hooks, "second@example.org", "verification_code")[0]
    assert sent["email_address_id"] == email.id and sent["user_id"] == user.id
    assert sent["delivered_by_clerk"] is False and sent["data"]["otp_code"] in sent["body_plain"]
    pending = clerk.email_addresses.get(email_address_id=email.id)
    assert pending.verification.attempts == 0 and pending.verification.expire_at == ver.expire_at

    wrong = "000000" if sent["data"]["otp_code"] != "000000" else "111111"
    with pytest.raises(models.ClerkErrors) as err:
        clerk.email_addresses.attempt_verification(
            email_address_id=email.id, verification_id=ver.id, code=wrong
        )
    assert err.value.data.errors[0].code == "form_code_incorrect"
    assert clerk.email_addresses.get(email_address_id=email.id).verification.attempts == 1

    done = clerk.email_addresses.attempt_verification(
        email_address_id=email.id, verification_id=ver.id, code=sent["data"]["otp_code"]
    )
    assert done.status == "verified"
    assert clerk.email_addresses.get(email_address_id=email.id).verification.status == "verified"

    def verified_in_an_event() -> bool:
        return any(
            e["id"] == email.id and e["verification"]["status"] == "verified"
            for b in hooks.verified() if b["type"] == "user.updated" for e in b["data"]["email_addresses"]
        )  # fmt: skip

    deadline = time.time() + 15
    while not verified_in_an_event() and time.time() < deadline:
        time.sleep(0.05)
    assert verified_in_an_event()
    with pytest.raises(models.ClerkErrors) as again:
        clerk.email_addresses.prepare_verification(email_address_id=email.id)
    assert again.value.data.errors[0].code == "verification_already_verified"


def test_sign_up_address_is_unverified_until_the_code_comes_back(http: httpx.Client, hooks: Hooks) -> None:
    user = sign_up(http)["user"]
    assert user["email_addresses"][0]["verification"]["status"] == "unverified"
    assert http.post("/identity/me/email/prepare_verification").status_code == 200
    code = emails_to(hooks, "vera@example.org", "verification_code")[0]["data"]["otp_code"]
    resp = http.post("/identity/me/email/attempt_verification", json={"code": code})
    assert resp.status_code == 200 and resp.json()["verification"]["status"] == "verified"
    assert http.get("/identity/me").json()["email_addresses"][0]["verification"]["status"] == "verified"


def test_five_wrong_codes_spend_the_code(http: httpx.Client, hooks: Hooks) -> None:
    sign_up(http)
    http.post("/identity/me/email/prepare_verification")
    code = emails_to(hooks, "vera@example.org", "verification_code")[0]["data"]["otp_code"]
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [http.post("/identity/me/email/attempt_verification", json={"code": wrong}) for _ in range(5)]
    assert [a.json()["errors"][0]["code"] for a in answers] == ["form_code_incorrect"] * 4 + [
        "verification_failed"
    ]
    late = http.post("/identity/me/email/attempt_verification", json={"code": code})
    assert late.status_code == 422 and late.json()["errors"][0]["code"] == "verification_failed"
    # a new code replaces the spent one
    http.post("/identity/me/email/prepare_verification")
    fresh = emails_to(hooks, "vera@example.org", "verification_code", 2)[-1]["data"]["otp_code"]
    assert http.post("/identity/me/email/attempt_verification", json={"code": fresh}).status_code == 200


def test_the_link_verifies_without_signing_in_and_only_once(
    server: HooklineServer, http: httpx.Client, hooks: Hooks
) -> None:
    sign_up(http)
    http.post("/identity/me/email/prepare_verification")
    link = emails_to(hooks, "vera@example.org", "verification_code")[0]["data"]["action_url"]
    assert link.startswith(server.settings.base_url + "/verify-email?token=")
    with httpx.Client(base_url=server.url) as stranger:  # another browser, not signed in
        page = stranger.get(urlsplit(link).path + "?" + urlsplit(link).query)
        assert page.status_code == 200 and "vera@example.org is verified" in page.text
        again = stranger.get(urlsplit(link).path + "?" + urlsplit(link).query)
        assert again.status_code == 422 and "expired" in again.text
    assert http.get("/identity/me").json()["email_addresses"][0]["verification"]["status"] == "verified"


def test_password_reset_by_code_ends_sessions_and_sets_the_password(
    http: httpx.Client, hooks: Hooks, clerk: Clerk
) -> None:
    user = sign_up(http)["user"]
    unknown = http.post("/identity/password_reset", json={"email_address": "nobody@example.org"})
    known = http.post("/identity/password_reset", json={"email_address": "vera@example.org"})
    assert unknown.status_code == known.status_code == 200
    assert {k: v for k, v in unknown.json().items() if k != "email_address"} == {
        k: v for k, v in known.json().items() if k != "email_address"
    }
    code = emails_to(hooks, "vera@example.org", "reset_password_code")[0]["data"]["otp_code"]
    weak = http.post("/identity/password_reset/attempt",
                     json={"email_address": "vera@example.org", "code": code, "password": "abc"})  # fmt: skip
    assert weak.status_code == 422 and weak.json()["errors"][0]["code"] == "form_password_length_too_short"
    stranger = http.post("/identity/password_reset/attempt",
                         json={"email_address": "nobody@example.org", "code": code, "password": NEW_PASSWORD})  # fmt: skip
    assert stranger.json()["errors"][0]["code"] == "form_code_incorrect"
    done = http.post("/identity/password_reset/attempt",
                     json={"email_address": "vera@example.org", "code": code, "password": NEW_PASSWORD})  # fmt: skip
    assert done.status_code == 200 and done.json()["status"] == "complete"
    assert http.get("/identity/me").status_code == 401  # the session that was open is revoked
    assert hooks.wait("session.revoked")
    again = http.post("/identity/password_reset/attempt",
                      json={"email_address": "vera@example.org", "code": code, "password": PASSWORD + "x"})  # fmt: skip
    assert again.json()["errors"][0]["code"] == "verification_expired"
    assert clerk.users.verify_password(user_id=user["id"], password=NEW_PASSWORD).verified is True
    # reading the code proves the address
    assert clerk.users.get(user_id=user["id"]).email_addresses[0].verification.status == "verified"


def test_password_reset_through_the_hosted_pages_by_code_and_by_link(
    server: HooklineServer, http: httpx.Client, hooks: Hooks, clerk: Clerk
) -> None:
    user = create_user(clerk, "page@example.org")
    landed = submit(http, "/forgot-password", "/forgot-password", email_address="page@example.org")
    assert landed.status_code == 200 and "/reset-password?email_address=page%40example.org" in str(landed.url)
    first = emails_to(hooks, "page@example.org", "reset_password_code")[0]["data"]
    token = csrf(landed)
    done = http.post("/reset-password", data={"csrf": token, "email_address": "page@example.org",
                                              "code": first["otp_code"], "password": NEW_PASSWORD})  # fmt: skip
    assert done.status_code == 200 and "Your password was changed" in done.text
    assert clerk.users.verify_password(user_id=user.id, password=NEW_PASSWORD).verified is True

    submit(http, "/forgot-password", "/forgot-password", email_address="page@example.org")
    link = emails_to(hooks, "page@example.org", "reset_password_code", 2)[-1]["data"]["action_url"]
    page = http.get(link.removeprefix(server.settings.base_url))
    assert page.status_code == 200 and 'name="token"' in page.text
    via_link = http.post("/reset-password", data={"csrf": csrf(page), "token": link.split("token=")[1],
                                                  "password": PASSWORD + " again"})  # fmt: skip
    assert via_link.status_code == 200 and "Your password was changed" in via_link.text
    assert clerk.users.verify_password(user_id=user.id, password=PASSWORD + " again").verified is True


def test_account_page_offers_verification_and_the_code_form_verifies(
    http: httpx.Client, hooks: Hooks
) -> None:
    submit(http, "/sign-up", "/sign-up", email_address="acct@example.org", password=PASSWORD)
    account = http.get("/account")
    assert 'action="/verify-email/send"' in account.text
    sent = http.post("/verify-email/send", data={"csrf": csrf(account)})
    assert sent.status_code == 200 and "We sent you a code" in sent.text
    code = emails_to(hooks, "acct@example.org", "verification_code")[0]["data"]["otp_code"]
    done = http.post("/verify-email", data={"csrf": csrf(sent), "code": code})
    assert done.status_code == 200 and "is verified" in done.text
    assert 'id="email-verified"' in http.get("/account").text


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


def test_codes_are_also_sent_by_smtp(server: HooklineServer, http: httpx.Client, hooks: Hooks) -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        server.app.state.identity.postman = Postman(
            SmtpMailer(f"smtp://127.0.0.1:{port}?from=accounts@example.org&starttls=false")
        )
        sign_up(http, "smtp@example.org")
        http.post("/identity/password_reset", json={"email_address": "smtp@example.org"})
        code = emails_to(hooks, "smtp@example.org", "reset_password_code")[0]["data"]["otp_code"]
        deadline = time.time() + 15
        while not inbox.messages and time.time() < deadline:
            time.sleep(0.05)
        msg = message_from_bytes(inbox.messages[0], policy=policy.default)
        assert msg["To"] == "smtp@example.org" and msg["From"] == "accounts@example.org"
        assert msg["Subject"] == "Reset your password"
        plain = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert code in plain and "/reset-password?token=" in plain
    finally:
        controller.stop()


def test_an_unreachable_smtp_server_does_not_fail_the_request(
    server: HooklineServer, http: httpx.Client, hooks: Hooks
) -> None:
    server.app.state.identity.postman = Postman(SmtpMailer(f"smtp://127.0.0.1:{free_port()}"))
    sign_up(http, "down@example.org")
    assert (
        http.post("/identity/password_reset", json={"email_address": "down@example.org"}).status_code == 200
    )
    assert emails_to(hooks, "down@example.org", "reset_password_code")


def test_smtp_url_settings_are_read_or_refused() -> None:
    assert isinstance(mailer_from_env({}), NoMailer)
    assert isinstance(mailer_from_env({"HOOKLINE_SMTP_URL": "log:"}), LogMailer)
    m = mailer_from_env({"HOOKLINE_SMTP_URL": "smtps://u%40x:p%2Fw@mail.example.org?from=a@example.org"})
    assert isinstance(m, SmtpMailer)
    assert (m.host, m.port, m.implicit_tls, m.username, m.password, m.sender) == (
        "mail.example.org",
        465,
        True,
        "u@x",
        "p/w",
        "a@example.org",
    )
    for bad in ("http://mail.example.org", "smtp://", "smtp://host?starttls=maybe", "smtp://host:port"):
        with pytest.raises(ConfigError, match="HOOKLINE_SMTP_URL"):
            mailer_from_env({"HOOKLINE_SMTP_URL": bad})


def test_the_log_sender_keeps_codes_out_of_info_logs(caplog: pytest.LogCaptureFixture) -> None:
    from hookline.identity.mail import Mail

    mailer = LogMailer()
    with caplog.at_level("INFO", logger="hookline.identity.mail"):
        asyncio.run(
            mailer.send(Mail("a@example.org", "Your verification code", "code 424242", "<p>424242</p>"))
        )
    assert "a@example.org" in caplog.text and "424242" not in caplog.text
    assert mailer.sent[-1].text == "code 424242"


def test_serve_refuses_a_bad_smtp_url_in_one_line_before_writing(tmp_path: Path) -> None:
    from tests.delivery.processes import run_cli

    result = run_cli("serve", cwd=tmp_path, HOOKLINE_SMTP_URL="smtp://mail.example.org:port")
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: HOOKLINE_SMTP_URL: "), lines
    assert list(tmp_path.iterdir()) == []


def test_a_user_sees_their_devices_and_ends_one(
    clerk: Clerk, http: httpx.Client, server: HooklineServer
) -> None:
    user = create_user(clerk, "dev@example.org")
    login = {"email_address": "dev@example.org", "password": PASSWORD}
    with httpx.Client(base_url=server.url, headers={"user-agent": "PhoneBrowser/1.0"}) as phone:
        assert phone.post("/identity/sign_in", json=login).status_code == 200
        submit(http, "/sign-in", "/sign-in", **login)
        listed = http.get("/identity/me/sessions").json()
        assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
        page = http.get("/account/sessions")
        assert "PhoneBrowser/1.0" in page.text and "(this device)" in page.text
        phone_session = next(s for s in listed if not s["current"])["id"]
        ended = http.post(f"/account/sessions/{phone_session}/revoke", data={"csrf": csrf(page)})
        assert ended.status_code == 303 and ended.headers["location"] == "/account/sessions?ended=1"
        assert phone.get("/identity/me").status_code == 401
        assert clerk.sessions.get(session_id=phone_session).status == models.Status.REVOKED
        # nobody ends another user's session
        create_user(clerk, "other@example.org")
        with httpx.Client(base_url=server.url) as other:
            other.post("/identity/sign_in", json={"email_address": "other@example.org", "password": PASSWORD})
            mine = next(s for s in listed if s["current"])["id"]
            assert other.post(f"/identity/me/sessions/{mine}/revoke").status_code == 404
        assert [s["user_id"] for s in http.get("/identity/me/sessions").json()] == [user.id]
