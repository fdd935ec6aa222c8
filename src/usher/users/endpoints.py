"""Invite users and read them; manage their invitations."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from usher.api.deps import ClientDep, CurrentUser, SessionDep
from usher.api.http import no_store
from usher.invitations import service as invitations
from usher.users import service
from usher.users.schemas import (
    InvitationIssued,
    InvitationRevoke,
    UserCreate,
    UserInvited,
    UserRead,
    invitation_read,
    user_read,
)

router = APIRouter(tags=["users"])

MANAGE: dict[int | str, dict[str, Any]] = {403: {"description": "Not an Organization Admin"},
          404: {"description": "No such user in your organization"}}


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserInvited,
             responses={409: {"description": "Email already used in the organization"}, **MANAGE})
def invite_user(body: UserCreate, session: SessionDep, actor: CurrentUser, client: ClientDep,
                response: Response) -> UserRead:
    """Add a user and invite them: `email` mails a registration link (to the personal email,
    or the organizational one when none is given); `link` returns `registration_url`."""
    result = service.invite_user(session, actor, data=body, client=client)
    if result.registration_url:
        no_store(response)
    return user_read(result.detail, UserInvited, registration_url=result.registration_url)


@router.get("/users/{user_id}", response_model=UserRead, responses=MANAGE)
def get_user(user_id: uuid.UUID, session: SessionDep, actor: CurrentUser) -> UserRead:
    return user_read(service.get_user(session, actor, user_id=user_id))


def _issued(session: SessionDep, actor: CurrentUser, issued: invitations.IssuedInvitation,
            with_url: bool) -> InvitationIssued:
    detail = service.get_user(session, actor, user_id=issued.invitation.user_id)
    read = invitation_read(detail.invitation)
    assert read is not None
    return InvitationIssued(user_id=issued.invitation.user_id, invitation=read,
                            registration_url=issued.registration_url if with_url else None)


@router.post("/users/{user_id}/invitation/resend", response_model=InvitationIssued,
             responses={409: {"description": "The user is not pending"}, **MANAGE})
def resend_invitation(user_id: uuid.UUID, session: SessionDep, actor: CurrentUser,
                      client: ClientDep) -> InvitationIssued:
    """Mail a new registration link with a renewed expiry; the previous link stops working."""
    issued = invitations.resend(session, actor, user_id=user_id, client=client)
    return _issued(session, actor, issued, with_url=False)


@router.post("/users/{user_id}/invitation/link", response_model=InvitationIssued,
             responses={409: {"description": "The user is not pending"}, **MANAGE})
def regenerate_invitation_link(user_id: uuid.UUID, session: SessionDep, actor: CurrentUser,
                               client: ClientDep, response: Response) -> InvitationIssued:
    """A new shareable link to copy; the previous link stops working."""
    issued = invitations.regenerate_link(session, actor, user_id=user_id, client=client)
    no_store(response)
    return _issued(session, actor, issued, with_url=True)


@router.post("/users/{user_id}/invitation/revoke", status_code=status.HTTP_204_NO_CONTENT,
             responses={409: {"description": "The user is not pending"}, **MANAGE})
def revoke_invitation(user_id: uuid.UUID, session: SessionDep, actor: CurrentUser,
                      client: ClientDep, body: InvitationRevoke | None = None) -> None:
    """The link dies; the pending user stays, or is deleted with `delete_user: true`."""
    invitations.revoke(session, actor, user_id=user_id,
                       delete_user=body.delete_user if body else False, client=client)
