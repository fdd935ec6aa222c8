"""``usher users list|show|resend|disable|enable|delete``: the same answers and the same rules
as the API's User Management endpoints."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tests.cli.conftest import Admin, Usher, error_line
from tests.cli.server import USHER
from tests.fixtures.factories import PASSWORD, accept, db_session, seed_users
from usher.cli.main import app as cli_app
from usher.models import OutboxMessage
from usher.models.outbox_message import OutboxStatus

NOT_AN_ADMIN = re.compile(
    r"^Error: You do not have the users\.(read|manage) permission\. An Organization Admin can"
)


def acting(admin: Admin) -> str:
    return f"--org {admin.org_slug} --as {admin.email}"


def invite(usher: Usher, admin: Admin, first: str, last: str, email: str, *more: str) -> Any:
    result = usher(
        f"users invite {acting(admin)} --first-name {first} --last-name {last} --email {email}",
        "--json",
        *more,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def registered(usher: Usher, admin: Admin, app: FastAPI, first: str, last: str, email: str) -> Any:
    """A user invited by link who then set their password: active."""
    user = invite(usher, admin, first, last, email, "--method", "link")
    with TestClient(app) as them:
        assert accept(them, user["registration_url"]).status_code == 200
    return user


def me_with(app: FastAPI, token: str) -> int:
    with TestClient(app) as anonymous:
        r = anonymous.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code


def sign_in(app: FastAPI, org_slug: str, email: str) -> int:
    with TestClient(app) as them:
        r = them.post(
            "/api/v1/auth/login",
            json={"organization": org_slug, "email": email, "password": PASSWORD},
        )
    return r.status_code


@pytest.fixture
def team(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI, client: TestClient
) -> tuple[Admin, dict[str, Any]]:
    """Ada (admin) with Grace (active), Alan (pending, by link), Linus (pending, by email, with
    a phone) and Barbara (disabled)."""
    admin = make_admin()
    people = {
        "grace": registered(usher, admin, app, "Grace", "Hopper", "grace@acme.io"),
        "alan": invite(usher, admin, "Alan", "Turing", "alan@acme.io", "--method", "link"),
        "linus": invite(
            usher, admin, "Linus", "Torvalds", "linus@acme.io", "--phone", "+44 20 7946 0958"
        ),
        "barbara": registered(usher, admin, app, "Barbara", "Liskov", "barbara@acme.io"),
    }
    r = client.post(f"/api/v1/users/{people['barbara']['id']}/disable")
    assert r.status_code == 200, r.text
    return admin, people


# --- list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "params"),
    [
        ("", {}),
        ("--q gr", {"q": "gr"}),
        ("--q 7946", {"q": "7946"}),
        ("--status pending --status active", {"status": ["pending", "active"]}),
        ("--status disabled", {"status": "disabled"}),
        ("--sort email --desc", {"sort": "email", "order": "desc"}),
        ("--sort last_activity_at", {"sort": "last_activity_at"}),
        ("--sort created_at --desc --limit 2", {"sort": "created_at", "order": "desc", "limit": 2}),
    ],
)
def test_list_json_equals_the_apis_answer_to_the_same_query(
    usher: Usher,
    team: tuple[Admin, dict[str, Any]],
    client: TestClient,
    options: str,
    params: dict[str, Any],
) -> None:
    admin, _ = team
    api = client.get("/api/v1/users", params=params)
    assert api.status_code == 200, api.text

    result = usher(f"users list {acting(admin)} {options} --json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == api.json()
    assert api.json()["items"]  # every query here finds someone


def test_list_pages_with_the_apis_cursor(
    usher: Usher, team: tuple[Admin, dict[str, Any]], client: TestClient
) -> None:
    admin, _ = team
    first = json.loads(usher(f"users list {acting(admin)} --limit 2 --json").stdout)
    assert first["total"] == 5
    assert first["next_cursor"]

    second = usher(f"users list {acting(admin)} --limit 2 --cursor {first['next_cursor']} --json")

    assert second.exit_code == 0, second.output
    api = client.get("/api/v1/users", params={"limit": 2, "cursor": first["next_cursor"]})
    assert json.loads(second.stdout) == api.json()


def test_list_text_is_a_table_with_the_total_and_the_next_cursor(
    usher: Usher, team: tuple[Admin, dict[str, Any]]
) -> None:
    admin, _ = team
    cursor = json.loads(usher(f"users list {acting(admin)} --limit 3 --json").stdout)["next_cursor"]

    result = usher(f"users list {acting(admin)} --limit 3")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "Email" in line)
    for column in ("Name", "Phone", "Status", "Registered", "Last activity", "Teams"):
        assert column in header
    # Sorted by name: Admin User, Alan, Barbara on this page; Grace and Linus on the next.
    # Piped (not a terminal), each row stays whole on one line.
    ada = next(line for line in lines if "ada@acme.io" in line)
    assert "Admin User" in ada and "active" in ada and "Organization Admin" in ada
    alan = next(line for line in lines if "alan@acme.io" in line)
    assert "Alan Turing" in alan and "pending" in alan
    assert "disabled" in next(line for line in lines if "barbara@acme.io" in line)
    assert "grace@acme.io" not in result.stdout
    assert "Showing 3 of 5 users." in result.stdout
    assert f"--cursor {cursor}" in result.stdout

    rest = usher(f"users list {acting(admin)} --limit 3 --cursor {cursor}")

    assert rest.exit_code == 0, rest.output
    assert "grace@acme.io" in rest.stdout
    linus = next(line for line in rest.stdout.splitlines() if "linus@acme.io" in line)
    assert "+442079460958" in linus
    assert "Showing 2 of 5 users." in rest.stdout
    assert "--cursor" not in rest.stdout


def test_list_all_walks_every_page(
    usher: Usher, make_admin: Callable[..., Admin], app: FastAPI, client: TestClient
) -> None:
    admin = make_admin()
    seed_users(
        app,
        admin.org_id,
        [{"first_name": f"User{n:02}", "email": f"user{n:02}@acme.io"} for n in range(11)],
    )
    everyone = client.get("/api/v1/users", params={"limit": 500}).json()
    assert everyone["total"] == 12

    result = usher(f"users list {acting(admin)} --limit 5 --all --json")
    text = usher(f"users list {acting(admin)} --limit 5 --all")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == everyone  # three pages, joined, in order
    assert text.exit_code == 0, text.output
    for item in everyone["items"]:
        assert item["email"] in text.stdout
    assert "12 users in total." in text.stdout
    assert "--cursor" not in text.stdout


def test_list_with_nothing_found_says_so(usher: Usher, team: tuple[Admin, dict[str, Any]]) -> None:
    admin, _ = team

    result = usher(f"users list {acting(admin)} --q nobody-at-all")

    assert result.exit_code == 0, result.output
    assert "No users match." in result.stdout
    assert "0 users in total." in result.stdout


# --- show ---------------------------------------------------------------------------------


def test_show_json_equals_the_apis_user(
    usher: Usher, team: tuple[Admin, dict[str, Any]], client: TestClient
) -> None:
    admin, people = team
    linus = people["linus"]

    by_email = usher(f"users show LINUS@acme.io {acting(admin)} --json")
    by_id = usher(f"users show {linus['id']} {acting(admin)} --json")

    assert by_email.exit_code == 0, by_email.output
    api = client.get(f"/api/v1/users/{linus['id']}").json()
    assert json.loads(by_email.stdout) == api
    assert json.loads(by_id.stdout) == api
    assert api["invitation"]["delivery"]["state"] == "queued"
    assert api["audit_trail"][0]["action"] == "user.invited"


def test_show_text_has_profile_status_invitation_and_trail(
    usher: Usher, team: tuple[Admin, dict[str, Any]]
) -> None:
    admin, people = team

    pending = usher(f"users show linus@acme.io {acting(admin)}")
    active = usher(f"users show grace@acme.io {acting(admin)}")

    assert pending.exit_code == 0, pending.output
    out = pending.stdout
    assert "Linus Torvalds <linus@acme.io>  pending" in out
    assert people["linus"]["id"] in out
    assert "+442079460958" in out
    assert "Invitation: open (email)" in out
    assert "mailed to linus@acme.io" in out
    assert "delivery: queued" in out
    assert re.search(r"user\.invited\W+ada@acme\.io\W+success", out), out
    assert active.exit_code == 0, active.output
    assert "Grace Hopper <grace@acme.io>  active" in active.stdout
    assert "Invitation: accepted (link)" in active.stdout
    assert re.search(r"registered\s+\d{4}-\d\d-\d\d \d\d:\d\d", active.stdout)


# --- resend -------------------------------------------------------------------------------


def test_resend_mails_a_new_link_and_the_old_one_dies(
    usher: Usher, team: tuple[Admin, dict[str, Any]], app: FastAPI, client: TestClient
) -> None:
    admin, people = team
    alan = people["alan"]
    old_url = alan["registration_url"]

    result = usher(f"users resend alan@acme.io {acting(admin)} --json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["user_id"] == alan["id"]
    assert data["registration_url"] is None  # mailed, not printed
    assert data["invitation"]["id"] != alan["invitation"]["id"]
    assert (data["invitation"]["method"], data["invitation"]["state"]) == ("email", "open")
    assert data["invitation"] == client.get(f"/api/v1/users/{alan['id']}").json()["invitation"]
    with TestClient(app) as alan_client:
        assert accept(alan_client, old_url).status_code == 410
    with db_session(app) as session:
        [mail] = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient == "alan@acme.io",
                OutboxMessage.status == OutboxStatus.pending,
            )
        ).all()
        new_url = re.search(r"http://usher\.test/register/\S+", mail.body_text)
    assert new_url, mail.body_text
    with TestClient(app) as alan_client:
        assert accept(alan_client, new_url.group()).status_code == 200


def test_resend_text_says_where_the_mail_goes(
    usher: Usher, team: tuple[Admin, dict[str, Any]]
) -> None:
    admin, people = team

    result = usher(f"users resend {people['linus']['id']} {acting(admin)}")

    assert result.exit_code == 0, result.output
    assert "Sent Linus Torvalds <linus@acme.io> a new invitation" in result.stdout
    assert "queued for linus@acme.io" in result.stdout
    assert "previous link no longer works" in result.stdout


def test_resend_to_a_registered_user_is_refused(
    usher: Usher, team: tuple[Admin, dict[str, Any]]
) -> None:
    admin, _ = team

    result = usher(f"users resend grace@acme.io {acting(admin)}")

    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: grace@acme.io has already registered; invitations only go to pending users."
    )


# --- disable and enable -------------------------------------------------------------------


def test_disable_ends_the_users_api_token_and_enable_lets_them_sign_in_again(
    usher: Usher, team: tuple[Admin, dict[str, Any]], app: FastAPI, client: TestClient
) -> None:
    admin, people = team
    made = usher(f"tokens create --org {admin.org_slug} --user grace@acme.io --json")
    assert made.exit_code == 0, made.output
    token = json.loads(made.stdout)["token"]
    assert me_with(app, token) == 200

    disabled = usher(f"users disable grace@acme.io {acting(admin)}")

    assert disabled.exit_code == 0, disabled.output
    assert disabled.stdout.startswith("Disabled Grace Hopper <grace@acme.io>:")
    assert "sessions and API tokens have ended" in disabled.stdout
    assert me_with(app, token) == 401
    assert sign_in(app, admin.org_slug, "grace@acme.io") == 401
    grace = client.get(f"/api/v1/users/{people['grace']['id']}").json()
    assert grace["status"] == "disabled"
    assert {"action": "user.disabled", "actor": admin.email} in [
        {"action": e["action"], "actor": e["actor"]} for e in grace["audit_trail"]
    ]

    again = usher(f"users disable grace@acme.io {acting(admin)}")
    enabled = usher(f"users enable {people['grace']['id']} {acting(admin)} --json")

    assert again.exit_code == 0, again.output
    assert "was already disabled; nothing changed." in again.stdout
    assert enabled.exit_code == 0, enabled.output
    assert json.loads(enabled.stdout) == client.get(f"/api/v1/users/{people['grace']['id']}").json()
    assert json.loads(enabled.stdout)["status"] == "active"
    assert me_with(app, token) == 401  # an ended token stays ended
    assert sign_in(app, admin.org_slug, "grace@acme.io") == 200


def test_enabling_a_never_registered_user_says_to_resend(
    usher: Usher, team: tuple[Admin, dict[str, Any]]
) -> None:
    admin, _ = team
    assert usher(f"users disable alan@acme.io {acting(admin)}").exit_code == 0

    result = usher(f"users enable alan@acme.io {acting(admin)}")
    not_disabled = usher(f"users enable grace@acme.io {acting(admin)}")

    assert result.exit_code == 0, result.output
    assert "Enabled Alan Turing <alan@acme.io>: they are pending again" in result.stdout
    # The command it suggests works as printed.
    suggested = result.stdout.split("usher ", 1)[1]
    assert usher(suggested).exit_code == 0
    assert not_disabled.exit_code == 0, not_disabled.output
    assert "is not disabled (status active); nothing changed." in not_disabled.stdout


def test_disable_json_is_the_apis_user(
    usher: Usher, team: tuple[Admin, dict[str, Any]], client: TestClient
) -> None:
    admin, people = team

    result = usher(f"users disable alan@acme.io {acting(admin)} --json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == client.get(f"/api/v1/users/{people['alan']['id']}").json()
    assert data["status"] == "disabled"
    assert data["invitation"]["state"] == "revoked"


# --- delete -------------------------------------------------------------------------------


def test_delete_with_yes_deletes(
    usher: Usher, team: tuple[Admin, dict[str, Any]], app: FastAPI, client: TestClient
) -> None:
    admin, people = team

    result = usher(f"users delete grace@acme.io {acting(admin)} --yes")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Deleted Grace Hopper <grace@acme.io>")
    assert client.get(f"/api/v1/users/{people['grace']['id']}").status_code == 404
    assert sign_in(app, admin.org_slug, "grace@acme.io") == 401


def test_delete_without_yes_off_a_terminal_is_refused(
    team: tuple[Admin, dict[str, Any]], client: TestClient, cli_env: dict[str, str | None]
) -> None:
    admin, people = team

    # Piped input is not a person answering: even a "y" there deletes nothing.
    result = CliRunner().invoke(
        cli_app,
        ["users", "delete", "grace@acme.io", *acting(admin).split()],
        input="y\n",
        env=cli_env,
        catch_exceptions=False,
    )

    assert result.exit_code == 2
    assert "Pass --yes" in error_line(result)
    assert client.get(f"/api/v1/users/{people['grace']['id']}").status_code == 200


def on_a_terminal(
    args: str, env: dict[str, str | None], answer: str
) -> subprocess.CompletedProcess[str]:
    """The real ``usher`` with a pseudo-terminal as stdin, answering the question with
    ``answer``."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("USHER_")}
    full_env.update({k: v for k, v in env.items() if v is not None})
    controller, terminal = pty.openpty()
    try:
        os.write(controller, f"{answer}\n".encode())
        return subprocess.run(
            [USHER, *args.split()],
            env=full_env,
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)


