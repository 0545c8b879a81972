"""Hosted pages ``/sign-up``, ``/sign-in`` and ``/account``: plain forms over real HTTP, with cookies and CSRF."""

from __future__ import annotations

import re

import httpx
from clerk_backend_api import Clerk

from tests.identity.conftest import PASSWORD


def csrf(page: httpx.Response) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


def submit(http: httpx.Client, path: str, form_page: str, **fields: str) -> httpx.Response:
    token = csrf(http.get(form_page))
    return http.post(path, data={"csrf": token, **fields}, follow_redirects=True)


def sign_up(http: httpx.Client, email: str = "kay@example.org", first_name: str = "Kay") -> httpx.Response:
    return submit(http, "/sign-up", "/sign-up", email_address=email, password=PASSWORD, first_name=first_name)


def test_sign_up_page_creates_the_account_and_lands_on_account(http: httpx.Client, clerk: Clerk) -> None:
    page = http.get("/sign-up")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<form method="post" action="/sign-up">' in page.text
    landed = sign_up(http)
    assert landed.status_code == 200 and str(landed.url).endswith("/account")
    assert "kay@example.org" in landed.text
    assert [u.email_addresses[0].email_address for u in clerk.users.list(request={})] == ["kay@example.org"]


def test_sign_up_page_shows_why_a_password_is_refused(http: httpx.Client) -> None:
    resp = submit(http, "/sign-up", "/sign-up", email_address="kay@example.org", password="password1")
    assert resp.status_code == 422
    assert "breach" in resp.text and 'value="kay@example.org"' in resp.text


def test_a_form_without_the_csrf_token_is_refused(http: httpx.Client, clerk: Clerk) -> None:
    http.get("/sign-up")
    resp = http.post("/sign-up", data={"email_address": "kay@example.org", "password": PASSWORD})
    assert resp.status_code == 403
    assert clerk.users.count(request={}).total_count == 0


def test_account_needs_a_sign_in(http: httpx.Client) -> None:
    resp = http.get("/account")
    assert resp.status_code == 303 and resp.headers["location"] == "/sign-in"


def test_sign_in_page_gives_one_answer_for_unknown_user_and_wrong_password(http: httpx.Client) -> None:
    sign_up(http)
    http.cookies.delete("__client")
    wrong = submit(http, "/sign-in", "/sign-in", email_address="kay@example.org", password="not the password")
    unknown = submit(
        http, "/sign-in", "/sign-in", email_address="who@example.org", password="not the password"
    )
    message = re.search(r'<p class="error" role="alert">(.*?)</p>', wrong.text)
    assert message and message.group(0) in unknown.text
    ok = submit(http, "/sign-in", "/sign-in", email_address="kay@example.org", password=PASSWORD)
    assert str(ok.url).endswith("/account") and "kay@example.org" in ok.text


def test_account_forms_change_profile_email_and_password(http: httpx.Client, clerk: Clerk) -> None:
    sign_up(http)
    saved = submit(http, "/account/profile", "/account", first_name="Katherine", last_name="Johnson")
    assert "Profile saved." in saved.text and 'value="Katherine"' in saved.text
    changed = submit(
        http, "/account/email", "/account", email_address="kj@example.org", current_password=PASSWORD
    )
    assert "Email address changed." in changed.text and "kj@example.org" in changed.text
    bad = submit(
        http, "/account/password", "/account", current_password="wrong", password="a new passphrase ok"
    )
    assert bad.status_code == 422
    good = submit(
        http, "/account/password", "/account", current_password=PASSWORD, password="a new passphrase ok"
    )
    assert "Password changed." in good.text
    user = clerk.users.list(request={})[0]
    assert (user.first_name, user.last_name) == ("Katherine", "Johnson")
    assert clerk.users.verify_password(user_id=user.id, password="a new passphrase ok").verified


def test_sign_out_and_delete_from_the_account_page(http: httpx.Client, clerk: Clerk) -> None:
    sign_up(http)
    out = submit(http, "/account/sign-out", "/account")
    assert str(out.url).endswith("/sign-in")
    assert http.get("/account").status_code == 303
    submit(http, "/sign-in", "/sign-in", email_address="kay@example.org", password=PASSWORD)
    gone = submit(http, "/account/delete", "/account", confirm="yes")
    assert str(gone.url).endswith("/sign-up")
    assert clerk.users.count(request={}).total_count == 0


def test_user_input_is_escaped(http: httpx.Client) -> None:
    landed = sign_up(http, first_name="<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in landed.text
    assert "&lt;script&gt;" in landed.text
