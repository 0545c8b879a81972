"""Every password check goes through one throttle (per address, and per account at an address) before
any hashing; hashing runs off the event loop; failures give one answer; sign-in can't be forged cross-site."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from hookline.identity.errors import IdentityError
from hookline.identity.hashing import PasswordHashing
from hookline.identity.passwords import hash_password
from tests.support.servers import HooklineServer

PASSWORD = "correct horse battery staple 9"


def _from(server: HooklineServer, address: str) -> httpx.Client:
    """A client whose requests come from ``address`` (another loopback address is another client)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=30, follow_redirects=False)


@pytest.fixture
def backend(hookline_server: HooklineServer) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=hookline_server.url + "/v1",
        headers={"authorization": f"Bearer {hookline_server.secret_key}"},
        timeout=30,
    ) as client:
        yield client


def _user(backend: httpx.Client, email: str = "ada@example.org", **extra: object) -> str:
    resp = backend.post("/users", json={"email_address": [email], "password": PASSWORD, **extra})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["id"])


def _policy(server: HooklineServer, **changes: int) -> None:
    ident = server.app.state.identity
    ident.policy = replace(ident.policy, **changes)


def _sign_in(http: httpx.Client, email: str, password: str) -> httpx.Response:
    return http.post("/identity/sign_in", json={"email_address": email, "password": password})


def test_dashboard_email_sign_in_is_throttled(hookline_server: HooklineServer, backend: httpx.Client) -> None:
    _user(backend, public_metadata={"role": "admin"})
    statuses = []
    with _from(hookline_server, "127.0.0.1") as http:
        for _ in range(25):
            statuses.append(
                http.post(
                    "/dashboard/sign-in", data={"email": "ada@example.org", "password": "wrong"}
                ).status_code
            )
    assert statuses[0] == 401 and 429 in statuses


def test_guessing_from_one_address_locks_only_that_address_out(
    hookline_server: HooklineServer, backend: httpx.Client
) -> None:
    _policy(hookline_server, address_lockout_attempts=3, failures_per_minute=1000)
    _user(backend)
    with _from(hookline_server, "127.0.0.2") as stranger, _from(hookline_server, "127.0.0.1") as owner:
        for _ in range(3):
            assert _sign_in(stranger, "ada@example.org", "guess guess guess").status_code == 422
        locked = _sign_in(stranger, "ada@example.org", PASSWORD)
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        assert _sign_in(owner, "ada@example.org", PASSWORD).status_code == 200  # the owner is not locked out


def test_every_password_check_shares_one_limit_per_address(
    hookline_server: HooklineServer, backend: httpx.Client
) -> None:
    _policy(hookline_server, failures_per_minute=4)
    user_id = _user(backend, public_metadata={"role": "admin"})
    with _from(hookline_server, "127.0.0.3") as http:
        assert (
            http.post("/dashboard/sign-in", data={"email": "ada@example.org", "password": "x"}).status_code
            == 401
        )
        assert _sign_in(http, "ada@example.org", "wrong wrong").status_code == 422
        csrf = http.get("/sign-in").cookies["__csrf"]
        page = http.post(
            "/sign-in", data={"email_address": "nobody@example.org", "password": "wrong", "csrf": csrf}
        )
        assert page.status_code == 422
        assert (
            http.post(
                f"/v1/users/{user_id}/verify_password",
                json={"password": "wrong wrong"},
                headers={"authorization": f"Bearer {hookline_server.secret_key}"},
            ).status_code
            == 422
        )
        limited = http.post(
            f"/v1/users/{user_id}/verify_password",
            json={"password": PASSWORD},
            headers={"authorization": f"Bearer {hookline_server.secret_key}"},
        )
        assert limited.status_code == 429 and limited.json()["errors"][0]["code"] == "too_many_requests"
        assert _sign_in(http, "ada@example.org", PASSWORD).status_code == 429


def test_a_throttled_caller_costs_no_hash(hookline_server: HooklineServer, backend: httpx.Client) -> None:
    _policy(hookline_server, failures_per_minute=2)
    _user(backend)
    hashing = hookline_server.app.state.identity.hashing
    with _from(hookline_server, "127.0.0.4") as http:
        for _ in range(2):
            _sign_in(http, "ada@example.org", "wrong wrong")
        before = hashing.checks
        for _ in range(5):
            assert _sign_in(http, "ada@example.org", "wrong wrong").status_code == 429
        assert hashing.checks == before


