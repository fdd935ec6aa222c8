"""Sign in, sign out, and resetting a forgotten password."""

from __future__ import annotations

import unicodedata
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response

from usher.api.deps import ClientDep, SessionDep, SettingsDep
from usher.api.http import clear_session_cookie, no_store, set_session_cookie
from usher.auth import service as auth_service
from usher.auth.passwords import MIN_LENGTH, POLICY_TEXT
from usher.config import Settings
from usher.errors import InvalidCredentials, RateLimited, ResetLinkInvalid, ValidationFailed
from usher.web.csrf import CsrfDep
from usher.web.deps import RESET_LINK, ViewerDep, redirect, settle_refusal, split_errors
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

SlugField = Annotated[str, Form(max_length=63)]
EmailField = Annotated[str, Form(max_length=320)]
PasswordField = Annotated[str, Form(max_length=1024)]

# Messages for the sign-in page after a redirect (?done=...); never free text from the URL.
NOTICES = {
    "signed_out": "You have signed out.",
    "reset": "Your password has been changed. Sign in with it now.",
    "session_ended": "Your session has ended. Sign in again.",
}
FORGOT_ANSWER = auth_service.RESET_REQUESTED
RESET_GONE = "This reset link is missing, used or expired. Ask for a new one below."


def _check_fields(**fields: tuple[str, str]) -> dict[str, list[str]]:
    """Field errors for blank fields and for control characters (PostgreSQL refuses NUL, and
    no slug or email holds one): name=(value, what to enter)."""
    errors: dict[str, list[str]] = {}
    for name, (value, what) in fields.items():
        if not value.strip():
            errors[name] = [f"Enter {what}."]
        elif any(unicodedata.category(c) == "Cc" for c in value):
            errors[name] = ["Remove the control characters (such as a line break)."]
    return errors


# --- sign in and out ----------------------------------------------------------------------


@router.get("/login")
def login_form(
    request: Request, viewer: ViewerDep, organization: str = "", done: str = ""
) -> Response:
    if viewer is not None:
        return redirect("/account")
    return _login_form(request, organization=organization[:63], notice=NOTICES.get(done))


@router.post("/login")
def login(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    organization: SlugField = "",
    email: EmailField = "",
    password: PasswordField = "",
) -> Response:
    errors = _check_fields(
        organization=(organization, "your organization's sign-in name"),
        email=(email, "your email address"),
    )
    if not password:  # any character may be in a password
        errors["password"] = ["Enter your password."]
    if errors:
        return _login_form(
            request, organization=organization, email=email, errors=errors, status=422
        )
    try:
        token, _user = auth_service.login(
            session, organization=organization, email=email, password=password, client=client
        )
    except (InvalidCredentials, RateLimited) as exc:
        # Keeps the audit event of the refused attempt (both errors are keep_work).
        settle_refusal(session, exc)
        return _login_form(
            request,
            organization=organization,
            email=email,
            message=exc.message,
            status=exc.status,
            headers=exc.headers,
        )
    response = redirect("/account")
    set_session_cookie(response, settings, token)
    no_store(response)
    return response


def _login_form(
    request: Request,
    *,
    organization: str = "",
    email: str = "",
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    notice: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "auth/login.html",
        status=status,
        headers=headers,
        organization=organization,
        email=email,
        errors=errors or {},
        message=message,
        notice=notice,
    )


@router.post("/logout")
def logout(
    _csrf: CsrfDep, session: SessionDep, settings: SettingsDep, client: ClientDep, viewer: ViewerDep
) -> Response:
    if viewer is not None:
        auth_service.end_session(session, viewer.auth, client=client)
    response = redirect("/login?done=signed_out")
    clear_session_cookie(response, settings)
    return response


# --- forgotten password -------------------------------------------------------------------


@router.get("/forgot")
def forgot_form(request: Request, sent: str = "") -> Response:
    return render(
        request,
        "auth/forgot.html",
        sent=bool(sent),
        answer=FORGOT_ANSWER,
        organization="",
        email="",
    )


@router.post("/forgot")
def forgot(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    organization: SlugField = "",
    email: EmailField = "",
) -> Response:
    errors = _check_fields(
        organization=(organization, "your organization's sign-in name"),
        email=(email, "your email address"),
    )
    if errors:
        return render(
            request,
            "auth/forgot.html",
            status=422,
            sent=False,
            answer=FORGOT_ANSWER,
            organization=organization,
            email=email,
            errors=errors,
        )
    try:
        auth_service.request_password_reset(
            session, organization=organization, email=email, client=client
        )
    except RateLimited as exc:
        settle_refusal(session, exc)
        return render(
            request,
            "auth/forgot.html",
            status=exc.status,
            headers=exc.headers,
            sent=False,
            answer=FORGOT_ANSWER,
            organization=organization,
            email=email,
            message=exc.message,
        )
    # The same answer whether or not the account exists.
    return redirect("/forgot?sent=1")


@router.get("/reset/{token}")
def open_reset_link(token: str, settings: SettingsDep) -> Response:
    """Move the token out of the address bar into a cookie; the link is not used up here."""
    return RESET_LINK.hold(token, settings, max_age=settings.password_reset_minutes * 60)


@router.get("/reset")
def reset_form(request: Request, settings: SettingsDep) -> Response:
    if RESET_LINK.read(request, settings) is None:
        return _reset_gone(request, settings)
    return _reset_form(request)


@router.post("/reset")
def reset(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    password: PasswordField = "",
    password_confirm: PasswordField = "",
) -> Response:
    token = RESET_LINK.read(request, settings)
    if token is None:
        return _reset_gone(request, settings)
    if password != password_confirm:
        return _reset_form(
            request,
            status=422,
            errors={"password_confirm": ["The two passwords are not the same."]},
        )
    try:
        user = auth_service.reset_password(session, token=token, password=password, client=client)
    except ValidationFailed as exc:
        settle_refusal(session, exc)
        errors, message = split_errors(exc, ("password", "password_confirm"))
        return _reset_form(request, status=422, errors=errors, message=message)
    except ResetLinkInvalid as exc:
        settle_refusal(session, exc)
        return _reset_gone(request, settings)
    org = auth_service.me(session, user).organization
    response = redirect("/login?" + urlencode({"done": "reset", "organization": org.slug}))
    RESET_LINK.drop(response, settings)
    # Every session of the user ended with the reset, this browser's too.
    clear_session_cookie(response, settings)
    no_store(response)
    return response


def _reset_form(
    request: Request,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
) -> Response:
    response = render(
        request,
        "auth/reset.html",
        status=status,
        policy=POLICY_TEXT,
        min_length=MIN_LENGTH,
        errors=errors or {},
        message=message,
    )
    no_store(response)
    return response


def _reset_gone(request: Request, settings: Settings) -> Response:
    response = render(
        request,
        "auth/forgot.html",
        status=400,
        sent=False,
        answer=FORGOT_ANSWER,
        organization="",
        email="",
        message=RESET_GONE,
    )
    RESET_LINK.drop(response, settings)
    no_store(response)
    return response
