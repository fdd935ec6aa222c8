"""``usher teams``: list, show, create, rename, describe and delete teams; add and remove their
members; set a user's teams. Acting as a named member through the same services as the API, so
that member's rights apply. Also the look-ups ``roles``, ``access`` and ``users`` share: a team
by id or name, a user by id or email."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from usher.cli.common import (
    USAGE,
    AsOption,
    JsonOption,
    OrgOption,
    err,
    fail,
    handled,
    load_settings,
    open_sessions,
    out,
    print_json,
)
from usher.cli.users_manage import parse_user, print_table, resolve_user, say, status_text, when
from usher.db.engine import unit_of_work
from usher.errors import NotFound
from usher.kit.client import CLI_CLIENT
from usher.models import Team, User
from usher.orgs import service as orgs_service
from usher.teams import service
from usher.teams.schemas import (
    BindingRead,
    TeamDetailRead,
    member_read,
    team_detail_read,
    team_read,
)
from usher.users.schemas import TeamRef

app = typer.Typer(
    help="Teams: list, show, create, rename, describe, delete; add and remove members.",
    no_args_is_help=True,
)

# The services' field names, as these commands spell them.
FIELDS = {"name": "NAME", "description": "--description", "user_ids": "USER", "team_ids": "TEAM"}

TeamArgument = Annotated[
    str, typer.Argument(metavar="TEAM", help="The team's id, or its name (any case).")
]
UserArgument = Annotated[
    str, typer.Argument(metavar="USER", help="The user's id, or their organizational email.")
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Go ahead without asking.")]


# --- shared look-ups -------------------------------------------------------------------------


@contextmanager
def acting_as(
    org: str, email: str, names: Mapping[str, str] | None = None
) -> Iterator[tuple[Session, User]]:
    """One transaction as the member: committed at the end, rolled back on an error, which is
    printed as one line (``names``: the services' field names as the command spells them)."""
    settings = load_settings()
    sessions = open_sessions(settings)
    with handled(names or FIELDS), unit_of_work(sessions) as session:
        actor = orgs_service.member_for_operator(session, org_slug=org, email=email)
        yield session, actor


def find_team(session: Session, actor: User, given: str) -> Team:
    """TEAM as typed: an id, or a name in any case and spacing."""
    return find_summary(session, actor, given).team


def find_summary(session: Session, actor: User, given: str) -> service.TeamSummary:
    """The team (with its member count) that TEAM names; any member may look teams up."""
    text = " ".join(given.split())
    summaries = service.list_teams(session, actor)
    try:
        wanted = uuid.UUID(text)
    except ValueError:
        pass
    else:
        for summary in summaries:
            if summary.team.id == wanted:
                return summary
        raise NotFound(f"No team with the id {wanted} in this organization.")
    for summary in summaries:
        if summary.team.name.casefold() == text.casefold():
            return summary
    raise NotFound(f"No team named {text!r} in this organization: see `usher teams list`.")


def find_user(session: Session, actor: User, given: str) -> uuid.UUID:
    """USER as typed: an id, or an organizational email. One's own email needs no right to
    list users."""
    parsed = parse_user(given)
    if isinstance(parsed, str) and parsed.casefold() == actor.email.casefold():
        return actor.id
    return resolve_user(session, actor, parsed)


# --- list, show ------------------------------------------------------------------------------


@app.command("list")
def list_teams(org: OrgOption, as_: AsOption, as_json: JsonOption = False) -> None:
    """Every team with its description and member count."""
    with acting_as(org, as_) as (session, actor):
        reads = [team_read(s.team, s.member_count) for s in service.list_teams(session, actor)]
    if as_json:
        print_json([r.model_dump(mode="json") for r in reads])
        return
    console = out()
    table = Table(show_edge=False, pad_edge=False)
    for column in ("Name", "Members", "Kind", "Description", "Id"):
        table.add_column(column, justify="right" if column == "Members" else "left")
    for read in reads:
        table.add_row(
            escape(read.name),
            str(read.member_count),
            "predefined" if read.predefined else "custom",
            escape(read.description),
            str(read.id),
        )
    print_table(console, table)
    console.print(f"{len(reads)} team{'' if len(reads) == 1 else 's'}.")


@app.command("show")
def show_team(
    team: TeamArgument, org: OrgOption, as_: AsOption, as_json: JsonOption = False
) -> None:
    """A team: its description, members (the first 200 by name) and the roles it holds."""
    with acting_as(org, as_) as (session, actor):
        read = team_detail_read(
            service.get_team(session, actor, find_team(session, actor, team).id)
        )
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    print_team(out(), read)


def print_team(console: Console, read: TeamDetailRead) -> None:
    kind = "predefined" if read.predefined else "custom"
    console.print(f"[bold]{escape(read.name)}[/]  ({kind}, id {read.id})")
    if read.description:
        console.print(escape(read.description))
    console.print()
    noun = "member" if read.member_count == 1 else "members"
    if not read.members:
        console.print("[bold]Members[/]: none")
    else:
        shown = "" if len(read.members) == read.member_count else f", the first {len(read.members)}"
        console.print(f"[bold]Members[/] ({read.member_count} {noun}{shown})")
        table = Table(show_edge=False, pad_edge=False)
        for column in ("Name", "Email", "Status"):
            table.add_column(column)
        for member in read.members:
            table.add_row(
                escape(f"{member.first_name} {member.last_name}"),
                escape(member.email),
                status_text(member.status),
            )
        print_table(console, table)
    console.print()
    print_roles(console, read.roles)


def print_roles(console: Console, roles: list[BindingRead]) -> None:
    if not roles:
        console.print("[bold]Roles[/]: none")
        return
    console.print("[bold]Roles[/]")
    table = Table(show_edge=False, pad_edge=False)
    for column in ("Role", "On", "Binding", "Since (UTC)"):
        table.add_column(column)
    for binding in roles:
        table.add_row(
            escape(binding.role),
            escape(binding.entity),
            f"{binding.id}" + (" (fixed)" if binding.fixed else ""),
            when(binding.created_at),
        )
    print_table(console, table)


# --- create, rename, describe, delete --------------------------------------------------------


@app.command("create")
def create_team(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The new team's name.")],
    org: OrgOption,
    as_: AsOption,
    description: Annotated[str, typer.Option(metavar="TEXT", help="What the team is for.")] = "",
    as_json: JsonOption = False,
) -> None:
    """Create a custom team."""
    with acting_as(org, as_) as (session, actor):
        detail = service.create_team(
            session, actor, name=name, description=description, client=CLI_CLIENT
        )
        read = team_detail_read(detail)
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    say(f"Created the team {escape(read.name)} (id {read.id}).")


@app.command("rename")
def rename_team(
    team: TeamArgument,
    new_name: Annotated[str, typer.Argument(metavar="NEW_NAME", help="The team's new name.")],
    org: OrgOption,
    as_: AsOption,
    as_json: JsonOption = False,
) -> None:
    """Rename a custom team (predefined teams are fixed)."""
    with acting_as(org, as_, {**FIELDS, "name": "NEW_NAME"}) as (session, actor):
        found = find_team(session, actor, team)
        old = found.name
        read = team_detail_read(
            service.update_team(session, actor, found.id, name=new_name, client=CLI_CLIENT)
        )
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    if old == read.name:
        say(f"The team is named {escape(read.name)} already; nothing changed.")
    else:
        say(f"Renamed the team {escape(old)} to {escape(read.name)}.")


@app.command("describe")
def describe_team(
    team: TeamArgument,
    text: Annotated[str, typer.Argument(metavar="TEXT", help='What it is for ("" to clear).')],
    org: OrgOption,
    as_: AsOption,
    as_json: JsonOption = False,
) -> None:
    """Set a custom team's description."""
    with acting_as(org, as_, {**FIELDS, "description": "TEXT"}) as (session, actor):
        found = find_team(session, actor, team)
        read = team_detail_read(
            service.update_team(session, actor, found.id, description=text, client=CLI_CLIENT)
        )
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    say(f"Described the team {escape(read.name)}.")


@app.command("delete")
def delete_team(team: TeamArgument, org: OrgOption, as_: AsOption, yes: YesOption = False) -> None:
    """Delete a custom team: its members leave it and its roles go with it. Asks first unless
    --yes."""
    if not yes and not sys.stdin.isatty():
        fail("Not deleting without confirmation: stdin is not a terminal. Pass --yes.", USAGE)
    with acting_as(org, as_) as (session, actor):
        summary = find_summary(session, actor, team)
        team_id, name, count = summary.team.id, summary.team.name, summary.member_count
        if yes:
            service.delete_team(session, actor, team_id, client=CLI_CLIENT)
    if not yes:
        # Asked outside any transaction: nothing is held while a person reads the question.
        question = (
            f"Delete the team {name} (id {team_id})? Its {count} member(s) leave it and its "
            "roles go with it; this cannot be undone."
        )
        if not typer.confirm(question):
            err().print("Nothing was deleted.")
            raise typer.Exit(1)
        with acting_as(org, as_) as (session, actor):
            service.delete_team(session, actor, team_id, client=CLI_CLIENT)
    say(f"Deleted the team {escape(name)}: {count} member(s) left it and its roles went too.")


# --- members ---------------------------------------------------------------------------------


@app.command("add")
def add_members(
    team: TeamArgument,
    users: Annotated[list[str], typer.Argument(metavar="USER...", help="Users' ids or emails.")],
    org: OrgOption,
    as_: AsOption,
    as_json: JsonOption = False,
) -> None:
    """Add people to a team (pending users too: it applies when they accept)."""
    with acting_as(org, as_) as (session, actor):
        found = find_team(session, actor, team)
        name = found.name
        ids = [find_user(session, actor, u) for u in users]
        added = [
            member_read(u)
            for u in service.add_members(session, actor, found.id, ids, client=CLI_CLIENT)
        ]
    if as_json:
        print_json([m.model_dump(mode="json") for m in added])
        return
    if added:
        who = ", ".join(m.email for m in added)
        say(f"Added to {escape(name)}: {escape(who)}.")
    already = len(set(ids)) - len(added)
    if already:
        say(f"{already} of them {'was' if already == 1 else 'were'} in {escape(name)} already.")


@app.command("remove")
def remove_member(
    team: TeamArgument, user: UserArgument, org: OrgOption, as_: AsOption, yes: YesOption = False
) -> None:
    """Take someone out of a team; the roles it gave them end at once. Asks first unless
    --yes."""
    if not yes and not sys.stdin.isatty():
        fail("Not removing without confirmation: stdin is not a terminal. Pass --yes.", USAGE)
    with acting_as(org, as_) as (session, actor):
        found = find_team(session, actor, team)
        team_id, name = found.id, found.name
        user_id = find_user(session, actor, user)
        if yes:
            service.remove_member(session, actor, team_id, user_id, client=CLI_CLIENT)
    if not yes:
        if not typer.confirm(f"Remove {user} from {name}? The roles it gives end at once."):
            err().print("Nothing was changed.")
            raise typer.Exit(1)
        with acting_as(org, as_) as (session, actor):
            service.remove_member(session, actor, team_id, user_id, client=CLI_CLIENT)
    say(f"Removed {escape(user)} from {escape(name)}.")


@app.command("set-for")
def set_user_teams(
    user: UserArgument,
    org: OrgOption,
    as_: AsOption,
    teams: Annotated[
        list[str] | None,
        typer.Argument(metavar="[TEAM]...", help="Every team they should be in, by id or name."),
    ] = None,
    none: Annotated[
        bool, typer.Option("--none", help="Take them out of every team they can leave.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Make these the user's teams: adds and removes to match (pending users too: the teams
    apply when they accept)."""
    if not teams and not none:
        fail("Name their teams, or pass --none to take them out of every team.", USAGE)
    if teams and none:
        fail("Name their teams or pass --none, not both.", USAGE)
    with acting_as(org, as_) as (session, actor):
        user_id = find_user(session, actor, user)
        ids = [find_team(session, actor, t).id for t in teams or []]
        now = service.set_user_teams(session, actor, user_id, ids, client=CLI_CLIENT)
        refs = [TeamRef(id=t.id, name=t.name, key=t.key) for t in now]
    if as_json:
        print_json([r.model_dump(mode="json") for r in refs])
        return
    names = ", ".join(r.name for r in refs) or "none (Member only)"
    say(f"{escape(user)}'s teams: {escape(names)}.")
