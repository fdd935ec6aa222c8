"""Both seed documents, step by step, in a real Chromium: the Oten walkthrough (an administrator
invites and manages users) and Konnect's "Manage Users" (the invited person accepts and signs
in). Mail goes through the real outbox worker to a real SMTP server on loopback. The run writes
the screenshots in docs/screenshots/."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect
from sqlalchemy import Engine, select

from tests.fixtures.factories import PASSWORD, SignedIn, db_session
from tests.fixtures.smtp import SmtpServer
from usher.app import create_app
from usher.auth.passwords import hash_password
from usher.config import Settings
from usher.kit import clock
from usher.models import OrgUnit, Team, TeamMember, User
from usher.models.user import Gender, UserStatus

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
LINK = re.compile(r"https?://\S+/register/\S+")
NEW_PASSWORD = "copper lantern meadow 77"


@pytest.fixture
def settings_overrides(live_port: int, smtp_server: SmtpServer) -> dict[str, object]:
    # Mailed links point at the live server; mail goes to the SMTP server on loopback.
    return {"base_url": f"http://127.0.0.1:{live_port}", "smtp_url": smtp_server.url}


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    """The app with its mail worker running, as `usher run` serves it."""
    return create_app(settings, run_worker=True)


@pytest.fixture
def admin_tab(browser: Browser, live_server: str, admin: SignedIn) -> Iterator[Page]:
    """The administrator, signed in through the sign-in page in a browser of their own."""
    context = new_context(browser)
    tab = context.new_page()
    sign_in(tab, live_server, admin.email, PASSWORD)
    yield tab
    context.close()


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context(
        viewport=VIEWPORT,  # type: ignore[arg-type]
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(10_000)
    return context


def shot(tab: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def watch_console(tab: Page, expected: str = "409|422") -> list[str]:
    """Errors the page logs (CSP violations among them). A refused form post (409, 422) is
    the page working as meant, not a problem; so is any other ``expected`` status."""
    problems: list[str] = []
    answered = re.compile(rf"status of ({expected}) ")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not answered.search(message.text):
            problems.append(message.text)

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def sign_in(tab: Page, base: str, email: str, password: str) -> None:
    tab.goto(base + "/login")
    tab.get_by_label("Organization").fill("acme-corp")
    tab.get_by_label("Email").fill(email)
    tab.get_by_label("Password").fill(password)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(base + "/account")


def open_user_management(tab: Page, base: str) -> None:
    """Administrator → Users → User Management, through the header menu."""
    tab.get_by_text("Administrator", exact=True).click()
    menu = tab.locator("details[data-nav-menu]")
    expect(menu.get_by_text("Users", exact=True)).to_be_visible()
    menu.get_by_role("link", name="User Management").click()
    tab.wait_for_url(base + "/admin/users")
    expect(tab.get_by_role("heading", name="User Management", level=1)).to_be_visible()


def rows(tab: Page) -> Locator:
    return tab.locator("tr[data-user-id]")


def row_names(tab: Page) -> list[str]:
    return [n.strip() for n in tab.locator("tr[data-user-id] .person__name").all_inner_texts()]


def search(tab: Page, text: str) -> None:
    box = tab.get_by_role("searchbox", name="Search users by name, email or phone")
    box.fill(text)


def add_dialog(tab: Page) -> Locator:
    return tab.get_by_role("dialog", name="Add new user")


def tab_to(tab: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element ``selector`` has the focus (the keyboard alone)."""
    for _ in range(limit):
        if tab.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        tab.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


