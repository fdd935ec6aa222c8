"""``usher db upgrade``: migrates to the newest schema and can run again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect

from tests.cli.conftest import Usher, error_line
from usher.db.engine import build_engine
from usher.db.migrate import is_current


def test_upgrade_builds_a_new_database_and_can_run_again(usher: Usher, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    env: dict[str, str | None] = {"USHER_DATABASE_URL": url}

    first = usher("db upgrade", env=env)
    second = usher("db upgrade", env=env)

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    assert "is at the newest migration" in " ".join(second.stdout.split())
    engine = build_engine(url)
    try:
        assert is_current(engine)
        assert "users" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_upgrade_of_a_current_database_changes_nothing(usher: Usher, engine: Engine) -> None:
    result = usher("db upgrade")

    assert result.exit_code == 0, result.output
    assert is_current(engine)


def test_the_printed_url_hides_the_password(usher: Usher, tmp_path: Path) -> None:
    unreachable = {"USHER_DATABASE_URL": "postgresql://u:s3cret@127.0.0.1:1/x"}

    result = usher("db upgrade", env=unreachable)

    assert result.exit_code == 1
    assert "s3cret" not in result.output
    error_line(result)


def test_an_unparsable_url_is_a_usage_error(usher: Usher) -> None:
    result = usher("db upgrade", env={"USHER_DATABASE_URL": "not a url"})

    assert result.exit_code == 2
    assert error_line(result).startswith("Error: USHER_DATABASE_URL: ")
