"""The registration door: read an invitation and accept it with a password."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from usher.api.deps import ClientDep, SessionDep, SettingsDep
from usher.api.http import no_store, set_session_cookie
from usher.auth import service as auth_service
from usher.auth.schemas import MeRead
from usher.invitations import service
from usher.users.schemas import InvitationAccept, InvitationPreviewRead, InvitationRequested

router = APIRouter(tags=["invitations"])
Token = Annotated[str, Path(min_length=1, max_length=200)]
GONE: dict[int | str, dict[str, Any]] = {
    404: {"description": "Unknown link"},
    410: {"description": "Used, expired, revoked or superseded link"},
}


@router.get("/invitations/{token}", response_model=InvitationPreviewRead, responses=GONE)
def get_invitation(token: Token, session: SessionDep, response: Response) -> InvitationPreviewRead:
    """What the registration page shows. Reading does not use the link up (mail scanners
    open links)."""
    no_store(response)
    p = service.preview(session, token)
    return InvitationPreviewRead(
        first_name=p.first_name,
        last_name=p.last_name,
        email=p.email,
        organization=p.organization_name,
        organization_slug=p.organization_slug,
        expires_at=p.expires_at,
    )


@router.post(
    "/invitations/{token}/accept",
    response_model=MeRead,
    responses={**GONE, 422: {"description": "Password refused, with the reason"}},
)
def accept_invitation(
    token: Token,
    body: InvitationAccept,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    response: Response,
) -> MeRead:
    """Set a password; the user becomes active and is signed in. The link is used up."""
    user = service.accept(session, token=token, password=body.password, client=client)
    session_token, _ = auth_service.start_session(session, user, client=client)
    set_session_cookie(response, settings, session_token)
    no_store(response)
    return MeRead.of(auth_service.me(session, user))


@router.post(
    "/invitations/{token}/request-new",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=InvitationRequested,
    responses={
        404: {"description": "Unknown link"},
        409: {"description": "The link still works, was used, or the account is disabled"},
        429: {"description": "Asked too often"},
    },
)
def request_new_invitation(
    token: Token, session: SessionDep, client: ClientDep, response: Response
) -> InvitationRequested:
    """From an expired, revoked or superseded link: ask the organization's admins for a new
    invitation. The same answer whether they were mailed now or already earlier today."""
    no_store(response)
    asked = service.request_new_invitation(session, token=token, client=client)
    return InvitationRequested(message=asked.message)
