"""The domain's errors: services raise these, and the API's one exception handler
(`core.api.errors.api_exception_handler`) turns them into API.md's error shape.

Plain Python (no Django, no DRF) so every layer, pure code included, may raise them;
admin views catch `DomainError` to show the message and `fields` on the form.
"""

from typing import Any


class DomainError(Exception):
    """A refused operation: `message` for people, `fields` maps input field paths
    (`rule.all[1].op`, `arms[0].weight`) to reasons."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = dict(fields or {})


class Invalid(DomainError, ValueError):
    """Bad input (400): the named fields are wrong whatever the state."""


class NotFound(DomainError):
    """The thing named does not exist (404)."""

    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The input is fine but the current state refuses it (409): a duplicate key, a
    started experiment, a segment others depend on."""

    status_code = 409
    code = "conflict"


class Busy(DomainError):
    """The same work is already running; try again later (503 with Retry-After)."""

    status_code = 503
    code = "busy"

    def __init__(
        self,
        message: str,
        fields: dict[str, Any] | None = None,
        *,
        retry_after_seconds: int = 60,
    ) -> None:
        super().__init__(message, fields)
        self.retry_after_seconds = retry_after_seconds
