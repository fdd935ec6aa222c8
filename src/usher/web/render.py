"""Rendering pages: the template environment, the headers every page carries, and the route
class that turns an error into an HTML page (never JSON, never a stack trace)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.exceptions import HTTPException as StarletteHTTPException

from usher import __version__
from usher.config import Settings
from usher.errors import UsherError
from usher.web import csrf
from usher.web.deps import Viewer

log = logging.getLogger("usher.web")

HERE = Path(__file__).parent

# No inline script or style anywhere: everything comes from /static.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _utc_text(value: datetime) -> str:
    """What <time> shows until the script has put it in the viewer's own time zone."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["iso"] = _iso
    env.filters["utc_text"] = _utc_text
    env.globals["version"] = __version__
    return env


templates = Jinja2Templates(env=_environment())


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    viewer: Viewer | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """A page, with a CSRF token for its forms (and the cookie it is bound to, if new)."""
    settings = settings_of(request)
    browser, is_new = csrf.browser_id(request, settings)
    values: dict[str, Any] = {
        "viewer": viewer,
        "csrf_field": csrf.FIELD,
        "csrf_token": csrf.form_token(settings, browser),
        "errors": {},
        "message": None,
        "notice": None,
    }
    values.update(context)
    response = templates.TemplateResponse(
        request, template, values, status_code=status, headers=headers
    )
    if is_new:
        csrf.set_cookie(response, settings, browser)
    return response


def add_page_headers(response: Response, settings: Settings) -> None:
    """Security headers for a page; a view may have set a stricter one already."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Pages show personal data and per-browser form tokens: never from a cache, nor from the
    # back button after signing out.
    headers.setdefault("Cache-Control", "no-store")
    if settings.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


class PageError(Exception):
    """Carries an error out of a page route to the HTML error page.

    It passes through the request's unit of work on the way, which commits or rolls back
    exactly as for the original error (it reads ``keep_work``).
    """

    def __init__(self, original: Exception) -> None:
        super().__init__(str(original))
        self.original = original

    @property
    def keep_work(self) -> bool:
        return bool(getattr(self.original, "keep_work", False))


class PageRoute(APIRoute):
    """Route class for pages: security headers on every answer, errors as HTML pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except PageError:
                raise
            except Exception as exc:
                raise PageError(exc) from exc
            add_page_headers(response, settings_of(request))
            return response

        return page_handler


async def error_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    error = exc.original
    status, title, headers = 500, "Something went wrong", {}
    message = "Something went wrong on our side. It has been logged; please try again later."
    # Every form posts back to the page it is on, except signing out.
    form_page = request.url.path if request.url.path != "/logout" else "/"
    back = "/"
    if isinstance(error, csrf.CsrfRejected):
        status, title, message = error.status, "Please reload the page", error.message
        back = form_page
    elif isinstance(error, UsherError):
        status, title, message, headers = error.status, error.title, error.message, error.headers
    elif isinstance(error, RequestValidationError):
        status, title = 400, "Something in the form was not right"
        message = (
            "The form arrived incomplete or with a value that is too long. "
            "Reload the page and try again."
        )
        back = form_page
    elif isinstance(error, StarletteHTTPException):
        status, title, message = error.status_code, str(error.detail), str(error.detail)
    else:
        log.exception("unexpected error on page %s", request.url.path, exc_info=error)
    response = render(
        request,
        "error.html",
        status=status,
        headers=headers,
        title=title,
        message=message,
        back=back,
    )
    add_page_headers(response, settings_of(request))
    return response


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(PageError, error_page)
