"""The OpenAPI description, with request bodies marked as required."""

from __future__ import annotations

from typing import Any

from quart_schema.openapi import OpenAPIProvider


class RequiredBodyProvider(OpenAPIProvider):
    """Every JSON body this API validates is required; say so in the spec."""

    def build_request_body(self, *args: Any, **kwargs: Any) -> Any:
        body, components = super().build_request_body(*args, **kwargs)
        if body:
            body["required"] = True
        return body, components
