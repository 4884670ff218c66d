"""Domain errors: one hierarchy, mapped to HTTP in one place each for the API and the pages.

FupinError
  NotFound                 404
  PermissionDenied         403   (NotAuthenticated 401)
  InvalidInput             422   .field, .message (one field) or .errors (several)
  Conflict                 409   duplicates, stale state
  RuleViolation            409   a domain rule refuses the action
    InvalidTransition            .state, .action
  RateLimited              429
  ServiceUnavailable       503
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FieldError:
    field: str
    message: str
    code: str = "invalid"


class FupinError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field = field

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "field": self.field}


class NotFound(FupinError):
    status = 404
    code = "not_found"


class NotAuthenticated(FupinError):
    status = 401
    code = "not_authenticated"


class PermissionDenied(FupinError):
    status = 403
    code = "forbidden"


class InvalidInput(FupinError):
    status = 422
    code = "invalid"

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        code: str | None = None,
        errors: list[FieldError] | None = None,
    ):
        if errors and not message:
            message = errors[0].message
            field = field or errors[0].field
        super().__init__(message, code=code, field=field)
        self.errors = errors or ([FieldError(field, message, self.code)] if field else [])


class Conflict(FupinError):
    status = 409
    code = "conflict"


class RuleViolation(FupinError):
    status = 409
    code = "rule_violation"


class InvalidTransition(RuleViolation):
    code = "invalid_transition"

    def __init__(self, message: str, *, state: str, action: str):
        super().__init__(message)
        self.state = state
        self.action = action


class RateLimited(FupinError):
    status = 429
    code = "rate_limited"


class ServiceUnavailable(FupinError):
    status = 503
    code = "unavailable"
