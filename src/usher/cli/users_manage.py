"""``usher users list|show|resend|disable|enable|delete``: the User Management screen at the
command line, acting as one of the organization's admins through the same services as the API."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
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
from usher.db.engine import unit_of_work
from usher.invitations import service as invitations
from usher.kit.client import CLI_CLIENT
from usher.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from usher.models import User
from usher.models.user import UserStatus
from usher.orgs import service as orgs_service
from usher.users import service
from usher.users.schemas import (
    InvitationIssued,
    UserListItem,
    UserPage,
    UserRead,
    invitation_read,
    user_page,
    user_read,
)
from usher.users.service import UserFilters

SortKey = Literal["name", "email", "registered_at", "last_activity_at", "created_at"]

# The services' field names, as these commands spell them.
FIELDS = {
    "user": "USER",
    "q": "--q",
    "statuses": "--status",
    "team_ids": "--team",
    "org_unit_id": "--org-unit",
}

SearchOption = Annotated[
    str | None,
    typer.Option(
        "--q",
        "--search",
        metavar="TEXT",
        help="Any part of a name, an email or a phone number's digits.",
    ),
]
StatusOption = Annotated[
    list[UserStatus] | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        help="Only users with this status (pending, active, disabled); repeatable.",
    ),
]
UserArgument = Annotated[
    str,
    typer.Argument(metavar="USER", help="The user's id, or their organizational email."),
]


def register(app: typer.Typer) -> None:
    app.command("list")(list_users)
    app.command("show")(show_user)
    app.command("resend")(resend_invitation)
    app.command("disable")(disable_user)
    app.command("enable")(enable_user)
    app.command("delete")(delete_user)


# --- acting as an admin, on a user given by id or email ----------------------------------


@contextmanager
def acting_as(org: str, email: str) -> Iterator[tuple[Session, User]]:
    """One transaction as the admin: committed at the end, rolled back on an error, which is
    printed as one line."""
    settings = load_settings()
    sessions = open_sessions(settings)
    with handled(FIELDS), unit_of_work(sessions) as session:
        actor = orgs_service.member_for_operator(session, org_slug=org, email=email)
        yield session, actor


def parse_user(given: str) -> uuid.UUID | str:
    """USER as typed: an id, or an email to look up. Anything else is a usage error."""
    text = given.strip()
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    if "@" not in text:
        fail(f"USER: {given!r} is neither a user id nor an email.", USAGE)
    return text


def resolve_user(session: Session, actor: User, user: uuid.UUID | str) -> uuid.UUID:
    """The id of the user given by id or by organizational email (the admin's rights apply to
    the look-up too)."""
    if isinstance(user, uuid.UUID):
        return user
    return service.find_by_email(session, actor, user).id


# --- list ---------------------------------------------------------------------------------


def list_users(
    org: OrgOption,
    as_: AsOption,
    q: SearchOption = None,
    status: StatusOption = None,
    team: Annotated[
        list[uuid.UUID] | None,
        typer.Option("--team", metavar="TEAM_ID", help="Only members of this team; repeatable."),
    ] = None,
    org_unit: Annotated[
        uuid.UUID | None,
        typer.Option("--org-unit", metavar="ID", help="Only this unit and its sub-units."),
    ] = None,
    sort: Annotated[SortKey, typer.Option(help="Sort by this column.")] = "name",
    desc: Annotated[bool, typer.Option("--desc", help="Sort in descending order.")] = False,
    limit: Annotated[
        int, typer.Option(metavar="N", min=1, max=MAX_LIMIT, help="Users per page.")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        typer.Option(metavar="CURSOR", help="Start at this page (printed by the previous one)."),
    ] = None,
    all_pages: Annotated[
        bool, typer.Option("--all", help="Walk every page and print them all.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List the organization's users: search, filter, sort, page."""
    filters = UserFilters(q=q, statuses=status or [], org_unit_id=org_unit, team_ids=team or [])

    def fetch(session: Session, actor: User, after: str | None) -> UserPage:
        page, next_cursor = service.list_users(
            session,
            actor,
            filters=filters,
            sort=sort,
            descending=desc,
            cursor=after,
            limit=limit,
        )
        return user_page(page, next_cursor)

    with acting_as(org, as_) as (session, actor):
        result = fetch(session, actor, cursor)
        if all_pages and result.next_cursor:
            result = walk(result, lambda after: fetch(session, actor, after))
    if as_json:
        print_json(result.model_dump(mode="json"))
        return
    console = out()
    if not result.items:
        console.print("No users match." if result.total == 0 else "No more users.")
    else:
        print_table(console, users_table(result.items))
    shown = len(result.items)
    noun = "user" if result.total == 1 else "users"
    console.print(
        f"{result.total} {noun} in total."
        if shown == result.total
        else f"Showing {shown} of {result.total} {noun}."
    )
    if result.next_cursor:
        console.print(
            f"For the next page, run this again with --cursor {result.next_cursor} "
            "(or pass --all for every page).",
            markup=False,
            soft_wrap=True,
        )


