"""Migrations carry existing organizations forward: 0006 gives an organization made before
teams and roles its predefined teams, Usher's entity types and roles, and the teams' roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from tests.conftest import TEST_DATABASE_URL
from usher.access.service import access_of
from usher.db.engine import build_engine, normalize_url
from usher.db.migrate import upgrade
from usher.models import Organization, Team, TeamMember, User


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the engine under test."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    server = make_url(normalize_url(TEST_DATABASE_URL))
    name = f"usher_migrate_{uuid.uuid4().hex[:10]}"
    dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_0006_gives_an_existing_organization_its_teams_and_roles(empty_url: str) -> None:
    upgrade(empty_url, "0005")
    engine = build_engine(empty_url)
    # These four tables are the same at 0005 as now, so the models' own tables can fill them.
    orgs, teams, members, users = (m.__table__ for m in (Organization, Team, TeamMember, User))
    org_id, admin_team, custom, ada = (uuid.uuid4() for _ in range(4))
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            orgs.insert().values(
                id=org_id, name="Acme", slug="acme", invitation_expiry_days=7, created_at=now
            )
        )
        conn.execute(
            teams.insert(),
            [
                {
                    "id": admin_team,
                    "organization_id": org_id,
                    "name": "Organization Admin",
                    "description": "",
                    "key": "organization_admin",
                    "created_at": now,
                },
                # A custom team that already has a predefined team's name.
                {
                    "id": custom,
                    "organization_id": org_id,
                    "name": "Auditor",
                    "description": "ours",
                    "key": None,
                    "created_at": now,
                },
            ],
        )
        conn.execute(
            users.insert().values(
                id=ada,
                organization_id=org_id,
                first_name="Ada",
                last_name="Lovelace",
                gender="unspecified",
                email="ada@acme.io",
                status="active",
                search_text="ada lovelace",
                sort_name="ada lovelace",
                search_key=1,
                created_at=now,
            )
        )
        conn.execute(members.insert().values(team_id=admin_team, user_id=ada, created_at=now))
    engine.dispose()

    upgrade(empty_url)

    engine = build_engine(empty_url)
    try:
        with engine.connect() as conn:
            by_key = dict(
                conn.execute(sa.text("SELECT key, name FROM teams WHERE key IS NOT NULL")).all()
            )
            types = {r[0] for r in conn.execute(sa.text("SELECT key FROM entity_types"))}
            fixed = conn.execute(
                sa.text(
                    "SELECT t.key, r.key FROM role_bindings b JOIN teams t ON t.id = b.team_id "
                    "JOIN roles r ON r.id = b.role_id WHERE b.fixed"
                )
            ).all()
        assert by_key == {
            "organization_admin": "Organization Admin",
            "user_admin": "User Admin",
            "auditor": "Auditor (Usher)",  # the custom "Auditor" keeps its name
            "member": "Member",
        }
        assert types == {"organization", "org_unit", "team"}
        assert sorted(fixed) == [
            ("auditor", "auditor"),
            ("organization_admin", "admin"),
            ("user_admin", "user_admin"),
        ]
        with Session(engine) as session:
            held = access_of(session, session.get_one(User, ada))
            assert [g.role for g in held.grants] == ["organization:admin"]
    finally:
        engine.dispose()
