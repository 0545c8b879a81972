"""Sign-ins and password checks are counted by outcome on ``/metrics``."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.identity.test_end_users import sign_in, sign_up
from tests.support.servers import HooklineServer


def counts(server: HooklineServer) -> dict[tuple[str, str], float]:
    r = httpx.get(f"{server.url}/metrics", headers={"authorization": f"Bearer {server.token}"})
    return {
        (s.name, s.labels.get("outcome", "")): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
        if s.name in ("hookline_sign_ins_total", "hookline_password_checks_total")
    }


def test_sign_ins_are_counted_by_outcome(http: httpx.Client, server: HooklineServer) -> None:
    sign_up(http)
    before = counts(server)
    assert sign_in(http).status_code == 200
    assert sign_in(http, password="not the password at all").status_code == 422
    assert sign_in(http, "nobody@example.org").status_code == 422
    after = counts(server)

    def delta(name: str, outcome: str) -> float:
        return after[(name, outcome)] - before[(name, outcome)]

    assert delta("hookline_sign_ins_total", "succeeded") == 1
    assert delta("hookline_sign_ins_total", "refused") == 2
    assert delta("hookline_password_checks_total", "ok") == 1
    assert delta("hookline_password_checks_total", "wrong") == 2
