"""The Add new user dialog (a plain page without the script) and the Edit user page.

Both check their input with the API's own schemas (``UserCreate``, ``UserUpdate``) and pass it
to the users service, so a field's message is the same through every door; the page only puts
each message beside its field and gives back everything that was typed."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from usher.access.catalogue import MEMBER
from usher.api.deps import ClientDep, SessionDep, SettingsDep
from usher.api.http import no_store
from usher.errors import Conflict, RateLimited, ValidationFailed
from usher.models import User
from usher.models.invitation import InviteMethod
from usher.models.user import Gender
from usher.orgs import service as orgs
from usher.teams import service as teams_service
from usher.users import service as users_service
from usher.users.schemas import UserCreate, UserUpdate
from usher.web.csrf import CsrfDep
from usher.web.deps import Viewer, ViewerDep, redirect, settle_refusal, split_errors
from usher.web.pages.users_shared import (
    LIST_PATH,
    form_errors,
    format_phone,
    parse_user_id,
    regions,
    render_part,
    require_admin,
    unit_options,
    wants_fragment,
    with_done,
)
from usher.web.render import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# Generous bounds against abuse; the schemas say the real limits, beside the field.
TextField = Annotated[str, Form(max_length=1000)]
IdsField = Annotated[list[str], Form(max_length=200)]

GENDERS = [
    ("unspecified", "Prefer not to say"),
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Other"),
]
INVITE_METHODS = [
    (InviteMethod.email.value, "Personal email", "We email the registration link."),
    (InviteMethod.link.value, "Shareable link", "You copy the link and send it yourself."),
]
# What to ask for when a required field is left empty.
MISSING = {
    "first_name": "the first name",
    "last_name": "the last name",
    "email": "the organizational email",
    "invite_method": "how to invite them",
}
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "gender",
    "birthday",
    "email",
    "personal_email",
    "phone_region",
    "phone",
    "org_unit_id",
    "position",
)
ADD_FIELDS = (*PROFILE_FIELDS, "team_ids", "invite_method")


@dataclass
class UserForm:
    """What the form shows: the typed text as it came, never a cleaned-up version of it."""

    first_name: str = ""
    last_name: str = ""
    gender: str = Gender.unspecified.value
    birthday: str = ""
    email: str = ""
    personal_email: str = ""
    phone_region: str = ""
    phone: str = ""
    org_unit_id: str = ""
    position: str = ""
    team_ids: list[str] = field(default_factory=list)
    invite_method: str = InviteMethod.email.value

    @classmethod
    def of(cls, user: User) -> UserForm:
        return cls(
            first_name=user.first_name,
            last_name=user.last_name,
            gender=user.gender.value,
            birthday=user.birthday.isoformat() if user.birthday else "",
            email=user.email,
            personal_email=user.personal_email or "",
            phone=format_phone(user.phone) or "",
            org_unit_id=str(user.org_unit_id) if user.org_unit_id else "",
            position=user.position or "",
        )

    def create_data(self) -> dict[str, Any]:
        """The fields for ``UserCreate``: a field left empty is not sent, as in the API."""
        values = asdict(self)
        return {k: v for k, v in values.items() if k in ADD_FIELDS and v not in ("", [])}

    def update_data(self) -> dict[str, Any]:
        """The fields for ``UserUpdate``: all of them, an emptied optional one as null (cleared);
        an emptied required one is sent as typed, so the schema says what is wrong."""
        values = asdict(self)
        data: dict[str, Any] = {}
        for name in PROFILE_FIELDS:
            value = values[name]
            data[name] = value if value or name in MISSING else None
        return data


def add_form_context(
    session: Session, viewer: Viewer, form: UserForm | None = None
) -> dict[str, Any]:
    """What the Add new user form needs: the organization's teams and units, the regions."""
    return {
        "form": form or UserForm(),
        # Everyone is in Member: it is not offered.
        "teams": [
            s.team for s in teams_service.list_teams(session, viewer.user) if s.team.key != MEMBER
        ],
        "units": unit_options(orgs.list_org_units(session, viewer.user)),
        "regions": regions(),
        "genders": GENDERS,
        "invite_methods": INVITE_METHODS,
    }


def _add_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    form: UserForm | None = None,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
) -> Response:
    context = add_form_context(session, viewer, form)
    if wants_fragment(request):
        return render_part(
            request,
            "users/_add_form.html",
            status=status,
            viewer=viewer,
            errors=errors or {},
            message=message,
            in_dialog=True,
            **context,
        )
    return render(
        request,
        "users/new.html",
        status=status,
        viewer=viewer,
        active="users",
        errors=errors or {},
        message=message,
        **context,
    )


