"""The outbox worker: what it sends, how it retries, and how leases keep each message to one
sender."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tests.fixtures.factories import db_session
from tests.fixtures.smtp import WAIT_SECONDS, SmtpServer, wait_until
from usher.app import create_app
from usher.config import Settings
from usher.db.engine import build_engine, session_factory
from usher.kit import clock
from usher.mail.worker import MailWorker, retry_delay
from usher.models import OutboxMessage
from usher.models.outbox_message import OutboxStatus


@pytest.fixture
def settings_overrides(smtp_server: SmtpServer) -> dict[str, object]:
    return {"smtp_url": smtp_server.url}


def queue(app: FastAPI, to: str, **values: Any) -> OutboxMessage:
    """An outbox row as the services write it (``values`` to arrange other states)."""
    with db_session(app) as session:
        message = OutboxMessage(
            kind="test",
            recipient=to,
            subject=f"For {to}",
            body_text=f"Plain words for {to}\n",
            body_html=f"<p>Rich words for {to}</p>\n",
            **values,
        )
        session.add(message)
    return message


def row(app: FastAPI, message: OutboxMessage) -> OutboxMessage:
    with db_session(app) as session:
        found = session.get(OutboxMessage, message.id)
        assert found is not None
        return found  # type: ignore[no-any-return]


def make_due(app: FastAPI, message: OutboxMessage) -> None:
    """Skip the rest of a backoff wait instead of sleeping through it."""
    with db_session(app) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(next_attempt_at=clock.now())
        )


def worker(app: FastAPI, worker_id: str = "worker-a", **settings: Any) -> MailWorker:
    base: Settings = app.state.settings
    return MailWorker(
        app.state.session_factory, base.model_copy(update=settings), worker_id=worker_id
    )


def test_mail_goes_out_as_multipart_text_and_html(
    app: FastAPI, smtp_server: SmtpServer, settings: Settings
) -> None:
    message = queue(app, "grace@example.com")
    before = clock.now().replace(microsecond=0)

    assert worker(app).run_once() == 1

    [mail] = smtp_server.wait_for(1)
    assert mail.rcpt_tos == ["grace@example.com"]
    assert mail.mail_from == "no-reply@usher.localhost"
    assert mail.message["From"] == settings.mail_from
    assert mail.message["To"] == "grace@example.com"
    assert mail.message["Subject"] == "For grace@example.com"
    assert mail.message["Message-ID"] == f"<{message.id}@usher.localhost>"
    assert parsedate_to_datetime(mail.message["Date"]) >= before
    assert mail.message.get_content_type() == "multipart/alternative"
    assert mail.part("plain") == "Plain words for grace@example.com\n"
    assert mail.part("html") == "<p>Rich words for grace@example.com</p>\n"


def test_a_sent_message_is_recorded_scrubbed_and_never_sent_again(
    app: FastAPI, smtp_server: SmtpServer
) -> None:
    message = queue(app, "grace@example.com")
    mailer = worker(app)
    assert mailer.run_once() == 1
    smtp_server.wait_for(1)

    sent = row(app, message)
    assert sent.status == OutboxStatus.sent
    assert sent.sent_at is not None
    assert sent.attempts == 1
    assert sent.last_error is None
    assert (sent.body_text, sent.body_html) == ("", "")  # the live link is not kept at rest
    assert (sent.claimed_by, sent.lease_expires_at) == ("worker-a", None)

    assert mailer.run_once() == 0
    assert worker(app, "worker-b").run_once() == 0
    assert len(smtp_server.received) == 1


def test_a_deferred_recipient_is_retried_with_growing_waits_then_delivered(
    app: FastAPI, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse("busy@example.com", "451 4.2.0 Mailbox busy, try later")
    message = queue(app, "busy@example.com")
    mailer = worker(app, mail_retry_base_seconds=10, mail_retry_max_seconds=25)

    waits = []
    for attempt in range(1, 4):
        started = clock.now()
        assert mailer.run_once() == 1
        deferred = row(app, message)
        assert deferred.status == OutboxStatus.pending
        assert deferred.attempts == attempt
        assert deferred.last_error is not None and "451" in deferred.last_error
        assert deferred.body_text  # kept until it is delivered
        assert mailer.run_once() == 0  # not due before its wait is over
        waits.append((deferred.next_attempt_at - started).total_seconds())
        make_due(app, message)
    # 10s, 20s, then the 25s cap; each less up to a fifth of jitter.
    for wait, full in zip(waits, [10, 20, 25], strict=True):
        assert full * 0.8 - 1 <= wait <= full + 1, waits

    smtp_server.accept("busy@example.com")
    assert mailer.run_once() == 1
    assert [m.rcpt_tos for m in smtp_server.wait_for(1)] == [["busy@example.com"]]
    delivered = row(app, message)
    assert (delivered.status, delivered.attempts) == (OutboxStatus.sent, 4)


def test_server_down_defers_the_batch_and_loses_nothing(
    app: FastAPI, smtp_server: SmtpServer
) -> None:
    messages = [queue(app, f"p{n}@example.com") for n in range(3)]
    smtp_server.stop()
    mailer = worker(app)

    assert mailer.run_once() == 3
    for message in messages:
        deferred = row(app, message)
        assert (deferred.status, deferred.attempts) == (OutboxStatus.pending, 1)
        assert deferred.last_error is not None
        assert f"127.0.0.1:{smtp_server.port}" in deferred.last_error

    smtp_server.start()
    wait_until(
        lambda: mailer.run_once() == 0 and len(smtp_server.received) == 3,
        what="the deferred messages to go out",
    )
    assert sorted(m.rcpt_tos[0] for m in smtp_server.received) == [
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
    ]


@pytest.mark.parametrize("attempts", [0, 1, 5, 40, 10_000])
def test_retry_delay_doubles_up_to_the_cap_with_a_little_jitter(attempts: int) -> None:
    full = min(900.0, 5.0 * 2 ** min(attempts, 20))
    delays = [retry_delay(attempts, base=5.0, cap=900.0) for _ in range(200)]
    assert all(full * 0.8 <= d <= full for d in delays)
    assert len(set(delays)) > 1


def test_a_lease_that_ran_out_makes_the_message_claimable_again(
    app: FastAPI, smtp_server: SmtpServer
) -> None:
    now = clock.now()
    # As left by a worker that died mid-send, and by one that is still sending.
    orphan = queue(
        app,
        "orphan@example.com",
        status=OutboxStatus.sending,
        claimed_by="dead-worker",
        lease_expires_at=now - timedelta(seconds=1),
    )
    held = queue(
        app,
        "held@example.com",
        status=OutboxStatus.sending,
        claimed_by="live-worker",
        lease_expires_at=now + timedelta(minutes=2),
    )

    assert worker(app).run_once() == 1

    assert [m.rcpt_tos for m in smtp_server.wait_for(1)] == [["orphan@example.com"]]
    assert row(app, orphan).status == OutboxStatus.sent
    still_held = row(app, held)
    assert (still_held.status, still_held.claimed_by) == (OutboxStatus.sending, "live-worker")
    assert still_held.body_text


def in_thread(mailer: MailWorker) -> tuple[threading.Thread, list[int]]:
    """``mailer.run_once()`` in a thread of its own; the list gets its result."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(mailer.run_once()), daemon=True)
    thread.start()
    return thread, result


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_new_holder(
    app: FastAPI, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    message = queue(app, "grace@example.com")
    release_a = smtp_server.hold_next_message()
    a, _ = in_thread(worker(app, "worker-a"))
    release_b = threading.Event()
    try:
        assert smtp_server.wait_until_held()
        # Worker A is stuck past its lease; worker B takes the message over.
        with db_session(app) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message.id)
                .values(lease_expires_at=clock.now() - timedelta(seconds=1))
            )
        release_b = smtp_server.hold_next_message()
        b, b_handled = in_thread(worker(app, "worker-b"))
        assert smtp_server.wait_until_held()

        release_a.set()
        a.join(WAIT_SECONDS)
        assert not a.is_alive()
        # A's late "sent" is refused: the message is B's to record.
        held = row(app, message)
        assert (held.status, held.claimed_by, held.attempts) == (
            OutboxStatus.sending,
            "worker-b",
            0,
        )
        assert held.body_text
        assert "worker-a lost its lease" in caplog.text
    finally:
        release_a.set()
        release_b.set()
    b.join(WAIT_SECONDS)
    assert b_handled == [1]
    done = row(app, message)
    assert (done.status, done.claimed_by, done.attempts) == (OutboxStatus.sent, "worker-b", 1)


