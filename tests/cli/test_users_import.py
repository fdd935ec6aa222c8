"""``usher users import FILE``: the same import as the API, with a progress bar; and an import
whose worker process is killed part-way leaves nothing, then completes on another worker."""

from __future__ import annotations

import csv
import json
import signal
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.cli.conftest import Admin, Usher, error_line
from tests.cli.server import usher_process, wait_for
from tests.fixtures.factories import db_session
from usher.models import User

GOOD = "First name,Last name,Email\nGrace,Hopper,grace@acme.io\nAlan,Turing,alan@acme.io\n"
BAD = GOOD + "Ada,Lovelace,not-an-email\n"


def acting(admin: Admin) -> str:
    return f"--org {admin.org_slug} --as {admin.email}"


def emails(app: FastAPI) -> set[str]:
    with db_session(app) as session:
        return set(session.scalars(select(User.email)).all())


def write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_dry_run_reports_and_writes_nothing(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI, tmp_path: Path
) -> None:
    admin = make_admin()
    result = usher(f"users import {write(tmp_path, BAD)} {acting(admin)} --dry-run")
    assert result.exit_code == 1, result.output
    assert (
        "Dry run: 3 rows: 2 to create, 0 to update, 0 unchanged, 1 invalid. Nothing was written."
        in result.stdout
    )
    assert "not-an-email" in result.stdout or "@-sign" in result.stdout
    assert emails(app) == {admin.email}


def test_apply_creates_the_users_and_json_says_what_happened(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI, tmp_path: Path
) -> None:
    admin = make_admin()
    result = usher(f"users import {write(tmp_path, GOOD)} {acting(admin)} --json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["status"] == "completed"
    assert body["counts"]["created"] == 2
    assert emails(app) == {admin.email, "grace@acme.io", "alan@acme.io"}
    again = usher(f"users import {write(tmp_path, GOOD)} {acting(admin)}")
    assert again.exit_code == 0
    assert "Imported 2 rows: 0 created, 0 updated, 2 unchanged, 0 rejected." in again.stdout


def test_all_or_nothing_fails_and_valid_only_writes_the_rejected_rows(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI, tmp_path: Path
) -> None:
    admin = make_admin()
    path = write(tmp_path, BAD)
    refused = usher(f"users import {path} {acting(admin)}")
    assert refused.exit_code == 1
    assert error_line(refused) == (
        "Error: 1 row(s) have problems, so nothing was imported. Fix them and import again, "
        "or import the valid rows only."
    )
    assert emails(app) == {admin.email}
    rejected = tmp_path / "rejected.csv"
    result = usher(f"users import {path} {acting(admin)} --valid-only --rejected {rejected}")
    assert result.exit_code == 0, result.output
    assert "2 created" in result.stdout
    rows = list(csv.reader(rejected.open(encoding="utf-8-sig")))
    assert rows == [
        ["First name", "Last name", "Email", "Reason"],
        ["Ada", "Lovelace", "not-an-email", "Email: An email address must have an @-sign."],
    ]


def test_map_option_and_bad_input(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI, tmp_path: Path
) -> None:
    admin = make_admin()
    path = write(tmp_path, "Given,Family,Contact\nGrace,Hopper,grace@acme.io\n")
    missing = usher(f"users import {path} {acting(admin)}")
    assert missing.exit_code == 2
    assert "No column holds the organizational email" in error_line(missing)
    result = usher(
        f"users import {path} {acting(admin)}",
        "--map", "Given=first_name", "--map", "Family=last_name", "--map", "Contact=email",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "grace@acme.io" in emails(app)
    bad_map = usher(f"users import {path} {acting(admin)} --map Given")
    assert bad_map.exit_code == 2
    png = tmp_path / "photo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    not_a_table = usher(f"users import {png} {acting(admin)}")
    assert not_a_table.exit_code == 2
    assert error_line(not_a_table).startswith("Error: FILE: ")


def test_a_worker_killed_mid_import_leaves_nothing_and_another_finishes_it(
    make_admin: Callable[..., Admin],
    client: TestClient,
    app: FastAPI,
    database_url: str,
    is_postgres: bool,
    tmp_path: Path,
) -> None:
    admin = make_admin()
    rows = 60_000
    content = "First name,Last name,Email\n" + "".join(
        f"Person,Number {i},person{i}@acme.io\n" for i in range(rows)
    )
    r = client.post("/api/v1/imports", files={"file": ("big.csv", content.encode(), "text/csv")})
    assert r.status_code == 202, r.text
    import_id = r.json()["id"]
    env = {
        "USHER_DATABASE_URL": database_url,
        "USHER_VAR_DIR": str(tmp_path / "var"),
        "USHER_SECRET_KEY": "x",
        "USHER_ENV": "test",
        "USHER_IMPORT_LEASE_SECONDS": "2",
        "USHER_IMPORT_POLL_SECONDS": "0.1",
    }

    def state() -> dict[str, object]:
        return client.get(f"/api/v1/imports/{import_id}").json()  # type: ignore[no-any-return]

    first_dir = tmp_path / "first"
    first_dir.mkdir()

    # PostgreSQL lets us watch the one write transaction run and kill the worker inside it;
    # SQLite's write lock hides it (the progress read waits for it), so there the worker is
    # killed while it checks the rows.
    def part_way() -> bool:
        progress = state()["progress"]
        if is_postgres:
            return progress["phase"] == "writing"  # type: ignore[index,no-any-return]
        return int(progress["rows_done"]) > 0  # type: ignore[index]

    with usher_process(["worker"], env, first_dir) as running:
        wait_for(part_way, running, seconds=60)
        running.process.send_signal(signal.SIGKILL)
        running.process.wait()
    killed = state()
    assert killed["status"] == "running"
    if is_postgres:
        assert killed["progress"]["phase"] == "writing"  # type: ignore[index]
    else:
        assert killed["progress"]["rows_done"] < rows  # type: ignore[index]
    assert emails(app) == {admin.email}  # nothing of it was written
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    with usher_process(["worker"], env, second_dir) as running:
        wait_for(lambda: state()["status"] == "completed", running, seconds=120)
    done = state()
    assert done["counts"]["created"] == rows  # type: ignore[index]
    with db_session(app) as session:
        assert session.scalar(select(func.count()).select_from(User)) == rows + 1


def test_send_links_mails_those_imported_without_one(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI, tmp_path: Path
) -> None:
    admin = make_admin()
    assert usher(f"users import {write(tmp_path, GOOD)} {acting(admin)}").exit_code == 0
    result = usher(f"users send-links {acting(admin)}")
    assert result.exit_code == 0, result.output
    assert "Queued 2 registration link(s); 0 pending user(s) still have none." in result.stdout
    again = usher(f"users send-links {acting(admin)} --json")
    assert json.loads(again.stdout) == {"sent": 0, "remaining": 0}
