"""Open311 documents, written as XML or as the Spark mapping of that XML.

A document is a root element holding either a dict of fields or a `Many`:
repeated elements of one name. In JSON a `Many` is an array, wherever it
stands, so a list of requests is a top-level array and a service's
attributes an array inside its object, as the standard's examples show.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from quart import Response

FORMATS = ("xml", "json")
MIME = {"xml": "text/xml", "json": "application/json"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# Characters XML 1.0 cannot carry at all, even escaped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Many:
    """Repeated elements named `tag`: an array in JSON."""

    tag: str
    items: list[Any]


Body = dict[str, Any] | Many


def respond(fmt: str, root: str, body: Body, status: int = 200) -> Response:
    if fmt == "json":
        text = json.dumps(_plain(body), ensure_ascii=False)
    else:
        text = to_xml(root, body)
    return Response(text, status=status,
                    content_type=f"{MIME[fmt]}; charset=utf-8")


def to_xml(root: str, body: Body) -> str:
    element = ET.Element(root)
    _fill(element, body)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode")


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Many):
        for item in value.items:
            _fill(ET.SubElement(element, value.tag), item)
    elif isinstance(value, dict):
        for name, inner in value.items():
            _fill(ET.SubElement(element, name), inner)
    elif value is not None:
        element.text = NOT_XML.sub("", _text(value))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Many):
        return [_plain(item) for item in value.items]
    if isinstance(value, dict):
        return {name: _plain(inner) for name, inner in value.items()}
    return value
