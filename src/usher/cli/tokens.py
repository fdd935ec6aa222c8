"""``usher tokens``: personal API tokens, made for a given member by an operator."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from usher.auth.schemas import TokenCreate
from usher.auth.service import create_api_token
from usher.cli.common import JsonOption, handled, load_settings, open_sessions, out, print_json
from usher.db.engine import unit_of_work
from usher.kit.client import CLI_CLIENT
from usher.orgs import service as orgs_service

app = typer.Typer(help="API tokens.", no_args_is_help=True)


@app.command()
def create(
    org: Annotated[str, typer.Option("--org", help="The organization's slug.")],
    user: Annotated[str, typer.Option("--user", help="Email of the (active) member.")],
    name: Annotated[str | None, typer.Option(help="A name to tell the token apart.")] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(help="Days until it expires; never if omitted.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API token for a member and print it once."""
    given: dict[str, Any] = {"name": name, "expires_in_days": expires_in_days}
    with handled():
        body = TokenCreate.model_validate({k: v for k, v in given.items() if v is not None})
    settings = load_settings()
    sessions = open_sessions(settings)
    with handled({"user": "--user"}), unit_of_work(sessions) as session:
        actor = orgs_service.member_for_operator(session, org_slug=org, email=user)
        token, api_token = create_api_token(
            session,
            actor,
            name=body.name,
            expires_in_days=body.expires_in_days,
            client=CLI_CLIENT,
        )
        payload: dict[str, Any] = {
            "token": token,
            "id": str(api_token.id),
            "prefix": api_token.prefix,
            "name": api_token.name,
            "user": actor.email,
            "expires_at": api_token.expires_at.isoformat() if api_token.expires_at else None,
        }
    if as_json:
        print_json(payload)
        return
    console = out()
    expiry = f"expires {payload['expires_at']}" if payload["expires_at"] else "never expires"
    console.print(
        f"Token [bold]{escape(payload['name'])}[/] for {escape(payload['user'])} "
        f"(id {payload['id']}, {expiry}). It is shown once: store it now."
    )
    console.print(token, markup=False, soft_wrap=True)
