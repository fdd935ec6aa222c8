"""What every command shares: settings from the environment, a session factory, error
messages (one line on stderr, exit 2 for bad input, 1 for other failures) and output."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from usher.config import Settings
from usher.db.engine import get_engine, session_factory
from usher.errors import UsherError, ValidationFailed
from usher.kit.ratelimit import RateLimiter

USAGE = 2
FAILURE = 1

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
OrgOption = Annotated[str, typer.Option("--org", metavar="SLUG", help="The organization's slug.")]
AsOption = Annotated[
    str,
    typer.Option(
        "--as", metavar="EMAIL", help="Email of the member to act as; their rights apply."
    ),
]


def out() -> Console:
    """Standard output. Print links and tokens with ``soft_wrap=True`` so that they stay on
    one line for copying."""
    return Console(highlight=False)


def err() -> Console:
    return Console(stderr=True, soft_wrap=True, highlight=False)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def fail(message: str, code: int = FAILURE) -> NoReturn:
    typer.secho(f"Error: {one_line(message)}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def describe_validation(exc: ValidationError, names: Mapping[str, str]) -> str:
    """Pydantic's field messages, each named the way the user typed it (``--phone``)."""
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error.get("loc", ()))
        message = _clean(str(error.get("msg", "Invalid value.")))
        parts.append(f"{option_name(field, names)}: {message}" if field else message)
    return " ".join(sentence(p) for p in parts) or "Invalid input."


def describe_usher_error(exc: UsherError, names: Mapping[str, str]) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return " ".join(
            sentence(f"{option_name(field, names)}: {' '.join(messages)}")
            for field, messages in exc.errors.items()
        )
    return exc.message


def sentence(text: str) -> str:
    return text if text.endswith((".", "!", "?")) else text + "."


def option_name(field: str, names: Mapping[str, str]) -> str:
    return names.get(field, "--" + field.replace("_", "-"))


@contextmanager
def handled(names: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn the errors a user can cause into a one-line message and an exit code.

    ``names`` maps a service's field names to this command's option names.
    """
    names = names or {}
    try:
        yield
    except ValidationError as exc:
        fail(describe_validation(exc, names), USAGE)
    except ValidationFailed as exc:
        fail(describe_usher_error(exc, names), USAGE)
    except UsherError as exc:
        fail(describe_usher_error(exc, names), FAILURE)
    except SQLAlchemyError as exc:
        fail(f"Database error: {database_message(exc)}", FAILURE)


def database_message(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment; a bad variable is a usage error naming the variable."""
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        names = {name: f"USHER_{name.upper()}" for name in Settings.model_fields}
        fail(describe_validation(exc, names), USAGE)
    try:
        make_url(settings.database_url)
    except ArgumentError as exc:
        fail(f"USHER_DATABASE_URL: {exc}", USAGE)
    return settings


def open_sessions(settings: Settings) -> sessionmaker[Session]:
    """Sessions on the configured database, which must be reachable and fully migrated."""
    from usher.db.migrate import is_current  # Alembic is slow to import: only when needed

    try:
        engine = get_engine(settings.database_url)
        current = is_current(engine)
    except SQLAlchemyError as exc:
        fail(f"Cannot use the database: {database_message(exc)}")
    if not current:
        fail("The database schema is not at the newest migration: run `usher db upgrade` first.")
    return session_factory(engine, settings=settings, limiter=RateLimiter(settings.redis_url))
