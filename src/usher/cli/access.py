"""``usher access``: may a user do something on an entity, and which binding allows it; a
user's effective permissions with where each comes from. The same decisions the API answers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from usher.access import service
from usher.access.schemas import GrantRead, check_read, user_access_read
from usher.cli.common import AsOption, JsonOption, OrgOption, out, print_json
from usher.cli.teams import acting_as, find_user
from usher.cli.users_manage import print_table, say

app = typer.Typer(
    help="Access: check a permission on an entity; show a user's effective access.",
    no_args_is_help=True,
)

DENIED = 3  # a clean "no", told apart from an error (1) and bad input (2)

FIELDS = {"permission": "PERMISSION", "entity": "ENTITY", "user_id": "--user", "user": "--user"}


def source(grant: GrantRead) -> str:
    via = f"the team {grant.team_name}" if grant.source == "team" else "their own role"
    return f"{grant.role} on {grant.entity}, through {via} (binding {grant.binding_id})"


@app.command("check")
def check(
    permission: Annotated[
        str, typer.Argument(metavar="PERMISSION", help="A permission, like project.edit.")
    ],
    entity: Annotated[
        str,
        typer.Argument(
            metavar="ENTITY", help="type:id, like project:42, user:<id>, or organization."
        ),
    ],
    org: OrgOption,
    as_: AsOption,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            metavar="USER",
            help="Whose access, by email or id (default: the --as member's own; asking about "
            "someone else takes access.check).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """May the user do PERMISSION on ENTITY? Exit code 0 if allowed, 3 if not."""
    with acting_as(org, as_, FIELDS) as (session, actor):
        user_id = find_user(session, actor, user) if user else None
        result = check_read(
            service.check(session, actor, service.CheckRequest(permission, entity, user_id))
        )
        who = user or actor.email
    if as_json:
        print_json(result.model_dump(mode="json"))
    elif result.allowed:
        assert result.granted_by is not None
        say(
            f"Allowed: {escape(who)} may {escape(permission)} on {escape(result.entity)}, "
            f"by {escape(source(result.granted_by))}."
        )
    else:
        say(f"Denied: {escape(who)} may not {escape(permission)} on {escape(result.entity)}.")
    if not result.allowed:
        raise typer.Exit(DENIED)


@app.command("show")
def show(
    user: Annotated[
        str, typer.Argument(metavar="USER", help="The user's id, or their organizational email.")
    ],
    org: OrgOption,
    as_: AsOption,
    as_json: JsonOption = False,
) -> None:
    """A user's effective permissions, each with where it comes from (a team or their own
    role). Yourself, or anyone you may see."""
    with acting_as(org, as_, FIELDS) as (session, actor):
        found, held = service.effective_access(session, actor, find_user(session, actor, user))
        read = user_access_read(found, held)
        email = found.email
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    console = out()
    if not read.active:
        say(
            f"{escape(email)} is not active, so holds nothing now: a pending user's teams and "
            "roles apply once they accept."
        )
        return
    if not read.grants:
        say(f"{escape(email)} holds no roles.")
        return
    console.print(f"[bold]Roles of {escape(email)}[/]")
    roles = Table(show_edge=False, pad_edge=False)
    for column in ("Role", "On", "Through", "Binding"):
        roles.add_column(column)
    for grant in read.grants:
        roles.add_row(
            escape(grant.role),
            escape(grant.entity),
            escape(f"team {grant.team_name}" if grant.source == "team" else "own role"),
            str(grant.binding_id),
        )
    print_table(console, roles)
    console.print()
    console.print("[bold]Permissions[/]")
    permissions = Table(show_edge=False, pad_edge=False)
    for column in ("Permission", "On", "From"):
        permissions.add_column(column)
    for item in read.permissions:
        permissions.add_row(
            escape(item.permission),
            escape(item.entity),
            escape(
                ", ".join(
                    f"team {s.team_name}" if s.source == "team" else f"own {s.role}"
                    for s in item.sources
                )
            ),
        )
    print_table(console, permissions)
