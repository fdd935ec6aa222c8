"""Schemathesis over the whole OpenAPI: no input, however wrong, gets a 5xx; input that breaks
the schema gets a 4xx; and every answer matches the schema (status, content type, headers, body).

The cases are read from the OpenAPI of an app that is never called (the document does not
depend on the database) and sent to each test's own ``app`` fixture: one pytest test per
operation, each with a fresh organization. As an Organization Admin the run has the
deterministic coverage phase (boundary values, missing fields, wrong types, oversized strings)
and a bounded, derandomized fuzzing phase; without credentials, a light fuzzing phase.
"""

from __future__ import annotations

import zlib
from typing import Any

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.world import World
from usher.app import create_app
from usher.config import Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# The pytest-level test per operation builds its own app and organization, so the fixtures
# are meant to be shared by the examples of one operation.
BOUNDED = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _load(config: dict[str, Any]) -> BaseSchema:
    stand_in = create_app(
        Settings(env="test", database_url="sqlite://", secret_key="x", base_url="http://usher.test")
    )
    return schemathesis.openapi.from_asgi(
        "/api/openapi.json", stand_in, config=SchemathesisConfig.from_dict(config)
    )


def _takes_credentials(ctx: Any) -> bool:
    return bool(ctx.operation.definition.raw.get("security"))


schema = _load({})
# Without credentials only the 401 path is new: fuzz lightly, skip the coverage phase.
anonymous_schema = _load({"phases": {"coverage": {"enabled": False}}}).include(_takes_credentials)


def _picked(value: object, ways: int) -> int:
    """A choice that hangs on the generated value, so the run stays reproducible."""
    return zlib.crc32(repr(value).encode()) % ways


def _point_at_existing(case: Case[Any], world: World) -> None:
    """Swap, in some valid cases, generated ids and credentials for ones that exist, so the
    run reaches past 404 and 401 into the real work. Only a valid case is touched, and only
    with valid values, so it stays valid."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    path = case.path_parameters or {}
    if "user_id" in path:
        pick = _picked(path["user_id"], 4)
        if pick in (1, 2):
            path["user_id"] = world.ensure_pending()
        elif pick == 3:
            path["user_id"] = world.admin.user_id
    if "unit_id" in path and _picked(path["unit_id"], 2):
        path["unit_id"] = world.org_unit_id
    if "token" in path and _picked(path["token"], 2):
        world.ensure_pending()
        path["token"] = world.registration_token
    if isinstance(case.body, dict):
        body: dict[str, Any] = case.body
        for key in ("org_unit_id", "parent_id"):
            if isinstance(body.get(key), str) and _picked(body[key], 2):
                body[key] = world.org_unit_id
        if _picked(body, 2):
            known = {"organization": world.admin.org_slug, "email": world.admin.email}
            known["password"] = world.admin.password
            body.update({key: value for key, value in known.items() if key in body})


@schema.parametrize()
@settings(BOUNDED, max_examples=25)
def test_api_as_organization_admin(case: Case[Any], app: FastAPI, world: World) -> None:
    _point_at_existing(case, world)
    case.call_and_validate(
        checks=CHECKS, app=app, headers={"Authorization": f"Bearer {world.api_token}"}
    )


@anonymous_schema.parametrize()
@settings(BOUNDED, max_examples=5)
def test_api_without_credentials(case: Case[Any], app: FastAPI) -> None:
    case.call_and_validate(checks=CHECKS, app=app)
