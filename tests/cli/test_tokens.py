"""``usher tokens create``: a token printed once that then opens the API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.cli.conftest import Admin, Usher, error_line


def for_admin(admin: Admin) -> str:
    return f"tokens create --org {admin.org_slug} --user {admin.email}"


def me_with(app: FastAPI, token: str) -> tuple[int, dict[str, object]]:
    with TestClient(app) as anonymous:
        r = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code, r.json()


def test_the_token_signs_in_to_the_api(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI
) -> None:
    admin = make_admin()

    result = usher(f"{for_admin(admin)} --name deploy --json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"token", "id", "prefix"} <= set(data)
    assert data["token"].startswith("ush_")
    assert data["token"].startswith(data["prefix"])
    assert data["name"] == "deploy"
    assert data["expires_at"] is None
    status, me = me_with(app, data["token"])
    assert status == 200
    assert me["email"] == admin.email
    status, _ = me_with(app, data["token"] + "x")
    assert status == 401


def test_text_output_prints_the_token_once(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI
) -> None:
    admin = make_admin()

    result = usher(f"{for_admin(admin)} --expires-in-days 30")

    assert result.exit_code == 0, result.output
    tokens = re.findall(r"ush_\S+", result.stdout)
    assert len(tokens) == 1
    assert "shown once" in result.stdout
    assert "expires 20" in result.stdout
    assert me_with(app, tokens[0])[0] == 200


def test_a_pending_user_gets_no_token(usher: Usher, engine: Engine) -> None:
    assert usher("org create Acme --admin-email ada@acme.io").exit_code == 0

    result = usher("tokens create --org acme --user ada@acme.io")

    assert result.exit_code == 2
    assert error_line(result) == "Error: --user: Only active users can hold API tokens."
    assert "ush_" not in result.stdout


def test_expiry_and_name_follow_the_api_rules(usher: Usher, engine: Engine) -> None:
    command = "tokens create --org acme --user a@acme.io"

    zero = usher(f"{command} --expires-in-days 0")
    long_name = usher(f"{command} --name", "n" * 101)
    not_a_number = usher(f"{command} --expires-in-days soon")

    assert zero.exit_code == 2
    assert error_line(zero).startswith("Error: --expires-in-days: Input should be greater")
    assert long_name.exit_code == 2
    assert error_line(long_name).startswith("Error: --name: String should have at most 100")
    assert not_a_number.exit_code == 2


def test_an_unknown_user_is_named(usher: Usher, make_admin: Callable[..., Admin]) -> None:
    admin = make_admin()

    result = usher(f"tokens create --org {admin.org_slug} --user who@acme.io")

    assert result.exit_code == 1
    assert "No user with the email who@acme.io" in error_line(result)