def test_too_little_lease_left_hands_the_batch_back_unsent(
    app: FastAPI, smtp_server: SmtpServer
) -> None:
    messages = [queue(app, f"p{n}@example.com") for n in range(2)]

    # A lease too short to start any send in.
    assert worker(app, mail_lease_seconds=1e-6).run_once() == 0

    for message in messages:
        released = row(app, message)
        assert (released.status, released.claimed_by, released.attempts) == (
            OutboxStatus.pending,
            None,
            0,
        )
    assert smtp_server.received == []
    assert worker(app).run_once() == 2
    assert len(smtp_server.wait_for(2)) == 2


def test_busy_workers_send_each_message_once(app: FastAPI, smtp_server: SmtpServer) -> None:
    recipients = [f"p{n:02d}@example.com" for n in range(40)]
    for to in recipients:
        queue(app, to)
    workers = [worker(app, f"worker-{n}", mail_batch_size=3) for n in range(5)]
    start = threading.Barrier(len(workers))
    claimed_by: Counter[str] = Counter()

    def drain(mailer: MailWorker) -> None:
        start.wait()
        while handled := mailer.run_once():
            claimed_by[mailer.worker_id] += handled

    threads = [threading.Thread(target=drain, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_SECONDS)
    assert not any(t.is_alive() for t in threads)

    got = Counter(m.rcpt_tos[0] for m in smtp_server.wait_for(40))
    assert got == Counter(recipients)
    assert sum(claimed_by.values()) == 40
    with db_session(app) as session:
        statuses = set(session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.sent}


@pytest.mark.postgres_only  # row locks are PostgreSQL's; SQLite serializes write transactions
def test_a_row_locked_by_another_worker_is_skipped_not_waited_for(
    app: FastAPI, smtp_server: SmtpServer
) -> None:
    locked = queue(app, "locked@example.com")
    queue(app, "free@example.com")
    with db_session(app) as session:
        # Another worker is mid-claim on this row.
        session.execute(
            select(OutboxMessage).where(OutboxMessage.id == locked.id).with_for_update()
        )
        # Bounded, so a claim that waits for the lock fails the test instead of hanging it.
        thread, handled = in_thread(worker(app))
        thread.join(WAIT_SECONDS)
        assert handled == [1]
        assert [m.rcpt_tos for m in smtp_server.wait_for(1)] == [["free@example.com"]]
    assert worker(app).run_once() == 1
    assert len(smtp_server.wait_for(2)) == 2


def test_run_forever_logs_a_failing_round_and_keeps_going(
    tmp_path: Path, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # A database without the schema: every round fails on the missing table.
    broken = session_factory(build_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    mailer = MailWorker(broken, settings, worker_id="worker-a")
    stop = threading.Event()
    caplog.set_level(logging.ERROR, logger="usher.mail")
    thread = threading.Thread(target=mailer.run_forever, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(
            lambda: sum("delivery round failed" in r.message for r in caplog.records) >= 3,
            what="three failed rounds",
        )
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join(WAIT_SECONDS)
    assert not thread.is_alive()
    assert "outbox_messages" in caplog.text


def test_the_app_runs_its_own_worker_when_asked(
    settings: Settings, engine: Engine, smtp_server: SmtpServer
) -> None:
    app = create_app(settings, run_worker=True)
    with TestClient(app):
        queue(app, "grace@example.com")
        assert [m.rcpt_tos for m in smtp_server.wait_for(1)] == [["grace@example.com"]]
    assert not any(t.name == "usher-mail-worker" for t in threading.enumerate())
