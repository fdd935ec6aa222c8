"""The transports: SMTP URL parsing, a real SMTP exchange, and how each failure is classed."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Literal

import pytest

from tests.fixtures.smtp import SmtpServer, self_signed_certificate
from usher.mail.transport import (
    FileTransport,
    PermanentFailure,
    ServerUnavailable,
    SmtpConfig,
    SmtpTransport,
    TemporaryFailure,
    parse_smtp_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", SmtpConfig("127.0.0.1", 1025)),
        ("smtp://mail.example.com", SmtpConfig("mail.example.com", 25)),
        ("smtps://mail.example.com", SmtpConfig("mail.example.com", 465, use_ssl=True)),
        (
            "smtp://mail.example.com:587?starttls=1",
            SmtpConfig("mail.example.com", 587, starttls=True),
        ),
        ("smtp://mail.example.com:587?starttls=0", SmtpConfig("mail.example.com", 587)),
        (
            "smtps://apikey:s3cr%40t%3Ax@smtp.example.com:2465",
            SmtpConfig(
                "smtp.example.com", 2465, use_ssl=True, username="apikey", password="s3cr@t:x"
            ),
        ),
        (
            "smtp://me%40example.com:pw@127.0.0.1:1025?starttls=true",
            SmtpConfig("127.0.0.1", 1025, starttls=True, username="me@example.com", password="pw"),
        ),
    ],
)
def test_smtp_url_is_parsed(url: str, expected: SmtpConfig) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.com",
        "mail.example.com:25",
        "smtp://",
        "smtp://:25",
        "smtps://mail.example.com?starttls=1",
        "smtp://mail.example.com:notaport",
    ],
)
def test_bad_smtp_url_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"SMTP_URL|port"):
        parse_smtp_url(url)


def _message(to: str = "grace@example.com") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Usher <no-reply@usher.test>"
    msg["To"] = to
    msg["Subject"] = "Hello"
    msg["Message-ID"] = "<1234@usher.test>"
    msg.set_content("plain")
    msg.add_alternative("<p>html</p>", subtype="html")
    return msg


def _transport(server: SmtpServer, url: str | None = None) -> SmtpTransport:
    return SmtpTransport(parse_smtp_url(url or server.url), local_hostname="usher.test", timeout=5)


def test_smtp_transport_delivers_over_one_connection(smtp_server: SmtpServer) -> None:
    transport = _transport(smtp_server)
    try:
        transport.send(_message("a@example.com"))
        transport.send(_message("b@example.com"))
    finally:
        transport.close()
    received = smtp_server.wait_for(2)
    assert [r.rcpt_tos for r in received] == [["a@example.com"], ["b@example.com"]]
    assert received[0].mail_from == "no-reply@usher.test"


def test_smtp_transport_logs_in_with_the_url_credentials() -> None:
    server = SmtpServer(credentials=("mailer", "p@ss:word"))
    server.start()
    try:
        good = _transport(server, f"smtp://mailer:p%40ss%3Aword@127.0.0.1:{server.port}")
        good.send(_message())
        good.close()
        assert server.wait_for(1)[0].authenticated_as == "mailer"

        bad = _transport(server, f"smtp://mailer:wrong@127.0.0.1:{server.port}")
        with pytest.raises(ServerUnavailable, match="535"):
            bad.send(_message())
        bad.close()
        assert len(server.received) == 1
    finally:
        server.stop()


def test_recipient_refused_with_5xx_is_permanent(smtp_server: SmtpServer) -> None:
    smtp_server.refuse("nobody@example.com")
    transport = _transport(smtp_server)
    try:
        with pytest.raises(PermanentFailure, match="550"):
            transport.send(_message("nobody@example.com"))
        # The refusal ends only that message: the connection goes on serving the next.
        transport.send(_message("grace@example.com"))
    finally:
        transport.close()
    assert [r.rcpt_tos for r in smtp_server.wait_for(1)] == [["grace@example.com"]]


def test_recipient_deferred_with_4xx_is_temporary(smtp_server: SmtpServer) -> None:
    smtp_server.refuse("busy@example.com", "451 4.2.0 Mailbox busy, try later")
    transport = _transport(smtp_server)
    try:
        with pytest.raises(TemporaryFailure, match="451") as caught:
            transport.send(_message("busy@example.com"))
    finally:
        transport.close()
    assert not isinstance(caught.value, ServerUnavailable)


def test_server_down_is_temporary_for_everyone(smtp_server: SmtpServer) -> None:
    smtp_server.stop()
    transport = _transport(smtp_server)
    with pytest.raises(ServerUnavailable, match=f"127.0.0.1:{smtp_server.port}"):
        transport.send(_message())
    smtp_server.start()
    transport.send(_message())  # a later send reconnects
    transport.close()
    assert len(smtp_server.wait_for(1)) == 1


def test_file_transport_writes_an_eml_file(tmp_path: Path) -> None:
    directory = tmp_path / "mail"
    FileTransport(directory).send(_message())
    [path] = directory.iterdir()
    assert path.name.endswith("-1234.eml")
    assert path.stat().st_mode & 0o077 == 0  # it carries a live link: owner only
    assert b"Subject: Hello" in path.read_bytes()


def test_file_transport_failure_to_write_is_temporary(tmp_path: Path) -> None:
    blocked = tmp_path / "mail"
    blocked.write_text("a file where the directory should be")
    with pytest.raises(TemporaryFailure, match="cannot write"):
        FileTransport(blocked).send(_message())


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_smtp_transport_speaks_tls_and_checks_the_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tls: Literal["starttls", "smtps"]
) -> None:
    server = SmtpServer(tls=tls, certificate=self_signed_certificate(tmp_path))
    server.start()
    try:
        # Not trusted yet: the connection is refused rather than sent in the clear.
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "no-such-ca.pem"))
        untrusted = _transport(server)
        with pytest.raises(ServerUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            untrusted.send(_message())
        untrusted.close()

        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
        trusted = _transport(server)
        trusted.send(_message())
        trusted.close()
        assert [r.rcpt_tos for r in server.wait_for(1)] == [["grace@example.com"]]
    finally:
        server.stop()
