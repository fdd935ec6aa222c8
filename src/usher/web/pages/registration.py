"""Registration: the invitation link, the form with the invited person's details locked,
accepting it with a password, and asking for a new invitation when the link no longer works."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from usher.api.deps import ClientDep, SessionDep, SettingsDep
from usher.api.http import no_store, set_session_cookie
from usher.auth import service as auth_service
from usher.auth.passwords import MIN_LENGTH, POLICY_TEXT
from usher.config import Settings
from usher.errors import Conflict, InvitationGone, NotFound, RateLimited, ValidationFailed
from usher.invitations import service as invitations
from usher.web.csrf import CsrfDep
from usher.web.deps import (
    REGISTER_LINK,
    REGISTER_LINK_SECONDS,
    redirect,
    settle_refusal,
    split_errors,
)
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PasswordField = Annotated[str, Form(max_length=1024)]
PASSWORD_FIELDS = ("password", "password_confirm")

# Headings for a link that no longer opens the form; the service says the rest in its message.
GONE_TITLES = {
    "accepted": "Invitation already used",
    "revoked": "Invitation withdrawn",
    "superseded": "Invitation replaced by a newer one",
    "expired": "Invitation expired",
    "unknown": "Invitation link not valid",
    "missing": "Open your invitation link",
    "disabled": "Account disabled",
    "limited": "Please wait a moment",
    "asked": "New invitation requested",
}
# Links whose holder is still waiting to join: the page offers to ask the admins for a new one,
# and keeps the link's cookie for that.
ASKABLE = ("expired", "revoked", "superseded")
ASKED_MESSAGE = (
    "The administrators of your organization have been asked to send you a new invitation. "
    "It will reach you by email or from one of them directly; you can close this page."
)
MISSING_MESSAGE = (
    "This page needs the registration link from your invitation, and this browser no longer "
    "has it. Open the link from your invitation again: it keeps working until you finish "
    "registering."
)


# Declared before /register/{token}, which would take "asked" for a token.
@router.get("/register/asked")
def invitation_requested(request: Request, settings: SettingsDep) -> Response:
    """Where asking for a new invitation leads: the same words whether mail went out now or
    on an earlier ask."""
    return _link_gone(request, settings, "asked", ASKED_MESSAGE, 200)


@router.post("/register/ask")
def ask_for_new_invitation(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
) -> Response:
    """The button on the page of an expired, withdrawn or replaced link."""
    token = REGISTER_LINK.read(request, settings)
    if token is None:
        return _link_gone(request, settings, "missing", MISSING_MESSAGE, 400)
    try:
        invitations.request_new_invitation(session, token=token, client=client)
    except NotFound as exc:
        settle_refusal(session, exc)
        return _gone(request, settings, exc)
    except RateLimited as exc:
        settle_refusal(session, exc)
        return _link_gone(
            request, settings, "limited", exc.message, exc.status, headers=exc.headers
        )
    except Conflict as exc:
        settle_refusal(session, exc)
        reason = str(exc.extra.get("reason", "unknown"))
        if reason == "open":  # the link works after all: to the form
            return redirect("/register")
        return _link_gone(request, settings, reason, exc.message, exc.status)
    response = redirect("/register/asked")
    REGISTER_LINK.drop(response, settings)
    no_store(response)
    return response


@router.get("/register/{token}")
def open_invitation_link(token: str, settings: SettingsDep) -> Response:
    """Move the token out of the address bar into a cookie; the link is not used up here."""
    return REGISTER_LINK.hold(token, settings, max_age=REGISTER_LINK_SECONDS)


@router.get("/register")
def registration_form(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    token = REGISTER_LINK.read(request, settings)
    if token is None:
        return _link_gone(request, settings, "missing", MISSING_MESSAGE, 400)
    try:
        # Reading does not use up the invitation: mail scanners open links too.
        preview = invitations.preview(session, token)
    except (InvitationGone, NotFound) as exc:
        settle_refusal(session, exc)
        return _gone(request, settings, exc)
    return _form(request, preview)


@router.post("/register")
def register(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    password: PasswordField = "",
    password_confirm: PasswordField = "",
) -> Response:
    token = REGISTER_LINK.read(request, settings)
    if token is None:
        return _link_gone(request, settings, "missing", MISSING_MESSAGE, 400)
    try:
        preview = invitations.preview(session, token)
    except (InvitationGone, NotFound) as exc:
        settle_refusal(session, exc)
        return _gone(request, settings, exc)
    if password != password_confirm:
        return _form(
            request,
            preview,
            status=422,
            errors={"password_confirm": ["The two passwords are not the same."]},
        )
    try:
        user = invitations.accept(session, token=token, password=password, client=client)
    except ValidationFailed as exc:
        settle_refusal(session, exc)
        errors, message = split_errors(exc, PASSWORD_FIELDS)
        return _form(request, preview, status=422, errors=errors, message=message)
    except (InvitationGone, NotFound) as exc:  # used up by a request that won the race
        settle_refusal(session, exc)
        return _gone(request, settings, exc)
    session_token, _ = auth_service.start_session(session, user, client=client)
    response = redirect("/account")
    set_session_cookie(response, settings, session_token)
    REGISTER_LINK.drop(response, settings)
    no_store(response)
    return response


def _form(
    request: Request,
    preview: invitations.InvitationPreview,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
) -> Response:
    response = render(
        request,
        "registration/register.html",
        status=status,
        invitation=preview,
        policy=POLICY_TEXT,
        min_length=MIN_LENGTH,
        errors=errors or {},
        message=message,
    )
    no_store(response)
    return response


def _gone(request: Request, settings: Settings, exc: InvitationGone | NotFound) -> Response:
    reason = (
        str(exc.extra.get("reason", "unknown")) if isinstance(exc, InvitationGone) else "unknown"
    )
    return _link_gone(request, settings, reason, exc.message, exc.status)


def _link_gone(
    request: Request,
    settings: Settings,
    reason: str,
    message: str,
    status: int,
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    # A link one may ask a new invitation for keeps its cookie for the ask (it opens nothing
    # now); so does a refused ask, to try again later. Every other link's is dropped.
    can_ask = reason in ASKABLE or reason == "limited"
    response = render(
        request,
        "registration/gone.html",
        status=status,
        headers=headers,
        reason=reason,
        message=message,
        title=GONE_TITLES.get(reason, GONE_TITLES["unknown"]),
        can_ask=can_ask,
    )
    if not can_ask:
        REGISTER_LINK.drop(response, settings)
    no_store(response)
    return response
