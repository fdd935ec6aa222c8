"""``usher roles``: entity types and their roles, and role bindings (who holds which role on
what): list, register a type, grant, revoke. Acting as a named member, whose rights apply:
nobody grants what they do not hold."""

from __future__ import annotations

import json
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from usher.access import roles as service
from usher.access.catalogue import ORGANIZATION
from usher.access.schemas import EntityTypeCreate, entity_type_read
from usher.cli.common import (
    USAGE,
    AsOption,
    JsonOption,
    OrgOption,
    describe_validation,
    fail,
    out,
    print_json,
)
from usher.cli.teams import acting_as, find_team, find_user
from usher.cli.users_manage import print_table, say, when
from usher.errors import NotFound, NotPermitted
from usher.kit.client import CLI_CLIENT
from usher.models import User
from usher.teams.schemas import BindingRead, binding_read
from usher.users import service as users_service

app = typer.Typer(
    help="Roles: entity types and their roles; grant and revoke roles on entities.",
    no_args_is_help=True,
)

# The services' field names, as these commands spell them.
FIELDS = {
    "key": "KEY",
    "name": "--name",
    "description": "--description",
    "roles": "--role",
    "role": "ROLE",
    "entity_id": "ENTITY_ID",
    "user_id": "--user",
    "team_id": "--team",
}

UserOption = Annotated[
    str | None, typer.Option("--user", metavar="USER", help="A user, by email or id.")
]
TeamOption = Annotated[
    str | None, typer.Option("--team", metavar="TEAM", help="A team, by name or id.")
]


# --- entity types ----------------------------------------------------------------------------


@app.command("types")
def list_types(org: OrgOption, as_: AsOption, as_json: JsonOption = False) -> None:
    """Usher's own entity types and those applications registered, with their roles."""
    with acting_as(org, as_, FIELDS) as (session, actor):
        reads = [entity_type_read(v) for v in service.list_entity_types(session, actor)]
    if as_json:
        print_json([r.model_dump(mode="json") for r in reads])
        return
    console = out()
    table = Table(show_edge=False, pad_edge=False)
    for column in ("Type", "Name", "Kind", "Role", "Permissions"):
        table.add_column(column)
    for read in reads:
        kind = "Usher's" if read.builtin else "registered"
        if not read.roles:
            table.add_row(escape(read.key), escape(read.name), kind, "-", "-")
        for i, role in enumerate(read.roles):
            table.add_row(
                escape(read.key) if i == 0 else "",
                escape(read.name) if i == 0 else "",
                kind if i == 0 else "",
                escape(f"{read.key}:{role.key}"),
                escape(", ".join(role.permissions)),
            )
    print_table(console, table)
    console.print(f"{len(reads)} entity type{'' if len(reads) == 1 else 's'}.")


def parse_role(given: str) -> dict[str, Any]:
    """``editor=project.read,project.edit`` as typed with --role."""
    key, sep, permissions = given.partition("=")
    key = key.strip()
    if not sep or not key:
        fail(f"--role: {given!r} is not KEY=PERMISSION,PERMISSION...", USAGE)
    return {
        "key": key,
        "name": key.replace("_", " ").capitalize(),
        "permissions": [p.strip() for p in permissions.split(",") if p.strip()],
    }


