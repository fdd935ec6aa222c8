"""Deliver the outbox: claim due messages under a lease, send them, record what happened."""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.dml import ReturningUpdate

from usher.config import Settings
from usher.db.engine import unit_of_work
from usher.db.maintenance import REFRESH_EVERY_SECONDS, refresh_statistics
from usher.kit import clock
from usher.mail.transport import (
    PermanentFailure,
    ServerUnavailable,
    TemporaryFailure,
    transport_for,
)
from usher.models import OutboxMessage
from usher.models.outbox_message import OutboxStatus

log = logging.getLogger("usher.mail")

_ERROR_LENGTH = 1000  # OutboxMessage.last_error's column
_RECORD_TRIES = 3


@dataclass(frozen=True)
class Claimed:
    """A message this worker holds until ``lease_expires_at``."""

    id: uuid.UUID
    recipient: str
    subject: str
    body_text: str
    body_html: str
    attempts: int
    lease_expires_at: datetime


Outcome = tuple[Claimed, dict[str, Any]]  # a held message and the values to record for it


def retry_delay(attempts: int, *, base: float, cap: float) -> float:
    """Seconds before the next try when ``attempts`` tries went before this failed one:
    ``base * 2**attempts`` up to ``cap``, less up to a fifth so workers drift apart."""
    # The exponent is bounded: a message retried for years must not overflow a float.
    delay = min(cap, base * 2.0 ** min(attempts, 64))
    return delay * (1 - 0.2 * random.random())


