"""The signed-in user's own account, and the front door that leads there or to sign-in."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from usher.access.service import member_scope
from usher.api.deps import SessionDep, SettingsDep
from usher.api.http import clear_session_cookie
from usher.users import service as users_service
from usher.web.deps import ViewerDep, has_session_cookie, redirect
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/")
def home(viewer: ViewerDep) -> Response:
    return redirect("/account" if viewer is not None else "/login")


@router.get("/account")
def account(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep
) -> Response:
    if viewer is None:
        if not has_session_cookie(request, settings):
            return redirect("/login")
        response = redirect("/login?done=session_ended")
        clear_session_cookie(response, settings)
        return response
    detail = users_service.get_detail(session, member_scope(viewer.user), viewer.user.id)
    return render(
        request,
        "account/account.html",
        viewer=viewer,
        user=detail.user,
        organization=viewer.organization,
        teams=detail.teams,
        active="account",
    )