def test_every_sign_in_failure_gets_one_answer_after_the_same_work(
    hookline_server: HooklineServer, backend: httpx.Client
) -> None:
    _policy(hookline_server, failures_per_minute=1000, address_lockout_attempts=1000)
    _user(backend, "locked@example.org", locked=True)
    banned = _user(backend, "banned@example.org")
    backend.post(f"/users/{banned}/ban")
    _user(backend, "plain@example.org")
    hashing = hookline_server.app.state.identity.hashing
    answers, costs = [], []  # the hashes checked per answer
    with httpx.Client(base_url=hookline_server.url, timeout=30) as http:
        for email, password in [
            ("nobody@example.org", PASSWORD),  # unknown
            ("plain@example.org", "wrong wrong"),  # wrong password
            ("locked@example.org", PASSWORD),  # right password, locked account
            ("banned@example.org", PASSWORD),  # right password, banned account
        ]:
            before = hashing.checks
            resp = _sign_in(http, email, password)
            costs.append(hashing.checks - before)
            answers.append((resp.status_code, resp.json()))
    assert all(a == answers[0] for a in answers), answers
    assert answers[0][0] == 422 and costs == [1, 1, 1, 1]


async def test_hashing_runs_off_the_event_loop(real_password_cost: None) -> None:
    hashing = PasswordHashing(threads=1)
    stored = hash_password(PASSWORD)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    try:
        assert await hashing.verify(stored, PASSWORD) is True
        assert await hashing.verify(stored, "wrong") is False
    finally:
        task.cancel()
        hashing.close()
    assert ticks > 20  # the loop kept running while argon2 worked


async def test_the_hashing_queue_is_bounded(real_password_cost: None) -> None:
    hashing = PasswordHashing(threads=1, queue=1)
    stored = hash_password(PASSWORD)
    try:
        results = await asyncio.gather(
            *(hashing.verify(stored, PASSWORD) for _ in range(6)), return_exceptions=True
        )
    finally:
        hashing.close()
    refused = [r for r in results if isinstance(r, IdentityError)]
    assert refused and all(r.status == 429 for r in refused)
    assert results.count(True) >= 2


def test_sign_ups_are_throttled_per_address(hookline_server: HooklineServer) -> None:
    _policy(hookline_server, sign_ups_per_hour=3)
    with _from(hookline_server, "127.0.0.5") as http:
        statuses = [
            http.post(
                "/identity/sign_up", json={"email_address": f"u{i}@example.org", "password": PASSWORD}
            ).status_code
            for i in range(5)
        ]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    with _from(hookline_server, "127.0.0.6") as other:
        assert (
            other.post(
                "/identity/sign_up", json={"email_address": "x@example.org", "password": PASSWORD}
            ).status_code
            == 200
        )


@pytest.mark.parametrize("path", ["/identity/sign_in", "/identity/sign_up"])
def test_sign_in_and_sign_up_refuse_a_cross_site_form(
    hookline_server: HooklineServer, backend: httpx.Client, path: str
) -> None:
    _user(backend)
    body = f'{{"email_address": "ada@example.org", "password": "{PASSWORD}"}}'
    with httpx.Client(base_url=hookline_server.url) as http:
        plain = http.post(path, content=body, headers={"content-type": "text/plain"})
        assert plain.status_code == 415 and "__client" not in plain.cookies
        cross = http.post(
            path, content=body, headers={"content-type": "application/json", "origin": "https://evil.example"}
        )
        assert cross.status_code == 403 and cross.json()["errors"][0]["code"] == "origin_invalid"
        fetched = http.post(
            path, content=body, headers={"content-type": "application/json", "sec-fetch-site": "cross-site"}
        )
        assert fetched.status_code == 403 and "__client" not in fetched.cookies


def test_hosted_sign_in_refuses_a_cross_site_post(
    hookline_server: HooklineServer, backend: httpx.Client
) -> None:
    _user(backend)
    with httpx.Client(base_url=hookline_server.url) as http:
        csrf = http.get("/sign-in").cookies["__csrf"]
        resp = http.post(
            "/sign-in",
            data={"email_address": "ada@example.org", "password": PASSWORD, "csrf": csrf},
            headers={"sec-fetch-site": "cross-site"},
        )
        assert resp.status_code == 403 and "__client" not in resp.cookies
