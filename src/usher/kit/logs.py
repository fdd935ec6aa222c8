"""Keep secret tokens out of logs: access-log lines show token paths redacted."""

from __future__ import annotations

import logging
import re

_TOKEN_PATH = re.compile(r"/(register|reset|invitations)/[^/?#\s\"]+")


def redact(text: str) -> str:
    return _TOKEN_PATH.sub(r"/\1/[redacted]", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def install_redaction() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())
