"""Typed dependencies: the database session (one transaction per request) and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from usher.auth import service as auth_service
from usher.config import Settings
from usher.db.engine import unit_of_work
from usher.errors import NotAuthenticated
from usher.kit.client import ClientInfo
from usher.models import User


def session_cookie_name(settings: Settings) -> str:
    # The __Host- prefix pins the cookie to this host, path / and HTTPS.
    return "__Host-usher_session" if settings.is_secure else "usher_session"


# The dependencies that do no I/O are ``async def``: FastAPI runs a sync dependency in a
# worker thread, and each such hop costs more than the dependency itself.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed before the response goes out, rolled back on
    error."""
    with unit_of_work(request.app.state.session_factory) as session:
        yield session


async def get_client(request: Request) -> ClientInfo:
    return ClientInfo(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
# scope="function": the transaction ends when the endpoint returns, before the response is
# sent, so a client never sees a response for work that is not yet committed.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
ClientDep = Annotated[ClientInfo, Depends(get_client)]

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer ush_…`")
_cookie_dev = APIKeyCookie(name="usher_session", auto_error=False)


def _session_token(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name(request.app.state.settings))


def authenticate(
    request: Request, session: Session, bearer: HTTPAuthorizationCredentials | None
) -> auth_service.Authenticated:
    """The caller, by API token or session cookie; NotAuthenticated (401) otherwise."""
    if bearer is not None:
        return auth_service.authenticate_api_token(session, bearer.credentials)
    token = _session_token(request)
    if token:
        return auth_service.authenticate_session(session, token)
    raise NotAuthenticated(
        "Sign in first, or send an API token as 'Authorization: Bearer <token>'.",
        headers={"WWW-Authenticate": "Bearer"},
    )


BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
CookieDep = Annotated[str | None, Depends(_cookie_dev)]


def get_authenticated(
    request: Request, session: SessionDep, bearer: BearerDep, _cookie: CookieDep
) -> auth_service.Authenticated:
    return authenticate(request, session, bearer)


AuthDep = Annotated[auth_service.Authenticated, Depends(get_authenticated)]


async def get_current_user(auth: AuthDep) -> User:
    return auth.user


CurrentUser = Annotated[User, Depends(get_current_user)]
