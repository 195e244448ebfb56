"""Logging calls to the members' line, and raising a case from one."""

from __future__ import annotations

import re

import pytest

from server.hub.models import Contact
from server.models import Case, CaseEvent, CaseKind, Channel, EventKind, Priority
from tests.factories import make_council
from tests.staff_forms import (
    ESCAPED,
    SCRIPT,
    as_staff,
    error_summary,
    field_error,
    notices,
    page,
    submit,
)
from tests.test_hub_actions import raise_case


def member_options(text: str) -> list[str]:
    select = text[text.index('id="call-member_id"'):].split("</select>")[0]
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)


async def test_the_member_is_found_by_name_ward_or_party(client):
    council = await make_council()
    await as_staff(client, council.agent)

    _, everyone = await page(client, "/staff/calls/new")
    _, by_name = await page(client, "/staff/calls/new?name=member+2")
    _, by_ward = await page(
        client, f"/staff/calls/new?ward={council.wards[1].id}")
    _, nobody = await page(client, "/staff/calls/new?name=zebra")

    assert len(member_options(everyone)) == 3
    assert member_options(by_name) == ["Member 2, APNI, Botanic"]
    assert re.search(r'<option value="\d+" selected>Member 2', by_name)
    assert member_options(by_ward) == ["Member 1, APNI, Castle"]
    assert "0 members found." in nobody


async def test_a_call_is_just_logged(client):
    council = await make_council()
    await as_staff(client, council.agent)

    status, _, location = await submit(client, "/staff/calls", {
        "member_id": council.members[1].id, "summary": "Asked about bin days",
        "notes": "Sent the link", "about": "none"})
    _, text = await page(client, location)

    assert (status, location) == (302, "/staff/calls/new")
    assert notices(text) == ["The call from Member 1 is logged."]
    contact = await Contact.get(channel=Channel.PHONE)
    assert (contact.member_id, contact.agent_id, contact.case_id, contact.notes) == (
        council.members[1].id, council.agent.id, None, "Sent the link")
    today = text[text.index('id="today-title"'):]
    assert "Asked about bin days" in today and "Member 1" in today


async def test_a_call_about_a_case_goes_on_its_timeline(client):
    council = await make_council()
    case = await raise_case(council)
    await as_staff(client, council.agent)

    status, _, _ = await submit(client, "/staff/calls", {
        "member_id": council.members[0].id, "summary": "Where is the crew?",
        "about": "case", "reference": case.reference.lower()})

    assert status == 302
    (event,) = await CaseEvent.filter(case_id=case.id, kind=EventKind.CONTACT)
    assert event.data["summary"] == "Where is the crew?"
    _, text = await page(client, "/staff/calls/new")
    assert f'<a href="/staff/cases/{case.reference}">{case.reference}</a>' in text


async def test_a_case_is_raised_on_the_phone_with_its_questions(client):
    council = await make_council()
    await as_staff(client, council.agent)
    bins = council.missed_bin

    status, _, _ = await submit(client, "/staff/calls", {
        "member_id": council.members[2].id, "summary": "Bins missed again",
        "notes": "Whole street", "about": "new", "category_id": bins.id,
        f"answer-{bins.id}-bin": "Blue", "kind": "member_enquiry",
        "description": "Blue bins not emptied on Castle Street",
        "address": "Castle Street", "constituent_name": "Sam Resident",
        "constituent_phone": "028 9000 0000", "priority": "high",
        # An answer for a category that was not chosen is not sent on.
        f"answer-{council.fly_tipping.id}-what": "Mattress"})

    assert status == 302
    case = await Case.get(member_id=council.members[2].id)
    assert (case.channel, case.kind, case.priority, case.category_id) == (
        Channel.PHONE, CaseKind.MEMBER_ENQUIRY, Priority.HIGH, bins.id)
    assert case.answers == {"bin": "Blue"}
    assert (case.address, case.constituent_name, case.constituent_phone) == (
        "Castle Street", "Sam Resident", "028 9000 0000")
    (contact,) = await Contact.filter(case_id=case.id)
    assert (contact.channel, contact.agent_id, contact.summary) == (
        Channel.PHONE, council.agent.id, "Bins missed again")
    _, text = await page(client, "/staff/calls/new")
    assert notices(text) == [f"Case {case.reference} is raised for Member 2, and "
                             "the call logged on it."]


