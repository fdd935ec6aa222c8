"""Hand a composed email to the SMTP server, or to an ``.eml`` file when no server is set."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from usher.config import Settings
from usher.kit import clock

log = logging.getLogger("usher.mail")

_TRUE = {"1", "true", "yes", "on"}


class DeliveryError(Exception):
    """The message did not go out; ``str(exc)`` says why, for ``last_error``."""


class TemporaryFailure(DeliveryError):
    """Try again later: nothing is wrong with the message itself."""


class ServerUnavailable(TemporaryFailure):
    """No message can go out right now (server down, or refusing our login or sender)."""


class PermanentFailure(DeliveryError):
    """The server refused this message for good (an unknown recipient, say)."""


class Transport(Protocol):
    def send(self, msg: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    use_ssl: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpConfig:
    """``smtp://host:port``, ``smtps://...`` or ``smtp://...?starttls=1``, with optional
    ``user:password@`` (percent-encoded)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ValueError("USHER_SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("USHER_SMTP_URL has no host")
    use_ssl = parts.scheme == "smtps"
    starttls = parse_qs(parts.query).get("starttls", ["0"])[-1].lower() in _TRUE
    if use_ssl and starttls:
        raise ValueError("USHER_SMTP_URL: smtps:// is already encrypted; drop ?starttls=1")
    return SmtpConfig(
        host=parts.hostname,
        port=parts.port or (465 if use_ssl else 25),
        use_ssl=use_ssl,
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class SmtpTransport:
    """One connection, opened on the first send and kept until ``close``."""

    def __init__(self, config: SmtpConfig, *, local_hostname: str, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        # Given explicitly: smtplib would otherwise ask DNS for our FQDN on every connect.
        self._local_hostname = local_hostname
        self._smtp: smtplib.SMTP | None = None

    def send(self, msg: EmailMessage) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            # smtplib has already reset the transaction: the connection stays usable.
            code, reply = next(iter(exc.recipients.values()))
            raise self._by_code(code, f"SMTP {code} recipient refused: {_text(reply)}") from exc
        except smtplib.SMTPDataError as exc:
            raise self._by_code(
                exc.smtp_code, f"SMTP {exc.smtp_code} message refused: {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise ServerUnavailable(
                f"SMTP {exc.smtp_code} sender {exc.sender} refused: {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise ServerUnavailable(f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}") from exc
        except OSError as exc:  # refused, timed out, dropped, TLS failed (smtplib's own too)
            self.close()
            where = f"{self.config.host}:{self.config.port}"
            raise ServerUnavailable(
                f"cannot deliver through {where}: {str(exc) or type(exc).__name__}"
            ) from exc

    def _by_code(self, code: int, message: str) -> DeliveryError:
        if code == 421:  # the server is closing the connection: nothing else goes through
            self.close()
            return ServerUnavailable(message)
        return PermanentFailure(message) if 500 <= code < 600 else TemporaryFailure(message)

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if cfg.use_ssl:
            smtp = smtplib.SMTP_SSL(
                cfg.host,
                cfg.port,
                local_hostname=self._local_hostname,
                timeout=self.timeout,
                context=context,
            )
        else:
            smtp = smtplib.SMTP(
                cfg.host, cfg.port, local_hostname=self._local_hostname, timeout=self.timeout
            )
        try:
            if cfg.starttls:
                smtp.starttls(context=context)
            if cfg.username is not None:
                smtp.login(cfg.username, cfg.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


class FileTransport:
    """Development without a mail server: each message becomes an ``.eml`` file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, msg: EmailMessage) -> None:
        message_id = str(msg["Message-ID"] or "").strip("<>").split("@", 1)[0] or "message"
        path = self.directory / f"{clock.now():%Y%m%dT%H%M%S}-{message_id}.eml"
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Written whole under a temporary name, owner-only: it carries a live link.
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(msg.as_bytes())
            os.replace(tmp, path)
        except OSError as exc:
            raise ServerUnavailable(f"cannot write {path}: {exc}") from exc
        log.info("mail to %s written to %s (USHER_SMTP_URL is not set)", msg["To"], path)

    def close(self) -> None:
        pass


def transport_for(settings: Settings) -> Transport:
    if not settings.smtp_url:
        return FileTransport(settings.mail_dir)
    local_hostname = urlsplit(settings.base_url).hostname or "localhost"
    # A tenth of the lease per socket operation, so a send started with half the
    # lease left (see worker) ends before the lease does even on a slow server.
    timeout = min(30.0, settings.mail_lease_seconds / 10)
    return SmtpTransport(
        parse_smtp_url(settings.smtp_url), local_hostname=local_hostname, timeout=timeout
    )


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
