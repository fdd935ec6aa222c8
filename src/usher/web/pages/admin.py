"""Administrator pages: the tree of organization units, the audit log and the organization's
settings. Organization Admins only; every rule is the services', the pages only ask."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy.orm import Session

from usher.api.deps import ClientDep, SessionDep
from usher.audit import service as audit
from usher.errors import Conflict, NotFound, NotPermitted, UsherError, ValidationFailed
from usher.models import AuditEvent, Organization
from usher.orgs import service as orgs
from usher.web.csrf import CsrfDep
from usher.web.deps import (
    Viewer,
    ViewerDep,
    redirect,
    settle_refusal,
    split_errors,
)
from usher.web.pages.users_shared import require_admin
from usher.web.render import PageRoute, render, settings_of

router = APIRouter(route_class=PageRoute, include_in_schema=False)

NameField = Annotated[str, Form(max_length=1000)]
IdField = Annotated[str, Form(max_length=100)]
NumberField = Annotated[str, Form(max_length=100)]
QueryText = Annotated[str, Query(max_length=320)]

NOT_AN_ADMIN = (
    "Only members of the Organization Admin team can open this page. "
    "Ask one of them if something here needs changing."
)


def _gate(request: Request, session: Session, viewer: Viewer | None) -> Viewer | Response:
    """The viewer if they may see admin pages; the way to sign in if nobody is signed in;
    a 403 page (by raising) for a member without admin rights."""
    try:
        return require_admin(request, session, settings_of(request), viewer)
    except NotPermitted:
        raise NotPermitted(NOT_AN_ADMIN) from None


def _check_mark(errors: Mapping[str, Sequence[str]], message: str | None) -> str | None:
    """The form's message: the service's own, else a pointer to the fields marked."""
    if message or not errors:
        return message
    return "Check the field marked below." if len(errors) == 1 else "Check the fields marked below."


# --- organization units -------------------------------------------------------------------

UNIT_NOTICES = {
    "added": "“{name}” was added.",
    "renamed": "The unit is now called “{name}”.",
    "moved": "“{name}” was moved.",
    "deleted": "The unit was deleted.",
}
UNIT_FIELDS = ("name", "parent_id", "unit_id")
# Options of a unit picker indent each level by this much (silent for screen readers).
INDENT = "\u00a0" * 4


@dataclass(frozen=True)
class UnitForm:
    """What one form on the units page sent back, to show again with its errors."""

    form: str  # add | rename | move | delete
    unit_id: uuid.UUID | None = None
    values: Mapping[str, str] | None = None
    errors: Mapping[str, Sequence[str]] | None = None
    message: str | None = None


@router.get("/admin/org-units")
def org_units_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    done: QueryText = "",
    unit: QueryText = "",
    move: QueryText = "",
) -> Response:
    gate = _gate(request, session, viewer)
    if not isinstance(gate, Viewer):
        return gate
    tree = orgs.org_unit_tree(session, gate.user)
    notice = None
    if done in UNIT_NOTICES:
        names = {str(n.unit.id): n.unit.name for n in tree.nodes}
        if done == "deleted" or unit in names:
            notice = UNIT_NOTICES[done].format(name=names.get(unit, ""))
    # "Move…" on a unit comes here with ?move=<id>: the move form starts with it chosen.
    moving = UnitForm("move", values={"unit_id": move, "parent_id": ""}) if move else None
    return _units(request, tree=tree, viewer=gate, notice=notice, focus=unit, refused=moving)


@router.post("/admin/org-units")
def add_org_unit(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
    name: NameField = "",
    parent_id: IdField = "",
) -> Response:
    gate = _gate(request, session, viewer)
    if not isinstance(gate, Viewer):
        return gate
    values = {"name": name, "parent_id": parent_id}
    try:
        unit = orgs.create_org_unit(
            session,
            gate.user,
            name=name,
            parent_id=_unit_id(parent_id, "parent_id"),
            client=client,
        )
    except (ValidationFailed, Conflict) as exc:
        return _unit_refused(request, session, gate, exc, UnitForm("add", values=values))
    return _to_unit("added", unit.id)


@router.post("/admin/org-units/{unit_id}/rename")
def rename_org_unit(
    unit_id: uuid.UUID,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
    name: NameField = "",
) -> Response:
    gate = _gate(request, session, viewer)
    if not isinstance(gate, Viewer):
        return gate
    try:
        orgs.rename_org_unit(session, gate.user, unit_id=unit_id, name=name, client=client)
    except (ValidationFailed, Conflict) as exc:
        form = UnitForm("rename", unit_id, values={"name": name})
        return _unit_refused(request, session, gate, exc, form)
    return _to_unit("renamed", unit_id)


@router.post("/admin/org-units/move")
def move_org_unit(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
    unit_id: IdField = "",
    parent_id: IdField = "",
) -> Response:
    """One form for every move: the unit, and where it goes (HTML stays small in big trees)."""
    gate = _gate(request, session, viewer)
    if not isinstance(gate, Viewer):
        return gate
    values = {"unit_id": unit_id, "parent_id": parent_id}
    try:
        unit = _unit_id(unit_id, "unit_id")
        if unit is None:
            raise ValidationFailed.field("unit_id", "Choose the unit to move.")
        orgs.move_org_unit(
            session,
            gate.user,
            unit_id=unit,
            parent_id=_unit_id(parent_id, "parent_id"),
            client=client,
        )
    except NotFound as exc:  # deleted meanwhile, or never one of ours
        settle_refusal(session, exc)
        refused = ValidationFailed.field("unit_id", "That unit no longer exists.")
        return _unit_refused(request, session, gate, refused, UnitForm("move", values=values))
    except (ValidationFailed, Conflict) as exc:
        return _unit_refused(request, session, gate, exc, UnitForm("move", values=values))
    return _to_unit("moved", unit)


@router.post("/admin/org-units/{unit_id}/delete")
def delete_org_unit(
    unit_id: uuid.UUID,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
) -> Response:
    gate = _gate(request, session, viewer)
    if not isinstance(gate, Viewer):
        return gate
    try:
        orgs.delete_org_unit(session, gate.user, unit_id=unit_id, client=client)
    except (ValidationFailed, Conflict) as exc:
        return _unit_refused(request, session, gate, exc, UnitForm("delete", unit_id))
    return redirect("/admin/org-units?done=deleted")


def _unit_id(value: str, field: str) -> uuid.UUID | None:
    """A unit picked from a list: none for the top level."""
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        raise ValidationFailed.field(field, "Choose a unit from the list.") from None


def _to_unit(done: str, unit_id: uuid.UUID) -> Response:
    return redirect(f"/admin/org-units?done={done}&unit={unit_id}#unit-{unit_id}")


def _unit_refused(
    request: Request, session: Session, viewer: Viewer, exc: UsherError, form: UnitForm
) -> Response:
    settle_refusal(session, exc)
    errors, message = split_errors(exc, UNIT_FIELDS)
    form = UnitForm(form.form, form.unit_id, form.values, errors, _check_mark(errors, message))
    tree = orgs.org_unit_tree(session, viewer.user)
    return _units(
        request,
        tree=tree,
        viewer=viewer,
        status=exc.status,
        refused=form,
        focus=str(form.unit_id or ""),
    )


def _units(
    request: Request,
    *,
    tree: orgs.OrgUnitTree,
    viewer: Viewer,
    status: int = 200,
    refused: UnitForm | None = None,
    notice: str | None = None,
    focus: str = "",
) -> Response:
    return render(
        request,
        "admin/org_units.html",
        status=status,
        viewer=viewer,
        active="org-units",
        tree=tree,
        nodes=tree.nodes,
        unit_options=_unit_options(tree),
        refused=refused,
        notice=notice,
        focus=focus,
    )


def _unit_options(tree: orgs.OrgUnitTree) -> list[tuple[str, str, dict[str, str]]]:
    """Every unit for a picker, indented by depth; ``data-path`` lists the unit and its
    ancestors, so the page's script can grey out the places a chosen unit cannot go."""
    options: list[tuple[str, str, dict[str, str]]] = []

    def add(nodes: list[orgs.OrgUnitNode], path: list[str]) -> None:
        for node in nodes:
            here = [*path, str(node.unit.id)]
            text = INDENT * node.depth + node.unit.name
            options.append((str(node.unit.id), text, {"data-path": " ".join(here)}))
            add(node.children, here)

    add(tree.roots, [])
    return options


