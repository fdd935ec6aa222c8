"""An organization for the schemathesis run to work on: a signed-in admin with an API token,
a pending user with an open registration link, and an organization unit."""

from __future__ import annotations

import pytest

from tests.api.world import World
from tests.fixtures.factories import Factory


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Every case may ask for a new invitation; the run is not about the limit.
    return {
        "rate_limit_invitation_request_ip": "1000/minute",
        "rate_limit_invitation_request_account": "1000/minute",
    }


@pytest.fixture
def world(factory: Factory) -> World:
    admin = factory.admin()
    r = admin.client.post("/api/v1/tokens", json={"name": "schemathesis"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    r = admin.client.post("/api/v1/org-units", json={"name": "Research"})
    assert r.status_code == 201, r.text
    w = World(admin=admin, api_token=token, org_unit_id=r.json()["id"])
    w.ensure_pending()
    return w
