"""Discovery, the service list and service definitions, as the standard shows them."""

from __future__ import annotations

import re
from pathlib import Path

from server.models import Category
from tests.factories import make_council
from tests.open311_client import (
    ATTRIBUTE_FIELDS,
    BASE,
    SERVICE_FIELDS,
    json_of,
    same_in_both,
    tags,
    xml_of,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "open311.md"
SERVICE_LISTS = frozenset({"services"})
DEFINITION_LISTS = frozenset({"attributes", "values"})


async def test_discovery_names_the_endpoint_and_its_formats(client):
    await make_council()

    document, root = await same_in_both(client, "/discovery",
                                        frozenset({"endpoints", "formats"}))

    assert root.tag == "discovery"
    assert tags(root) == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = root.find("endpoints") or []
    assert endpoint.tag == "endpoint"
    assert tags(endpoint) == ["specification", "url", "changeset", "type",
                              "formats"]
    assert document["endpoints"] == [{
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://127.0.0.1:8000/open311/v2",
        "changeset": document["changeset"],
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }]
    assert int(document["changeset"]) > 0


async def test_the_changeset_moves_when_a_service_changes(client):
    council = await make_council()
    before = (await json_of(await client.get(f"{BASE}/discovery.json")))["changeset"]

    from server.reference import publish_category
    from sync.feed import write_transaction

    council.overgrown.name = "Long grass"
    await council.overgrown.save()
    async with write_transaction() as writer:
        publish_category(writer, council.overgrown)
    after = (await json_of(await client.get(f"{BASE}/discovery.json")))["changeset"]

    assert int(after) > int(before)


async def test_the_services_are_the_active_categories(client):
    council = await make_council()
    await Category.create(code="retired", name="Retired", department=council.parks,
                          active=False)

    services, root = await same_in_both(client, "/services", SERVICE_LISTS)

    assert root.tag == "services"
    assert {child.tag for child in root} == {"service"}
    assert all(tags(service) == SERVICE_FIELDS for service in root)
    assert [s["service_code"] for s in services] == [
        "fly_tipping", "missed_bin", "overgrown"]
    fly_tipping = services[0]
    assert fly_tipping["service_name"] == "Fly-tipping"
    assert fly_tipping["metadata"] is True
    assert fly_tipping["type"] == "realtime"
    assert fly_tipping["group"] == "Cleansing and Waste"
    assert services[2]["metadata"] is False
    assert root.find("service/metadata").text == "true"


async def test_a_definition_lists_the_questions_as_attributes(client):
    await make_council()

    definition, root = await same_in_both(client, "/services/fly_tipping",
                                          DEFINITION_LISTS)

    assert root.tag == "service_definition"
    assert tags(root) == ["service_code", "attributes"]
    assert tags(root.find("attributes")) == ["attribute", "attribute"]
    assert all(tags(a) == ATTRIBUTE_FIELDS for a in root.find("attributes"))
    what, amount = definition["attributes"]
    assert what == {
        "variable": True, "code": "what", "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": "One of: Household, Mattress, Builders' waste, "
                                "Other.",
        "order": 1, "description": "What was dumped",
        "values": [{"key": option, "name": option} for option in
                   ["Household", "Mattress", "Builders' waste", "Other"]],
    }
    assert (amount["datatype"], amount["required"], amount["order"]) == (
        "string", False, 2)
    assert amount["values"] == []
    value = root.find("attributes/attribute/values/value")
    assert tags(value) == ["key", "name"]


async def test_a_service_without_questions_has_no_attributes(client):
    await make_council()

    definition, _ = await same_in_both(client, "/services/overgrown",
                                       DEFINITION_LISTS)

    assert definition == {"service_code": "overgrown", "attributes": []}


async def test_an_unknown_service_is_404_in_both_formats(client):
    await make_council()

    as_json = await client.get(f"{BASE}/services/potholes.json")
    as_xml = await client.get(f"{BASE}/services/potholes.xml")

    assert as_json.status_code == as_xml.status_code == 404
    body = await json_of(as_json)
    assert [error["code"] for error in body] == [404]
    assert "potholes" in body[0]["description"]
    root = await xml_of(as_xml)
    assert root.tag == "errors"
    assert tags(root) == ["error"]
    assert tags(root[0]) == ["code", "description"]
    assert root.findtext("error/code") == "404"


async def test_an_inactive_service_cannot_be_defined(client):
    council = await make_council()
    council.overgrown.active = False
    await council.overgrown.save()

    response = await client.get(f"{BASE}/services/overgrown.json")

    assert response.status_code == 404


async def test_unknown_formats_and_paths_answer_in_the_standard_shape(client):
    wrong_format = await client.get(f"{BASE}/services.html")
    no_format = await client.get(f"{BASE}/services/fly_tipping")
    nowhere = await client.get(f"{BASE}/potholes.json")
    tokens = await client.get(f"{BASE}/tokens/123.xml")
    wrong_method = await client.delete(f"{BASE}/requests.json")

    for response in (wrong_format, no_format, tokens):
        assert response.status_code == 404
        assert (await xml_of(response)).tag == "errors"
    assert nowhere.status_code == 404
    assert (await json_of(nowhere))[0]["code"] == 404
    assert "no tokens" in (await xml_of(tokens)).findtext("error/description")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert (await json_of(wrong_method))[0]["code"] == 405


async def test_open311_stays_out_of_the_openapi_document(app, client):
    spec = await (await client.get("/openapi.json")).get_json()

    assert not [path for path in spec["paths"] if path.startswith("/open311")]
    routes = [rule.rule for rule in app.url_map.iter_rules()
              if rule.rule.startswith(BASE)]
    assert len(routes) >= 8


def test_every_open311_route_is_in_its_doc(app):
    def shape(path: str) -> str:
        """A path with its format and the names of its parts left out."""
        path = re.sub(r"\.(<fmt>|\{xml,json\})$", "", path)
        return re.sub(r"<[^<>]+>|\{[^{}]+\}", "{}", path)

    documented = {
        (method, shape(path)) for method, path in
        re.findall(r"`(GET|POST) (/open311/v2/\S+)`", DOC.read_text())
    }
    routes = {
        (method, shape(rule.rule))
        for rule in app.url_map.iter_rules() if rule.rule.startswith(BASE)
        for method in rule.methods or () if method in {"GET", "POST"}
    }

    assert len(routes) >= 9
    assert sorted(routes - documented) == []
