"""The OpenAPI description: required bodies, who may call what, photo uploads."""

from __future__ import annotations

from typing import Any

from quart_schema.openapi import (
    APIKeySecurityScheme,
    HttpSecurityScheme,
    OpenAPIProvider,
)
from werkzeug.routing import Rule

DEVICE = "deviceToken"
STAFF = "staffSession"

# A phone sends its token as a bearer; staff carry the session cookie.
SECURITY_SCHEMES: dict[str, Any] = {
    DEVICE: HttpSecurityScheme(scheme="bearer"),
    STAFF: APIKeySecurityScheme(name="casehub_session", in_="cookie"),
}

# Calls anyone may make: they are how a phone or a person gets signed in.
OPEN_TO_ALL = frozenset({
    ("post", "/api/devices/enroll"),
    ("post", "/api/staff/session"),
    ("delete", "/api/staff/session"),
})
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")

PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "code": {"type": "string", "description": "Stable; branch on this."},
        "detail": {"type": "string", "description": "For people to read."},
        "field": {"type": "string", "description": "The input that was wrong."},
    },
}
PHOTO: dict[str, Any] = {
    "type": "object",
    "required": ["sha256", "mime", "size", "width", "height"],
    "properties": {
        "sha256": {"type": "string"},
        "mime": {"type": "string"},
        "size": {"type": "integer"},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
    },
}


class RequiredBodyProvider(OpenAPIProvider):
    """Every JSON body this API validates is required; say so in the spec.

    Each operation also names how it is signed in to and how it fails, and
    the photo routes, whose bodies are image bytes rather than JSON, describe
    those bodies here because no schema can.
    """

    def build_request_body(self, *args: Any, **kwargs: Any) -> Any:
        body, components = super().build_request_body(*args, **kwargs)
        if body:
            body["required"] = True
        return body, components

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        components["Problem"] = PROBLEM
        for path, operations in paths.items():
            for method, operation in operations.items():
                operation["security"] = security_for(method, path)
                # Models give their status as a number; JSON keys are text.
                operation["responses"] = {
                    **{str(code): answer
                       for code, answer in operation["responses"].items()},
                    **fixed_responses(method, path),
                    "default": problem_response(),
                }
                if method == "put" and path.startswith("/api/photos/"):
                    operation["requestBody"] = image_body()
        return paths, components


def security_for(method: str, path: str) -> list[dict[str, list[str]]]:
    if (method, path) in OPEN_TO_ALL:
        return []
    if path.startswith("/api/staff/"):
        return [{STAFF: []}]
    if method == "get" and path.startswith("/api/photos/"):
        return [{DEVICE: []}, {STAFF: []}]
    return [{DEVICE: []}]


def image_body() -> dict[str, Any]:
    binary = {"schema": {"type": "string", "contentMediaType": "image/*"}}
    return {
        "required": True,
        "description": "The image bytes, whose SHA-256 is the last part of the path.",
        "content": {mime: binary for mime in IMAGE_TYPES},
    }


def fixed_responses(method: str, path: str) -> dict[str, Any]:
    """Answers of the routes that return no validated model."""
    if path.startswith("/api/photos/"):
        if method == "put":
            stored = {"content": {"application/json": {"schema": PHOTO}}}
            return {"201": {"description": "Stored.", **stored},
                    "200": {"description": "Already stored.", **stored}}
        binary = {"schema": {"type": "string", "contentMediaType": "image/*"}}
        return {"200": {"description": "The stored image, metadata removed.",
                        "content": {mime: binary for mime in IMAGE_TYPES}}}
    if method == "delete":
        return {"204": {"description": "Done."}}
    return {}


def problem_response() -> dict[str, Any]:
    return {
        "description": "A problem: the error shape every endpoint shares.",
        "content": {
            "application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"},
            },
        },
    }
