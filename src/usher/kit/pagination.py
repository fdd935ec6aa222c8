"""Opaque keyset cursors: the sort, its direction and the last row's sort value and id."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from usher.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Cursor:
    sort: str
    descending: bool
    value: str | datetime | None
    id: uuid.UUID


def encode_cursor(cursor: Cursor) -> str:
    value: Any = cursor.value
    kind = "t" if isinstance(value, datetime) else "s"
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps(
        [cursor.sort, int(cursor.descending), kind, value, cursor.id.hex], separators=(",", ":")
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, *, sort: str, descending: bool) -> Cursor:
    """Parse a cursor from this same listing; anything else is a 422 that says so."""
    bad = ValidationFailed.field(
        "cursor", "This cursor is not valid for this list: start again without a cursor."
    )
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        c_sort, c_desc, kind, value, c_id = json.loads(raw)
        if c_sort != sort or bool(c_desc) != descending:
            raise bad
        if value is not None:
            if not isinstance(value, str):
                raise bad
            value = datetime.fromisoformat(value) if kind == "t" else value
            if isinstance(value, datetime) and value.tzinfo is None:
                raise bad
        return Cursor(sort=sort, descending=descending, value=value, id=uuid.UUID(hex=c_id))
    except ValidationFailed:
        raise
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError, UnicodeDecodeError):
        raise bad from None
