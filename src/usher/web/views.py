"""Mounts the pages and their static files on the app (called by ``usher.app.create_app``)."""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from usher.web.pages import account, admin, auth, registration, teams, users
from usher.web.render import HERE, install_error_pages


class _Static(StaticFiles):
    """Static files that browsers must not sniff into another type; revalidated by ETag on
    every use, so a changed stylesheet shows at once."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers.setdefault("Cache-Control", "no-cache")
        return response


def install(app: FastAPI) -> None:
    app.mount("/static", _Static(directory=HERE / "static"), name="static")
    app.include_router(account.router)
    app.include_router(registration.router)
    app.include_router(auth.router)
    app.include_router(users.router)
    app.include_router(admin.router)
    app.include_router(teams.router)
    install_error_pages(app)