TEAMS = [
    ("Engineering", "Builds and runs the product: repositories, deployments and on-call."),
    ("Customer Support", "Answers customers and sees their accounts read-only."),
    ("Finance", "Invoices, payroll exports and the billing settings."),
    ("Sales", "Leads, quotes and the customer pipeline."),
]
UNITS = ["Headquarters", "Research", "Operations"]
PEOPLE = [
    ("Grace", "Hopper", "+14155550101", UserStatus.pending),
    ("Alan", "Turing", "+442079460958", UserStatus.active),
    ("Katherine", "Johnson", "+17575550123", UserStatus.active),
    ("Edsger", "Dijkstra", "+31205550199", UserStatus.active),
    ("Barbara", "Liskov", None, UserStatus.active),
    ("Donald", "Knuth", "+16505550111", UserStatus.disabled),
    ("Margaret", "Hamilton", "+16175550144", UserStatus.active),
    ("John", "Backus", None, UserStatus.pending),
    ("Frances", "Allen", "+19145550177", UserStatus.active),
    ("Tim", "Berners-Lee", "+442079460000", UserStatus.active),
    ("Radia", "Perlman", "+14255550188", UserStatus.active),
    ("Ken", "Thompson", "+19085550122", UserStatus.active),
    ("Dennis", "Ritchie", None, UserStatus.disabled),
    ("Hedy", "Lamarr", "+43155550133", UserStatus.pending),
    ("Claude", "Shannon", "+16175550155", UserStatus.active),
    ("Shafi", "Goldwasser", "+972355550166", UserStatus.active),
    ("Leslie", "Lamport", "+14255550199", UserStatus.active),
    ("Annie", "Easley", None, UserStatus.pending),
    ("Vint", "Cerf", "+12025550147", UserStatus.active),
    ("Adele", "Goldberg", "+14155550162", UserStatus.active),
    ("Niklaus", "Wirth", "+41445550173", UserStatus.active),
    ("Jean", "Sammet", None, UserStatus.active),
    ("Bjarne", "Stroustrup", "+4589555018", UserStatus.pending),
    ("Sophie", "Wilson", "+441223555019", UserStatus.active),
    ("Guido", "van Rossum", "+31205550142", UserStatus.active),
    ("Mary", "Kenneth Keller", None, UserStatus.active),
    ("Ivan", "Sutherland", "+18015550137", UserStatus.active),
    ("Evelyn", "Boyd Granville", "+12155550128", UserStatus.pending),
    ("Fran", "Bilas", "+12155550139", UserStatus.active),
]
POSITIONS = ["Engineer", "Designer", "Analyst", "Team lead", "Support specialist", None]


def seed_directory(app: FastAPI, admin: SignedIn) -> dict[str, Any]:
    """Teams with descriptions, organization units and some 30 people in every status, with
    registration and activity spread over the past months (the list's screenshot)."""
    org_id = uuid.UUID(admin.extra["org_id"])
    now = clock.now()
    password_hash = hash_password(PASSWORD)
    with db_session(app) as session:
        teams = [Team(organization_id=org_id, name=n, description=d) for n, d in TEAMS]
        units = [OrgUnit(organization_id=org_id, name=n) for n in UNITS]
        session.add_all([*teams, *units])
        session.flush()
        for n, (first, last, phone, status) in enumerate(PEOPLE):
            user = User(
                organization_id=org_id,
                first_name=first,
                last_name=last,
                gender=Gender.unspecified,
                email=f"{first.lower()}.{last.lower().replace(' ', '')}@acme.io",
                phone=phone,
                position=POSITIONS[n % len(POSITIONS)],
                org_unit_id=units[n % len(units)].id,
                status=status,
            )
            if status != UserStatus.pending:
                user.password_hash = password_hash
                user.registered_at = now - timedelta(days=200 - n * 6, hours=n)
                user.last_activity_at = now - timedelta(hours=3 + n * 7)
            session.add(user)
            session.flush()
            for team in teams[n % 3 : n % 3 + 1 + n % 2]:
                session.add(TeamMember(team_id=team.id, user_id=user.id))
        admin_user = session.scalar(select(User).where(User.email == admin.email))
        assert admin_user is not None
        admin_user.phone = "+442071838750"
        admin_user.position = "Head of IT"
        admin_user.org_unit_id = units[0].id
    return {"teams": [t.name for t in teams]}


