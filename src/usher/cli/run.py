"""``usher run``: the one-command development start (``make run``): migrate, create a first
organization when there is none, say how to sign in, then serve the app and the mail worker."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from sqlalchemy.orm import Session

from usher.cli.common import handled, load_settings, open_sessions, out
from usher.cli.db import migrate
from usher.cli.serve import Host, NoWorker, Port, mail_destination, start_server
from usher.config import Settings
from usher.db.engine import unit_of_work
from usher.kit.client import CLI_CLIENT
from usher.orgs import service as orgs_service
from usher.orgs.service import create_organization

DEFAULT_ORG = "Example Org"
DEFAULT_ADMIN_EMAIL = "admin@example.com"
FIELDS = {
    "name": "--org-name (USHER_BOOTSTRAP_ORG)",
    "email": "--admin-email (USHER_BOOTSTRAP_ADMIN_EMAIL)",
}


@dataclass(frozen=True)
class Bootstrap:
    """What the first start found or made; plain values, safe after the session closes."""

    existing_organizations: int
    org_name: str | None = None
    org_slug: str | None = None
    admin_email: str | None = None
    registration_url: str | None = None

    @property
    def created(self) -> bool:
        return self.registration_url is not None


def bootstrap(session: Session, *, org_name: str, admin_email: str) -> Bootstrap:
    """Create the first organization and its pending admin, unless one already exists."""
    existing = orgs_service.count_organizations(session)
    if existing:
        return Bootstrap(existing_organizations=existing)
    made = create_organization(session, name=org_name, admin_email=admin_email, client=CLI_CLIENT)
    return Bootstrap(
        existing_organizations=0,
        org_name=made.organization.name,
        org_slug=made.organization.slug,
        admin_email=made.admin.email,
        registration_url=made.registration_url,
    )


def development_base_url(host: str, port: int) -> str:
    """Where this server is reached when USHER_BASE_URL is not set, so links point to it."""
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104 (a name for "every interface", not a bind)
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def welcome(console: Console, settings: Settings, result: Bootstrap) -> None:
    """Tell the developer what was set up and how to sign in."""
    base = settings.base_url
    if result.created:
        assert result.org_slug and result.admin_email and result.registration_url
        console.print(
            Panel(
                f"Created the organization [bold]{escape(result.org_name or '')}[/] "
                f"(slug [bold]{escape(result.org_slug)}[/]) and its admin "
                f"[bold]{escape(result.admin_email)}[/].\n"
                "Open this registration link to set the admin's password (it works once):",
                title="First start",
                title_align="left",
                border_style="green",
            )
        )
        console.print(result.registration_url, markup=False, soft_wrap=True)
        slug, email = result.org_slug, result.admin_email
    else:
        console.print(
            Panel(
                f"{result.existing_organizations} organization(s) already exist, so none was "
                "created. For another organization and a registration link for its admin, run:\n"
                '  usher org create "Organization name" --admin-email you@example.com',
                title="Already set up",
                title_align="left",
                border_style="cyan",
            )
        )
        slug, email = "<organization slug>", "<your email>"
    body = json.dumps({"organization": slug, "email": email, "password": "…"}, ensure_ascii=False)
    console.print(
        Panel(
            Group(
                f"Web: {escape(base)}/login  "
                f"(organization [bold]{escape(slug)}[/], email [bold]{escape(email)}[/])",
                f"API: POST {escape(base)}/api/v1/auth/login  {escape(body)}",
                f"     API docs: {escape(base)}/api/docs",
                f"Mail: {escape(mail_destination(settings))}",
            ),
            title="Sign in",
            title_align="left",
        )
    )


def run(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    org_name: Annotated[
        str,
        typer.Option(
            envvar="USHER_BOOTSTRAP_ORG",
            help="Name of the first organization, if none exists.",
        ),
    ] = DEFAULT_ORG,
    admin_email: Annotated[
        str,
        typer.Option(
            envvar="USHER_BOOTSTRAP_ADMIN_EMAIL",
            help="Email of its first admin.",
        ),
    ] = DEFAULT_ADMIN_EMAIL,
    no_worker: NoWorker = False,
) -> None:
    """Start for development: migrate, create a first organization, serve app and worker."""
    overrides = (
        {} if os.environ.get("USHER_BASE_URL") else {"base_url": development_base_url(host, port)}
    )
    settings = load_settings(**overrides)
    migrate(settings.database_url)
    sessions = open_sessions(settings)
    with handled(FIELDS), unit_of_work(sessions) as session:
        result = bootstrap(session, org_name=org_name, admin_email=admin_email)
    welcome(out(), settings, result)
    start_server(settings, host=host, port=port, worker=not no_worker)
