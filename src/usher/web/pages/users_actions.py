"""The Action (⋮) menu of a user: resend the invitation, copy a new shareable link, disable,
enable and delete (after a confirmation that names the user). Every action is a form post
with its CSRF token; each sends the browser back to the list or page it came from."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response

from usher.api.deps import ClientDep, SessionDep, SettingsDep
from usher.api.http import no_store
from usher.errors import Conflict, RateLimited
from usher.invitations import service as invitations
from usher.users import service as users_service
from usher.web.csrf import CsrfDep
from usher.web.deps import Viewer, ViewerDep, redirect, settle_refusal
from usher.web.pages.users_shared import (
    LIST_PATH,
    parse_user_id,
    render_part,
    require_admin,
    safe_next,
    wants_fragment,
    with_done,
)
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NextField = Annotated[str, Form(max_length=2000)]
REFUSED_TITLES = {
    "resend": "The invitation was not sent",
    "link": "No new link was made",
    "disable": "The user was not disabled",
    "enable": "The user was not enabled",
    "delete": "The user was not deleted",
}


def _refused(
    request: Request, viewer: Viewer, action: str, exc: Conflict | RateLimited, back: str
) -> Response:
    context: dict[str, Any] = {
        "title": REFUSED_TITLES[action],
        "message": exc.message,
        "back": back,
    }
    if wants_fragment(request):
        response = render_part(
            request, "users/_refused.html", status=exc.status, viewer=viewer, **context
        )
    else:
        response = render(
            request, "users/refused.html", status=exc.status, viewer=viewer, active="users",
            **context,
        )  # fmt: skip
    response.headers.update(exc.headers)  # Retry-After, when rate limited
    return response


@router.post(LIST_PATH + "/{user_id}/resend")
def resend_invitation(
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    next: NextField = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    back = safe_next(next)
    try:
        issued = invitations.resend(
            session, admin.user, user_id=parse_user_id(user_id), client=client
        )
    except (Conflict, RateLimited) as exc:
        settle_refusal(session, exc)
        return _refused(request, admin, "resend", exc, back)
    if wants_fragment(request):
        detail = users_service.get_user(session, admin.user, user_id=issued.invitation.user_id)
        return render_part(
            request,
            "users/_action_result.html",
            viewer=admin,
            kind="resent",
            user=detail.user,
            invitation=detail.invitation,
            registration_url=None,
        )
    return redirect(with_done(back, "resent"))


@router.post(LIST_PATH + "/{user_id}/link")
def new_shareable_link(
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    next: NextField = "",
) -> Response:
    """A new link to copy; shown in the answer to the post, never put in an address."""
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    back = safe_next(next)
    try:
        issued = invitations.regenerate_link(
            session, admin.user, user_id=parse_user_id(user_id), client=client
        )
    except (Conflict, RateLimited) as exc:
        settle_refusal(session, exc)
        return _refused(request, admin, "link", exc, back)
    detail = users_service.get_user(session, admin.user, user_id=issued.invitation.user_id)
    context: dict[str, Any] = {
        "kind": "link",
        "user": detail.user,
        "invitation": detail.invitation,
        "registration_url": issued.registration_url,
        "back": back,
    }
    if wants_fragment(request):
        response = render_part(request, "users/_action_result.html", viewer=admin, **context)
    else:
        response = render(request, "users/link.html", viewer=admin, active="users", **context)
    no_store(response)
    return response


@router.post(LIST_PATH + "/{user_id}/disable")
def disable_user(
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    next: NextField = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    back = safe_next(next)
    try:
        users_service.disable_user(
            session, admin.user, user_id=parse_user_id(user_id), client=client
        )
    except Conflict as exc:
        settle_refusal(session, exc)
        return _refused(request, admin, "disable", exc, back)
    return redirect(with_done(back, "disabled"))


@router.post(LIST_PATH + "/{user_id}/enable")
def enable_user(
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    next: NextField = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    back = safe_next(next)
    users_service.enable_user(session, admin.user, user_id=parse_user_id(user_id), client=client)
    return redirect(with_done(back, "enabled"))


@router.get(LIST_PATH + "/{user_id}/delete")
def confirm_delete(
    user_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    next: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """The confirmation as a page, for a browser without the script (which uses a dialog)."""
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    detail = users_service.get_user(session, admin.user, user_id=parse_user_id(user_id))
    back = safe_next(next)
    return render(
        request, "users/delete.html", viewer=admin, active="users", user=detail.user, back=back
    )


@router.post(LIST_PATH + "/{user_id}/delete")
def delete_user(
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    next: NextField = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    uid = parse_user_id(user_id)
    back = safe_next(next)
    if back.startswith(f"{LIST_PATH}/{uid}"):  # the deleted user's own page is gone with them
        back = LIST_PATH
    try:
        users_service.delete_user(session, admin.user, user_id=uid, client=client)
    except Conflict as exc:
        settle_refusal(session, exc)
        return _refused(request, admin, "delete", exc, back)
    return redirect(with_done(back, "deleted"))