# --- the walkthrough --------------------------------------------------------------------------


def test_invite_and_manage_users_as_both_seed_documents_walk_it(
    app: FastAPI,
    browser: Browser,
    live_server: str,
    admin: SignedIn,
    smtp_server: SmtpServer,
) -> None:
    seed_directory(app, admin)
    admin_context = new_context(browser)
    tab = admin_context.new_page()
    problems = watch_console(tab)

    # "You are logged in with an Administrator role."
    sign_in(tab, live_server, admin.email, PASSWORD)

    # 1. Open User Management: Administrator → Users → User Management. "You will see a list
    # of all users with their email, phone number, registration date, status, and last
    # activity."
    open_user_management(tab, live_server)
    expect(tab.get_by_text("Showing 1–25 of 30 users")).to_be_visible()  # noqa: RUF001
    headers = tab.locator("thead th").all_inner_texts()
    for column in ["Name", "Email", "Phone number", "Registered", "Status", "Last activity"]:
        assert column in [h.strip() for h in headers]
    turing = rows(tab).filter(has_text="Alan Turing")
    expect(turing).to_contain_text("alan.turing@acme.io")
    expect(turing).to_contain_text("+44 20 7946 0958")
    expect(turing.get_by_text("Active", exact=True)).to_be_visible()
    expect(rows(tab).filter(has_text="Grace Hopper").get_by_text("Pending")).to_be_visible()
    # Times are the viewer's own: the script has rewritten the server's UTC text.
    expect(turing.locator("time").first).not_to_contain_text("UTC")
    shot(tab, "user-management")

    # 2-7. Invite a new user by personal email: Add user opens the Add new user dialog.
    tab.get_by_role("button", name="Add user").first.click()
    dialog = add_dialog(tab)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("First name")).to_be_focused()
    # 3. Basic information.
    dialog.get_by_label("First name").fill("Marie")
    dialog.get_by_label("Last name").fill("Curie")
    dialog.get_by_label("Gender").select_option(label="Female")
    dialog.get_by_label("Birthday").fill("1967-11-07")
    # 4. Contact information: organizational email, phone with its country.
    dialog.get_by_label("Organizational email").fill("marie.curie@acme.io")
    dialog.get_by_label("Country").select_option("FR")
    dialog.get_by_label("Phone number").fill("01 42 34 56 78")
    # 5. User information.
    dialog.get_by_label("Organization unit").select_option(label="Research")
    dialog.get_by_label("Position").fill("Physicist")
    # Konnect: "Assign the user to one or more teams", each described behind (i).
    dialog.get_by_label("Engineering", exact=True).check()
    dialog.get_by_label("Finance", exact=True).check()
    about = dialog.get_by_role("button", name="About Engineering")
    about.hover()
    expect(dialog.get_by_role("tooltip").filter(has_text="Builds and runs")).to_be_visible()
    # 6. Invite method: Personal email asks for it.
    dialog.get_by_label("Personal email", exact=True).check()
    dialog.get_by_label("Personal email address").fill("marie@example.com")
    about.hover()
    shot(tab, "add-new-user")
    # 7. Invite.
    dialog.get_by_role("button", name="Invite").click()
    expect(
        dialog.get_by_role("heading", name="Invitation on its way to Marie Curie")
    ).to_be_visible()
    expect(dialog).to_contain_text("marie@example.com")

    # "The system sends a unique registration link to this email": through the outbox and
    # the worker to the SMTP server.
    mail = smtp_server.wait_for(1)[0]
    assert mail.to == "marie@example.com"
    found = LINK.search(mail.part("plain"))
    assert found, mail.part("plain")
    link = found.group(0)
    assert link.startswith(live_server + "/register/")

    # The list shows her as Pending once the dialog is closed.
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_be_hidden()
    search(tab, "curie")
    expect(rows(tab)).to_have_count(1)
    expect(rows(tab).first).to_contain_text("Pending")

    # Konnect, "Accept invite and create account", in the invited person's own browser.
    marie_context = new_context(browser)
    marie = marie_context.new_page()
    marie_problems = watch_console(marie, expected="403")  # she tries an admin page
    marie.goto(link)
    marie.wait_for_url(live_server + "/register")  # the token left the address bar
    # "The first and last name, organization, and email address are filled in for you and
    # cannot be changed at this time."
    for label, value in [
        ("First name", "Marie"),
        ("Last name", "Curie"),
        ("Organization", "Acme Corp"),
        ("Email", "marie.curie@acme.io"),
    ]:
        field = marie.get_by_label(label, exact=True)
        expect(field).to_have_value(value)
        expect(field).to_have_js_property("readOnly", True)
    # "Create a password."
    marie.get_by_label("New password").fill(NEW_PASSWORD)
    marie.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    marie.evaluate("window.scrollTo(0, 0)")
    shot(marie, "registration")
    marie.get_by_role("button", name="Create account").click()
    marie.wait_for_url(live_server + "/account")
    expect(marie.get_by_role("heading", name="My account")).to_be_visible()
    expect(marie.locator("main")).to_contain_text("Engineering")
    expect(marie.locator("main")).to_contain_text("Acme Corp")
    # Members never see the administrator's pages.
    expect(marie.get_by_text("Administrator", exact=True)).to_have_count(0)
    shot(marie, "my-account")

    # "Log in with your new account": later, after signing out.
    marie.get_by_role("button", name="Sign out").click()
    marie.wait_for_url(live_server + "/login?done=signed_out")
    sign_in(marie, live_server, "marie.curie@acme.io", NEW_PASSWORD)
    expect(marie.get_by_role("heading", name="My account")).to_be_visible()
    # And an admin page answers her with a 403 page, not a crash.
    marie.goto(live_server + "/admin/users")
    expect(marie.get_by_role("heading", name="Not permitted")).to_be_visible()
    marie.goto(live_server + "/account")

    # "Active: the user has successfully registered." View registration and activity.
    tab.reload()
    expect(tab.get_by_role("searchbox")).to_have_value("curie")
    expect(rows(tab).first).to_contain_text("Active")
    rows(tab).first.get_by_role("link", name="Marie Curie").click()
    expect(tab.get_by_role("heading", name="Marie Curie")).to_be_visible()
    activity = tab.get_by_role("region", name="Registration and activity")
    expect(activity).to_contain_text("Registered")
    expect(activity.locator("time")).to_have_count(3)  # added, registered, last activity
    invitation = tab.get_by_role("region", name="Invitation")
    expect(invitation).to_contain_text("Personal email")
    expect(invitation).to_contain_text("Accepted")
    expect(invitation.locator(".delivery")).to_have_text("Sent")
    expect(invitation).to_contain_text("marie@example.com")
    expect(tab.get_by_role("region", name="Audit trail")).to_contain_text("Registered")
    tab.get_by_role("link", name="User Management").last.click()

    # 6. The other invite method: Shareable link. "Admin can copy and share this link."
    tab.get_by_role("button", name="Add user").first.click()
    dialog = add_dialog(tab)
    dialog.get_by_label("First name").fill("Pierre")
    dialog.get_by_label("Last name").fill("Curie")
    dialog.get_by_label("Organizational email").fill("pierre.curie@acme.io")
    dialog.get_by_label("Shareable link").check()
    expect(dialog.get_by_label("Personal email address")).to_be_hidden()
    dialog.get_by_role("button", name="Invite").click()
    expect(
        dialog.get_by_role("heading", name="Pierre Curie is added: share their link")
    ).to_be_visible()
    shared = dialog.get_by_label("Registration link")
    expect(shared).to_have_value(re.compile(re.escape(live_server) + r"/register/\S+"))
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
    expect(dialog.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert tab.evaluate("navigator.clipboard.readText()") == shared.input_value()
    shot(tab, "shareable-link")
    shared_link = shared.input_value()
    dialog.get_by_role("button", name="Done").click()
    pierre_context = new_context(browser)
    pierre = pierre_context.new_page()
    pierre.goto(shared_link)
    expect(pierre.get_by_label("First name")).to_have_value("Pierre")
    pierre_context.close()

    # Manage existing users: search by name, email or phone, as you type, without reloading.
    tab.evaluate("window.samePage = true")
    for text, expected in [
        ("hopper", ["Grace Hopper"]),
        ("alan.turing@", ["Alan Turing"]),
        ("415 555 0101", ["Grace Hopper"]),
        ("+44 20 7946", ["Alan Turing", "Tim Berners-Lee"]),
    ]:
        search(tab, text)
        expect(tab.locator("tr[data-user-id] .person__name")).to_have_text(expected)
        assert "q=" in tab.url
    assert tab.evaluate("window.samePage") is True
    # The address keeps the search: a reload (or the link, shared) shows the same list.
    tab.reload()
    expect(tab.get_by_role("searchbox")).to_have_value("+44 20 7946")
    expect(tab.locator("tr[data-user-id] .person__name")).to_have_text(
        ["Alan Turing", "Tim Berners-Lee"]
    )
    # A search that finds nobody says what to do next.
    search(tab, "zebra")
    expect(tab.get_by_role("heading", name="No users match “zebra”")).to_be_visible()
    tab.get_by_role("link", name="Clear the search").click()
    expect(tab.get_by_role("searchbox")).to_have_value("")
    expect(rows(tab)).to_have_count(25)

    # Filter users by status.
    tab.get_by_label("Status").select_option("disabled")
    expect(tab.locator("tr[data-user-id] .person__name")).to_have_text(
        ["Dennis Ritchie", "Donald Knuth"]
    )
    assert "status=disabled" in tab.url
    tab.get_by_label("Status").select_option("")
    expect(rows(tab)).to_have_count(25)

    # Sort by clicking a column header; the address says so.
    tab.get_by_role("link", name="Email").click()
    tab.wait_for_url(re.compile(r"sort=email"))
    expect(tab.locator("th[aria-sort='ascending']")).to_have_text("Email")

    # Deleting a user: Action (⋮) → Delete user → confirm. "Deleted users will lose access
    # immediately": Marie's open browser is turned away on its next click.
    search(tab, "marie")
    expect(rows(tab)).to_have_count(1)
    tab.get_by_role("button", name="Actions for Marie Curie").click()
    menu = tab.get_by_role("menu")
    expect(menu).to_be_visible()
    menu.get_by_role("menuitem", name="Delete user").click()
    confirm = tab.get_by_role("dialog", name="Delete Marie Curie?")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("marie.curie@acme.io")
    confirm.get_by_role("button", name="Delete user").click()
    expect(tab.get_by_role("status").filter(has_text="The user was deleted")).to_be_visible()
    expect(tab.get_by_role("heading", name="No users match “marie”")).to_be_visible()

    marie.get_by_role("link", name="My account").click()
    marie.wait_for_url(live_server + "/login?done=session_ended")
    expect(marie.get_by_role("status")).to_have_text("Your session has ended. Sign in again.")

    assert problems == []
    assert marie_problems == []
    marie_context.close()
    admin_context.close()


def test_a_keyboard_alone_can_add_a_user(admin_tab: Page, live_server: str) -> None:
    tab = admin_tab
    problems = watch_console(tab)
    tab.goto(live_server + "/admin/users")
    tab.locator("body").focus()

    # Tab to Add user, Enter opens the dialog and puts the focus in it.
    tab_to(tab, "a[data-open-dialog]")
    tab.keyboard.press("Enter")
    dialog = add_dialog(tab)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("First name")).to_be_focused()
    tab.keyboard.type("Ada")
    tab_to(tab, "#last_name")
    tab.keyboard.type("Byron")
    tab_to(tab, "#email")
    tab.keyboard.type("ada.byron@acme.io")
    tab_to(tab, "input[name='team_ids']")
    tab.keyboard.press("Space")
    expect(dialog.get_by_label("Organization Admin", exact=True)).to_be_checked()
    # The team's description shows for the focused (i) button; Escape hides it first, and
    # only the next Escape would close the dialog.
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("button", name="About Organization Admin")).to_be_focused()
    expect(dialog.get_by_role("tooltip")).to_be_visible()
    tab.keyboard.press("Escape")
    expect(dialog.get_by_role("tooltip")).to_be_hidden()
    expect(dialog).to_be_visible()
    tab_to(tab, "#personal_email")
    tab.keyboard.type("ada@example.com")
    tab_to(tab, "button[type='submit']")
    tab.keyboard.press("Enter")

    result = dialog.get_by_role("heading", name="Invitation on its way to Ada Byron")
    expect(result).to_be_focused()
    # Escape closes the dialog and the focus goes back to where it was.
    tab.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(tab.locator("a[data-open-dialog]").first).to_be_focused()
    expect(rows(tab).filter(has_text="Ada Byron")).to_contain_text("Pending")

    # The Action menu by keyboard: Enter opens it on its first item, arrows move, Escape
    # closes it and returns to its button.
    byron = rows(tab).filter(has_text="Ada Byron").get_attribute("data-user-id")
    tab_to(tab, f"#actions-{byron}")
    tab.keyboard.press("Enter")
    menu = tab.get_by_role("menu")
    expect(menu.get_by_role("menuitem", name="View")).to_be_focused()
    tab.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitem", name="Edit")).to_be_focused()
    tab.keyboard.press("End")
    expect(menu.get_by_role("menuitem", name="Delete user")).to_be_focused()
    tab.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    button = tab.get_by_role("button", name="Actions for Ada Byron")
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    # The Administrator menu too.
    tab_to(tab, "summary")
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("link", name="Audit log")).to_be_visible()
    tab.keyboard.press("Escape")
    expect(tab.get_by_role("link", name="Audit log")).to_be_hidden()
    assert problems == []