@pytest.mark.parametrize(("answer", "deleted"), [("n", False), ("", False), ("y", True)])
def test_delete_on_a_terminal_asks_naming_the_user(
    team: tuple[Admin, dict[str, Any]],
    client: TestClient,
    cli_env: dict[str, str | None],
    answer: str,
    deleted: bool,
) -> None:
    admin, people = team

    done = on_a_terminal(f"users delete grace@acme.io {acting(admin)}", cli_env, answer)

    assert "Traceback" not in done.stderr
    assert f"Delete Grace Hopper <grace@acme.io> (id {people['grace']['id']})?" in done.stdout
    assert "[y/N]" in done.stdout
    found = client.get(f"/api/v1/users/{people['grace']['id']}").status_code
    if deleted:
        assert done.returncode == 0, done.stderr
        assert "Deleted Grace Hopper <grace@acme.io>" in done.stdout
        assert found == 404
    else:
        assert done.returncode == 1
        assert done.stderr.strip() == "Nothing was deleted."
        assert found == 200


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "verb"), [("disable", "disabled"), ("delete --yes", "deleted")]
)
def test_the_last_admin_is_refused(
    usher: Usher, make_admin: Callable[..., Admin], client: TestClient, command: str, verb: str
) -> None:
    admin = make_admin()

    result = usher(f"users {command} {admin.email} {acting(admin)}")

    assert result.exit_code == 1
    assert error_line(result) == (
        f"Error: ada@acme.io is the last active Organization Admin and cannot be {verb}. "
        "Make someone else an Organization Admin first."
    )
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(
    "command",
    [
        "list",
        "show ada@acme.io",
        "show {ada_id}",
        "resend alan@acme.io",
        "disable ada@acme.io",
        "enable barbara@acme.io",
        "delete {ada_id} --yes",
    ],
)
def test_a_member_who_is_not_an_admin_is_refused(
    usher: Usher, team: tuple[Admin, dict[str, Any]], client: TestClient, command: str
) -> None:
    admin, _ = team
    ada_id = client.get("/api/v1/me").json()["id"]

    result = usher(
        f"users {command.format(ada_id=ada_id)} --org {admin.org_slug} --as grace@acme.io"
    )

    assert result.exit_code == 1
    assert NOT_AN_ADMIN.match(error_line(result)), error_line(result)
    assert client.get("/api/v1/me").status_code == 200


