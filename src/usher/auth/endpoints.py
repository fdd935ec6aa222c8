"""Sign in and out, the current user, password reset and API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from usher.api.deps import (
    AuthDep,
    ClientDep,
    CurrentUser,
    SessionDep,
    SettingsDep,
)
from usher.api.http import clear_session_cookie, no_store, set_session_cookie
from usher.auth import service
from usher.auth.schemas import (
    ForgotPasswordRequest,
    LoginRequest,
    MeRead,
    Message,
    ResetPasswordRequest,
    TokenCreate,
    TokenCreated,
)

router = APIRouter(tags=["auth"])

FORGOT_ANSWER = service.RESET_REQUESTED


def me_read(session: SessionDep, user: CurrentUser) -> MeRead:
    return MeRead.of(service.me(session, user))


@router.post(
    "/auth/login",
    response_model=MeRead,
    responses={
        401: {"description": "Wrong organization, email or password"},
        429: {"description": "Too many attempts"},
    },
)
def login(
    body: LoginRequest,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    response: Response,
) -> MeRead:
    """Sign in; answers the same for an unknown account and a wrong password."""
    token, user = service.login(
        session,
        organization=body.organization,
        email=body.email,
        password=body.password,
        client=client,
    )
    set_session_cookie(response, settings, token)
    no_store(response)
    return me_read(session, user)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    session: SessionDep, auth: AuthDep, settings: SettingsDep, client: ClientDep, response: Response
) -> None:
    """End the session server-side; the cookie is cleared too."""
    service.end_session(session, auth, client=client)
    clear_session_cookie(response, settings)


@router.get("/me", response_model=MeRead)
def me(session: SessionDep, user: CurrentUser) -> MeRead:
    return me_read(session, user)


@router.post(
    "/auth/password/forgot",
    status_code=status.HTTP_202_ACCEPTED,
    responses={429: {"description": "Too many requests"}},
)
def forgot_password(body: ForgotPasswordRequest, session: SessionDep, client: ClientDep) -> Message:
    """Mail a single-use reset link; the answer never tells whether the account exists."""
    service.request_password_reset(
        session, organization=body.organization, email=body.email, client=client
    )
    return Message(detail=FORGOT_ANSWER)


@router.post(
    "/auth/password/reset",
    response_model=Message,
    responses={
        400: {"description": "Reset link invalid, used or expired"},
        422: {"description": "Password refused, with the reason"},
    },
)
def reset_password(
    body: ResetPasswordRequest, session: SessionDep, client: ClientDep, response: Response
) -> Message:
    service.reset_password(session, token=body.token, password=body.password, client=client)
    no_store(response)
    return Message(detail="Your password has been changed. Sign in with it now.")


@router.post("/tokens", status_code=status.HTTP_201_CREATED, response_model=TokenCreated)
def create_token(
    body: TokenCreate, session: SessionDep, user: CurrentUser, client: ClientDep, response: Response
) -> TokenCreated:
    """A personal API token for the caller, shown once."""
    token, api_token = service.create_api_token(
        session, user, name=body.name, expires_in_days=body.expires_in_days, client=client
    )
    no_store(response)
    return TokenCreated(
        id=api_token.id,
        name=api_token.name,
        token=token,
        prefix=api_token.prefix,
        created_at=api_token.created_at,
        expires_at=api_token.expires_at,
    )
