"""Per-deployment context (settings, rate limiter) carried on the database session.

Every door builds its sessions from one factory that puts the running app's settings
and rate limiter into ``Session.info``; services read them from there, so two apps
with different settings (as in tests) never share global state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from usher.config import Settings
    from usher.kit.ratelimit import RateLimiter


def settings_of(session: Session) -> Settings:
    settings = session.info.get("settings")
    if settings is None:
        from usher.config import get_settings

        return get_settings()
    return settings  # type: ignore[no-any-return]


def limiter_of(session: Session) -> RateLimiter:
    limiter = session.info.get("limiter")
    if limiter is None:
        raise RuntimeError("no rate limiter on this session: build it with usher.db.engine")
    return limiter  # type: ignore[no-any-return]
