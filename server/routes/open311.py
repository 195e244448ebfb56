"""Open311 GeoReport v2 under /open311/v2/, with FixMyStreet's updates extension.

Every answer is XML or JSON as the path ends, and every error takes the
standard's own shape rather than casehub's problem documents. These routes
are described in docs/open311.md, not in /openapi.json: their form bodies
and XML answers are the standard's, which OpenAPI would only restate.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from quart import Blueprint, Response, current_app, request
from quart_schema import hide
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from server.auth import client_address
from server.config import Settings
from server.open311 import intake, keys, queries, rate, services, updates
from server.open311.documents import FORMATS, MIME, Many, respond
from server.open311.errors import Open311Error, Problems, error_response
from server.open311.limits import MAX_BODY, MAX_FORM_PARTS, UPDATES_SPAN
from server.open311.service_requests import describe_all, find, find_one

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
blueprint = Blueprint("open311", __name__, url_prefix=PREFIX)
TOO_LARGE = f"The body is larger than the {MAX_BODY // 1024} KiB a request may send."


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"There is no {fmt!r} format; ask for .xml or "
                           ".json.")
    return fmt


def _split(name: str) -> tuple[str, str]:
    """`fly_tipping.json` as the name and its format."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or not stem:
        raise Open311Error(404, f"Nothing is at {request.path}; end the path "
                           "in .xml or .json.")
    return stem, _format(fmt)


def _error_format() -> str:
    return "json" if request.path.endswith(".json") else "xml"


async def _form() -> MultiDict[str, str]:
    """The POST body's fields, with any given in the query string behind them.

    Quart reads a url-encoded body whole, and returns no fields at all for
    one that is not UTF-8, so its size and encoding are checked here.
    """
    too_large = Open311Error(413, TOO_LARGE)
    if (request.content_length or 0) > MAX_BODY:
        raise too_large
    body = await request.get_data(cache=True, as_text=False, parse_form_data=False)
    if len(body) > MAX_BODY:
        raise too_large
    if request.mimetype != "multipart/form-data":
        try:
            body.decode()
        except UnicodeDecodeError:
            raise Open311Error(400, "The body must be encoded as UTF-8.") from None
    merged: MultiDict[str, str] = MultiDict(await request.form)
    for name, value in request.args.items(multi=True):
        merged.add(name, value)
    return merged


@blueprint.before_request
async def limit_body() -> None:
    request.max_content_length = MAX_BODY
    request.max_form_parts = MAX_FORM_PARTS


@blueprint.before_app_request
async def unknown_resource() -> Response | None:
    """A path or method under /open311/v2/ that no route takes, in Open311's shape."""
    error = request.routing_exception
    if error is None or not request.path.startswith(PREFIX + "/"):
        return None
    if isinstance(error, MethodNotAllowed):
        response = error_response(_error_format(), Open311Error(
            405, f"{request.method} is not allowed on {request.path}."))
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
        return response
    return error_response(_error_format(), Open311Error(
        404, f"Nothing is at {request.path}; discovery.xml lists what is."))


@blueprint.errorhandler(Open311Error)
async def open311_error(error: Open311Error) -> Response:
    return error_response(_error_format(), error)


@blueprint.errorhandler(HTTPException)
async def http_error(error: HTTPException) -> Response:
    status = error.code or 500
    description = TOO_LARGE if status == 413 else (
        error.description or "The request could not be read.")
    return error_response(_error_format(), Open311Error(status, description))


@blueprint.errorhandler(Exception)
async def unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(_error_format(), Open311Error(
        500, "Something went wrong on the server; nothing was recorded. Try "
        "again in a moment."))


