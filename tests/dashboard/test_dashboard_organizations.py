"""The dashboard's organization pages: the list, search, one organization's members, invitations and events."""

from __future__ import annotations

import httpx

from tests.support.servers import HooklineServer


def test_organizations_list_search_and_page(hookline_server: HooklineServer, dash: httpx.Client) -> None:
    assert "No organizations yet" in dash.get("/dashboard/organizations").text
    with httpx.Client(base_url=hookline_server.url + "/v1", timeout=20,
                      headers={"authorization": f"Bearer {hookline_server.secret_key}"}) as clerk:  # fmt: skip
        user = clerk.post("/users", json={"email_address": ["grace@example.org"]}).json()
        acme = clerk.post(
            "/organizations", json={"name": "Acme <Corp>", "slug": "acme", "created_by": user["id"]}
        )
        assert acme.status_code == 422  # no HTML in names
        acme = clerk.post(
            "/organizations", json={"name": "Acme Corp", "slug": "acme", "created_by": user["id"]}
        ).json()
        clerk.post("/organizations", json={"name": "Globex"})
        invited = clerk.post(f"/organizations/{acme['id']}/invitations",
                             json={"email_address": "linus@example.org", "role": "org:member", "notify": False})  # fmt: skip
        assert invited.status_code == 200, invited.text
    listed = dash.get("/dashboard/organizations").text
    assert "Acme Corp" in listed and "Globex" in listed and "2 organizations" in listed
    found = dash.get("/dashboard/organizations", params={"q": "acm"}).text
    assert "Acme Corp" in found and "Globex" not in found
    assert "No organization matches" in dash.get("/dashboard/organizations", params={"q": "nothing"}).text
    page = dash.get(f"/dashboard/organizations/{acme['id']}").text
    assert "grace@example.org" in page and "org:admin" in page
    assert "linus@example.org" in page and "pending" in page
    assert "organization.created" in page
    assert dash.get("/dashboard/organizations/acme").status_code == 200  # by slug
    assert dash.get("/dashboard/organizations/org_missing").status_code == 404
    assert dash.get("/dashboard/organizations", params={"offset": "x"}).status_code == 200
