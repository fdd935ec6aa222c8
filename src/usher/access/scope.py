"""OrgScope: proof that the access layer decided which organization a query may touch.

Repositories take an ``OrgScope`` rather than a bare organization id, and only
``usher.access`` can make one, so an unscoped query cannot be written by accident.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

_KEY = object()


@dataclass(frozen=True, slots=True)
class OrgScope:
    organization_id: uuid.UUID
    _key: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._key is not _KEY:
            raise TypeError("OrgScope values are made by usher.access only")


def _make(organization_id: uuid.UUID) -> OrgScope:
    return OrgScope(organization_id, _KEY)