def test_wrong_input_in_the_dialog_is_shown_at_the_field_and_kept(
    admin_tab: Page, live_server: str
) -> None:
    tab = admin_tab
    problems = watch_console(tab)
    tab.goto(live_server + "/admin/users")
    tab.get_by_role("button", name="Add user").first.click()
    dialog = add_dialog(tab)
    dialog.get_by_label("First name").fill("Marie")
    dialog.get_by_label("Organizational email").fill("marie@")
    dialog.get_by_label("Country").select_option("GB")
    dialog.get_by_label("Phone number").fill("12")
    dialog.get_by_label("Shareable link").check()
    dialog.get_by_role("button", name="Invite").click()

    expect(dialog.get_by_role("alert")).to_have_text("Check the fields marked below.")
    # The focus goes to the first field with something wrong.
    expect(dialog.get_by_label("Last name")).to_be_focused()
    email = dialog.get_by_label("Organizational email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(dialog.locator("#email-error")).to_contain_text("@-sign")
    expect(dialog.locator("#last_name-error")).to_have_text("Enter the last name.")
    expect(dialog.locator("#phone-error")).to_be_visible()
    # Nothing typed is lost.
    expect(dialog.get_by_label("First name")).to_have_value("Marie")
    expect(email).to_have_value("marie@")
    expect(dialog.get_by_label("Phone number")).to_have_value("12")
    expect(dialog.get_by_label("Country")).to_have_value("GB")
    expect(dialog.get_by_label("Shareable link")).to_be_checked()

    # Put it right and invite.
    dialog.get_by_label("Last name").fill("Curie")
    email.fill("marie@acme.io")
    dialog.get_by_label("Phone number").fill("020 7946 0958")
    dialog.get_by_role("button", name="Invite").click()
    expect(dialog.get_by_label("Registration link")).to_have_value(re.compile(r"/register/"))
    assert problems == []