def read_roles_file(path: Path) -> dict[str, Any]:
    """The file: a JSON list of roles (each with key, name, description, permissions), or an
    object in the shape of the API's body (roles, and optionally name and description)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"--file: cannot read {path}: {exc.strerror or exc}", USAGE)
    except ValueError as exc:
        fail(f"--file: {path} is not JSON: {exc}", USAGE)
    if isinstance(data, list):
        return {"roles": data}
    if not isinstance(data, dict):
        fail(f"--file: {path} holds neither a list of roles nor an object.", USAGE)
    return data


def role_names(roles: list[Any], *, from_file: int) -> dict[str, str]:
    """The service's ``roles.0.permissions`` named as typed: ``--role editor`` (or the file's
    role), so that a message says which role is wrong."""
    names: dict[str, str] = {}
    for i, spec in enumerate(roles):
        key = spec.get("key") if isinstance(spec, dict) else None
        label = f"--file role {key or i + 1}" if i < from_file else f"--role {key}"
        names[f"roles.{i}"] = label
        for field in ("key", "name", "description", "permissions"):
            names[f"roles.{i}.{field}"] = f"{label} ({field})"
    return names


@app.command("register-type")
def register_type(
    key: Annotated[str, typer.Argument(metavar="KEY", help="The type's key, like project.")],
    org: OrgOption,
    as_: AsOption,
    name: Annotated[
        str | None, typer.Option(metavar="NAME", help="Its name to show (default: from KEY).")
    ] = None,
    description: Annotated[str | None, typer.Option(metavar="TEXT", help="What it is.")] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            metavar="KEY=PERMS",
            help="A role and its comma-separated permissions, like "
            "editor=project.read,project.edit; repeatable.",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            metavar="FILE",
            help="Roles from a JSON file: a list of {key, name, description, permissions}.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Register an application's entity type and its roles."""
    body: dict[str, Any] = read_roles_file(file) if file else {}
    body["key"] = key
    body["roles"] = [*body.get("roles", []), *(parse_role(r) for r in role or [])]
    if name is not None:
        body["name"] = name
    body.setdefault("name", key.replace("_", " ").capitalize())
    if description is not None:
        body["description"] = description
    names = {**FIELDS, **role_names(body["roles"], from_file=len(body["roles"]) - len(role or []))}
    try:
        data = EntityTypeCreate.model_validate(body)
    except ValidationError as exc:
        fail(describe_validation(exc, names), USAGE)
    with acting_as(org, as_, names) as (session, actor):
        view = service.register_entity_type(
            session,
            actor,
            key=data.key,
            name=data.name,
            description=data.description,
            roles=[
                service.RoleSpecIn(r.key, r.name, r.description, r.permissions) for r in data.roles
            ],
            client=CLI_CLIENT,
        )
        read = entity_type_read(view)
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    roles = ", ".join(f"{read.key}:{r.key}" for r in read.roles) or "none yet"
    say(f"Registered the entity type {escape(read.key)} ({escape(read.name)}); roles: {roles}.")


# --- bindings --------------------------------------------------------------------------------


def holder(binding: BindingRead, emails: dict[uuid.UUID, str]) -> str:
    if binding.team_id is not None:
        return f"team {binding.team_name or binding.team_id}"
    assert binding.user_id is not None
    return f"user {emails.get(binding.user_id, str(binding.user_id))}"