@blueprint.get("/discovery.<fmt>")
@hide
async def discovery(fmt: str) -> Response:
    """Where the endpoint is, what it speaks, and whom to ask for a key."""
    fmt = _format(fmt)
    settings = _settings()
    changeset = await services.changeset()
    return respond(fmt, "discovery", {
        "changeset": changeset,
        "contact": f"The council's Customer Hub, at {settings.mailbox}.",
        "key_service": "The council issues one api_key to each system that sends "
                       f"reports; ask the Customer Hub at {settings.mailbox}.",
        "endpoints": Many("endpoint", [{
            "specification": services.SPECIFICATION,
            "url": settings.public_url + PREFIX,
            "changeset": changeset,
            "type": "production",
            "formats": Many("format", [MIME["xml"], MIME["json"]]),
        }]),
    })


@blueprint.get("/services.<fmt>")
@hide
async def service_list(fmt: str) -> Response:
    """The council's active categories, as services."""
    fmt = _format(fmt)
    departments = await services.departments()
    return respond(fmt, "services", Many("service", [
        services.service(category, departments.get(category.department_id))
        for category in await services.active_categories()
    ]))


@blueprint.get("/services/<name>")
@hide
async def service_definition(name: str) -> Response:
    """A service's extra questions, as attributes."""
    code, fmt = _split(name)
    category = await services.category_for(code)
    return respond(fmt, "service_definition", services.definition(category))


@blueprint.post("/requests.<fmt>")
@hide
async def create_request(fmt: str) -> Response:
    """A report from a client system: a new case in the hub's queue."""
    fmt = _format(fmt)
    form = await _form()
    client = await keys.client_for(intake.param(form, "api_key"), client_address())
    await rate.check_writes(client)
    report = await intake.read_report(form)

    case = await intake.create(client, report)
    return respond(fmt, "service_requests", Many("request", [{
        "service_request_id": case.reference,
        "service_notice": intake.notice(case, report.category),
        "account_id": report.fields["account_id"],
    }]))


@blueprint.get("/requests.<fmt>")
@hide
async def list_requests(fmt: str) -> Response:
    """Reports sent through Open311, filtered as the standard says."""
    fmt = _format(fmt)
    query = queries.request_query(request.args, datetime.now(UTC))
    records = await find(query)
    rows = await describe_all(records, _settings().timezone)
    return respond(fmt, "service_requests", Many("request", rows))


@blueprint.get("/requests/<name>")
@hide
async def show_request(name: str) -> Response:
    """One report, as a list of one."""
    reference, fmt = _split(name)
    record = await find_one(reference)
    if record is None:
        raise Open311Error(404, f"service_request_id {reference} was not found.")
    rows = await describe_all([record], _settings().timezone)
    return respond(fmt, "service_requests", Many("request", rows))


@blueprint.get("/tokens/<name>")
@hide
async def token(name: str) -> Response:
    """casehub answers every report with its id at once, so has no tokens."""
    _split(name)
    raise Open311Error(404, "There are no tokens here: POST requests answers "
                       "with the service_request_id at once.")


@blueprint.get("/servicerequestupdates.<fmt>")
@hide
async def list_updates(fmt: str) -> Response:
    """The hub's progress on the reports the calling system sent."""
    fmt = _format(fmt)
    client = await keys.client_for(intake.param(request.args, "api_key"),
                                   client_address())
    problems = Problems()
    window = queries.window(request.args, datetime.now(UTC), UPDATES_SPAN,
                            problems)
    page = queries.page(request.args, problems)
    problems.raise_any()

    rows = await updates.updates_for(client, window, page, _settings().timezone)
    return respond(fmt, "service_requests_updates", Many("request_update", rows))


@blueprint.post("/servicerequestupdates.<fmt>")
@hide
async def create_update(fmt: str) -> Response:
    """A reporter's comment on a report, sent on by the client system."""
    fmt = _format(fmt)
    form = await _form()
    client = await keys.client_for(intake.param(form, "api_key"), client_address())
    await rate.check_writes(client)
    comment = updates.read_comment(form)

    update_id = await updates.receive(client, comment)
    return respond(fmt, "service_request_updates",
                   Many("request_update", [{"update_id": update_id}]))
