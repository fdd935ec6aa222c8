"""RFC 9457 problem+json for every error the API returns, with ``code`` and ``errors``; the
OpenAPI documents every 4xx answer that way."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from usher.errors import UsherError

log = logging.getLogger("usher.api")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://usher.dev/problems/"


class Problem(BaseModel):
    """An error, as RFC 9457 problem details; some errors add members of their own."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do about it")
    code: str = Field(description="Stable and machine-readable, e.g. `validation_failed`")
    errors: dict[str, list[str]] | None = Field(
        None, description="For a validation failure: field → messages"
    )


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
    document(app)

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
            if err.get("type") == "json_invalid":
                # loc holds a character offset here, not a field.
                errors.setdefault("body", []).append(
                    f"The body is not valid JSON ({err.get('ctx', {}).get('error', 'syntax')}"
                    f" at character {err.get('loc', ('', '?'))[-1]})."
                )
                continue
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


NOT_AUTHENTICATED = "Not signed in, or the session or API token is no longer valid"
UNREADABLE_BODY = "The body could not be read: not UTF-8 encoded JSON"
RETRY_AFTER = {
    "description": "Seconds to wait before trying again",
    "schema": {"type": "integer"},
}


def document(app: FastAPI) -> None:
    """Document in the OpenAPI what ``install`` does: every 4xx answer is problem+json, an
    operation that takes credentials may answer 401, one that takes a body may answer 400 (FastAPI
    refuses a body it cannot decode so), and a 429 says when to retry. In one place rather than
    on every endpoint, so a new endpoint cannot get it wrong."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _describe_problems(build())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_problems(spec: dict[str, Any]) -> None:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema()
    content = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in spec.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                responses.setdefault("401", {"description": NOT_AUTHENTICATED})
            if operation.get("requestBody"):
                responses.setdefault("400", {"description": UNREADABLE_BODY})
            for status, response in responses.items():
                if status.startswith("4"):
                    response["content"] = content
                if status == "429":
                    response.setdefault("headers", {})["Retry-After"] = RETRY_AFTER
    # FastAPI's own 422 shape, now replaced everywhere by Problem.
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
