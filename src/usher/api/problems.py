"""RFC 9457 problem+json for every error the API returns, with ``code`` and ``errors``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from usher.errors import UsherError

log = logging.getLogger("usher.api")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://usher.dev/problems/"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) or "body"


def _clean_message(message: str) -> str:
    return message.removeprefix("Value error, ")


def install(app: FastAPI) -> None:
    @app.exception_handler(UsherError)
    async def _usher_error(_request: Request, exc: UsherError) -> JSONResponse:
        return problem(
            exc.status,
            exc.code,
            exc.title,
            exc.message,
            errors=exc.errors,
            headers=exc.headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: dict[str, list[str]] = {}
        for err in exc.errors():
            errors.setdefault(_field_name(tuple(err.get("loc", ()))), []).append(
                _clean_message(str(err.get("msg", "Invalid value.")))
            )
        summary = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        return problem(
            422,
            "validation_failed",
            "Validation failed",
            f"Fix these fields and try again. {summary}",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem(
            exc.status_code,
            code,
            str(exc.detail),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem(
            500,
            "internal_error",
            "Internal error",
            "Something went wrong on our side. It has been logged.",
        )
