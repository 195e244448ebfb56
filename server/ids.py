"""Row ids as the API takes them: whole numbers the database can hold.

A number past what an id column holds would fail deep in the database
driver; refused at the edge, it is a 404 for a path and a 422 for a body.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**31 - 1

RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class RowIdConverter(IntegerConverter):
    """`<int:...>` in a route, limited to what an id column holds."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
