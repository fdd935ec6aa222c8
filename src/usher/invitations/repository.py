"""Queries for invitations; a token is looked up by its hash only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from usher.access.scope import OrgScope
from usher.models import Invitation, OutboxMessage, User
from usher.models.user import UserStatus


def get_by_token_hash(session: Session, token_hash: str) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))


def open_for_user(session: Session, scope: OrgScope, user_id: uuid.UUID) -> Sequence[Invitation]:
    return session.scalars(
        select(Invitation).where(
            Invitation.organization_id == scope.organization_id,
            Invitation.user_id == user_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.superseded_at.is_(None),
        )
    ).all()


def latest_for_user(
    session: Session, scope: OrgScope, user_id: uuid.UUID
) -> tuple[Invitation, OutboxMessage | None] | None:
    row = session.execute(
        select(Invitation, OutboxMessage)
        .outerjoin(OutboxMessage, OutboxMessage.id == Invitation.outbox_message_id)
        .where(Invitation.organization_id == scope.organization_id, Invitation.user_id == user_id)
        .order_by(Invitation.created_at.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def consume(session: Session, invitation_id: uuid.UUID, now: datetime) -> bool:
    """Check and consume in one conditional UPDATE: of concurrent accepts, exactly one wins."""
    result = session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.superseded_at.is_(None),
            Invitation.expires_at > now,
        )
        .values(accepted_at=now)
        .returning(Invitation.id)
    ).first()
    return result is not None


def mark_invitation_requested(
    session: Session, scope: OrgScope, user_id: uuid.UUID, *, now: datetime, asked_before: datetime
) -> bool:
    """Mark that the user asked for a new invitation, unless they already did since
    ``asked_before``; one conditional UPDATE, so of concurrent asks exactly one marks."""
    result = session.execute(
        update(User)
        .where(
            User.id == user_id,
            User.organization_id == scope.organization_id,
            or_(
                User.invitation_requested_at.is_(None),
                User.invitation_requested_at < asked_before,
            ),
        )
        .values(invitation_requested_at=now)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ).first()
    return result is not None


def never_invited(
    session: Session, scope: OrgScope, *, units: Sequence[uuid.UUID] | None, limit: int
) -> Sequence[User]:
    """Pending users who never had an invitation (an import made them without one), oldest
    first; within ``units`` when given."""
    stmt = select(User).where(*_never_invited(scope, units))
    return session.scalars(stmt.order_by(User.created_at, User.id).limit(limit)).all()


def count_never_invited(
    session: Session, scope: OrgScope, *, units: Sequence[uuid.UUID] | None
) -> int:
    return int(
        session.scalar(select(func.count()).select_from(User).where(*_never_invited(scope, units)))
        or 0
    )


def _never_invited(scope: OrgScope, units: Sequence[uuid.UUID] | None) -> list[Any]:
    conditions: list[Any] = [
        User.organization_id == scope.organization_id,
        User.status == UserStatus.pending,
        ~exists().where(Invitation.user_id == User.id),
    ]
    if units is not None:
        conditions.append(User.org_unit_id.in_(list(units)))
    return conditions
