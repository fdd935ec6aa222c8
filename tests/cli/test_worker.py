"""``usher worker``: delivers queued invitations and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

from fastapi.testclient import TestClient

from tests.cli.conftest import Admin, Usher
from tests.cli.server import usher_process, wait_for


def test_worker_writes_queued_mail_and_stops_on_sigterm(
    usher: Usher,
    make_admin: Callable[..., Admin],
    client: TestClient,
    database_url: str,
    tmp_path: Path,
) -> None:
    admin = make_admin()
    invited = usher(
        f"users invite --org {admin.org_slug} --as {admin.email} "
        "--first-name Grace --last-name Hopper --email grace@acme.io --json"
    )
    assert invited.exit_code == 0, invited.output
    user_id = json.loads(invited.stdout)["id"]
    var_dir = tmp_path / "worker-var"
    env = {
        "USHER_DATABASE_URL": database_url,
        "USHER_VAR_DIR": str(var_dir),
        "USHER_SECRET_KEY": "x",
        "USHER_ENV": "test",
        "USHER_BASE_URL": "http://usher.test",
        "USHER_MAIL_POLL_SECONDS": "0.1",
    }

    def delivery() -> str:
        invitation = client.get(f"/api/v1/users/{user_id}").json()["invitation"]
        return str(invitation["delivery"]["state"])

    assert delivery() == "queued"
    with usher_process(["worker"], env, tmp_path) as running:
        wait_for(lambda: delivery() == "sent", running)

    assert running.returncode == 0, running.err()
    assert "Worker stopped." in running.err()
    files = list((var_dir / "mail").glob("*.eml"))
    assert len(files) == 1
    mail = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert mail["To"] == "grace@acme.io"
    body = mail.get_body(("plain",))
    assert body is not None
    assert "http://usher.test/register/" in body.get_content()
