"""Tokens never reach the access log."""

from __future__ import annotations

import logging

from usher.kit.logs import RedactTokens


def test_access_log_paths_are_redacted() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/register/SeCrEtToKeN123?x=1", "1.1", 303),
        None,
    )
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert "SeCrEtToKeN123" not in line
    assert "/register/[redacted]?x=1" in line
    record2 = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s", ("/api/v1/invitations/abc/accept",), None
    )
    RedactTokens().filter(record2)
    assert record2.getMessage() == "/api/v1/invitations/[redacted]/accept"