def test_a_user_of_another_organization_is_not_found(
    usher: Usher, make_admin: Callable[..., Admin]
) -> None:
    acme = make_admin()
    globex = make_admin("Globex", "hank@globex.io")
    hank_id = json.loads(usher(f"users list {acting(globex)} --json").stdout)["items"][0]["id"]

    by_id = usher(f"users disable {hank_id} {acting(acme)}")
    by_email = usher(f"users show hank@globex.io {acting(acme)}")

    assert by_id.exit_code == 1
    assert error_line(by_id) == "Error: No such user in this organization."
    assert by_email.exit_code == 1
    assert (
        error_line(by_email) == "Error: No user with the email hank@globex.io in this organization."
    )


def test_the_email_must_match_whole(usher: Usher, team: tuple[Admin, dict[str, Any]]) -> None:
    admin, _ = team

    result = usher(f"users show grace@acme {acting(admin)}")

    assert result.exit_code == 1
    assert "No user with the email grace@acme in" in error_line(result)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("show nobody", "Error: USER: 'nobody' is neither a user id nor an email."),
        ("delete nobody --yes", "Error: USER: 'nobody' is neither a user id nor an email."),
        ("list --cursor nonsense", "Error: --cursor: This cursor is not valid for this list"),
    ],
)
def test_bad_input_is_a_usage_error_on_one_line(
    usher: Usher, team: tuple[Admin, dict[str, Any]], command: str, message: str
) -> None:
    admin, _ = team

    result = usher(f"users {command} {acting(admin)}")

    assert result.exit_code == 2
    assert error_line(result).startswith(message)