# --- audit log ----------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50
AUDIT_FIELDS = ("actor", "action", "target", "since", "until")
STALE_CURSOR = "This page link is out of date. Start again from the newest events."


@dataclass(frozen=True)
class EventView:
    """An audit event as the page shows it: details as readable lines."""

    event: AuditEvent
    details: list[tuple[str, str]]


@router.get("/admin/audit")
def audit_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    actor: QueryText = "",
    action: QueryText = "",
    target: QueryText = "",
    since: QueryText = "",
    until: QueryText = "",
    tz: Annotated[str, Query(max_length=64)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    gate = _gate(request, session, viewer)
    if not isinstance(gate, Viewer):
        return gate
    values = {"actor": actor, "action": action, "target": target, "since": since, "until": until}
    zone = _zone(tz)
    errors: dict[str, list[str]] = {}
    filters = _audit_filters(values, zone, errors)
    events: list[EventView] = []
    query = {k: v for k, v in values.items() if v}
    if tz and (since or until):
        query["tz"] = tz
    first_url = "/admin/audit" + (f"?{urlencode(query)}" if query else "")
    next_url = None
    message = None
    status = 200
    if errors:
        status = 422
    else:
        try:
            rows, next_cursor = audit.list_events(
                session, gate.user, filters=filters, cursor=cursor or None, limit=AUDIT_PAGE_SIZE
            )
        except ValidationFailed as exc:
            settle_refusal(session, exc)
            status, message = exc.status, STALE_CURSOR
        else:
            events = [EventView(e, describe(e.details)) for e in rows]
            if next_cursor:
                next_url = "/admin/audit?" + urlencode(query | {"cursor": next_cursor})
    filtered = any(values.values())
    return render(
        request,
        "admin/audit.html",
        status=status,
        viewer=gate,
        active="audit",
        values=values,
        tz=tz,
        errors=errors,
        message=_check_mark(errors, message),
        events=events,
        first_url=first_url,
        next_url=next_url,
        is_first_page=not cursor,
        filtered=filtered,
    )


def _zone(name: str) -> tzinfo:
    """The viewer's time zone as their browser names it (usher.js fills it in); UTC without."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return UTC


def _audit_filters(
    values: Mapping[str, str], zone: tzinfo, errors: dict[str, list[str]]
) -> audit.AuditFilters:
    actor, target = values["actor"].strip(), values["target"].strip()
    actor_id = _as_uuid(actor)
    target_id = _as_uuid(target)
    since = _parse_time(values["since"], zone, end=False, field="since", errors=errors)
    until = _parse_time(values["until"], zone, end=True, field="until", errors=errors)
    if since and until and until <= since:
        errors.setdefault("until", []).append("Choose a time after the “From” time.")
    return audit.AuditFilters(
        actor_id=actor_id,
        actor_label=actor if actor and actor_id is None else None,
        actions=[a for a in values["action"].replace(",", " ").split() if a],
        target_id=str(target_id) if target_id else None,
        target_label=target if target and target_id is None else None,
        since=since,
        until=until,
    )


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _parse_time(
    value: str, zone: tzinfo, *, end: bool, field: str, errors: dict[str, list[str]]
) -> datetime | None:
    """A date, or a date and time, in the viewer's zone. An end is inclusive: a date means
    to the end of that day, a time to the end of that minute."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        if end and len(value) == len("2024-05-31"):
            parsed += timedelta(days=1)
        elif end and len(value) == len("2024-05-31T14:00"):
            parsed += timedelta(minutes=1)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        errors[field] = ["Enter a date, or a date and time, such as 2025-05-31 14:30."]
        return None


def describe(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An event's details as (label, text) lines: changes as “old → new”."""
    lines: list[tuple[str, str]] = []
    for key, value in details.items():
        if key == "changes" and isinstance(value, Mapping):
            for field, change in value.items():
                if isinstance(change, list) and len(change) == 2:
                    text = f"{_plain(change[0])} → {_plain(change[1])}"
                else:
                    text = _plain(change)
                lines.append((_label(field), text))
        else:
            lines.append((_label(key), _plain(value)))
    return lines


def _label(key: str) -> str:
    return str(key).replace("_", " ").capitalize()


def _plain(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "—"
    if isinstance(value, Mapping):
        return "; ".join(f"{_label(k)}: {_plain(v)}" for k, v in value.items()) or "—"
    return str(value)


# --- settings -----------------------------------------------------------------------------

SETTINGS_FIELDS = ("name", "invitation_expiry_days")


@router.get("/admin/settings")
def settings_page(
    request: Request, session: SessionDep, viewer: ViewerDep, done: QueryText = ""
) -> Response:
    gate = _gate(request, session, viewer)
    if not isinstance(gate, Viewer):
        return gate
    org = orgs.get_organization(session, gate.user)
    notice = None
    if done == "saved":
        days = org.invitation_expiry_days
        notice = (
            f"Settings saved. New invitation links stay valid for {days} "
            f"{'day' if days == 1 else 'days'}."
        )
    return _settings(
        request,
        gate,
        org,
        values={"name": org.name, "invitation_expiry_days": str(org.invitation_expiry_days)},
        notice=notice,
    )


@router.post("/admin/settings")
def save_settings(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    client: ClientDep,
    viewer: ViewerDep,
    name: NameField = "",
    invitation_expiry_days: NumberField = "",
) -> Response:
    gate = _gate(request, session, viewer)
    if not isinstance(gate, Viewer):
        return gate
    values = {"name": name, "invitation_expiry_days": invitation_expiry_days}
    try:
        days = _whole_number(invitation_expiry_days, "invitation_expiry_days")
        orgs.update_organization(
            session, gate.user, name=name, invitation_expiry_days=days, client=client
        )
    except ValidationFailed as exc:
        settle_refusal(session, exc)
        errors, message = split_errors(exc, SETTINGS_FIELDS)
        org = orgs.get_organization(session, gate.user)
        return _settings(
            request,
            gate,
            org,
            values=values,
            status=exc.status,
            errors=errors,
            message=_check_mark(errors, message),
        )
    return redirect("/admin/settings?done=saved")


def _whole_number(value: str, field: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValidationFailed.field(
            field,
            f"Enter a whole number of days, from {orgs.MIN_EXPIRY_DAYS} to {orgs.MAX_EXPIRY_DAYS}.",
        ) from None


def _settings(
    request: Request,
    viewer: Viewer,
    org: Organization,
    *,
    values: Mapping[str, str],
    status: int = 200,
    errors: Mapping[str, Sequence[str]] | None = None,
    message: str | None = None,
    notice: str | None = None,
) -> Response:
    return render(
        request,
        "admin/settings.html",
        status=status,
        viewer=viewer,
        active="settings",
        organization=org,
        values=values,
        errors=errors or {},
        message=message,
        notice=notice,
        min_days=orgs.MIN_EXPIRY_DAYS,
        max_days=orgs.MAX_EXPIRY_DAYS,
    )
