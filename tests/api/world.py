"""The organization a schemathesis run works on, and the ids in it that exist."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from tests.fixtures.factories import SignedIn, invite, token_of


@dataclass
class World:
    """Ids that exist, so the run reaches past 404; kept alive as the run uses them up."""

    admin: SignedIn
    api_token: str
    org_unit_id: str
    pending_id: str = ""
    registration_token: str = ""
    _emails: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def client(self) -> TestClient:
        return self.admin.client

    def is_pending(self, user_id: str) -> bool:
        r = self.client.get(f"/api/v1/users/{user_id}")
        return r.status_code == 200 and bool(r.json()["status"] == "pending")

    def ensure_pending(self) -> str:
        """A pending user: the one from before if the run has not deleted or activated it."""
        if not self.pending_id or not self.is_pending(self.pending_id):
            r = invite(
                self.client,
                email=f"pending{next(self._emails)}@acme.io",
                org_unit_id=self.org_unit_id,
            )
            assert r.status_code == 201, r.text
            self.pending_id = r.json()["id"]
            self.registration_token = token_of(r.json()["registration_url"])
        return self.pending_id
