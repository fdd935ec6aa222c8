"""``usher users``: invite people, acting as one of the organization's admins. The managing
commands (list, show, disable ...) live in ``users_manage``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from usher.cli import users_manage
from usher.cli.common import JsonOption, handled, load_settings, open_sessions, out, print_json
from usher.db.engine import unit_of_work
from usher.kit.client import CLI_CLIENT
from usher.models.invitation import InviteMethod
from usher.models.user import Gender
from usher.orgs import service as orgs_service
from usher.users.schemas import UserCreate, UserInvited, user_read
from usher.users.service import invite_user

app = typer.Typer(
    help="Users: invite, list, show, resend, disable, enable, delete.", no_args_is_help=True
)

FIELDS = {"invite_method": "--method"}


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
    as_json: JsonOption = False,
) -> None:
    """Add a pending user and invite them by email or by a link to share."""
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
    }
    with handled(FIELDS):
        data = UserCreate.model_validate({k: v for k, v in given.items() if v is not None})
    settings = load_settings()
    sessions = open_sessions(settings)
    with handled(FIELDS), unit_of_work(sessions) as session:
        actor = orgs_service.member_for_operator(session, org_slug=org, email=as_)
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
