"""What page views share: the signed-in viewer, link tokens kept in cookies, and how a view
that catches a service's refusal settles the request's transaction."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from usher.api.deps import SessionDep, SettingsDep, session_cookie_name
from usher.api.http import no_store
from usher.auth import service as auth_service
from usher.config import Settings
from usher.errors import NotAuthenticated, UsherError
from usher.models import Organization, User

# --- the signed-in viewer -----------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """Who is looking at the page: their session, organization and standing, for the header
    and for what the navigation offers."""

    auth: auth_service.Authenticated
    me: auth_service.Me

    @property
    def user(self) -> User:
        return self.auth.user

    @property
    def organization(self) -> Organization:
        return self.me.organization

    @property
    def is_org_admin(self) -> bool:
        return self.me.is_org_admin

    def can(self, permission: str) -> bool:
        """Whether the viewer holds one of Usher's permissions anywhere (for navigation; the
        services decide each action)."""
        return permission in self.me.permissions

    @property
    def sees_admin(self) -> bool:
        return any(
            self.can(p)
            for p in ("users.read", "org_units.read", "teams.read", "audit.read", "settings.read")
        )


def get_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer | None:
    """The signed-in user from the session cookie, or None (pages redirect to sign-in)."""
    token = request.cookies.get(session_cookie_name(settings))
    if not token:
        return None
    try:
        auth = auth_service.authenticate_session(session, token)
    except NotAuthenticated:
        return None
    return Viewer(auth=auth, me=auth_service.me(session, auth.user))


ViewerDep = Annotated[Viewer | None, Depends(get_viewer)]


def has_session_cookie(request: Request, settings: Settings) -> bool:
    return bool(request.cookies.get(session_cookie_name(settings)))


def redirect(url: str) -> RedirectResponse:
    """See-other: after a form post, and wherever a page sends the browser on."""
    return RedirectResponse(url, status_code=303)


# --- transactions -------------------------------------------------------------------------


def settle_refusal(session: Session, exc: UsherError) -> None:
    """Settle the transaction after catching a service's refusal to re-render a form.

    The view then returns normally, so the unit of work would commit whatever the service did
    before refusing. Do here what the unit of work does when the error propagates: keep the
    work the error marks ``keep_work`` (the audit event of a refused sign-in), undo the rest.
    """
    if exc.keep_work:
        session.commit()
    else:
        session.rollback()


def split_errors(
    exc: UsherError, fields: Collection[str]
) -> tuple[dict[str, list[str]], str | None]:
    """A refusal's messages for a form: those about its fields go beside them, anything else
    becomes the form's message, so nothing the service said is lost."""
    errors = exc.errors or {}
    beside = {name: messages for name, messages in errors.items() if name in fields}
    rest = [m for name, messages in errors.items() if name not in fields for m in messages]
    if rest:
        return beside, " ".join(rest)
    return beside, None if beside else exc.message


# --- link tokens out of the URL -----------------------------------------------------------


@dataclass(frozen=True)
class LinkCookie:
    """Holds the secret token of an emailed link, so the page the link opens has no token in
    its URL (history, Referer, screenshots, analytics) and the token never reaches scripts."""

    name: str
    path: str

    def cookie_name(self, settings: Settings) -> str:
        # __Host- needs Path=/; __Secure- still pins the cookie to HTTPS.
        return f"__Secure-{self.name}" if settings.is_secure else self.name

    def read(self, request: Request, settings: Settings) -> str | None:
        return request.cookies.get(self.cookie_name(settings)) or None

    def hold(self, token: str, settings: Settings, *, max_age: int) -> RedirectResponse:
        """Answer the emailed link: keep its token in the cookie and go to the tokenless page."""
        response = redirect(self.path)
        # No real token is this long; a longer one is cut rather than refused, and then
        # reads as unknown on the next page.
        response.set_cookie(
            self.cookie_name(settings),
            token[:256],
            max_age=max_age,
            httponly=True,
            secure=settings.is_secure,
            samesite="lax",
            path=self.path,
        )
        no_store(response)
        return response

    def drop(self, response: Response, settings: Settings) -> None:
        response.delete_cookie(
            self.cookie_name(settings),
            path=self.path,
            secure=settings.is_secure,
            httponly=True,
            samesite="lax",
        )


REGISTER_LINK = LinkCookie("usher_register", "/register")
RESET_LINK = LinkCookie("usher_reset", "/reset")
REGISTER_LINK_SECONDS = 3600
