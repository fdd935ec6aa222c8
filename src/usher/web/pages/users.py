"""Administrator → Users → User Management: the list of users (search, status filter, sort,
cursor pages) and a user's detail page. The Add new user form and the row actions live in
``users_form`` and ``users_actions``; this router carries theirs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from usher.api.deps import ClientDep, SessionDep, SettingsDep
from usher.errors import ValidationFailed
from usher.kit.spreadsheet import SheetFormat
from usher.models import OrgUnit, Team, User
from usher.models.user import UserStatus
from usher.users import export as users_export
from usher.users import service as users_service
from usher.users.service import UserFilters
from usher.web.deps import Viewer, ViewerDep, redirect
from usher.web.pages import users_access, users_actions, users_form, users_import
from usher.web.pages.users_shared import (
    LIST_PATH,
    PAGE_SIZE,
    format_phone,
    parse_user_id,
    render_part,
    require_admin,
)
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
# First, so that /admin/users/new is not taken for the detail page of a user called "new".
router.include_router(users_form.router)
router.include_router(users_actions.router)
router.include_router(users_access.router)
router.include_router(users_import.router)

QueryText = Annotated[str, Query(max_length=1000)]

# Columns the list sorts by, with the direction a first click gives: newest first for dates.
SORTS = {
    "name": ("Name", "asc"),
    "email": ("Email", "asc"),
    "registered_at": ("Registered", "desc"),
    "last_activity_at": ("Last activity", "desc"),
}
STATUSES = [("", "All statuses")] + [(s.value, s.value.capitalize()) for s in UserStatus]
# Notices after an action sent the browser back here (?done=...); never free text from the URL.
NOTICES = {
    "deleted": "The user was deleted. They lost access immediately.",
    "disabled": "The user is disabled: their sessions and API tokens have ended.",
    "enabled": "The user is enabled again.",
    "resent": "A new invitation is on its way. The previous link no longer works.",
    "invited": "The invitation is on its way.",
    "updated": "The changes are saved.",
}


@dataclass(frozen=True)
class ListQuery:
    """The list's state as its address holds it, so a reload or a shared link shows the same."""

    q: str = ""
    status: str = ""
    sort: str = "name"
    order: str = "asc"
    cursor: str = ""
    page: int = 1

    @classmethod
    def parse(
        cls, *, q: str, status: str, sort: str, order: str, cursor: str, page: str
    ) -> ListQuery:
        # Anything the page would not make itself falls back to the default, never an error.
        sort = sort if sort in SORTS else "name"
        return cls(
            q=" ".join(q.split())[:200],
            status=status if status in {s.value for s in UserStatus} else "",
            sort=sort,
            order=order if order in ("asc", "desc") else SORTS[sort][1],
            cursor=cursor[:1000],
            page=max(1, min(int(page), 100_000)) if page.isdigit() else 1,
        )

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.status)

    def params(self, **changes: Any) -> dict[str, str]:
        state = replace(self, **changes)
        values = {
            "q": state.q,
            "status": state.status,
            "sort": state.sort if state.sort != "name" else "",
            "order": state.order if state.order != SORTS[state.sort][1] else "",
            "cursor": state.cursor,
            "page": str(state.page) if state.cursor and state.page > 1 else "",
        }
        return {k: v for k, v in values.items() if v}

    def url(self, **changes: Any) -> str:
        params = self.params(**changes)
        return LIST_PATH + ("?" + urlencode(params) if params else "")

    def sort_url(self, column: str) -> str:
        if column == self.sort:
            order = "desc" if self.order == "asc" else "asc"
        else:
            order = SORTS[column][1]
        return self.url(sort=column, order=order, cursor="", page=1)

    def aria_sort(self, column: str) -> str:
        if column != self.sort:
            return "none"
        return "ascending" if self.order == "asc" else "descending"

    def export_url(self, format: str) -> str:
        """The Export download of what the list shows now (its search and filter)."""
        params = {"format": format, "q": self.q, "status": self.status}
        return LIST_PATH + "/export?" + urlencode({k: v for k, v in params.items() if v})


@dataclass(frozen=True)
class Row:
    user: User
    phone: str | None
    teams: list[Team]
    unit: OrgUnit | None


