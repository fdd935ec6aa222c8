"""CSRF protection for every form: a signed double-submit token bound to a per-browser cookie.

The browser gets a cookie with 256 random bits (its *browser id*); every form carries
HMAC-SHA256(secret key, browser id). A page on another site can make the browser send the
cookie, but can neither read it nor compute its HMAC, so it cannot fill in the form field.
On HTTPS the cookie takes the ``__Host-`` prefix, so a sibling subdomain cannot plant one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Annotated

from fastapi import Depends, Form, Request, Response

from usher.api.deps import SettingsDep
from usher.config import Settings
from usher.errors import UsherError

FIELD = "csrf_token"
_COOKIE = "usher_csrf"
_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
# Sec-Fetch-Site values a form of ours can never send; refused before the token is looked at.
_FOREIGN_SITES = {"cross-site", "same-site"}


class CsrfRejected(UsherError):
    status, code, title = 403, "csrf_failed", "Form expired"


def cookie_name(settings: Settings) -> str:
    return "__Host-usher_csrf" if settings.is_secure else _COOKIE


def browser_id(request: Request, settings: Settings) -> tuple[str, bool]:
    """This browser's id, and whether it is new (then the response must set the cookie)."""
    value = request.cookies.get(cookie_name(settings), "")
    if _BROWSER_ID.match(value):
        return value, False
    return secrets.token_urlsafe(32), True


def form_token(settings: Settings, browser: str) -> str:
    # The purpose label keeps this MAC from ever equalling another use of the same key.
    mac = hmac.new(
        settings.secret_key.encode(), b"usher.csrf\x00" + browser.encode(), hashlib.sha256
    )
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def is_valid(settings: Settings, browser: str | None, token: str) -> bool:
    if not browser or not token or not _BROWSER_ID.match(browser):
        return False
    return hmac.compare_digest(form_token(settings, browser).encode(), token.encode())


def set_cookie(response: Response, settings: Settings, browser: str) -> None:
    # No max-age: it lives as long as the browser session, so an open form does not go stale.
    response.set_cookie(
        cookie_name(settings),
        browser,
        httponly=True,
        secure=settings.is_secure,
        samesite="lax",
        path="/",
    )


def require_csrf(
    request: Request,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> None:
    """Refuse a form post that did not come from a page this browser got from us."""
    refused = CsrfRejected(
        "This form has expired or did not come from this site. Reload the page and try again."
    )
    if request.headers.get("sec-fetch-site", "").lower() in _FOREIGN_SITES:
        raise refused
    if not is_valid(settings, request.cookies.get(cookie_name(settings)), csrf_token):
        raise refused


CsrfDep = Annotated[None, Depends(require_csrf)]
