"""POST requests and GET requests: reports join the hub's queue and read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server import casework
from server.hub.models import Contact
from server.models import Case, Channel, Status
from server.open311.limits import WRITES_PER_MINUTE
from server.open311.models import Open311Request
from sync.feed import write_transaction
from tests.factories import make_council, sign_in
from tests.open311_client import (
    BASE,
    REQUEST_FIELDS,
    json_of,
    new_key,
    post_form,
    report,
    same_in_both,
    tags,
    xml_of,
)

REQUEST_LISTS = frozenset({"service_requests"})


async def test_a_report_becomes_an_open_case_in_the_hubs_queue(client):
    council = await make_council()
    key = await new_key()

    response = await post_form(client, "/requests.json", report(
        key, media_url="https://fixmystreet.example/photo/1.jpg",
        account_id="fms-user-9", **{"attribute[amount]": "A van load",
                                    "attribute[uprn]": "185000123"}))

    assert response.status_code == 200, await response.get_data(as_text=True)
    (answer,) = await json_of(response)
    assert set(answer) == {"service_request_id", "service_notice", "account_id"}
    assert answer["account_id"] == "fms-user-9"
    case = await Case.get(reference=answer["service_request_id"])
    assert (case.member_id, case.channel, case.status) == (
        None, Channel.WEB, Status.SUBMITTED)
    assert case.answers == {"what": "Household", "amount": "A van load"}
    assert (case.latitude, case.longitude) == (54.5873, -5.9301)
    assert case.constituent_name == "Jane Smith"
    assert (case.constituent_email, case.constituent_phone) == (
        "jane@example.org", "028 9000 0000")
    assert case.description == "A fridge dumped at the entry behind the shops"
    contact = await Contact.get(case_id=case.id)
    assert (contact.channel, contact.source, contact.member_id) == (
        Channel.WEB, "FixMyStreet", None)
    record = await Open311Request.get(case_id=case.id)
    assert record.attributes["uprn"] == ["185000123"]
    assert case.reference in answer["service_notice"]

    await sign_in(client, council.agent)
    queue = await (await client.get("/api/staff/cases?status=submitted")).get_json()
    assert [c["reference"] for c in queue["cases"]] == [case.reference]
    shown = await (await client.get(f"/api/staff/cases/{case.reference}")).get_json()
    assert "https://fixmystreet.example/photo/1.jpg" in shown["events"][-1]["data"][
        "text"]


async def test_a_report_answers_in_xml_as_the_standard_shows(client):
    await make_council()

    response = await post_form(client, "/requests.xml", report(
        await new_key(), lat=None, long=None,
        address_string="12 Botanic Avenue, Belfast BT7 1JQ"))

    root = await xml_of(response)
    assert root.tag == "service_requests"
    assert tags(root) == ["request"]
    assert tags(root[0]) == ["service_request_id", "service_notice", "account_id"]
    case = await Case.get(reference=root.findtext("request/service_request_id"))
    assert case.address == "12 Botanic Avenue, Belfast BT7 1JQ"
    assert case.latitude is None


async def test_a_report_without_a_key_is_refused_with_403(client):
    await make_council()

    missing = await post_form(client, "/requests.json", report(""))
    wrong = await post_form(client, "/requests.xml", report("o311_nope"))

    assert missing.status_code == wrong.status_code == 403
    assert "api_key" in (await json_of(missing))[0]["description"]
    assert (await xml_of(wrong)).findtext("error/code") == "403"
    assert await Case.all().count() == 0


async def test_every_fault_of_a_report_is_named_at_once(client):
    await make_council()

    response = await post_form(client, "/requests.json", report(
        await new_key(), long=None, description="x" * 4001,
        email="not an address", **{"attribute[what]": "Sofa"}))

    assert response.status_code == 400
    errors = await json_of(response)
    assert {error["code"] for error in errors} == {400}
    said = " ".join(error["description"] for error in errors)
    for words in ("lat and long", "description", "email", "attribute[what]"):
        assert words in said
    assert len(errors) == 4
    assert await Case.all().count() == 0


async def test_what_a_report_must_have(client):
    await make_council()
    key = await new_key()

    cases = {
        "no service": (report(key, service_code=None), 400,
                       "service_code is required"),
        "unknown service": (report(key, service_code="potholes"), 404,
                            "potholes"),
        "no location": (report(key, lat=None, long=None), 400,
                        "A location is required"),
        "latitude out of range": (report(key, lat="91"), 400, "lat must"),
        "longitude not a number": (report(key, long="west"), 400,
                                   "long must"),
        "required attribute": (report(key, **{"attribute[what]": ""}),
                               400, "attribute[what] is required"),
        "two values for one": ([*report(key),
                                ("attribute[what][]", "Other")], 400,
                               "takes one value"),
        "media not a link": (report(key, media_url="file:///etc/passwd"),
                             400, "media_url"),
    }
    for name, (form, status, words) in cases.items():
        response = await post_form(client, "/requests.json", form)
        assert response.status_code == status, name
        assert words in (await json_of(response))[0]["description"], name
    assert await Case.all().count() == 0


async def test_an_address_id_alone_is_a_location(client):
    await make_council()

    response = await post_form(client, "/requests.json", report(
        await new_key(), lat=None, long=None, address_id="185000123"))

    assert response.status_code == 200
    (answer,) = await json_of(response)
    read = await json_of(await client.get(
        f"{BASE}/requests/{answer['service_request_id']}.json"))
    assert read[0]["address_id"] == "185000123"


async def test_a_body_too_large_is_413_in_the_standard_shape(client):
    await make_council()

    response = await post_form(client, "/requests.xml", report(
        await new_key(), description="x" * 200_000))

    assert response.status_code == 413
    assert (await xml_of(response)).findtext("error/code") == "413"


async def test_a_client_sending_too_fast_is_told_to_wait(client):
    council = await make_council()
    key = await new_key()
    for _ in range(WRITES_PER_MINUTE):
        await _report_case(council)

    response = await post_form(client, "/requests.json", report(key))

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert (await json_of(response))[0]["code"] == 429


async def _report_case(council, client_name: str = "FixMyStreet") -> None:
    from server.open311.models import Open311Client

    client = await Open311Client.get(name=client_name)
    case = await _case(council)
    await Open311Request.create(case_id=case.id, client_id=client.id,
                                received_at=case.created_at)


async def _case(council):
    import uuid

    from server.casework import Constituent, Location, NewCase
    from server.models import CaseKind

    async with write_transaction() as writer:
        return await casework.create_case(writer, None, NewCase(
            id=uuid.uuid4(), kind=CaseKind.SERVICE_REQUEST,
            category_id=council.overgrown.id, description="Long grass",
            answers={}, constituent=Constituent(), location=Location(
                address="Ormeau Park"), channel=Channel.WEB), source="test")


async def test_a_report_reads_back_in_both_formats_with_every_field(client):
    await make_council()
    answer = await json_of(await post_form(client, "/requests.json", report(
        await new_key(), address_string="Entry off Botanic Avenue",
        media_url="https://fixmystreet.example/photo/1.jpg")))
    reference = answer[0]["service_request_id"]

    requests, root = await same_in_both(client, f"/requests/{reference}",
                                        REQUEST_LISTS)

    assert root.tag == "service_requests"
    assert tags(root) == ["request"]
    assert tags(root[0]) == REQUEST_FIELDS
    (request,) = requests
    assert request["service_request_id"] == reference
    assert request["status"] == "open"
    assert request["service_code"] == "fly_tipping"
    assert request["service_name"] == "Fly-tipping"
    assert request["agency_responsible"] == "Cleansing and Waste"
    assert request["address"] == "Entry off Botanic Avenue"
    assert (request["lat"], request["long"]) == (54.5873, -5.9301)
    assert request["media_url"] == "https://fixmystreet.example/photo/1.jpg"
    assert request["status_notes"] is None
    assert request["requested_datetime"].endswith(("+00:00", "+01:00"))
    for field in ("requested_datetime", "updated_datetime"):
        moment = datetime.fromisoformat(request[field])
        assert moment.tzinfo is not None
        assert abs(moment - datetime.now(UTC)) < timedelta(minutes=1)
    text = (await xml_of(await client.get(f"{BASE}/requests/{reference}.xml")))
    assert "jane" not in str(tags(text[0])).lower()
    body = await (await client.get(f"{BASE}/requests/{reference}.json")).get_data(
        as_text=True)
    assert "Jane" not in body and "jane@example.org" not in body


async def test_a_members_case_is_never_published(client):
    council = await make_council()
    case = await _case(council)

    one = await client.get(f"{BASE}/requests/{case.reference}.json")
    listed = await json_of(await client.get(f"{BASE}/requests.json"))

    assert one.status_code == 404
    assert listed == []


async def test_the_list_filters_as_the_standard_says(client):
    council = await make_council()
    key = await new_key()
    sent = []
    for form in (report(key),
                 report(key, service_code="overgrown",
                        **{"attribute[what]": None}),
                 report(key, service_code="missed_bin",
                        **{"attribute[what]": None, "attribute[bin]": "Blue"})):
        answer = await json_of(await post_form(client, "/requests.json", form))
        sent.append(answer[0]["service_request_id"])
    fly, grass, bins = sent
    await _finish(council, grass)

    async def ids(query: str) -> list[str]:
        response = await client.get(f"{BASE}/requests.json?{query}")
        assert response.status_code == 200, await response.get_data(as_text=True)
        return [r["service_request_id"] for r in await json_of(response)]

    assert await ids("") == [bins, grass, fly]
    assert await ids("status=open") == [bins, fly]
    assert await ids("status=closed") == [grass]
    assert await ids("status=open,closed") == [bins, grass, fly]
    assert await ids("service_code=fly_tipping,missed_bin") == [bins, fly]
    assert await ids("service_code=fly_tipping&service_code=overgrown") == [
        grass, fly]
    assert await ids(f"service_request_id={fly},{grass}&status=open") == [
        grass, fly]
    assert await ids("status=&service_code=") == [bins, grass, fly]
    assert await ids("page_size=2") == [bins, grass]
    assert await ids("page_size=2&page=2") == [fly]
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await ids(f"start_date={later}") == []
    assert await ids(f"end_date={later}") == [bins, grass, fly]


async def _finish(council, reference: str) -> None:
    async with write_transaction() as writer:
        case = await Case.get(reference=reference)
        await casework.change_status(writer, case, council.agent, Status.RESOLVED,
                                     "Cut on Tuesday.")


async def test_a_closed_request_says_when_and_why(client):
    council = await make_council()
    answer = await json_of(await post_form(client, "/requests.json",
                                           report(await new_key())))
    reference = answer[0]["service_request_id"]
    await _finish(council, reference)

    (request,) = await json_of(await client.get(f"{BASE}/requests/{reference}.json"))

    assert request["status"] == "closed"
    assert request["status_notes"] == "Cut on Tuesday."
    case = await Case.get(reference=reference)
    closed_at = datetime.fromisoformat(request["updated_datetime"])
    assert closed_at == case.updated_at.replace(microsecond=0)


async def test_the_default_window_is_the_last_90_days(client):
    await make_council()
    answer = await json_of(await post_form(client, "/requests.json",
                                           report(await new_key())))
    old = datetime.now(UTC) - timedelta(days=91)
    await Open311Request.filter(case__reference=answer[0]["service_request_id"]
                                ).update(received_at=old)

    listed = await json_of(await client.get(f"{BASE}/requests.json"))
    start = (old - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    found = await json_of(await client.get(
        f"{BASE}/requests.json?start_date={start.replace('+', '%2B')}"))

    assert listed == []
    assert [r["service_request_id"] for r in found] == [
        answer[0]["service_request_id"]]


async def test_bad_filters_are_400_naming_the_filter(client):
    cases = {
        "start_date=2026-11-30": "start_date must be a W3C date",
        "end_date=2026-11-30T09:00:00": "time zone",
        "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z":
            "at most 90 days",
        "start_date=2026-06-01T00:00:00Z&end_date=2026-01-01T00:00:00Z":
            "before start_date",
        "status=fixed": "status must be open, closed",
        "page_size=5000": "page_size",
        "page=0": "page must",
    }
    for query, words in cases.items():
        response = await client.get(f"{BASE}/requests.xml?{query}")
        assert response.status_code == 400, query
        root = await xml_of(response)
        assert words in root.findtext("error/description"), query


async def test_an_unescaped_plus_in_a_date_still_reads(client):
    response = await client.get(
        f"{BASE}/requests.json?start_date=2026-11-01T00:00:00+00:00"
        "&end_date=2026-11-30T00:00:00+00:00")

    assert response.status_code == 200


async def test_an_unknown_request_is_404(client):
    response = await client.get(f"{BASE}/requests/CH-999999.json")

    assert response.status_code == 404
    assert "CH-999999" in (await json_of(response))[0]["description"]


async def test_a_body_that_is_not_utf8_is_400(client):
    await make_council()
    key = await new_key()

    response = await client.post(
        f"{BASE}/requests.json", headers={
            "Content-Type": "application/x-www-form-urlencoded"},
        data=f"api_key={key}&service_code=overgrown&address_string=".encode()
        + b"\xff\xfe")

    assert response.status_code == 400
    assert "UTF-8" in (await json_of(response))[0]["description"]