def test_a_cursor_from_another_sort_is_refused(
    usher: Usher, team: tuple[Admin, dict[str, Any]]
) -> None:
    admin, _ = team
    cursor = json.loads(usher(f"users list {acting(admin)} --limit 1 --json").stdout)["next_cursor"]

    result = usher(f"users list {acting(admin)} --sort email --cursor {cursor}")

    assert result.exit_code == 2
    assert error_line(result) == (
        "Error: --cursor: This cursor is not valid for this list: start again without a cursor."
    )


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ("--sort age", "--sort"),
        ("--limit 0", "--limit"),
        ("--limit 501", "--limit"),
        ("--status gone", "--status"),
        ("--team not-an-id", "--team"),
    ],
)
def test_bad_list_options_are_usage_errors(
    usher: Usher, team: tuple[Admin, dict[str, Any]], options: str, named: str
) -> None:
    admin, _ = team

    result = usher(f"users list {acting(admin)} {options}")

    assert result.exit_code == 2
    assert f"Invalid value for '{named}'" in result.stderr


def test_an_unknown_organization_or_admin_is_named(
    usher: Usher, team: tuple[Admin, dict[str, Any]]
) -> None:
    admin, _ = team

    no_org = usher("users list --org nope --as ada@acme.io")
    no_admin = usher(f"users list --org {admin.org_slug} --as who@acme.io")

    assert no_org.exit_code == 1
    assert error_line(no_org) == "Error: No organization with the slug 'nope'."
    assert no_admin.exit_code == 1
    assert "No user with the email who@acme.io" in error_line(no_admin)
