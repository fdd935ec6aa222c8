"""``usher users``: invite people, acting as one of the organization's admins. The managing
commands (list, show, disable ...) live in ``users_manage``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from usher.cli import users_export, users_import, users_manage
from usher.cli.common import (
    USAGE,
    JsonOption,
    fail,
    handled,
    load_settings,
    open_sessions,
    out,
    print_json,
)
from usher.cli.teams import find_team
from usher.db.engine import unit_of_work
from usher.kit.client import CLI_CLIENT
from usher.models.invitation import InviteMethod
from usher.models.user import Gender
from usher.orgs import service as orgs_service
from usher.users.schemas import UserCreate, UserInvited, user_read
from usher.users.service import invite_user

app = typer.Typer(
    help="Users: invite, import, list, show, resend, disable, enable, delete, export.",
    no_args_is_help=True,
)

FIELDS = {"invite_method": "--method", "team_ids": "--team"}


def parse_role_grant(given: str) -> dict[str, str]:
    """``project:editor=42`` as typed with --role."""
    role, sep, entity_id = given.partition("=")
    if not sep or not role.strip() or not entity_id.strip():
        fail(f"--role: {given!r} is not ROLE=ENTITY_ID, like project:editor=42.", USAGE)
    return {"role": role.strip(), "entity_id": entity_id.strip()}


def role_names(given: list[str]) -> dict[str, str]:
    """The service's ``roles.0.role`` named as the --role the user typed."""
    names: dict[str, str] = {}
    for i, text in enumerate(given):
        for field in ("role", "entity_id"):
            names[f"roles.{i}.{field}"] = f"--role {text}"
    return names


@app.command()
def invite(
    org: Annotated[str, typer.Option("--org", help="The organization's slug.")],
    as_: Annotated[
        str, typer.Option("--as", help="Email of the active Organization Admin who invites.")
    ],
    first_name: Annotated[str, typer.Option(help="First name.")],
    last_name: Annotated[str, typer.Option(help="Last name.")],
    email: Annotated[str, typer.Option(help="Organizational email.")],
    personal_email: Annotated[
        str | None, typer.Option(help="Where the invitation is mailed, if given.")
    ] = None,
    phone: Annotated[
        str | None, typer.Option(help="With + country code, or --phone-region.")
    ] = None,
    phone_region: Annotated[
        str | None, typer.Option(help="Two-letter country code for a number without +.")
    ] = None,
    gender: Annotated[Gender | None, typer.Option(help="Gender.")] = None,
    birthday: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    position: Annotated[str | None, typer.Option(help="Job title.")] = None,
    method: Annotated[
        InviteMethod, typer.Option(help="email: mail the link; link: print it to share.")
    ] = InviteMethod.email,
    team: Annotated[
        list[str] | None,
        typer.Option("--team", metavar="TEAM", help="A team to join, by name or id; repeatable."),
    ] = None,
    role: Annotated[
        list[str] | None,
        typer.Option(
            "--role",
            metavar="ROLE=ENTITY_ID",
            help="A role on an entity (or * for all of its type), like project:editor=42; "
            "repeatable.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a pending user and invite them by email or by a link to share. Their teams and roles
    apply once they accept."""
    roles = [parse_role_grant(r) for r in role or []]
    given: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
        "personal_email": personal_email,
        "phone": phone,
        "phone_region": phone_region,
        "gender": gender,
        "birthday": birthday,
        "position": position,
        "invite_method": method,
        "roles": roles,
    }
    names = {**FIELDS, **role_names(role or [])}
    with handled(names):
        data = UserCreate.model_validate({k: v for k, v in given.items() if v is not None})
    settings = load_settings()
    sessions = open_sessions(settings)
    with handled(names), unit_of_work(sessions) as session:
        actor = orgs_service.member_for_operator(session, org_slug=org, email=as_)
        if team:
            team_ids = list(dict.fromkeys(find_team(session, actor, t).id for t in team))
            data = data.model_copy(update={"team_ids": team_ids})
        result = invite_user(session, actor, data=data, client=CLI_CLIENT)
        read = user_read(result.detail, UserInvited, registration_url=result.registration_url)
        payload = read.model_dump(mode="json")
    if as_json:
        print_json(payload)
        return
    console = out()
    console.print(
        f"Invited {escape(data.first_name)} {escape(data.last_name)} "
        f"<{escape(payload['email'])}>: user id {payload['id']}, "
        f"status {payload['status']}."
    )
    teams = [t["name"] for t in payload.get("teams") or [] if t.get("key") != "member"]
    held = [f"{g.role} on {g.entity_id}" for g in data.roles]
    if teams or held:
        console.print(
            f"Once they accept: teams {escape(', '.join(teams) or 'none')}; "
            f"roles {escape(', '.join(held) or 'none')}.",
            soft_wrap=True,
        )
    invitation = payload["invitation"] or {}
    if payload["registration_url"]:
        console.print("Share this registration link with them (it works once):")
        console.print(payload["registration_url"], markup=False, soft_wrap=True)
    else:
        console.print(
            f"The invitation is queued for {escape(invitation.get('sent_to') or '')}; "
            "the mail worker sends it."
        )


users_manage.register(app)
users_export.register(app)
app.command("import")(users_import.import_users)
app.command("send-links")(users_import.send_links)
