"""The ``usher`` command: one Typer app gathering a module per command group."""

from __future__ import annotations

import typer

from usher.cli import access, db, org, roles, teams, tokens, users
from usher.cli.run import run
from usher.cli.serve import serve
from usher.cli.worker import worker

app = typer.Typer(
    name="usher",
    help="Usher: users & access management. Settings come from USHER_* environment variables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click errors: the "Error: ..." line stays one line, unwrapped, easy to grep.
    rich_markup_mode=None,
)
app.command()(serve)
app.command()(worker)
app.command()(run)
app.add_typer(db.app, name="db")
app.add_typer(org.app, name="org")
app.add_typer(users.app, name="users")
app.add_typer(tokens.app, name="tokens")
app.add_typer(teams.app, name="teams")
app.add_typer(roles.app, name="roles")
app.add_typer(access.app, name="access")


def main() -> None:
    app()
