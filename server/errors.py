"""One error shape for the whole API: RFC 9457 problem details.

Every error carries a stable `code` that clients branch on, a `detail` for
people, and where it fits the `field` that was wrong.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from quart import Quart, Request, Response, jsonify, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from sync.errors import SyncError
from sync.text import nul_at

log = logging.getLogger(__name__)

PROBLEM_TYPE = "https://casehub.example/problems/"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Server error",
    503: "Unavailable",
}


class ApiError(Exception):
    """An error that becomes a problem response. Raise it anywhere."""

    def __init__(self, status: int, code: str, detail: str,
                 field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.extra = extra


def problem(status: int, code: str, detail: str, field: str | None = None,
            **extra: Any) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "code": code,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


class ProblemRequest(Request):
    """A request whose unreadable JSON body is an `invalid_json` problem."""

    async def get_json(self, force: bool = False, silent: bool = False,
                       cache: bool = True) -> Any:
        try:
            data = await super().get_json(force, silent, cache)
        except RecursionError:
            # The JSON parser gives up on deep nesting with RecursionError,
            # which is not a ValueError, so Quart would let it become a 500.
            raise ApiError(400, "invalid_json",
                           "The body's JSON is nested too deeply.") from None
        refuse_nul(_outside_mutation_args(data))
        return data

    def on_json_loading_failed(self, error: Exception) -> Any:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON: {error}.")


def _outside_mutation_args(data: Any) -> Any:
    """A sync push's body but its mutations' arguments, which are checked one
    mutation at a time, so a bad one is refused alone and blocks nothing."""
    if not isinstance(data, dict) or not isinstance(data.get("mutations"), list):
        return data
    mutations = [
        {key: value for key, value in mutation.items() if key != "args"}
        if isinstance(mutation, dict) else mutation
        for mutation in data["mutations"]
    ]
    return {**data, "mutations": mutations}


def refuse_nul(value: Any, where: str = "") -> None:
    """Refuse text holding the NUL character, which no text column can store."""
    found = nul_at(value, where)
    if found is not None:
        raise ApiError(422, "invalid_field",
                       f"{found or 'the value'}: text must not contain the NUL "
                       "character.", field=found or None)


async def refuse_nul_in_address() -> None:
    """A path or query string naming something with a NUL in it names nothing."""
    if "\x00" in request.path:
        raise ApiError(404, "not_found", "Nothing is at that address.")
    refuse_nul(request.args.to_dict(flat=False))


def register_error_handlers(app: Quart) -> None:
    app.request_class = ProblemRequest
    app.before_request(refuse_nul_in_address)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(SyncError, _sync_error)
    app.register_error_handler(RequestSchemaValidationError, _schema_error)
    app.register_error_handler(UnicodeDecodeError, _not_utf8)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


async def _api_error(error: ApiError) -> Response:
    return problem(error.status, error.code, error.detail, error.field,
                   **error.extra)


async def _sync_error(error: SyncError) -> Response:
    extra = dict(error.extra)
    field = extra.pop("field", None)
    return problem(error.status, error.code, error.detail, field, **extra)


async def _schema_error(error: RequestSchemaValidationError) -> Response:
    cause = error.validation_error
    if isinstance(cause, ValidationError) and cause.errors():
        first = cause.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        detail = f"{where}: {first['msg']}" if where else str(first["msg"])
        return problem(422, "invalid_field", detail, field=where or None)
    if isinstance(cause, UnicodeDecodeError):
        return await _not_utf8(cause)
    return problem(400, "invalid_json", "The body is not valid JSON.")


async def _not_utf8(_: UnicodeDecodeError) -> Response:
    return problem(400, "invalid_encoding", "The body must be UTF-8 encoded.")


async def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    codes = {
        400: "bad_request",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported_media_type",
    }
    detail = {
        404: f"Nothing is at {request.path}.",
        405: f"{request.method} is not allowed on {request.path}.",
        413: "The request body is larger than this endpoint accepts.",
    }.get(status, error.description or TITLES.get(status, "Error"))
    return problem(status, codes.get(status, "http_error"), detail)


async def _unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem(500, "server_error",
                   "Something went wrong on the server; nothing was lost. "
                   "Try again in a moment.")
