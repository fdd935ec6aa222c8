"""``usher worker``: deliver the outbox's mail until Ctrl-C or SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from usher.cli.common import err, load_settings, open_sessions
from usher.cli.serve import mail_destination


def worker() -> None:
    """Send queued mail and run imports until stopped; run as many as you like, they share
    the work."""
    settings = load_settings()
    sessions = open_sessions(settings)
    from usher.workers import start_workers

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
            f"Worker started (mail and imports). {mail_destination(settings)} "
            "Press Ctrl-C to stop.",
            markup=False,
        )
        threads = start_workers(sessions, settings, stop)
        while not stop.wait(0.5):
            pass
        for thread in threads:
            thread.join(timeout=30)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    console.print("Worker stopped.", markup=False)
