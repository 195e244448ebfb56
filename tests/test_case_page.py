"""The case page: what it shows, each of its forms, and who may use which."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest

from server import casework
from server.casework import Constituent, Location, NewCase
from server.hub import actions
from server.hub.models import Contact, Handoff, ResponseTemplate
from server.mail.models import Attachment, MailDirection, MailMessage, MailState
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    EventKind,
    Photo,
    Priority,
    Status,
)
from sync.feed import write_transaction
from tests.factories import Council, make_council
from tests.staff_forms import (
    ESCAPED,
    SCRIPT,
    as_staff,
    error_summary,
    field_error,
    notices,
    page,
    second_agent,
    submit,
)
from tests.test_hub_actions import act, raise_case


async def full_case(council: Council, text: str = "Mattresses behind the shops",
                    ) -> Case:
    """A case with every detail filled in, as a member raises it."""
    new = NewCase(
        id=uuid.uuid4(), kind=CaseKind.MEMBER_ENQUIRY,
        category_id=council.fly_tipping.id, description=text,
        answers={"what": "Mattress", "amount": text},
        constituent=Constituent(name=text, address="3 Castle Street",
                                phone="028 9032 0202", email="sam@mail.test"),
        location=Location(latitude=54.58731, longitude=-5.93012, accuracy=12.4,
                          address="Botanic Avenue"),
    )
    async with write_transaction() as writer:
        return await casework.create_case(writer, council.members[0], new)


def case_url(case: Case, form: str = "") -> str:
    return f"/staff/cases/{case.reference}" + (f"/{form}" if form else "")


async def test_the_case_page_shows_every_detail(client):
    council = await make_council()
    case = await full_case(council)
    await Photo.create(sha256="a" * 64, mime="image/jpeg", size=10, width=1,
                       height=1, uploaded_by_id=council.members[0].id)
    await act(case, lambda w, c: casework.add_photo(w, c, council.members[0],
                                                    "a" * 64, "The entry"))
    mail = await MailMessage.create(
        message_id="<m@mail.test>", direction=MailDirection.IN,
        state=MailState.RECEIVED, case_id=case.id, sender="a@mail.test",
        recipient="m@hub.test", subject="Photo", body="", source="",
        created_at=datetime.now(UTC))
    attachment = await Attachment.create(
        mail_id=mail.id, case_id=case.id, sha256="b" * 64,
        filename="letter.pdf", mime="application/pdf", size=20480,
        created_at=datetime.now(UTC))
    await as_staff(client, council.agent)

    status, text = await page(client, case_url(case))

    assert status == 200
    assert f"<h1>Case {case.reference}</h1>" in text
    for shown in ("Fly-tipping", "<dt>What was dumped</dt><dd>Mattress</dd>",
                  "<dt>How much</dt>", "3 Castle Street", "028 9032 0202",
                  "sam@mail.test", "Botanic Avenue", "54.58731, -5.93012",
                  "to within 12 m", "Member 0, Alliance", "<dt>Ward</dt><dd>Botanic",
                  "by app", "member enquiry", "Written answer due",
                  "Acknowledge by"):
        assert shown in text, shown
    assert f'<img src="/api/photos/{"a" * 64}" alt="The entry">' in text
    assert (f'<a href="/staff/mail/attachments/{attachment.id}">letter.pdf</a> '
            "(application/pdf, 20 KB)") in text


async def test_the_timeline_marks_what_only_staff_see(client):
    council = await make_council()
    case = await raise_case(council)
    await act(case, lambda w, c: casework.reply(w, c, council.agent,
                                                "Crew booked for Friday"))
    await act(case, lambda w, c: casework.internal_note(w, c, council.agent,
                                                        "Third report here"))
    await as_staff(client, council.agent)

    _, text = await page(client, case_url(case))

    entries = re.findall(r'<li class="(staff-only|shared)">(.*?)</li>', text, re.S)
    kinds = [(kind, re.search(r"<strong>(.*?)</strong>", body).group(1))
             for kind, body in entries]
    assert kinds == [("shared", "Case raised"), ("shared", "Reply to the member"),
                     ("staff-only", "Internal note")]
    assert "Staff only</span>" in entries[2][1]
    assert "Staff only" not in entries[1][1]


async def test_an_agent_triages_takes_hands_off_and_replies(client):
    council = await make_council()
    case = await raise_case(council)
    await Case.filter(id=case.id).update(category_id=None)
    template = await ResponseTemplate.create(
        category_id=council.missed_bin.id, name="Passed on",
        body="Dear {member_name}, {reference} is with {department}.")
    await as_staff(client, council.agent)

    _, text = await page(client, case_url(case))
    assert "Take this case, so others can see you are working on it." in text
    await submit(client, case_url(case, "take"))
    _, text = await page(client, case_url(case))
    assert "Sort the case: choose its category." in text

    status, _, location = await submit(client, case_url(case, "details"), {
        "category_id": council.missed_bin.id, "priority": "high",
        "kind": "member_enquiry"})
    assert (status, location) == (302, case_url(case))
    _, text = await page(client, case_url(case))
    assert notices(text) == [f"The details of case {case.reference} are saved."]
    assert "Hand the case to the department that will do the work." in text
    suggested = re.search(r'<option value="(\d+)" selected>([^<]*)\(suggested\)',
                          text)
    assert suggested and int(suggested.group(1)) == council.cleansing.id

    await submit(client, case_url(case, "handoff"), {
        "department_id": council.cleansing.id, "note": "Please lift"})
    _, text = await page(client, f"{case_url(case)}?template={template.id}")
    assert (f"Dear Member 0, {case.reference} is with Cleansing and Waste."
            "</textarea>") in text
    assert "Reply to the member: a written answer is owed." in text

    status, _, _ = await submit(client, case_url(case, "reply"), {
        "text": f"Dear Member 0, {case.reference} is with Cleansing and Waste."})
    stored = await Case.get(id=case.id)
    assert status == 302
    assert (stored.category_id, stored.priority, stored.kind) == (
        council.missed_bin.id, Priority.HIGH, CaseKind.MEMBER_ENQUIRY)
    assert (stored.assigned_to_id, stored.department_id, stored.status) == (
        council.agent.id, council.cleansing.id, Status.WITH_DEPARTMENT)
    assert stored.answered_at is not None
    assert (await Handoff.get(case_id=case.id)).by_id == council.agent.id


async def test_each_template_carries_its_filled_text_for_the_script(client):
    council = await make_council()
    case = await raise_case(council)
    await ResponseTemplate.create(name="Thanks", body="Thanks, {member_name}.")
    await ResponseTemplate.create(name="Old", body="Gone.", active=False)
    await as_staff(client, council.agent)

    _, text = await page(client, case_url(case))

    assert 'data-text="Thanks, Member 0."' in text
    assert "Gone." not in text
    assert 'data-without-script>Use template</button>' in text


async def test_note_status_assign_duplicate_and_call_from_the_case(client):
    council = await make_council()
    original = await raise_case(council, latitude=54.5873, longitude=-5.9301)
    case = await raise_case(council, latitude=54.5874, longitude=-5.9302)
    await as_staff(client, council.agent)

    _, text = await page(client, case_url(case))
    assert f'value="{original.reference}"' in text
    assert "m away" in text

    results = [
        await submit(client, case_url(case, "note"), {"text": "Seen it before"}),
        await submit(client, case_url(case, "status"), {
            "status": "acknowledged", "note": "Looking into it"}),
        await submit(client, case_url(case, "assign"), {
            "assignee_id": council.supervisor.id}),
        await submit(client, case_url(case, "duplicate"), {
            "suggested": original.reference}),
        await submit(client, case_url(case, "call"), {
            "member_id": council.members[0].id, "summary": "Asked for news",
            "notes": "Will ring back"}),
    ]

    assert [status for status, _, _ in results] == [302] * 5
    stored = await Case.get(id=case.id)
    assert stored.status == Status.ACKNOWLEDGED
    assert stored.assigned_to_id == council.supervisor.id
    assert str(stored.duplicate_of_id) == str(original.id)
    kinds = [event.kind for event in await CaseEvent.filter(
        case_id=case.id).order_by("version")]
    assert kinds[-5:] == [EventKind.INTERNAL_NOTE, EventKind.STATUS_CHANGE,
                          EventKind.ASSIGNED, EventKind.LINKED, EventKind.CONTACT]
    call = await Contact.filter(case_id=case.id, agent_id=council.agent.id).get()
    assert (call.summary, call.notes) == ("Asked for news", "Will ring back")
    _, text = await page(client, case_url(case))
    assert notices(text) == [f"The call is logged on case {case.reference}."]


async def test_a_duplicate_is_linked_by_typed_reference(client):
    council = await make_council()
    original, case = await raise_case(council), await raise_case(council)
    await as_staff(client, council.agent)

    status, _, _ = await submit(client, case_url(case, "duplicate"), {
        "original": original.reference.lower()})

    assert status == 302
    assert str((await Case.get(id=case.id)).duplicate_of_id) == str(original.id)


async def test_giving_a_case_to_nobody_and_saving_no_change_are_said(client):
    council = await make_council()
    case = await raise_case(council)
    await act(case, lambda w, c: actions.assign(w, c, council.agent, council.agent))
    await as_staff(client, council.agent)

    await submit(client, case_url(case, "assign"), {"assignee_id": ""})
    _, first = await page(client, case_url(case))
    await submit(client, case_url(case, "details"), {
        "category_id": council.fly_tipping.id, "priority": "normal",
        "kind": "service_request"})
    _, second = await page(client, case_url(case))

    assert notices(first) == [f"Case {case.reference} is now with nobody."]
    assert notices(second) == [f"Nothing changed: case {case.reference} already "
                               "had those details."]
    assert (await Case.get(id=case.id)).assigned_to_id is None


async def test_a_case_taken_by_another_agent_is_refused_and_named(client):
    council = await make_council()
    case = await raise_case(council)
    await act(case, lambda w, c: actions.assign(w, c, council.agent, council.agent,
                                                take=True))
    await as_staff(client, await second_agent())

    status, text, _ = await submit(client, case_url(case, "take"))

    assert status == 409
    assert error_summary(text) == ("take-form", "Agent has already taken case "
                                   f"{case.reference}.")


# form, what is sent, the field blamed, the status, and words of the message
FIELD_ERRORS = [
    ("details", {"category_id": "9999", "priority": "normal",
                 "kind": "service_request"}, "category_id", 422,
     "There is no category 9999"),
    ("details", {"category_id": "x", "priority": "normal",
                 "kind": "service_request"}, "category_id", 422,
     "Choose a category from the list"),
    ("details", {"priority": "extreme", "kind": "service_request"}, "priority",
     422, "Choose a priority from the list"),
    ("details", {"priority": "normal"}, "kind", 422, "Choose the kind of case"),
    ("assign", {"assignee_id": "9999"}, "assignee_id", 422,
     "Choose who should have it"),
    ("handoff", {"department_id": ""}, "department_id", 422,
     "Choose a department."),
    ("handoff", {"department_id": "9999"}, "department_id", 422,
     "Choose a department from the list"),
    ("handoff", {"department_id": "1", "note": "x" * 5001}, "note", 422,
     "shorten it to 5000"),
    ("reply", {"text": "  "}, "text", 422, "Enter the reply."),
    ("reply", {"text": "x" * 5001}, "text", 422, "shorten it to 5000"),
    ("note", {"text": ""}, "text", 422, "Enter the note."),
    ("status", {"status": ""}, "status", 422, "Choose the new status."),
    ("status", {"status": "lost"}, "status", 422,
     "Choose the new status from the list"),
    ("status", {"status": "reopened"}, "status", 409, "cannot become reopened"),
    ("duplicate", {"original": ""}, "original", 422,
     "Choose a case it duplicates"),
    ("duplicate", {"original": "CH-999999"}, "original", 422,
     "There is no case CH-999999"),
    ("call", {"summary": ""}, "summary", 422, "Enter what they called about."),
    ("call", {"summary": "Hi", "member_id": "9999"}, "member_id", 422,
     "Choose the member who called"),
]


@pytest.mark.parametrize(("form", "sent", "field", "status", "words"),
                         FIELD_ERRORS)
async def test_each_field_error_names_the_field_and_keeps_what_was_typed(
        client, form, sent, field, status, words):
    council = await make_council()
    case = await raise_case(council)
    before = await CaseEvent.filter(case_id=case.id).count()
    await as_staff(client, council.agent)

    answer, text, _ = await submit(client, case_url(case, form), sent)

    assert answer == status
    target, message = error_summary(text)
    assert target == f"{form}-{field}"
    assert words in message
    assert words in field_error(text, f"{form}-{field}")
    assert "<title>Error: " in text
    assert await CaseEvent.filter(case_id=case.id).count() == before
    typed = [value for name, value in sent.items()
             if name in {"text", "note", "original", "summary", "notes"}]
    for value in typed:
        assert value.strip() in text


async def test_a_case_cannot_duplicate_itself_or_loop(client):
    council = await make_council()
    first, second = await raise_case(council), await raise_case(council)
    await act(second, lambda w, c: actions.link_duplicate(w, c, council.agent,
                                                          first))
    await as_staff(client, council.agent)

    itself, same_text, _ = await submit(client, case_url(first, "duplicate"), {
        "original": first.reference})
    loop, loop_text, _ = await submit(client, case_url(first, "duplicate"), {
        "original": second.reference})

    assert (itself, loop) == (422, 409)
    assert error_summary(same_text) == ("duplicate-original",
                                        "A case cannot duplicate itself.")
    assert error_summary(loop_text)[0] == "duplicate-original"


async def test_a_member_is_not_an_assignee(client):
    council = await make_council()
    case = await raise_case(council)
    await as_staff(client, council.agent)

    status, text, _ = await submit(client, case_url(case, "assign"), {
        "assignee_id": council.members[1].id})

    assert status == 422
    assert error_summary(text)[0] == "assign-assignee_id"
    assert "cannot work on case" in error_summary(text)[1]


async def handed_to_cleansing(council: Council) -> Case:
    case = await raise_case(council)
    await act(case, lambda w, c: casework.hand_off(w, c, council.agent,
                                                   council.cleansing))
    return case


async def test_an_officer_sees_only_the_forms_their_role_allows(client):
    council = await make_council()
    case = await handed_to_cleansing(council)
    await as_staff(client, council.officer)

    status, text = await page(client, case_url(case))

    assert status == 200
    for present in ('id="take-section"', 'id="reply-section"', 'id="note-section"',
                    'id="status-section"'):
        assert present in text, present
    for absent in ('id="details-section"', 'id="handoff-section"',
                   'id="duplicate-section"', 'id="call-section"'):
        assert absent not in text, absent
    statuses = re.findall(r'<option value="(\w+)"[^>]*>[^<]*</option>',
                          text[text.index('id="status-status"'):].split(
                              "</select>")[0])
    assert statuses == ["in_progress", "resolved"]
    assignees = text[text.index('id="assign-assignee_id"'):].split("</select>")[0]
    assert "Officer" in assignees
    assert "Agent" not in assignees and "Parks" not in assignees


async def test_an_officer_moves_their_case_on_and_replies(client):
    council = await make_council()
    case = await handed_to_cleansing(council)
    await as_staff(client, council.officer)

    moved = await submit(client, case_url(case, "status"), {"status": "in_progress"})
    replied = await submit(client, case_url(case, "reply"), {"text": "Crew sent"})
    noted = await submit(client, case_url(case, "note"), {"text": "Van 4"})
    taken = await submit(client, case_url(case, "take"))

    assert [result[0] for result in (moved, replied, noted, taken)] == [302] * 4
    stored = await Case.get(id=case.id)
    assert (stored.status, stored.assigned_to_id) == (Status.IN_PROGRESS,
                                                      council.officer.id)


@pytest.mark.parametrize(("form", "sent"), [
    ("details", {"priority": "high", "kind": "service_request"}),
    ("handoff", {"department_id": "1"}),
    ("duplicate", {"original": "CH-100001"}),
    ("call", {"summary": "Hello"}),
])
async def test_an_officer_cannot_use_the_hub_s_forms(client, form, sent):
    council = await make_council()
    case = await handed_to_cleansing(council)
    before = await CaseEvent.filter(case_id=case.id).count()
    await as_staff(client, council.officer)

    status, text, _ = await submit(client, case_url(case, form), sent)

    assert status == 403
    assert "Only hub staff may do that." in text
    assert await CaseEvent.filter(case_id=case.id).count() == before


async def test_an_officer_cannot_give_the_case_to_the_hub_or_close_it(client):
    council = await make_council()
    case = await handed_to_cleansing(council)
    await as_staff(client, council.officer)

    assigned, assign_text, _ = await submit(client, case_url(case, "assign"), {
        "assignee_id": council.agent.id})
    closed, close_text, _ = await submit(client, case_url(case, "status"), {
        "status": "closed"})

    assert (assigned, closed) == (422, 403)
    assert "hand it back to the hub" in error_summary(assign_text)[1]
    assert error_summary(close_text)[0] == "status-status"


@pytest.mark.parametrize("who", ["parks_officer", "trainer"])
async def test_a_case_is_not_found_by_those_it_is_not_for(client, who):
    council = await make_council()
    case = await handed_to_cleansing(council)
    await as_staff(client, getattr(council, who))

    shown, _ = await page(client, case_url(case))
    replied, _, _ = await submit(client, case_url(case, "reply"), {"text": "Hi"})

    assert (shown, replied) == (404, 404)
    assert await CaseEvent.filter(case_id=case.id,
                                  kind=EventKind.REPLY).count() == 0


async def test_the_case_page_asks_a_visitor_to_sign_in(client):
    council = await make_council()
    case = await raise_case(council)

    response = await client.get(case_url(case))
    posted = await client.post(case_url(case, "reply"), form={"text": "Hi"})

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in?next=")
    assert posted.status_code == 403
    assert await CaseEvent.filter(case_id=case.id, kind=EventKind.REPLY).count() == 0


@pytest.mark.parametrize("form", ["take", "assign", "details", "handoff", "reply",
                                  "note", "status", "duplicate", "call"])
async def test_every_case_form_refuses_a_post_without_its_token(client, form):
    council = await make_council()
    case = await raise_case(council)
    before = await CaseEvent.filter(case_id=case.id).count()
    await as_staff(client, council.agent)

    status, text, _ = await submit(client, case_url(case, form), {
        "text": "x", "status": "acknowledged", "department_id": "1",
        "summary": "x", "priority": "high", "kind": "service_request"},
        token=False)

    assert status == 403
    assert "This form has expired" in text
    assert await CaseEvent.filter(case_id=case.id).count() == before


async def test_the_case_page_escapes_every_text_it_shows(client):
    council = await make_council()
    case = await full_case(council, SCRIPT)
    original = await raise_case(council, latitude=54.58731, longitude=-5.93012)
    await Case.filter(id=original.id).update(description=SCRIPT)
    council.members[0].name = SCRIPT
    await council.members[0].save()
    await ResponseTemplate.create(name=SCRIPT, body=SCRIPT + "{reference}")
    await Photo.create(sha256="c" * 64, mime="image/jpeg", size=1, width=1,
                       height=1, uploaded_by_id=council.members[0].id)
    await act(case, lambda w, c: casework.add_photo(w, c, council.members[0],
                                                    "c" * 64, SCRIPT))
    mail = await MailMessage.create(
        message_id="<s@mail.test>", direction=MailDirection.IN,
        state=MailState.RECEIVED, case_id=case.id, sender="a@mail.test",
        recipient="m@hub.test", subject="x", body="", source="",
        created_at=datetime.now(UTC))
    await Attachment.create(mail_id=mail.id, case_id=case.id, sha256="d" * 64,
                            filename=SCRIPT, mime="text/plain", size=1,
                            created_at=datetime.now(UTC))
    for step in (
        lambda w, c: casework.reply(w, c, council.agent, SCRIPT),
        lambda w, c: casework.internal_note(w, c, council.agent, SCRIPT),
        lambda w, c: casework.change_status(w, c, council.agent,
                                            Status.ACKNOWLEDGED, SCRIPT),
        lambda w, c: casework.hand_off(w, c, council.agent, council.cleansing,
                                       SCRIPT),
        lambda w, c: actions.log_call(w, council.agent, council.members[0], SCRIPT,
                                      SCRIPT, c),
        lambda w, c: actions.escalate(w, c, [SCRIPT]),
    ):
        await act(case, step)
    await as_staff(client, council.agent)

    _, text = await page(client, case_url(case))
    _, refused, _ = await submit(client, case_url(case, "reply"), {
        "text": SCRIPT + "x" * 5000})

    for shown in (text, refused):
        assert SCRIPT not in shown
        assert ESCAPED in shown
    assert text.count(ESCAPED) >= 12
