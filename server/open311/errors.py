"""Open311's own error shape: `errors/error[]`, each a code and a description.

The HTTP status is what the standard prescribes: 404 for what does not
exist, 403 for a missing, unknown or revoked API key, 400 for anything else
a client got wrong. Each error's code is its HTTP status.
"""

from __future__ import annotations

from quart import Response

from server.open311.documents import Many, respond


class Open311Error(Exception):
    """One or more errors of the same status, rendered by the Open311 routes."""

    def __init__(self, status: int, *descriptions: str,
                 retry_after: int | None = None) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions
        self.retry_after = retry_after


class Problems:
    """Gathers every fault of one request, so the client hears of all at once."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, description: str) -> None:
        self.found.append(description)

    def raise_any(self) -> None:
        if self.found:
            raise Open311Error(400, *self.found)


def error_response(fmt: str, error: Open311Error) -> Response:
    errors = [{"code": error.status, "description": text}
              for text in error.descriptions]
    response = respond(fmt, "errors", Many("error", errors), error.status)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response