class MailWorker:
    """Sends what the outbox holds; any number of workers may share one database."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        *,
        worker_id: str | None = None,
    ) -> None:
        self.worker_id = (
            worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        )[:100]
        self._session_factory = session_factory
        self._settings = settings
        self._transport = transport_for(settings)
        self._lease = timedelta(seconds=settings.mail_lease_seconds)
        sender = parseaddr(settings.mail_from)[1]
        self._domain = sender.rpartition("@")[2] or "usher.localhost"

    def run_forever(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set; an error is logged and the next round goes on."""
        log.info("mail worker %s started", self.worker_id)
        next_statistics = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_statistics:
                next_statistics = time.monotonic() + REFRESH_EVERY_SECONDS
                self._refresh_statistics()
            try:
                handled = self.run_once()
            except Exception:
                log.exception("mail worker %s: delivery round failed; trying again", self.worker_id)
                handled = 0
            if not handled:
                stop.wait(self._settings.mail_poll_seconds)
        log.info("mail worker %s stopped", self.worker_id)

    def _refresh_statistics(self) -> None:
        bind = self._session_factory.kw.get("bind")
        if isinstance(bind, Engine):
            try:
                refresh_statistics(bind)
            except Exception:
                log.exception(
                    "mail worker %s: refreshing planner statistics failed", self.worker_id
                )

    def run_once(self) -> int:
        """Claim one batch, send it, record each outcome; the number of messages handled."""
        batch = self._claim()
        handled = 0
        try:
            for index, message in enumerate(batch):
                if clock.now() > message.lease_expires_at - self._lease / 2:
                    # Too little lease left to be sure of finishing before another worker
                    # may take the message: hand the rest back rather than risk sending twice.
                    self._record(*(self._released(m) for m in batch[index:]))
                    break
                try:
                    self._transport.send(self._compose(message))
                except ServerUnavailable as exc:
                    # The rest would fail the same way; trying each would only burn the lease.
                    rest = batch[index:]
                    log.warning(
                        "mail server unavailable, %d message(s) will retry: %s", len(rest), exc
                    )
                    self._record(*(self._deferred(m, str(exc)) for m in rest))
                    handled += len(rest)
                    break
                except TemporaryFailure as exc:
                    log.warning("mail %s to %s will retry: %s", message.id, message.recipient, exc)
                    self._record(self._deferred(message, str(exc)))
                except PermanentFailure as exc:
                    log.error(
                        "mail %s to %s failed for good: %s", message.id, message.recipient, exc
                    )
                    self._record(self._failed(message, str(exc)))
                except Exception as exc:
                    # A bug rather than the server: keep the message and retry it later, so
                    # a fix delivers it, and leave the reason where an admin sees it.
                    log.exception("mail %s to %s could not be sent", message.id, message.recipient)
                    self._record(self._deferred(message, f"{type(exc).__name__}: {exc}"))
                else:
                    log.info("mail %s to %s sent", message.id, message.recipient)
                    self._record(self._sent(message))
                handled += 1
        finally:
            self._transport.close()
        return handled

    def _claim(self) -> list[Claimed]:
        now = clock.now()
        lease_expires_at = now + self._lease
        due = or_(
            and_(
                OutboxMessage.status == OutboxStatus.pending, OutboxMessage.next_attempt_at <= now
            ),
            # A worker died holding these (or is hopelessly stuck): they are free again.
            and_(
                OutboxMessage.status == OutboxStatus.sending, OutboxMessage.lease_expires_at < now
            ),
        )
        # SKIP LOCKED lets PostgreSQL workers claim different rows side by side. SQLite
        # emits no FOR UPDATE; its write lock (BEGIN IMMEDIATE) makes the claim atomic.
        ids = (
            select(OutboxMessage.id)
            .where(due)
            .order_by(OutboxMessage.next_attempt_at)
            .limit(self._settings.mail_batch_size)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                status=OutboxStatus.sending,
                lease_expires_at=lease_expires_at,
                claimed_by=self.worker_id,
            )
            .returning(
                OutboxMessage.id,
                OutboxMessage.recipient,
                OutboxMessage.subject,
                OutboxMessage.body_text,
                OutboxMessage.body_html,
                OutboxMessage.attempts,
            )
            .execution_options(synchronize_session=False)
        )
        with unit_of_work(self._session_factory) as session:
            rows = session.execute(stmt).all()
        return [Claimed(*row, lease_expires_at=lease_expires_at) for row in rows]

    def _compose(self, message: Claimed) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self._settings.mail_from
        msg["To"] = message.recipient
        msg["Subject"] = message.subject
        msg["Date"] = format_datetime(clock.now())
        # Derived from the outbox row, so a message retried after a lost reply is
        # recognisably the same one.
        msg["Message-ID"] = f"<{message.id}@{self._domain}>"
        msg["Auto-Submitted"] = "auto-generated"  # no vacation replies to a no-reply sender
        msg.set_content(message.body_text)
        msg.add_alternative(message.body_html, subtype="html")
        return msg

    def _sent(self, message: Claimed) -> Outcome:
        # The body carries a live registration link: keep it no longer than needed.
        return message, {
            "status": OutboxStatus.sent,
            "sent_at": clock.now(),
            "attempts": OutboxMessage.attempts + 1,
            "lease_expires_at": None,
            "body_text": "",
            "body_html": "",
        }

    def _failed(self, message: Claimed, error: str) -> Outcome:
        return message, {
            "status": OutboxStatus.failed,
            "attempts": OutboxMessage.attempts + 1,
            "last_error": error[:_ERROR_LENGTH],
            "lease_expires_at": None,
            "body_text": "",
            "body_html": "",
        }

    def _deferred(self, message: Claimed, error: str) -> Outcome:
        delay = retry_delay(
            message.attempts,
            base=self._settings.mail_retry_base_seconds,
            cap=self._settings.mail_retry_max_seconds,
        )
        return message, {
            "status": OutboxStatus.pending,
            "attempts": OutboxMessage.attempts + 1,
            "last_error": error[:_ERROR_LENGTH],
            "next_attempt_at": clock.now() + timedelta(seconds=delay),
            "lease_expires_at": None,
            "claimed_by": None,
        }

    def _released(self, message: Claimed) -> Outcome:
        return message, {
            "status": OutboxStatus.pending,
            "lease_expires_at": None,
            "claimed_by": None,
        }

    def _record(self, *outcomes: Outcome) -> None:
        """Write outcomes in one transaction, each only while this worker holds its message."""
        for attempt in range(1, _RECORD_TRIES + 1):
            try:
                with unit_of_work(self._session_factory) as session:
                    lost = [
                        message
                        for message, values in outcomes
                        if session.execute(self._update(message, values)).first() is None
                    ]
                break
            except OperationalError:
                # Worth a few tries: a lost "sent" would have the message mailed again
                # once its lease runs out.
                if attempt == _RECORD_TRIES:
                    raise
                log.warning("recording mail outcomes failed, trying again", exc_info=True)
                time.sleep(attempt)
        for message in lost:
            log.warning(
                "mail %s: worker %s lost its lease before recording the outcome",
                message.id,
                self.worker_id,
            )

    def _update(self, message: Claimed, values: dict[str, Any]) -> ReturningUpdate[uuid.UUID]:
        return (
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message.id,
                OutboxMessage.status == OutboxStatus.sending,
                OutboxMessage.claimed_by == self.worker_id,
            )
            .values(**values)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
