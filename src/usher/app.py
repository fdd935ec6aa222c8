"""Builds the ASGI app: the API under /api/v1, the pages, health checks; owns the engine."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

from usher import __version__
from usher.access.endpoints import check_router as access_check_router
from usher.access.endpoints import router as access_router
from usher.api import problems
from usher.audit.endpoints import router as audit_router
from usher.auth.endpoints import router as auth_router
from usher.config import Settings, get_settings
from usher.db.engine import get_engine, session_factory
from usher.db.migrate import is_current
from usher.imports.endpoints import router as imports_router
from usher.invitations.endpoints import router as invitations_router
from usher.kit.logs import install_redaction
from usher.kit.ratelimit import RateLimiter
from usher.kit.timing import ServerTiming
from usher.orgs.endpoints import router as orgs_router
from usher.teams.endpoints import router as teams_router
from usher.users.endpoints import router as users_router

log = logging.getLogger("usher")

API_DESCRIPTION = """Invite people, onboard them, control what they may do.

Authenticate with the session cookie set by `POST /api/v1/auth/login`, or with an API token
sent as `Authorization: Bearer ush_…`. Errors are RFC 9457 `application/problem+json` with a
stable `code` and, for validation, `errors` (field → messages)."""


def create_app(settings: Settings | None = None, *, run_worker: bool = False) -> FastAPI:
    settings = settings or get_settings()
    engine = get_engine(settings.database_url)
    limiter = RateLimiter(settings.redis_url)
    install_redaction()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        threads: list[threading.Thread] = []
        if run_worker:
            from usher.workers import start_workers

            threads = start_workers(app.state.session_factory, settings, stop)
        yield
        stop.set()
        for thread in threads:
            thread.join(timeout=10)

    app = FastAPI(
        title="Usher",
        version=__version__,
        description=API_DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.limiter = limiter
    app.state.session_factory = session_factory(engine, settings=settings, limiter=limiter)
    problems.install(app)

    api = APIRouter(prefix="/api/v1")
    api.include_router(access_router)
    api.include_router(auth_router)
    api.include_router(users_router)
    api.include_router(invitations_router)
    api.include_router(orgs_router)
    api.include_router(audit_router)
    api.include_router(teams_router)
    api.include_router(imports_router)
    # Routes are tried in order: the permission checks first, on their own.
    app.include_router(access_check_router, prefix="/api/v1")
    app.include_router(api)

    @app.get("/healthz", tags=["health"], include_in_schema=True)
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "Not ready"}})
    def readyz() -> JSONResponse:
        """The database answers and its schema is at the newest migration."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            current = is_current(engine)
        except Exception as exc:
            log.warning("readiness check failed: %s", exc)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        if not current:
            return JSONResponse({"status": "unavailable", "database": "migrations pending"}, 503)
        return JSONResponse({"status": "ok", "database": "ok"})

    try:
        from usher.web.views import install as install_web
    except ImportError:  # pages arrive with their own module
        pass
    else:
        install_web(app)
    app.add_middleware(ServerTiming)
    return app