@dataclass(frozen=True)
class Listing:
    query: ListQuery
    rows: list[Row]
    total: int
    next_url: str | None
    first_url: str | None
    message: str | None = None

    @property
    def first_number(self) -> int:
        return (self.query.page - 1) * PAGE_SIZE + 1

    @property
    def last_number(self) -> int:
        return self.first_number + len(self.rows) - 1

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _listing(session: Session, viewer: Viewer, query: ListQuery) -> Listing:
    message = None
    try:
        page, next_cursor = _page(session, viewer, query)
    except ValidationFailed:
        # An old or edited cursor: a read, so nothing to undo; show the first page instead.
        query = replace(query, cursor="", page=1)
        page, next_cursor = _page(session, viewer, query)
        message = "That page of the list is out of date, so here is the first page."
    rows = [
        Row(
            user=u,
            phone=format_phone(u.phone),
            teams=page.teams.get(u.id, []),
            unit=page.units.get(u.org_unit_id) if u.org_unit_id else None,
        )
        for u in page.users
    ]
    return Listing(
        query=query,
        rows=rows,
        total=page.total,
        next_url=query.url(cursor=next_cursor, page=query.page + 1) if next_cursor else None,
        first_url=query.url(cursor="", page=1) if query.cursor else None,
        message=message,
    )


def _page(
    session: Session, viewer: Viewer, query: ListQuery
) -> tuple[users_service.Page, str | None]:
    return users_service.list_users(
        session,
        viewer.user,
        filters=UserFilters(
            q=query.q or None, statuses=[UserStatus(query.status)] if query.status else []
        ),
        sort=query.sort,
        descending=query.order == "desc",
        cursor=query.cursor or None,
        limit=PAGE_SIZE,
    )


@router.get("/admin")
def administrator(viewer: ViewerDep) -> Response:
    return redirect(LIST_PATH if viewer is not None else "/login")


@router.get(LIST_PATH)
def user_management(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    q: QueryText = "",
    status: QueryText = "",
    sort: QueryText = "",
    order: QueryText = "",
    cursor: QueryText = "",
    page: QueryText = "",
    done: QueryText = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    query = ListQuery.parse(q=q, status=status, sort=sort, order=order, cursor=cursor, page=page)
    listing = _listing(session, admin, query)
    return render(
        request,
        "users/list.html",
        viewer=admin,
        active="users",
        listing=listing,
        sorts=SORTS,
        statuses=STATUSES,
        notice=NOTICES.get(done),
        **users_form.add_form_context(session, admin),
    )


@router.get(LIST_PATH + "/table")
def user_table(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    q: QueryText = "",
    status: QueryText = "",
    sort: QueryText = "",
    order: QueryText = "",
    cursor: QueryText = "",
    page: QueryText = "",
) -> Response:
    """The results part of the list, for the search box to swap in as you type."""
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    query = ListQuery.parse(q=q, status=status, sort=sort, order=order, cursor=cursor, page=page)
    return render_part(
        request,
        "users/_results.html",
        viewer=admin,
        listing=_listing(session, admin, query),
        sorts=SORTS,
    )


@router.get(LIST_PATH + "/export")
def export_users(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    client: ClientDep,
    format: QueryText = "",
    q: QueryText = "",
    status: QueryText = "",
    team: QueryText = "",
    org_unit: QueryText = "",
) -> Response:
    """The Export button: the list as it is filtered now, as a CSV or XLSX download."""
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    if format not in {f.value for f in SheetFormat}:
        raise ValidationFailed.field("format", "Export as csv or xlsx.")
    query = ListQuery.parse(q=q, status=status, sort="", order="", cursor="", page="")
    started = users_export.start_export(
        session,
        admin.user,
        filters=UserFilters(
            q=query.q or None,
            statuses=[UserStatus(query.status)] if query.status else [],
            org_unit_id=_id_param("org_unit", org_unit),
            team_ids=[t for t in [_id_param("team", team)] if t],
        ),
        format=SheetFormat(format),
        client=client,
    )
    return StreamingResponse(
        users_export.export_file(request.app.state.session_factory, started),
        media_type=started.format.media_type,
        headers={"Content-Disposition": f'attachment; filename="{started.filename}"'},
    )


def _id_param(name: str, raw: str) -> uuid.UUID | None:
    # Not left out when wrong: without it the download would hold more than was asked for.
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        raise ValidationFailed.field(name, f"The {name} in the address is not an id.") from None


@router.get(LIST_PATH + "/{user_id}")
def user_detail(
    user_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    done: QueryText = "",
    tab: QueryText = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    return users_access.render_user_detail(
        request,
        session,
        admin,
        parse_user_id(user_id),
        tab=tab,
        notice=NOTICES.get(done) or users_access.NOTICES.get(done),
    )
