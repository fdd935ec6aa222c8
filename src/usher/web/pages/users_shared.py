"""What the User Management pages share: the admin gate, safe return addresses, fragments for
the script, and how phones, regions, units and audit events are shown."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import phonenumbers
from fastapi import Request, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from usher.access import service as access
from usher.api.http import clear_session_cookie
from usher.config import Settings
from usher.errors import NotFound
from usher.models import AuditEvent, OrgUnit
from usher.web.deps import Viewer, has_session_cookie, redirect
from usher.web.render import render

LIST_PATH = "/admin/users"
PAGE_SIZE = 25
# Sent by users.js when it wants only the part of a page it swaps in; answers that are such a
# part say so with the same header, so the script can tell them from a whole page.
FRAGMENT_HEADER = "X-Usher-Fragment"


# --- who may look ---------------------------------------------------------------------------


def signed_out(request: Request, settings: Settings) -> Response:
    """Where a page sends a browser without a live session: to sign-in, saying why if the
    session it had has ended (signed out elsewhere, disabled, deleted)."""
    if not has_session_cookie(request, settings):
        return redirect("/login")
    response = redirect("/login?done=session_ended")
    clear_session_cookie(response, settings)
    return response


def require_admin(
    request: Request, session: Session, settings: Settings, viewer: Viewer | None
) -> Viewer | Response:
    """The viewer if they may manage users; a redirect to sign-in if nobody is signed in.
    Anyone else gets the access service's refusal, which the page route shows as a 403 page."""
    if viewer is None:
        return signed_out(request, settings)
    access.require_somewhere(session, viewer.user, "users.read")
    return viewer


def parse_user_id(raw: str) -> uuid.UUID:
    """A user id from the address; anything that is not one is a user that does not exist."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound("No such user in this organization.") from None


# --- fragments ------------------------------------------------------------------------------


def wants_fragment(request: Request) -> bool:
    return request.headers.get(FRAGMENT_HEADER) == "1"


def render_part(
    request: Request, template: str, *, status: int = 200, viewer: Viewer, **context: Any
) -> Response:
    """A fragment for the script to swap into the page (never a whole page)."""
    response = render(request, template, status=status, viewer=viewer, **context)
    response.headers[FRAGMENT_HEADER] = "1"
    response.headers["Vary"] = FRAGMENT_HEADER
    return response


# --- return addresses -----------------------------------------------------------------------


def safe_next(value: str, default: str = LIST_PATH) -> str:
    """Where a form sends the browser back to: only a User Management address of this site."""
    value = value.strip()
    if any(ord(ch) < 32 for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith(LIST_PATH):
        return default
    return value


def with_done(url: str, done: str) -> str:
    """``url`` with ``done`` (the key of a notice the page shows) replacing any earlier one."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "done"]
    query.append(("done", done))
    return f"{parts.path}?{urlencode(query)}"


# --- showing values -------------------------------------------------------------------------


def format_phone(e164: str | None) -> str | None:
    """A stored E.164 number the way people write it: +44 20 7946 0958."""
    if not e164:
        return None
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


# phonenumbers names every region but these three.
_REGION_NAMES = {"AC": "Ascension Island", "TA": "Tristan da Cunha", "XK": "Kosovo"}


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    calling_code: int

    @property
    def label(self) -> str:
        return f"{self.name} (+{self.calling_code})"


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    """Every region phonenumbers knows, by name, for the phone number's country picker."""
    from phonenumbers.geocoder import _region_display_name

    found = [
        Region(
            code,
            _region_display_name(code, "en") or _REGION_NAMES.get(code, code),
            phonenumbers.country_code_for_region(code),
        )
        for code in phonenumbers.SUPPORTED_REGIONS
    ]
    return tuple(sorted(found, key=lambda r: r.name.casefold()))


@dataclass(frozen=True)
class UnitOption:
    id: uuid.UUID
    name: str
    depth: int

    @property
    def label(self) -> str:
        # Non-breaking spaces: a <select> shows the tree by indentation alone.
        return "\u00a0\u00a0\u00a0" * self.depth + self.name


def unit_options(units: Sequence[OrgUnit]) -> list[UnitOption]:
    """Organization units in tree order, each under its parent, siblings by name."""
    children: dict[uuid.UUID | None, list[OrgUnit]] = {}
    known = {u.id for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in known else None
        children.setdefault(parent, []).append(unit)
    out: list[UnitOption] = []

    def walk(parent: uuid.UUID | None, depth: int) -> None:
        for unit in sorted(children.get(parent, []), key=lambda u: u.name.casefold()):
            out.append(UnitOption(unit.id, unit.name, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def unit_names(units: Iterable[OrgUnit]) -> dict[uuid.UUID, str]:
    return {u.id: u.name for u in units}


# --- audit trail ----------------------------------------------------------------------------

ACTIONS = {
    "user.invited": "Invited",
    "user.updated": "Profile changed",
    "user.disabled": "Disabled",
    "user.enabled": "Enabled",
    "user.deleted": "Deleted",
    "invitation.resent": "Invitation sent again",
    "invitation.link_regenerated": "New shareable link made",
    "invitation.revoked": "Invitation withdrawn",
    "invitation.accepted": "Registered",
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.password_reset": "Password reset",
    "auth.password_reset_requested": "Asked for a password reset",
}
_DETAIL_LABELS = {
    "method": "Method",
    "sent_to": "Sent to",
    "previous_status": "Was",
    "status": "Now",
    "reason": "Reason",
}


@dataclass(frozen=True)
class TrailEntry:
    event: AuditEvent
    what: str
    notes: list[str]


def trail(events: Iterable[AuditEvent]) -> list[TrailEntry]:
    return [TrailEntry(e, ACTIONS.get(e.action, e.action), _notes(e.details)) for e in events]


def _notes(details: Mapping[str, Any]) -> list[str]:
    notes: list[str] = []
    changes = details.get("changes")
    if isinstance(changes, dict):
        for field, change in changes.items():
            if isinstance(change, list) and len(change) == 2:
                old, new = (v if v not in (None, "") else "empty" for v in change)
                notes.append(f"{field.replace('_', ' ')}: {old} → {new}")
    for key, label in _DETAIL_LABELS.items():
        value = details.get(key)
        if value not in (None, ""):
            shown = {"email": "personal email", "link": "shareable link"}.get(str(value), value)
            notes.append(f"{label}: {shown}")
    return notes


# --- form errors ----------------------------------------------------------------------------


def form_errors(
    exc: ValidationError, raw: Mapping[str, object], missing: Mapping[str, str]
) -> dict[str, list[str]]:
    """The schema's field messages, as the API gives them, for the fields of a form. A field
    left empty is asked for by name (``missing``: field -> what to enter)."""
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = err.get("loc", ())
        name = str(loc[0]) if loc else "form"
        if name in missing and not str(raw.get(name) or "").strip():
            message = f"Enter {missing[name]}."
        else:
            message = str(err.get("msg", "Not a valid value.")).removeprefix("Value error, ")
            # The schema speaks of its API field; in the form that field is the country picker.
            message = message.replace("give phone_region (for example GB)", "choose the country")
        found = errors.setdefault(name, [])
        if message not in found:
            found.append(message)
    return errors
