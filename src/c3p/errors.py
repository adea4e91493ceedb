"""One error hierarchy for the whole platform.

Every expected failure is a :class:`C3PError` subclass that carries its HTTP status and a
stable ``code``. The web layer renders them in one place (problem+json for the API, a page
for the portal) and the CLI prints them as a clean message, so no caller formats errors.

The message is a :class:`~c3p.messages.Message`: the portal says it in the reader's language,
while the API's ``detail`` and the CLI keep its English text, stable for machines and logs.
Titles are marked with ``N_`` for the same reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from c3p.messages import N_, Message

if TYPE_CHECKING:  # the command line's start (``c3p --help``) does without pydantic
    from pydantic import ValidationError


class C3PError(Exception):
    """Base of every expected error: a message for people, a status and code for machines."""

    status: int = 400
    code: str = "bad-request"
    title: str = N_("Bad request")

    def __init__(self, detail: str | Message, **extra: Any) -> None:
        self.message = detail if isinstance(detail, Message) else Message(detail)
        self.detail = str(self.message)
        super().__init__(self.detail)
        self.extra = extra

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        body: dict[str, Any] = {
            "type": f"https://c3p.invalid/problems/{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class InvalidInput(C3PError):
    status = 422
    code = "invalid-input"
    title = N_("Invalid input")

    @classmethod
    def from_validation(cls, error: ValidationError) -> InvalidInput:
        return cls(describe_validation_error(error))


def describe_validation_error(error: ValidationError) -> str:
    """Pydantic's errors as one line naming each field: ``"country: String should match …"``."""
    problems = []
    for detail in error.errors():
        field = ".".join(str(part) for part in detail["loc"]) or "value"
        message = "unknown field" if detail.get("type") == "extra_forbidden" else detail["msg"]
        problems.append(f"{field}: {message}")
    return "; ".join(problems)


class DataFileError(InvalidInput):
    """A data file (seed, monitoring data, methodology) breaks a rule; names file, line and reason."""

    code = "invalid-data-file"
    title = N_("Invalid data file")

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}", file=path, line=line, reason=reason)
        self.path = path
        self.line = line
        self.reason = reason


class NotFound(C3PError):
    status = 404
    code = "not-found"
    title = N_("Not found")


class Conflict(C3PError):
    status = 409
    code = "conflict"
    title = N_("Conflict")


class Unauthenticated(C3PError):
    status = 401
    code = "unauthenticated"
    title = N_("Authentication required")


class Forbidden(C3PError):
    status = 403
    code = "forbidden"
    title = N_("Not permitted")
