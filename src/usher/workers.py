"""The background workers, each on its own thread: the mail outbox and bulk imports. An
import can take minutes; on its own thread it never holds up an invitation's mail."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from usher.config import Settings


def start_workers(
    session_factory: sessionmaker[Session], settings: Settings, stop: threading.Event
) -> list[threading.Thread]:
    """Start the mail worker and the import worker; they run until ``stop`` is set."""
    from usher.imports.runner import ImportRunner
    from usher.mail.worker import MailWorker

    threads = [
        threading.Thread(
            target=MailWorker(session_factory, settings).run_forever,
            args=(stop,),
            name="usher-mail-worker",
            daemon=True,
        ),
        threading.Thread(
            target=ImportRunner(session_factory, settings).run_forever,
            args=(stop,),
            name="usher-import-worker",
            daemon=True,
        ),
    ]
    for thread in threads:
        thread.start()
    return threads