@router.get(LIST_PATH + "/new")
def new_user_form(
    request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    return _add_page(request, session, admin)


@router.post(LIST_PATH + "/new")
def add_user(
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    first_name: TextField = "",
    last_name: TextField = "",
    gender: TextField = Gender.unspecified.value,
    birthday: TextField = "",
    email: TextField = "",
    personal_email: TextField = "",
    phone_region: TextField = "",
    phone: TextField = "",
    org_unit_id: TextField = "",
    position: TextField = "",
    team_ids: IdsField = [],  # noqa: B006 (FastAPI copies defaults)
    invite_method: TextField = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    form = UserForm(
        first_name=first_name,
        last_name=last_name,
        gender=gender,
        birthday=birthday,
        email=email,
        personal_email=personal_email,
        phone_region=phone_region,
        phone=phone,
        org_unit_id=org_unit_id,
        position=position,
        team_ids=team_ids,
        invite_method=invite_method,
    )
    raw = asdict(form)
    try:
        data = UserCreate.model_validate(form.create_data())
    except ValidationError as exc:
        errors = form_errors(exc, raw, MISSING)
        return _add_page(request, session, admin, form=form, status=422, errors=errors)
    try:
        result = users_service.invite_user(session, admin.user, data=data, client=client)
    except (ValidationFailed, Conflict, RateLimited) as exc:
        settle_refusal(session, exc)
        errors, message = split_errors(exc, ADD_FIELDS)
        return _add_page(
            request, session, admin, form=form, status=exc.status, errors=errors, message=message
        )
    detail = result.detail
    context: dict[str, Any] = {
        "user": detail.user,
        "invitation": detail.invitation,
        "registration_url": result.registration_url,
    }
    if wants_fragment(request):
        response = render_part(
            request, "users/_add_result.html", viewer=admin, in_dialog=True, **context
        )
    elif result.registration_url is None:
        # Mailed: after the post, a page the browser may reload.
        return redirect(with_done(f"{LIST_PATH}/{detail.user.id}", "invited"))
    else:
        response = render(request, "users/added.html", viewer=admin, active="users", **context)
    if result.registration_url:
        no_store(response)
    return response


# --- edit -----------------------------------------------------------------------------------


def _edit_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    user: User,
    form: UserForm,
    *,
    status: int = 200,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
) -> Response:
    return render(
        request,
        "users/edit.html",
        status=status,
        viewer=viewer,
        active="users",
        user=user,
        form=form,
        units=unit_options(orgs.list_org_units(session, viewer.user)),
        regions=regions(),
        genders=GENDERS,
        errors=errors or {},
        message=message,
    )


@router.get(LIST_PATH + "/{user_id}/edit")
def edit_user_form(
    user_id: str, request: Request, session: SessionDep, settings: SettingsDep, viewer: ViewerDep
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    detail = users_service.get_user(session, admin.user, user_id=parse_user_id(user_id))
    return _edit_page(request, session, admin, detail.user, UserForm.of(detail.user))


@router.post(LIST_PATH + "/{user_id}/edit")
def edit_user(
    user_id: str,
    request: Request,
    _csrf: CsrfDep,
    session: SessionDep,
    settings: SettingsDep,
    client: ClientDep,
    viewer: ViewerDep,
    first_name: TextField = "",
    last_name: TextField = "",
    gender: TextField = Gender.unspecified.value,
    birthday: TextField = "",
    email: TextField = "",
    personal_email: TextField = "",
    phone_region: TextField = "",
    phone: TextField = "",
    org_unit_id: TextField = "",
    position: TextField = "",
) -> Response:
    admin = require_admin(request, session, settings, viewer)
    if isinstance(admin, Response):
        return admin
    uid: uuid.UUID = parse_user_id(user_id)
    user = users_service.get_user(session, admin.user, user_id=uid).user
    form = UserForm(
        first_name=first_name,
        last_name=last_name,
        gender=gender,
        birthday=birthday,
        email=email,
        personal_email=personal_email,
        phone_region=phone_region,
        phone=phone,
        org_unit_id=org_unit_id,
        position=position,
    )
    try:
        data = UserUpdate.model_validate(form.update_data())
    except ValidationError as exc:
        errors = form_errors(exc, asdict(form), MISSING)
        return _edit_page(request, session, admin, user, form, status=422, errors=errors)
    try:
        users_service.update_user(session, admin.user, user_id=uid, data=data, client=client)
    except (ValidationFailed, Conflict) as exc:
        settle_refusal(session, exc)
        errors, message = split_errors(exc, PROFILE_FIELDS)
        # The rollback expired the user; read them again for the page's heading.
        user = users_service.get_user(session, admin.user, user_id=uid).user
        return _edit_page(
            request, session, admin, user, form, status=exc.status, errors=errors, message=message
        )
    return redirect(with_done(f"{LIST_PATH}/{uid}", "updated"))
