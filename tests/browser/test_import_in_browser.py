"""Bulk import in a real Chromium, from upload to result: the administrator opens Import on User
Management, chooses a file, checks the column mapping (a sample, a suggested field, one column
mapped by hand), runs the dry run and watches the page turn into the report when the import
worker is done, filters the problems by kind, applies the valid rows only, and downloads the
rejected rows. The run writes docs/screenshots/import-columns.png and import-report.png."""

from __future__ import annotations

import csv
import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.test_seed_walkthrough import (
    SCREENSHOTS,
    new_context,
    open_user_management,
    rows,
    search,
    sign_in,
    watch_console,
)
from tests.fixtures.factories import PASSWORD, SignedIn
from usher.imports.runner import ImportRunner

# Two good rows, a bad email and a birthday that is no date; "Frist name" is a near miss of
# First name and "Occupation" a column Usher does not know (mapped to Position by hand).
PEOPLE = (
    "Frist name,Last name,Email,Occupation,Birthday\n"
    "Grace,Hopper,grace.hopper@acme.io,Rear admiral,1906-12-09\n"
    "Alan,Turing,alan.turing@acme,Mathematician,1912-06-23\n"
    "Katherine,Johnson,katherine.johnson@acme.io,Mathematician,1918-08-26\n"
    "Edsger,Dijkstra,edsger.dijkstra@acme.io,Professor,1930-31-31\n"
)
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
WAIT = 20_000  # ms: the worker polls, then the page polls the API and reloads


@pytest.fixture
def settings_overrides(live_port: int) -> dict[str, object]:
    return {"base_url": f"http://127.0.0.1:{live_port}", "import_poll_seconds": 0.1}


@pytest.fixture
def import_worker(app: FastAPI) -> Iterator[threading.Event]:
    """The import worker, as `usher run` runs it beside the app (the test server runs no
    workers of its own). Set the event it yields to start it: until then a started import
    stays queued, so the test sees the progress step."""
    go, stop = threading.Event(), threading.Event()

    def work() -> None:
        if go.wait(60) and not stop.is_set():
            ImportRunner(app.state.session_factory, app.state.settings).run_forever(stop)

    thread = threading.Thread(target=work, name="test-import-worker", daemon=True)
    thread.start()
    yield go
    stop.set()
    go.set()
    thread.join(timeout=10)


def mapping_row(tab: Page, header: str) -> Locator:
    return tab.locator("tr[data-column]").filter(has=tab.get_by_text(header, exact=True))


def shot(tab: Page, name: str) -> None:
    """The whole page, not only the window: the steps run below the fold."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_import_from_upload_to_the_rejected_rows(
    browser: Browser,
    live_server: str,
    admin: SignedIn,
    import_worker: threading.Event,
    tmp_path: Path,
) -> None:
    context = new_context(browser)
    tab = context.new_page()
    problems = watch_console(tab)
    sign_in(tab, live_server, admin.email, PASSWORD)

    # User Management → Import → choose the file.
    open_user_management(tab, live_server)
    tab.get_by_role("link", name="Import", exact=True).click()
    tab.wait_for_url(live_server + "/admin/users/import")
    expect(tab.get_by_role("heading", name="Import users", level=1)).to_be_visible()
    tab.get_by_label("File").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": PEOPLE.encode()}
    )
    tab.get_by_role("button", name="Upload and check the columns").click()
    tab.wait_for_url(re.compile(re.escape(live_server) + "/admin/users/import/" + UUID + "$"))
    here = tab.url

    # The mapping step: each column with a sample, the matched or suggested field.
    expect(tab.get_by_role("heading", name="2. Columns")).to_be_visible()
    first = mapping_row(tab, "Frist name")
    expect(first.locator("[data-sample]")).to_have_text("Grace · Alan · Katherine")
    expect(tab.get_by_label("Frist name")).to_have_value("first_name")
    expect(first).to_contain_text("Suggested:")
    expect(tab.get_by_label("Email", exact=True)).to_have_value("email")
    occupation = tab.get_by_label("Occupation")
    expect(occupation).to_have_value("")
    expect(mapping_row(tab, "Occupation")).to_contain_text("does not know this column")
    occupation.select_option(label="Position")
    shot(tab, "import-columns")
    tab.get_by_role("button", name="Check the file (dry run)").click()

    # Queued: the page shows the progress until the worker has checked the file, then turns
    # into the report by itself.
    tab.wait_for_url(here)
    expect(tab.get_by_role("heading", name="Checking…")).to_be_visible()
    import_worker.set()
    report = tab.get_by_role("heading", name="3. Dry run: nothing was written yet")
    expect(report).to_be_visible(timeout=WAIT)
    counts = tab.locator("[data-import-counts]")
    expect(counts.locator('[data-count="create"]')).to_have_text("2")
    expect(counts.locator('[data-count="invalid"]')).to_have_text("2")
    problems_table = tab.get_by_role("table", name="Problems found in the file")
    expect(problems_table.locator("tbody tr")).to_have_count(2)
    expect(problems_table).to_contain_text("Bad email")
    expect(problems_table).to_contain_text("Bad date")
    shot(tab, "import-report")

    # Filter by kind: only the bad email is left.
    filters = tab.get_by_role("navigation", name="Filter problems by kind")
    filters.get_by_role("link", name="Bad email (1)").click()
    tab.wait_for_url(here + "?kind=bad_email")
    bad_emails = tab.get_by_role("table", name="Bad email problems found in the file")
    expect(bad_emails.locator("tbody tr")).to_have_count(1)
    row = bad_emails.locator("tbody tr").first
    expect(row.locator("td").nth(0)).to_have_text("3")
    expect(row.locator("td").nth(1)).to_have_text("Email")
    expect(filters.get_by_role("link", name="Bad email (1)")).to_have_attribute(
        "aria-current", "true"
    )

    # Apply the valid rows only; the result says what was done.
    tab.get_by_label("Import the valid rows only").check()
    tab.get_by_role("button", name="Apply the import").click()
    result = tab.get_by_role("heading", name="4. Imported")
    expect(result).to_be_visible(timeout=WAIT)
    expect(tab.get_by_role("status").filter(has_text="The import is done")).to_be_visible()
    done = tab.locator("[data-import-counts]")
    expect(done.locator('[data-count="created"]')).to_have_text("2")
    expect(done.locator('[data-count="rejected"]')).to_have_text("2")

    # The rejected rows: the file's own columns and a Reason, ready to fix.
    with tab.expect_download() as caught:
        tab.get_by_role("link", name="Download the rejected rows (2)").click()
    download = caught.value
    assert download.suggested_filename == "people-rejected.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    table = list(csv.reader(io.StringIO(saved.read_bytes().decode("utf-8-sig"), newline="")))
    assert table[0] == ["Frist name", "Last name", "Email", "Occupation", "Birthday", "Reason"]
    assert [r[:5] for r in table[1:]] == [
        ["Alan", "Turing", "alan.turing@acme", "Mathematician", "1912-06-23"],
        ["Edsger", "Dijkstra", "edsger.dijkstra@acme.io", "Professor", "1930-31-31"],
    ]
    assert table[1][5].startswith("Email: ")
    assert table[2][5].startswith("Birthday: ")

    # Back on User Management, the imported people are there, pending, with their position.
    tab.get_by_role("link", name="Back to User Management").click()
    tab.wait_for_url(live_server + "/admin/users")
    search(tab, "hopper")
    expect(rows(tab)).to_have_count(1)
    expect(rows(tab).first).to_contain_text("Pending")

    assert problems == []
    context.close()
