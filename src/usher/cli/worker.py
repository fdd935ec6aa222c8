"""``usher worker``: deliver the outbox's mail until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from usher.cli.common import err, load_settings, open_sessions
from usher.cli.serve import mail_destination


def worker() -> None:
    """Send queued mail until stopped; run as many as you like, they share the work."""
    settings = load_settings()
    sessions = open_sessions(settings)
    from usher.mail.worker import MailWorker

    # The worker reports failed deliveries through logging; show them with their time.
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        # A second Ctrl-C is not polite any more: let it end the process at once.
        signal.signal(signum, signal.SIG_DFL)

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    console = err()
    try:
        console.print(
            f"Mail worker started. {mail_destination(settings)} Press Ctrl-C to stop.", markup=False
        )
        MailWorker(sessions, settings).run_forever(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("Mail worker stopped.", markup=False)
