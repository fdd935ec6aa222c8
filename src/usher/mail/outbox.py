"""Queue email in the outbox, in the caller's transaction; the worker sends it after commit."""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import update
from sqlalchemy.orm import Session

from usher.models import OutboxMessage
from usher.models.outbox_message import OutboxStatus

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache
def _env() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a mail template."""
    env = _env()
    subject = env.get_template(f"{template}.subject.txt").render(context).strip()
    text = env.get_template(f"{template}.txt").render(context)
    html = env.get_template(f"{template}.html").render(context)
    return subject, text, html


def enqueue_template(
    session: Session,
    *,
    organization_id: uuid.UUID | None,
    kind: str,
    to: str,
    template: str,
    context: dict[str, Any],
) -> OutboxMessage:
    subject, text, html = render(template, context)
    message = OutboxMessage(
        organization_id=organization_id,
        kind=kind,
        recipient=to,
        subject=subject,
        body_text=text,
        body_html=html,
    )
    session.add(message)
    session.flush()
    return message


def cancel(session: Session, message_id: uuid.UUID | None) -> None:
    """Stop a message that has not gone out yet (its link died); a sent one stays sent."""
    if message_id is None:
        return
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.pending)
        .values(status=OutboxStatus.cancelled, body_text="", body_html="")
    )