def walk(first: UserPage, fetch: Callable[[str], UserPage]) -> UserPage:
    """Every page after ``first``, with a progress bar on stderr (shown on a terminal only)."""
    items = list(first.items)
    after = first.next_cursor
    columns = (
        TextColumn("Fetching users"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err(), transient=True) as progress:
        task = progress.add_task("users", total=first.total, completed=len(items))
        while after:
            page = fetch(after)
            items.extend(page.items)
            progress.advance(task, len(page.items))
            after = page.next_cursor
    return UserPage(items=items, total=first.total, next_cursor=None)


def users_table(items: list[UserListItem]) -> Table:
    table = Table(show_edge=False, pad_edge=False, caption="Times are UTC.", caption_justify="left")
    table.add_column("Name")
    table.add_column("Email", overflow="fold")
    table.add_column("Phone", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Registered")
    table.add_column("Last activity")
    table.add_column("Teams")
    for item in items:
        table.add_row(
            escape(f"{item.first_name} {item.last_name}"),
            escape(item.email),
            escape(item.phone or ""),
            status_text(item.status),
            when(item.registered_at),
            when(item.last_activity_at),
            escape(", ".join(t.name for t in item.teams)),
        )
    return table


def print_table(console: Console, table: Table) -> None:
    """On a terminal the table fits the window; into a pipe or a file its rows stay whole,
    one line each, for grep and friends (unless COLUMNS says otherwise)."""
    if not console.is_terminal and "COLUMNS" not in os.environ:
        natural = console.measure(table, options=console.options.update(max_width=10_000))
        console.width = max(console.width, natural.maximum)
    console.print(table)


DELIVERY = {"not_applicable": "none (a link to share, not mailed)"}
STATUS_STYLES = {
    UserStatus.active: "green",
    UserStatus.pending: "yellow",
    UserStatus.disabled: "red",
}


def status_text(status: UserStatus) -> str:
    return f"[{STATUS_STYLES[status]}]{status.value}[/]"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def say(text: str) -> None:
    """One message of what happened, unwrapped: terminals wrap it, pipes get it whole."""
    out().print(text, soft_wrap=True)


def name_of(user: UserRead | User) -> str:
    return f"{user.first_name} {user.last_name} <{user.email}>"


# --- show ---------------------------------------------------------------------------------


def show_user(
    user: UserArgument, org: OrgOption, as_: AsOption, as_json: JsonOption = False
) -> None:
    """Show a user: profile, status, teams, invitation and its delivery, recent audit trail."""
    given = parse_user(user)
    with acting_as(org, as_) as (session, actor):
        read = user_read(
            service.get_user(session, actor, user_id=resolve_user(session, actor, given))
        )
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    print_user(out(), read)


def print_user(console: Console, read: UserRead) -> None:
    console.print(f"[bold]{escape(name_of(read))}[/]  {status_text(read.status)}")
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column(overflow="fold")
    rows: list[tuple[str, str | None]] = [
        ("id", str(read.id)),
        ("gender", read.gender.value),
        ("birthday", read.birthday.isoformat() if read.birthday else None),
        ("personal email", read.personal_email),
        ("phone", read.phone),
        ("position", read.position),
        ("org unit", str(read.org_unit_id) if read.org_unit_id else None),
        ("created", when(read.created_at)),
        ("registered", when(read.registered_at)),
        ("last activity", when(read.last_activity_at)),
        ("invited by", str(read.invited_by_id) if read.invited_by_id else None),
        ("teams", ", ".join(t.name for t in read.teams) or "none"),
    ]
    for label, value in rows:
        facts.add_row(label, escape(value) if value else "-")
    console.print(facts)
    invitation = read.invitation
    console.print()
    if invitation is None:
        console.print("[bold]Invitation[/]: none")
    else:
        delivery = invitation.delivery
        sent = f", sent {when(delivery.sent_at)}" if delivery.sent_at else ""
        tries = f", {delivery.attempts} attempt(s)" if delivery.attempts else ""
        error = f", last error: {delivery.last_error}" if delivery.last_error else ""
        console.print(
            f"[bold]Invitation[/]: {invitation.state} ({invitation.method.value}), "
            f"created {when(invitation.created_at)}, expires {when(invitation.expires_at)}"
        )
        if invitation.sent_to:
            console.print(f"  mailed to {escape(invitation.sent_to)}")
        state = DELIVERY.get(delivery.state, delivery.state)
        console.print(f"  delivery: {state}{escape(sent + tries + error)}")
    console.print()
    if not read.audit_trail:
        console.print("[bold]Recent activity[/]: none")
        return
    console.print("[bold]Recent activity[/] (newest first, UTC)")
    trail = Table(show_edge=False, pad_edge=False)
    for column in ("When", "Action", "By", "Outcome"):
        trail.add_column(column)
    for event in read.audit_trail:
        trail.add_row(
            when(event.created_at),
            escape(event.action),
            escape(event.actor or "-"),
            escape(event.outcome),
        )
    print_table(console, trail)


# --- resend, disable, enable, delete ------------------------------------------------------


def resend_invitation(
    user: UserArgument, org: OrgOption, as_: AsOption, as_json: JsonOption = False
) -> None:
    """Mail a pending user a new registration link; their previous link stops working."""
    given = parse_user(user)
    with acting_as(org, as_) as (session, actor):
        user_id = resolve_user(session, actor, given)
        invitations.resend(session, actor, user_id=user_id, client=CLI_CLIENT)
        detail = service.get_user(session, actor, user_id=user_id)
        invitation = invitation_read(detail.invitation)
        assert invitation is not None  # just issued
        issued = InvitationIssued(user_id=user_id, invitation=invitation)
        who = name_of(detail.user)
    if as_json:
        print_json(issued.model_dump(mode="json"))
        return
    say(
        f"Sent {escape(who)} a new invitation: it is queued for "
        f"{escape(invitation.sent_to or '')} and the mail worker sends it. It expires "
        f"{when(invitation.expires_at)} UTC; the previous link no longer works."
    )


def disable_user(
    user: UserArgument, org: OrgOption, as_: AsOption, as_json: JsonOption = False
) -> None:
    """Disable a user: their sessions and API tokens end now, an open invitation dies."""
    given = parse_user(user)
    with acting_as(org, as_) as (session, actor):
        user_id = resolve_user(session, actor, given)
        was = service.get_user(session, actor, user_id=user_id).user.status
        read = user_read(service.disable_user(session, actor, user_id=user_id, client=CLI_CLIENT))
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    if was == UserStatus.disabled:
        say(f"{escape(name_of(read))} was already disabled; nothing changed.")
        return
    say(
        f"Disabled {escape(name_of(read))}: their sessions and API tokens have ended"
        + (" and their invitation link no longer works." if was == UserStatus.pending else ".")
    )


def enable_user(
    user: UserArgument, org: OrgOption, as_: AsOption, as_json: JsonOption = False
) -> None:
    """Undo a disable. Old sessions stay ended; a never-registered user needs a new invitation."""
    given = parse_user(user)
    with acting_as(org, as_) as (session, actor):
        user_id = resolve_user(session, actor, given)
        was = service.get_user(session, actor, user_id=user_id).user.status
        read = user_read(service.enable_user(session, actor, user_id=user_id, client=CLI_CLIENT))
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    if was != UserStatus.disabled:
        say(
            f"{escape(name_of(read))} is not disabled (status {read.status.value}); "
            "nothing changed."
        )
    elif read.status == UserStatus.pending:
        say(
            f"Enabled {escape(name_of(read))}: they are pending again and need a new "
            f"invitation: usher users resend {read.id} --org {escape(org)} --as {escape(as_)}"
        )
    else:
        say(f"Enabled {escape(name_of(read))}: they can sign in again.")


def delete_user(
    user: UserArgument,
    org: OrgOption,
    as_: AsOption,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete a user; they lose access at once. Asks first unless --yes."""
    given = parse_user(user)
    if not yes and not sys.stdin.isatty():
        fail("Not deleting without confirmation: stdin is not a terminal. Pass --yes.", USAGE)
    with acting_as(org, as_) as (session, actor):
        user_id = resolve_user(session, actor, given)
        who = name_of(service.get_user(session, actor, user_id=user_id).user)
        if yes:
            service.delete_user(session, actor, user_id=user_id, client=CLI_CLIENT)
    if not yes:
        # Asked outside any transaction: nothing is held while a person reads the question.
        question = f"Delete {who} (id {user_id})? They lose access at once; this cannot be undone."
        if not typer.confirm(question):
            err().print("Nothing was deleted.")
            raise typer.Exit(1)
        with acting_as(org, as_) as (session, actor):
            service.delete_user(session, actor, user_id=user_id, client=CLI_CLIENT)
    say(f"Deleted {escape(who)} (id {user_id}): they lost access at once.")
