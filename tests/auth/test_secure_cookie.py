"""Outside development (HTTPS base URL, or production) the session cookie is Secure and
carries the ``__Host-`` prefix: HttpOnly, SameSite=Lax, Path=/ and no Domain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.auth.conftest import COOKIE, cookie_value, login, me_with_cookie, set_cookie_headers
from tests.fixtures.factories import accept, make_org

SECURE_COOKIE = "__Host-usher_session"


@pytest.fixture(
    params=[{"base_url": "https://usher.test"}, {"env": "production"}],
    ids=["https-base-url", "production"],
)
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    return dict(request.param)


@pytest.fixture
def https_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def test_the_session_cookie_is_secure_with_the_host_prefix(
    app: FastAPI, https_client: TestClient
) -> None:
    created = make_org(app)
    assert accept(https_client, created.registration_url).status_code == 200

    r = login(https_client)

    assert r.status_code == 200, r.text
    [header] = [h for h in set_cookie_headers(r) if h.startswith(f"{SECURE_COOKIE}=")]
    attributes = [a.strip().lower() for a in header.split(";")[1:]]
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(attributes)
    assert not any(a.startswith("domain=") for a in attributes)
    assert not any(h.startswith(f"{COOKIE}=") for h in set_cookie_headers(r))

    value = cookie_value(r, SECURE_COOKIE)
    assert https_client.get("/api/v1/me").status_code == 200
    # Only the prefixed name is honoured: the same value under the development name is not.
    assert me_with_cookie(app, value, name=COOKIE, base_url="https://testserver").status_code == 401
