"""The portal's look: stored per application (API and dashboard form), or asked for by the link with
Svix's App Portal parameters; every value checked, escaped, and kept off the operator's dashboard."""

from __future__ import annotations

from urllib.parse import urlencode

import httpx
import pytest

from tests.dashboard.conftest import Shop, csrf


def open_with(shop: Shop, **params: str) -> httpx.Response:
    """Open a fresh portal link as svix-react's ``<AppPortal>`` does: theme parameters in the query,
    the token in the fragment; follow it to the portal's first page."""
    link = shop.api.post(f"/api/v1/auth/app-portal-access/{shop.app_id}", json={}).json()["url"]
    path, token = link.split("#token=")
    client = httpx.Client(base_url=shop.server.url, follow_redirects=True, timeout=20)
    landing = client.get(path, params=params)
    if landing.status_code != 200:
        return landing
    for name in params:  # the landing page posts them back with the token
        assert f'type="hidden" name="{name}"' in landing.text, name
    form = {"token": token, **params}
    return client.post("/dashboard/portal/access", data=form, headers={"sec-fetch-site": "same-origin"})


def test_a_links_svix_parameters_theme_the_portal(shop: Shop) -> None:
    page = open_with(shop, darkMode="true", primaryColor="#C0FFEE", icon="https://cdn.example.com/logo.svg",
                     fontFamily="IBM Plex Sans", name="Acme webhooks")  # fmt: skip
    assert page.status_code == 200 and "/dashboard/p/" in str(page.url)
    html = page.text
    assert 'data-theme="dark"' in html and "--accent: #c0ffee;" in html
    assert '--portal-font: "IBM Plex Sans";' in html
    assert 'src="https://cdn.example.com/logo.svg"' in html and "Acme webhooks" in html
    assert "img-src 'self' data: https:;" in page.headers["content-security-policy"]
    # the look stays on every page of that link
    messages = httpx.get(str(page.url) + "/messages")
    assert 'data-theme="dark"' in messages.text and "--accent: #c0ffee;" in messages.text
    # a short colour is widened, darkMode=false forces light
    light = open_with(shop, primaryColor="0af", darkMode="false", fontFamily="DM Sans,sans-serif")
    assert 'data-theme="light"' in light.text and "--accent: #00aaff;" in light.text
    assert '--portal-font: "DM Sans", "sans-serif";' in light.text


@pytest.mark.parametrize(
    "params",
    [
        {"primaryColor": "red"},
        {"primaryColor": "#fff;}</style><script>alert(1)</script>"},
        {"icon": "http://cdn.example.com/logo.png"},
        {"icon": "javascript:alert(1)"},
        {"icon": 'https://x.example/a"onerror="alert(1)'},
        {"darkMode": "maybe"},
        {"fontFamily": 'Arial";}body{display:none'},
        {"name": "x" * 81},
    ],
)
def test_a_bad_theme_parameter_is_a_rendered_422(shop: Shop, params: dict[str, str]) -> None:
    link = shop.api.post(f"/api/v1/auth/app-portal-access/{shop.app_id}", json={}).json()["url"]
    resp = httpx.get(link.split("#")[0] + "?" + urlencode(params))
    assert resp.status_code == 422 and resp.headers["content-type"].startswith("text/html")
    assert next(iter(params)) in resp.text and "<script>alert" not in resp.text


def test_the_stored_theme_applies_and_the_link_wins(shop: Shop, dash: httpx.Client) -> None:
    url = f"/api/v1/app/{shop.app_id}/portal-theme"
    assert shop.api.get(url).json() == {"name": None, "logoUrl": None, "primaryColor": None,
                                         "darkMode": None, "fontFamily": None}  # fmt: skip
    put = shop.api.put(url, json={"name": "Shop <b>hooks</b>", "primaryColor": "#112233", "darkMode": True})
    assert put.status_code == 200 and put.json()["primaryColor"] == "#112233"
    page = open_with(shop)
    assert "Shop &lt;b&gt;hooks&lt;/b&gt;" in page.text and "--accent: #112233;" in page.text
    assert 'data-theme="dark"' in page.text
    over = open_with(shop, primaryColor="#445566")
    assert "--accent: #445566;" in over.text and 'data-theme="dark"' in over.text
    # the operator's own pages never take a portal's look
    admin = dash.get(f"/dashboard/app/{shop.app_id}")
    assert "portal-theme.css" not in admin.text and "data-theme" not in admin.text
    assert "img-src 'self' data:;" in admin.headers["content-security-policy"]
    for bad in (
        {"primaryColor": "blue"},
        {"logoUrl": "ftp://x"},
        {"darkMode": "sometimes"},
        {"colour": "#fff"},
    ):
        assert shop.api.put(url, json=bad).status_code == 422, bad
    assert shop.api.put(url, json={}).json()["primaryColor"] is None  # empty: back to the default
    shop.api.put(url, json={"name": "Gone soon"})
    assert shop.api.delete(f"/api/v1/app/{shop.app_id}").status_code == 204
    count = shop.server.run(_themes_left(shop))
    assert count == 0  # the look goes with its application
    assert shop.api.get("/api/v1/app/app_missing/portal-theme").status_code == 404


def test_the_dashboard_form_stores_the_theme(shop: Shop, dash: httpx.Client) -> None:
    page = dash.get(f"/dashboard/app/{shop.app_id}/portal-theme")
    assert page.status_code == 200
    form = {"csrf": csrf(page.text), "name": "Shop", "logo_url": "https://cdn.example.com/l.png",
            "primary_color": "#abcdef", "mode": "light", "font_family": ""}  # fmt: skip
    saved = dash.post(f"/dashboard/app/{shop.app_id}/portal-theme", data=form)
    assert saved.status_code == 303
    got = shop.api.get(f"/api/v1/app/{shop.app_id}/portal-theme").json()
    assert got == {"name": "Shop", "logoUrl": "https://cdn.example.com/l.png", "primaryColor": "#abcdef",
                   "darkMode": False, "fontFamily": None}  # fmt: skip
    bad = dash.post(f"/dashboard/app/{shop.app_id}/portal-theme", data={**form, "primary_color": "teal"})
    assert bad.status_code == 422 and "Primary colour" in bad.text and 'value="teal"' in bad.text
    assert dash.post(f"/dashboard/app/{shop.app_id}/portal-theme", data={"name": "x"}).status_code == 403


async def _themes_left(shop: Shop) -> int:
    async with shop.server.app.state.runtime.store.db.reader() as c:
        row = await c.fetchone("SELECT COUNT(*) AS n FROM portal_themes", ())
    return int(row["n"])
