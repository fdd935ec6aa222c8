"""What every page carries for safety: headers, no inline code, cookie attributes on HTTPS,
the CSRF token itself, and errors shown as pages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.fixtures.factories import PASSWORD, SignedIn, make_org
from tests.web.pages import Page, cookie_attrs, csrf_for, page, set_cookie
from usher.config import Settings
from usher.web import csrf

PAGES = ["/login", "/forgot", "/register", "/reset", "/account"]


def signed_in_page(client: TestClient, path: str) -> str:
    csrf_token = csrf_for(client, "/login")
    r = client.post(
        "/login",
        data={
            "csrf_token": csrf_token,
            "organization": "acme-corp",
            "email": "ada@acme.io",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 200
    html: str = client.get(path).text
    return html


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_security_headers(
    admin: SignedIn, client: TestClient, path: str
) -> None:
    if path == "/account":
        signed_in_page(client, "/account")
    r = client.get(path)
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    token_page = path in ("/register", "/reset")
    assert r.headers["referrer-policy"] == ("no-referrer" if token_page else "same-origin")
    assert "strict-transport-security" not in r.headers  # plain HTTP here


@pytest.mark.parametrize("path", PAGES)
def test_no_page_has_inline_script_or_style(admin: SignedIn, client: TestClient, path: str) -> None:
    html = signed_in_page(client, path) if path == "/account" else client.get(path).text
    document = Page(html)
    scripts = document.all("script")
    assert scripts and all((s.attrs.get("src") or "").startswith("/static/") for s in scripts)
    assert all(not s.text for s in scripts)
    assert not document.all("style")
    for element in document.elements:
        assert "style" not in element.attrs, element
        assert not [a for a in element.attrs if a.startswith("on")], element


@pytest.mark.parametrize(
    "path, media_type",
    [
        ("/static/usher.css", "text/css"),
        ("/static/usher.js", "javascript"),
        ("/static/favicon.svg", "image/svg+xml"),
    ],
)
def test_static_files_are_served_and_not_sniffed(
    client: TestClient, path: str, media_type: str
) -> None:
    r = client.get(path)
    assert r.status_code == 200
    assert media_type in r.headers["content-type"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_pages_stay_out_of_the_api_description(client: TestClient) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert not [p for p in paths if not p.startswith("/api/") and p not in ("/healthz", "/readyz")]


def test_a_bad_form_is_an_html_page_not_json(admin: SignedIn, client: TestClient) -> None:
    csrf_token = csrf_for(client, "/login")
    r = client.post(
        "/login",
        data={
            "csrf_token": csrf_token,
            "organization": "x" * 64,
            "email": "ada@acme.io",
            "password": PASSWORD,
        },
    )
    assert r.status_code == 400
    refused = page(r)
    assert refused.by_id("page-title").text == "Something in the form was not right"
    assert r.headers["content-security-policy"]
    assert "usher_session" not in r.headers.get("set-cookie", "")


def test_a_same_origin_post_from_a_real_browser_is_accepted(
    admin: SignedIn, client: TestClient
) -> None:
    csrf_token = csrf_for(client, "/login")
    r = client.post(
        "/login",
        data={
            "csrf_token": csrf_token,
            "organization": "acme-corp",
            "email": "ada@acme.io",
            "password": PASSWORD,
        },
        headers={"Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert r.status_code == 303


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_post_from_another_site_is_refused(
    admin: SignedIn, client: TestClient, site: str
) -> None:
    csrf_token = csrf_for(client, "/login")
    r = client.post(
        "/login",
        data={
            "csrf_token": csrf_token,
            "organization": "acme-corp",
            "email": "ada@acme.io",
            "password": PASSWORD,
        },
        headers={"Sec-Fetch-Site": site},
        follow_redirects=False,
    )
    assert r.status_code == 403


# --- the CSRF token -----------------------------------------------------------------------


def test_the_csrf_cookie_is_http_only_and_lax(client: TestClient) -> None:
    r = client.get("/login")
    cookie = cookie_attrs(set_cookie(r, "usher_csrf"))
    assert "httponly" in cookie and cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/" and "max-age" not in cookie
    assert page(r).csrf == csrf.form_token(
        client.app.state.settings,  # type: ignore[attr-defined]
        cookie["value"],
    )
    # The same browser keeps its cookie and its token.
    r2 = client.get("/forgot")
    assert "usher_csrf" not in r2.headers.get("set-cookie", "")
    assert page(r2).csrf == page(r).csrf


def make_settings(secret: str) -> Settings:
    return Settings(
        env="test", secret_key=secret, database_url="sqlite://", var_dir=Path("/nonexistent")
    )


def test_a_csrf_token_belongs_to_one_browser_and_one_secret() -> None:
    settings = make_settings("one secret")
    browser_a, browser_b = "a" * 43, "b" * 43
    token = csrf.form_token(settings, browser_a)
    assert csrf.is_valid(settings, browser_a, token)
    assert not csrf.is_valid(settings, browser_b, token)
    assert not csrf.is_valid(make_settings("another secret"), browser_a, token)
    assert not csrf.is_valid(settings, browser_a, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not csrf.is_valid(settings, browser_a, "")
    assert not csrf.is_valid(settings, None, token)
    # Only cookie values we could have made count, whatever their MAC.
    odd = "short"
    assert not csrf.is_valid(settings, odd, csrf.form_token(settings, odd))


# --- on HTTPS -----------------------------------------------------------------------------


@pytest.fixture
def https_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as c:
        yield c


@pytest.mark.parametrize("settings_overrides", [{"base_url": "https://usher.test"}])
def test_on_https_cookies_are_secure_and_prefixed(app: FastAPI, https_client: TestClient) -> None:
    created = make_org(app)
    r = https_client.get(urlsplit(created.registration_url).path, follow_redirects=False)
    register = cookie_attrs(set_cookie(r, "__Secure-usher_register"))
    assert "secure" in register and register["path"] == "/register"

    r = https_client.get("/register")
    assert r.status_code == 200
    assert "max-age=31536000" in r.headers["strict-transport-security"]
    token_cookie = cookie_attrs(set_cookie(r, "__Host-usher_csrf"))
    assert "secure" in token_cookie and token_cookie["path"] == "/" and "domain" not in token_cookie

    r = https_client.post(
        "/register",
        data={"csrf_token": page(r).csrf, "password": PASSWORD, "password_confirm": PASSWORD},
        follow_redirects=False,
    )
    assert r.status_code == 303
    session = cookie_attrs(set_cookie(r, "__Host-usher_session"))
    assert "secure" in session and "httponly" in session and session["path"] == "/"
    assert "Ada Lovelace" in https_client.get("/account").text


@pytest.mark.parametrize("settings_overrides", [{"base_url": "https://usher.test"}])
def test_on_https_an_unprefixed_csrf_cookie_is_not_enough(
    app: FastAPI, https_client: TestClient
) -> None:
    # A cookie without __Host- could have been planted by a sibling subdomain.
    make_org(app)
    https_client.get("/login")
    planted = "p" * 43
    https_client.cookies.clear()
    https_client.cookies.set("usher_csrf", planted)
    r = https_client.post(
        "/login",
        data={
            "csrf_token": csrf.form_token(app.state.settings, planted),
            "organization": "acme-corp",
            "email": "ada@acme.io",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert r.status_code == 403
