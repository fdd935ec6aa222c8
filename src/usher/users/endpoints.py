"""Invite users and read them; manage their invitations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from usher.api.deps import ClientDep, CurrentUser, SessionDep
from usher.api.http import no_store
from usher.invitations import service as invitations
from usher.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from usher.kit.spreadsheet import SheetFormat
from usher.models.user import UserStatus
from usher.users import export, service
from usher.users.schemas import (
    FirstLinksSent,
    InvitationIssued,
    InvitationRevoke,
    UserCreate,
    UserInvited,
    UserPage,
    UserRead,
    UserUpdate,
    invitation_read,
    user_page,
    user_read,
)
from usher.users.service import UserFilters

SortKey = Literal["name", "email", "registered_at", "last_activity_at", "created_at"]

router = APIRouter(tags=["users"])

MANAGE: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not an Organization Admin"},
    404: {"description": "No such user in your organization"},
}


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserInvited,
    responses={
        409: {"description": "Email already used in the organization"},
        429: {"description": "Too many invitations"},
        **MANAGE,
    },
)
def invite_user(
    body: UserCreate, session: SessionDep, actor: CurrentUser, client: ClientDep, response: Response
) -> UserRead:
    """Add a user and invite them: `email` mails a registration link (to the personal email,
    or the organizational one when none is given); `link` returns `registration_url`."""
    result = service.invite_user(session, actor, data=body, client=client)
    if result.registration_url:
        no_store(response)
    return user_read(result.detail, UserInvited, registration_url=result.registration_url)


@router.get("/users", response_model=UserPage, responses=MANAGE)
def list_users(
    session: SessionDep,
    actor: CurrentUser,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description=(
                "Any part of first name, last name, full name, email or phone digits; any letter "
                "case and any phone formatting"
            ),
        ),
    ] = None,
    status_: Annotated[list[UserStatus] | None, Query(alias="status")] = None,
    org_unit: Annotated[uuid.UUID | None, Query(description="With its sub-units")] = None,
    team: Annotated[list[uuid.UUID] | None, Query(max_length=50)] = None,
    sort: Annotated[SortKey, Query()] = "name",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> UserPage:
    """The User Management list: search, filter by status, organization unit or team, sort,
    and walk the pages with `next_cursor`."""
    page, next_cursor = service.list_users(
        session,
        actor,
        filters=UserFilters(q=q, statuses=status_ or [], org_unit_id=org_unit, team_ids=team or []),
        sort=sort,
        descending=order == "desc",
        cursor=cursor,
        limit=limit,
    )
    return user_page(page, next_cursor)


@router.post(
    "/users/invitations/send-first",
    response_model=FirstLinksSent,
    responses={403: MANAGE[403], 429: {"description": "Too many invitations"}},
)
def send_first_links(session: SessionDep, actor: CurrentUser, client: ClientDep) -> FirstLinksSent:
    """Mail a registration link to pending users who never had one (an import created them
    without inviting): up to 500 a call, oldest first; call again while `remaining` > 0."""
    sent = invitations.send_first_links(session, actor, client=client)
    return FirstLinksSent(sent=sent.sent, remaining=sent.remaining)


# Before /users/{user_id}, so that "export" is not taken for a user id.
@router.get(
    "/users/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The file, streamed as it is read",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                SheetFormat.xlsx.media_type: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        403: {"description": "You do not hold users.read"},
    },
)
def export_users(
    request: Request,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
    format: Annotated[SheetFormat, Query(description="`csv` (UTF-8) or `xlsx`")] = SheetFormat.csv,
    q: Annotated[str | None, Query(max_length=200, description="As for the list")] = None,
    status_: Annotated[list[UserStatus] | None, Query(alias="status")] = None,
    org_unit: Annotated[uuid.UUID | None, Query(description="With its sub-units")] = None,
    team: Annotated[list[uuid.UUID] | None, Query(max_length=50)] = None,
) -> StreamingResponse:
    """Every user the list would show with these filters, as CSV or XLSX, in the order they
    were added. Cells a spreadsheet would run as a formula start with a `'`. One audit event
    (`users.exported`) per export."""
    started = export.start_export(
        session,
        actor,
        filters=UserFilters(q=q, statuses=status_ or [], org_unit_id=org_unit, team_ids=team or []),
        format=format,
        client=client,
    )
    # The body is read after this returns and the request's transaction has ended: each batch
    # has a transaction of its own.
    body = export.export_file(request.app.state.session_factory, started)
    return StreamingResponse(
        body,
        media_type=format.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{started.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/users/{user_id}", response_model=UserRead, responses=MANAGE)
def get_user(user_id: uuid.UUID, session: SessionDep, actor: CurrentUser) -> UserRead:
    return user_read(service.get_user(session, actor, user_id=user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserRead,
    responses={409: {"description": "Email already used in the organization"}, **MANAGE},
)
def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> UserRead:
    """Change profile fields; status, organization and teams are not profile fields."""
    return user_read(service.update_user(session, actor, user_id=user_id, data=body, client=client))


@router.post(
    "/users/{user_id}/disable",
    response_model=UserRead,
    responses={409: {"description": "The last active Organization Admin"}, **MANAGE},
)
def disable_user(
    user_id: uuid.UUID, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> UserRead:
    """Every session and API token of the user ends now; their next request is a 401."""
    return user_read(service.disable_user(session, actor, user_id=user_id, client=client))


@router.post("/users/{user_id}/enable", response_model=UserRead, responses=MANAGE)
def enable_user(
    user_id: uuid.UUID, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> UserRead:
    """Undo a disable; the user signs in again (old sessions stay ended)."""
    return user_read(service.enable_user(session, actor, user_id=user_id, client=client))


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "The last active Organization Admin"}, **MANAGE},
)
def delete_user(
    user_id: uuid.UUID, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> None:
    """Delete the user; they lose access immediately."""
    service.delete_user(session, actor, user_id=user_id, client=client)


def _issued(
    session: SessionDep, actor: CurrentUser, issued: invitations.IssuedInvitation, with_url: bool
) -> InvitationIssued:
    detail = service.get_user(session, actor, user_id=issued.invitation.user_id)
    read = invitation_read(detail.invitation)
    assert read is not None
    return InvitationIssued(
        user_id=issued.invitation.user_id,
        invitation=read,
        registration_url=issued.registration_url if with_url else None,
    )


@router.post(
    "/users/{user_id}/invitation/resend",
    response_model=InvitationIssued,
    responses={409: {"description": "The user is not pending"}, **MANAGE},
)
def resend_invitation(
    user_id: uuid.UUID, session: SessionDep, actor: CurrentUser, client: ClientDep
) -> InvitationIssued:
    """Mail a new registration link with a renewed expiry; the previous link stops working."""
    issued = invitations.resend(session, actor, user_id=user_id, client=client)
    return _issued(session, actor, issued, with_url=False)


@router.post(
    "/users/{user_id}/invitation/link",
    response_model=InvitationIssued,
    responses={409: {"description": "The user is not pending"}, **MANAGE},
)
def regenerate_invitation_link(
    user_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
    response: Response,
) -> InvitationIssued:
    """A new shareable link to copy; the previous link stops working."""
    issued = invitations.regenerate_link(session, actor, user_id=user_id, client=client)
    no_store(response)
    return _issued(session, actor, issued, with_url=True)


@router.post(
    "/users/{user_id}/invitation/revoke",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "The user is not pending"}, **MANAGE},
)
def revoke_invitation(
    user_id: uuid.UUID,
    session: SessionDep,
    actor: CurrentUser,
    client: ClientDep,
    body: InvitationRevoke | None = None,
) -> None:
    """The link dies; the pending user stays, or is deleted with `delete_user: true`."""
    invitations.revoke(
        session,
        actor,
        user_id=user_id,
        delete_user=body.delete_user if body else False,
        client=client,
    )
