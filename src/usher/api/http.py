"""Response helpers shared by the API and the pages: the session cookie and no-store headers."""

from __future__ import annotations

from fastapi import Response

from usher.api.deps import session_cookie_name
from usher.config import Settings


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        session_cookie_name(settings),
        token,
        max_age=settings.session_absolute_hours * 3600,
        httponly=True,
        secure=settings.is_secure,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        secure=settings.is_secure,
        httponly=True,
        samesite="lax",
    )


def no_store(response: Response) -> None:
    """For responses that carry a secret token: never cached, never sent on as a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
