"""``usher db``: the database schema."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from usher.cli.common import fail, handled, load_settings, out
from usher.db.engine import normalize_url

app = typer.Typer(help="The database schema.", no_args_is_help=True)


def display_url(url: str) -> str:
    return make_url(normalize_url(url)).render_as_string(hide_password=True)


def migrate(url: str) -> None:
    """Bring the database to the newest migration; a failure is a one-line error."""
    # Alembic is slow to import; `usher --help` and input errors should not wait for it.
    from alembic.util import CommandError

    from usher.db.migrate import upgrade as migrate_to

    with handled():
        try:
            migrate_to(url)
        except CommandError as exc:
            fail(f"Migration failed: {exc}")


@app.command()
def upgrade() -> None:
    """Migrate the database to the newest schema (safe to run again)."""
    settings = load_settings()
    with handled():
        url = display_url(settings.database_url)
    migrate(settings.database_url)
    out().print(f"Database {url} is at the newest migration.", markup=False)
