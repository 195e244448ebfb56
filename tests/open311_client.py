"""Speaking Open311 to the app in tests: forms, keys, and the standard's shapes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode

from quart.typing import TestClientProtocol

from server.open311 import keys

BASE = "/open311/v2"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

# The fields of a request in GET requests, as the standard lists them.
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name",
    "service_code", "description", "agency_responsible", "service_notice",
    "requested_datetime", "updated_datetime", "expected_datetime", "address",
    "address_id", "zipcode", "lat", "long", "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata",
                  "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required",
                    "datatype_description", "order", "description", "values"]
UPDATE_FIELDS = ["update_id", "service_request_id", "status", "description",
                 "updated_datetime", "media_url", "external_status_code"]


async def new_key(name: str = "FixMyStreet") -> str:
    return await keys.issue(name)


def report(key: str, **extra: Any) -> list[tuple[str, str]]:
    """The form FixMyStreet sends for a fly-tipping report; None drops a field."""
    fields = {
        "api_key": key,
        "jurisdiction_id": "council.test",
        "service_code": "fly_tipping",
        "lat": "54.5873",
        "long": "-5.9301",
        "description": "A fridge dumped at the entry behind the shops",
        "first_name": "Jane",
        "last_name": "Smith",
        "email": "jane@example.org",
        "phone": "028 9000 0000",
        "attribute[what]": "Household",
    }
    fields.update(extra)
    return [(name, value) for name, value in fields.items() if value is not None]


async def post_form(client: TestClientProtocol, path: str,
                    pairs: list[tuple[str, str]]) -> Any:
    return await client.post(BASE + path, data=urlencode(pairs), headers=FORM)


async def xml_of(response: Any) -> ET.Element:
    """The body parsed by a real XML parser, after checking the declaration."""
    body = await response.get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>'), body[:80]
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    return ET.fromstring(body.encode())


async def json_of(response: Any) -> Any:
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(await response.get_data(as_text=True))


def tags(element: ET.Element) -> list[str]:
    return [child.tag for child in element]


def spark(element: ET.Element, lists: frozenset[str]) -> Any:
    """The Spark convention's JSON for an element, with values as XML text.

    `lists` names the elements that hold repeated children, which become
    arrays even when they hold one child or none.
    """
    if element.tag in lists:
        return [spark(child, lists) for child in element]
    if len(element):
        return {child.tag: spark(child, lists) for child in element}
    return element.text


def as_xml_text(value: Any) -> Any:
    """A JSON value as the XML text the same document would hold."""
    if isinstance(value, list):
        return [as_xml_text(item) for item in value]
    if isinstance(value, dict):
        return {name: as_xml_text(inner) for name, inner in value.items()}
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or value == "":
        return None
    return str(value)


async def same_in_both(client: TestClientProtocol, path: str,
                       lists: frozenset[str]) -> tuple[Any, ET.Element]:
    """Fetch a resource as JSON and as XML, and check they say the same."""
    stem, mark, query = path.partition("?")
    suffix = mark + query
    as_json = await json_of(await client.get(f"{BASE}{stem}.json{suffix}"))
    root = await xml_of(await client.get(f"{BASE}{stem}.xml{suffix}"))
    assert spark(root, lists) == as_xml_text(as_json)
    return as_json, root