async def test_without_script_the_category_s_questions_come_on_request(client):
    council = await make_council()
    await as_staff(client, council.agent)
    bins = council.missed_bin

    _, first = await page(client, "/staff/calls/new")
    status, text, _ = await submit(client, "/staff/calls", {
        "member_id": council.members[0].id, "summary": "Bins", "about": "new",
        "category_id": bins.id, "action": "questions"})

    assert f'<fieldset data-category="{bins.id}" hidden disabled>' in first
    assert status == 200
    assert f'<fieldset data-category="{bins.id}">' in text
    assert 'value="Bins"' in text
    assert await Contact.all().count() == 0


# what is sent, the field blamed and words of the message
CALL_ERRORS = [
    ({"summary": "Hi", "about": "none"}, "member_id", "Choose the member who called."),
    ({"member_id": "9999", "summary": "Hi", "about": "none"}, "member_id",
     "search for them by name"),
    ({"member": 0, "summary": "", "about": "none"}, "summary",
     "Enter what they called about."),
    ({"member": 0, "summary": "Hi", "about": "maybe"}, "about",
     "Choose what to do with the call."),
    ({"member": 0, "summary": "Hi", "about": "case", "reference": ""},
     "reference", "Enter the case's reference."),
    ({"member": 0, "summary": "Hi", "about": "case", "reference": "CH-999999"},
     "reference", "There is no case CH-999999"),
    ({"member": 0, "summary": "Hi", "about": "new"}, "category_id",
     "Choose the case's category."),
    ({"member": 0, "summary": "Hi", "about": "new", "category": "bins",
      "kind": "service_request"}, "description",
     "Enter a description of the issue."),
    ({"member": 0, "summary": "Hi", "about": "new", "category": "bins",
      "kind": "service_request", "description": "Missed"}, "answer-bins-bin",
     "Which bin is required for Missed bin."),
    ({"member": 0, "summary": "Hi", "about": "new", "category": "bins",
      "kind": "service_request", "description": "Missed", "answer-bins-bin":
      "Purple"}, "answer-bins-bin", "Which bin must be one of: Black, Blue, Brown."),
    ({"member": 0, "summary": "Hi", "about": "new", "category": "bins",
      "kind": "weird", "description": "Missed"}, "kind",
     "Choose the kind of case from the list."),
    ({"member": 0, "summary": "Hi", "about": "new", "category": "bins",
      "kind": "service_request", "description": "Missed",
      "constituent_email": "x" * 255}, "constituent_email", "shorten it to 254"),
]


@pytest.mark.parametrize(("sent", "field", "words"), CALL_ERRORS)
async def test_each_call_error_names_its_field_and_keeps_the_form(
        client, sent, field, words):
    council = await make_council()
    await as_staff(client, council.agent)
    bins = str(council.missed_bin.id)
    form = {}
    for name, value in sent.items():
        if name == "member":
            form["member_id"] = council.members[value].id
        elif name == "category":
            form["category_id"] = bins
        else:
            form[name.replace("bins", bins)] = value
    field = field.replace("bins", bins)

    status, text, _ = await submit(client, "/staff/calls", form)

    assert status == 422
    target, message = error_summary(text)
    assert (target, words in message) == (f"call-{field}", True), message
    if field != "about":
        assert words in field_error(text, f"call-{field}")
    if form.get("summary"):
        assert f'value="{form["summary"]}"' in text
    assert await Contact.all().count() == 0


@pytest.mark.parametrize("who", ["officer", "trainer"])
async def test_only_the_hub_logs_calls(client, who):
    council = await make_council()
    await as_staff(client, getattr(council, who))

    shown, _ = await page(client, "/staff/calls/new")
    posted, _, _ = await submit(client, "/staff/calls", {
        "member_id": council.members[0].id, "summary": "Hi", "about": "none"})

    assert (shown, posted) == (403, 403)
    assert await Contact.all().count() == 0


async def test_a_call_without_its_form_token_is_refused(client):
    council = await make_council()
    await as_staff(client, council.agent)

    status, _, _ = await submit(client, "/staff/calls", {
        "member_id": council.members[0].id, "summary": "Hi", "about": "none"},
        token=False)

    assert status == 403
    assert await Contact.all().count() == 0


async def test_the_call_page_escapes_what_people_typed(client):
    council = await make_council()
    council.members[0].name = SCRIPT
    await council.members[0].save()
    await as_staff(client, council.agent)
    await submit(client, "/staff/calls", {
        "member_id": council.members[0].id, "summary": SCRIPT, "about": "none"})

    _, text = await page(client, f"/staff/calls/new?name={SCRIPT}")
    _, refused, _ = await submit(client, "/staff/calls", {
        "member_id": council.members[0].id, "summary": SCRIPT,
        "notes": SCRIPT, "about": "case", "reference": "CH-999999"})

    for shown in (text, refused):
        assert SCRIPT not in shown
        assert ESCAPED in shown
