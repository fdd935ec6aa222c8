"""``usher serve``: the web app and API under uvicorn, with the mail worker beside it."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from usher.cli.common import database_message, err, handled, load_settings
from usher.config import Settings
from usher.db.engine import get_engine

Host = Annotated[str, typer.Option(help="Interface to listen on.")]
Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
NoWorker = Annotated[bool, typer.Option("--no-worker", help="Do not send mail from this process.")]


def mail_destination(settings: Settings) -> str:
    if settings.smtp_url:
        return "Mail is sent through USHER_SMTP_URL."
    return f"USHER_SMTP_URL is not set: mail is written to {settings.mail_dir}/*.eml instead."


def warn_if_not_ready(settings: Settings) -> None:
    """The server starts anyway (/readyz says why it is not ready), but say so now."""
    from usher.db.migrate import is_current

    console = err()
    try:
        current = is_current(get_engine(settings.database_url))
    except SQLAlchemyError as exc:
        console.print(f"Warning: cannot use the database: {database_message(exc)}", markup=False)
        return
    if not current:
        console.print(
            "Warning: the database schema is not at the newest migration; run `usher db upgrade`.",
            markup=False,
        )


def start_server(settings: Settings, *, host: str, port: int, worker: bool) -> None:
    import uvicorn

    from usher.app import create_app

    warn_if_not_ready(settings)
    if worker:
        err().print(mail_destination(settings), markup=False)
    with handled():
        application = create_app(settings, run_worker=worker)
    uvicorn.run(application, host=host, port=port, log_level="info")


def serve(host: Host = "127.0.0.1", port: Port = 8000, no_worker: NoWorker = False) -> None:
    """Serve the app (and, unless --no-worker, send mail from the outbox)."""
    start_server(load_settings(), host=host, port=port, worker=not no_worker)
