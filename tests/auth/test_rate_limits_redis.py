"""With USHER_REDIS_URL set, app instances share one count: attempts spread over two instances
are limited together (and, as the control shows, without Redis they are not)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.auth.conftest import assert_problem, audit_events, forgot, login
from tests.fixtures.factories import accept, make_org
from usher.app import create_app
from usher.config import Settings

# Each test run has a database of its own (the SQLite and PostgreSQL passes run side by side).
REDIS_URL = os.environ.get("USHER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
WRONG = "granite lantern orbit 77"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    return {
        "rate_limit_login_account": "3/minute",
        "rate_limit_reset_account": "2/minute",
        **getattr(request, "param", {"redis_url": REDIS_URL}),
    }


@pytest.fixture(autouse=True)
def _empty_redis() -> None:
    """Start from an empty count (Redis database 15 is the test suite's own).

    Without a Redis server (a bare developer machine) these tests are skipped; CI starts one
    and fails any skipped test (USHER_TEST_NO_SKIP)."""
    with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as store:
        try:
            store.flushdb()
        except redis.ConnectionError:
            pytest.skip("no Redis server on 127.0.0.1:6379")


@pytest.fixture
def two_instances(settings: Settings, app: FastAPI) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app instances built from the same settings, as two processes behind a balancer."""
    other = create_app(settings)
    with (
        TestClient(app, client=("10.0.0.1", 50000)) as one,
        TestClient(other, client=("10.0.0.2", 50000)) as two,
    ):
        yield one, two


@pytest.fixture
def org_slug(app: FastAPI) -> str:
    # A slug of its own, so that counts of a concurrent run on the same Redis never mix in.
    created = make_org(app, name=f"Acme {uuid.uuid4().hex[:8]}")
    with TestClient(app) as c:
        assert accept(c, created.registration_url).status_code == 200
    return created.organization.slug


def test_sign_in_attempts_split_over_two_instances_are_counted_together(
    app: FastAPI, two_instances: tuple[TestClient, TestClient], org_slug: str
) -> None:
    one, two = two_instances
    assert one.app is not two.app
    assert login(one, organization=org_slug, password=WRONG).status_code == 401
    assert login(two, organization=org_slug, password=WRONG).status_code == 401
    assert login(one, organization=org_slug, password=WRONG).status_code == 401

    r = login(two, organization=org_slug)

    assert_problem(r, 429, "rate_limited")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert_problem(login(one, organization=org_slug), 429, "rate_limited")
    [event] = [
        e
        for e in audit_events(app, "auth.login")
        if e.outcome == "failure"
        and e.details.get("reason") == "rate_limited"
        and e.ip == "10.0.0.2"
    ]
    assert event.actor_label == "ada@acme.io"


def test_reset_requests_split_over_two_instances_are_counted_together(
    two_instances: tuple[TestClient, TestClient], org_slug: str
) -> None:
    one, two = two_instances
    assert forgot(one, organization=org_slug).status_code == 202
    assert forgot(two, organization=org_slug).status_code == 202
    assert_problem(forgot(one, organization=org_slug), 429, "rate_limited")


@pytest.mark.parametrize("settings_overrides", [{"redis_url": ""}], indirect=True)
def test_control_without_redis_each_instance_counts_alone(
    two_instances: tuple[TestClient, TestClient], org_slug: str
) -> None:
    one, two = two_instances
    for _ in range(2):
        assert login(one, organization=org_slug, password=WRONG).status_code == 401
        assert login(two, organization=org_slug, password=WRONG).status_code == 401
    # Four attempts in all, but no instance has seen more than its limit of three.
    assert login(two, organization=org_slug).status_code == 200
