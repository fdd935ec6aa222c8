"""``usher org``: organizations, created by an operator with a pending first admin."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from usher.cli.common import JsonOption, handled, load_settings, open_sessions, out, print_json
from usher.db.engine import unit_of_work
from usher.kit.client import CLI_CLIENT
from usher.orgs.service import CreatedOrganization, create_organization

app = typer.Typer(help="Organizations.", no_args_is_help=True)

# The service's field names, as this command spells them.
FIELDS = {
    "name": "NAME",
    "slug": "--slug",
    "email": "--admin-email",
    "first_name": "--admin-first-name",
    "last_name": "--admin-last-name",
}


def created_payload(created: CreatedOrganization) -> dict[str, Any]:
    org, admin = created.organization, created.admin
    return {
        "organization": {"id": str(org.id), "name": org.name, "slug": org.slug},
        "admin": {"id": str(admin.id), "email": admin.email},
        "registration_url": created.registration_url,
    }


@app.command()
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The organization's name.")],
    admin_email: Annotated[
        str, typer.Option("--admin-email", help="Email of the first Organization Admin.")
    ],
    admin_first_name: Annotated[str, typer.Option(help="The admin's first name.")] = "Admin",
    admin_last_name: Annotated[str, typer.Option(help="The admin's last name.")] = "User",
    slug: Annotated[
        str | None, typer.Option(help="Short name used to sign in; made from NAME if omitted.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an organization and its first admin; print the admin's registration link."""
    settings = load_settings()
    sessions = open_sessions(settings)
    with handled(FIELDS), unit_of_work(sessions) as session:
        payload = created_payload(
            create_organization(
                session,
                name=name,
                admin_email=admin_email,
                admin_first_name=admin_first_name,
                admin_last_name=admin_last_name,
                slug=slug,
                client=CLI_CLIENT,
            )
        )
    if as_json:
        print_json(payload)
        return
    org, admin = payload["organization"], payload["admin"]
    console = out()
    console.print(
        f"Created organization [bold]{escape(org['name'])}[/] "
        f"(slug [bold]{escape(org['slug'])}[/])."
    )
    console.print(
        f"Its admin {escape(admin['email'])} is pending. "
        "Open this link to set their password (it works once):"
    )
    console.print(payload["registration_url"], markup=False, soft_wrap=True)
