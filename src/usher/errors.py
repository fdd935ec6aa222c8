"""The UsherError family: each error carries its HTTP status and a stable machine-readable code."""

from __future__ import annotations

from typing import Any


class UsherError(Exception):
    status: int = 400
    code: str = "bad_request"
    title: str = "Bad request"
    # When True the transaction is committed anyway (e.g. the audit event of a refused sign-in).
    keep_work: bool = False

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra


class ValidationFailed(UsherError):
    status, code, title = 422, "validation_failed", "Validation failed"

    @classmethod
    def field(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors={field: [message]})


class NotAuthenticated(UsherError):
    status, code, title = 401, "not_authenticated", "Not authenticated"


class InvalidCredentials(UsherError):
    status, code, title = 401, "invalid_credentials", "Invalid credentials"
    keep_work = True


class NotPermitted(UsherError):
    status, code, title = 403, "not_permitted", "Not permitted"


class NotFound(UsherError):
    status, code, title = 404, "not_found", "Not found"


class Conflict(UsherError):
    status, code, title = 409, "conflict", "Conflict"


class EmailTaken(Conflict):
    code = "email_taken"


class LastAdmin(Conflict):
    code = "last_admin"


class InvitationGone(UsherError):
    status, code, title = 410, "invitation_gone", "Invitation no longer valid"


class ResetLinkInvalid(UsherError):
    status, code, title = 400, "reset_link_invalid", "Reset link invalid"


class RateLimited(UsherError):
    status, code, title = 429, "rate_limited", "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many attempts. Try again in {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after

    keep_work = True