def emails_of(session: Session, actor: User, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The emails of the users the actor may see; the others stay ids."""
    found: dict[uuid.UUID, str] = {actor.id: actor.email}
    for user_id in ids - set(found):
        with suppress(NotPermitted, NotFound):
            found[user_id] = users_service.get_user(session, actor, user_id=user_id).user.email
    return found


@app.command("list")
def list_bindings(
    org: OrgOption,
    as_: AsOption,
    user: UserOption = None,
    team: TeamOption = None,
    type_: Annotated[
        str | None, typer.Option("--type", metavar="TYPE", help="Only roles on this type.")
    ] = None,
    entity: Annotated[
        str | None,
        typer.Option("--entity", metavar="ENTITY_ID", help="Only roles on this entity (or *)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Who holds which role on what (at most 1,000 rows; narrow with the options)."""
    with acting_as(org, as_, FIELDS) as (session, actor):
        user_id = find_user(session, actor, user) if user else None
        team_id = find_team(session, actor, team).id if team else None
        reads = [
            binding_read(v)
            for v in service.list_bindings(
                session,
                actor,
                user_id=user_id,
                team_id=team_id,
                entity_type=type_,
                entity_id=entity,
            )
        ]
        emails = (
            {}
            if as_json
            else emails_of(session, actor, {r.user_id for r in reads if r.user_id is not None})
        )
    if as_json:
        print_json([r.model_dump(mode="json") for r in reads])
        return
    console = out()
    if not reads:
        console.print("No roles match.")
        return
    table = Table(show_edge=False, pad_edge=False, caption="Times are UTC.", caption_justify="left")
    for column in ("Role", "On", "Held by", "Binding", "Since"):
        table.add_column(column)
    for read in reads:
        table.add_row(
            escape(read.role),
            escape(read.entity),
            escape(holder(read, emails)),
            f"{read.id}" + (" (fixed)" if read.fixed else ""),
            when(read.created_at),
        )
    print_table(console, table)
    console.print(f"{len(reads)} role binding{'' if len(reads) == 1 else 's'}.")


def subject(
    session: Session, actor: User, user: str | None, team: str | None
) -> tuple[uuid.UUID | None, uuid.UUID | None, str]:
    """(user id, team id, a label) for --user or --team, exactly one of them."""
    if (user is None) == (team is None):
        fail("Give either --user or --team.", USAGE)
    if user is not None:
        return find_user(session, actor, user), None, user
    assert team is not None
    found = find_team(session, actor, team)
    return None, found.id, f"the team {found.name}"


@app.command("grant")
def grant(
    role: Annotated[str, typer.Argument(metavar="ROLE", help="type:role, like project:editor.")],
    entity_id: Annotated[
        str,
        typer.Argument(metavar="ENTITY_ID", help="The entity's id, or * for all of the type."),
    ],
    org: OrgOption,
    as_: AsOption,
    user: UserOption = None,
    team: TeamOption = None,
    as_json: JsonOption = False,
) -> None:
    """Give a user or a team a role on one entity, or on every entity of its type (*). Pending
    users too: it applies when they accept."""
    with acting_as(org, as_, FIELDS) as (session, actor):
        user_id, team_id, label = subject(session, actor, user, team)
        read = binding_read(
            service.grant_role(
                session,
                actor,
                role=role,
                entity_id=entity_id,
                user_id=user_id,
                team_id=team_id,
                client=CLI_CLIENT,
            )
        )
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    say(
        f"Granted {escape(label)} {escape(read.role)} on {escape(read.entity)} (binding {read.id})."
    )


@app.command("revoke")
def revoke(
    target: Annotated[
        str,
        typer.Argument(
            metavar="BINDING_ID|ROLE",
            help="A binding's id, or a role (type:role) with ENTITY_ID and --user or --team.",
        ),
    ],
    org: OrgOption,
    as_: AsOption,
    entity_id: Annotated[
        str | None, typer.Argument(metavar="[ENTITY_ID]", help="With ROLE: the entity's id or *.")
    ] = None,
    user: UserOption = None,
    team: TeamOption = None,
) -> None:
    """Take a role away: by the binding's id (see `usher roles list`), or by role, entity and
    holder."""
    try:
        binding_id: uuid.UUID | None = uuid.UUID(target.strip())
    except ValueError:
        binding_id = None
    if binding_id is not None and (entity_id or user or team):
        fail("Give a binding's id alone, or ROLE ENTITY_ID with --user or --team.", USAGE)
    if binding_id is None and (entity_id is None or ":" not in target):
        fail(
            f"{target!r} is not a binding id; to name a role, give ROLE (type:role), ENTITY_ID "
            "and --user or --team.",
            USAGE,
        )
    with acting_as(org, as_, FIELDS) as (session, actor):
        if binding_id is None:
            assert entity_id is not None
            binding_id, what = find_binding(session, actor, target, entity_id, user, team)
        else:
            what = f"the role binding {binding_id}"
        service.revoke_role(session, actor, binding_id, client=CLI_CLIENT)
    say(f"Revoked {escape(what)}.")


def find_binding(
    session: Session, actor: User, role: str, entity_id: str, user: str | None, team: str | None
) -> tuple[uuid.UUID, str]:
    """The binding of ``role`` on ``entity_id`` held by the user or team, and a label for it."""
    user_id, team_id, label = subject(session, actor, user, team)
    type_key = role.partition(":")[0]
    wanted = entity_id.strip()
    for view in service.list_bindings(
        session, actor, user_id=user_id, team_id=team_id, entity_type=type_key
    ):
        # A role on the organization is always held on "*", however it was named.
        same = view.binding.entity_id == wanted or type_key == ORGANIZATION
        if view.role_name == role and same:
            return view.binding.id, f"{role} on {view.entity} from {label}"
    who = label if user_id else label.replace("the team", "The team", 1)
    raise NotFound(f"{who} does not hold {role} on {type_key}:{wanted}.")
