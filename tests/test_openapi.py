"""The OpenAPI document describes every API route, and describes it properly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from quart import Quart

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
CONVERTER = re.compile(r"<(?:[^:<>]*:)?([^<>]+)>")


async def spec_of(client: Any) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return await response.get_json()


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def api_routes(app: Quart) -> set[tuple[str, str]]:
    """Every (method, path) under /api the app answers, in OpenAPI spelling."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = CONVERTER.sub(r"{\1}", rule.rule)
        for method in rule.methods or ():
            if method.lower() in HTTP_METHODS:
                found.add((method.lower(), path))
    return found


async def test_the_document_is_openapi_3_1(client):
    spec = await spec_of(client)

    assert spec["openapi"].startswith("3.1")
    assert spec["info"]["title"] == "casehub"


async def test_every_api_route_is_described(app, client):
    spec = await spec_of(client)
    described = {(method, path) for method, path, _ in operations(spec)}

    routes = api_routes(app)
    assert len(routes) >= 20
    assert routes - described == set()


async def test_every_operation_says_what_it_does(client):
    spec = await spec_of(client)

    unexplained = [
        f"{method.upper()} {path}"
        for method, path, operation in operations(spec)
        if not (operation.get("summary") or operation.get("description"))
    ]
    assert unexplained == []


async def test_every_request_body_is_required(client):
    spec = await spec_of(client)

    bodies = {
        f"{method.upper()} {path}": operation["requestBody"]
        for method, path, operation in operations(spec)
        if "requestBody" in operation
    }
    assert "POST /api/sync/push" in bodies
    assert "PUT /api/photos/{sha256}" in bodies
    assert [name for name, body in bodies.items() if not body.get("required")] == []


async def test_each_operation_names_how_to_sign_in(client):
    spec = await spec_of(client)
    schemes = spec["components"]["securitySchemes"]
    by_route = {
        f"{method.upper()} {path}": operation.get("security")
        for method, path, operation in operations(spec)
    }

    assert schemes["deviceToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["staffSession"]["in"] == "cookie"
    assert by_route["POST /api/devices/enroll"] == []
    assert by_route["POST /api/sync/push"] == [{"deviceToken": []}]
    assert by_route["GET /api/staff/cases"] == [{"staffSession": []}]
    assert all(security is not None for security in by_route.values())


async def test_every_operation_documents_the_problem_shape(client):
    spec = await spec_of(client)

    problem = spec["components"]["schemas"]["Problem"]
    assert {"code", "detail", "status"} <= set(problem["required"])
    for method, path, operation in operations(spec):
        default = operation["responses"].get("default")
        assert default is not None, f"{method.upper()} {path}"
        assert "application/problem+json" in default["content"]


async def test_the_document_passes_the_openapi_validator(client):
    validator = pytest.importorskip("openapi_spec_validator")

    validator.validate(await spec_of(client))
