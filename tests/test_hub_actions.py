"""What the hub does to a case: triage, assign, link, log, and its targets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server import casework
from server.casework import Constituent, Location, NewCase
from server.hub import actions, escalation, targets
from server.hub.actions import Triage
from server.hub.models import Contact, Handoff, ResponseTemplate
from server.mail.models import MailMessage, MailState
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    Channel,
    EventKind,
    Priority,
    Status,
    User,
)
from sync.errors import Rejected
from sync.feed import write_transaction
from sync.models import Change
from tests.factories import Council, make_council

pytestmark = pytest.mark.usefixtures("db")


async def raise_case(council: Council, member: User | None = None,
                     channel: Channel = Channel.APP, author: User | None = None,
                     **location: float | str) -> Case:
    new = NewCase(
        id=uuid.uuid4(), kind=CaseKind.SERVICE_REQUEST,
        category_id=council.fly_tipping.id,
        description="Mattresses dumped behind the shops",
        answers={"what": "Mattress"}, constituent=Constituent(),
        location=Location(**location), channel=channel,
        agent_id=author.id if author else None,
    )
    async with write_transaction() as writer:
        return await casework.create_case(writer, member or council.members[0],
                                          new, author=author)


async def act(case: Case, step) -> object:
    async with write_transaction() as writer:
        fresh = await Case.select_for_update().get(id=case.id)
        return await step(writer, fresh)


async def events_of(case: Case, kind: EventKind) -> list[CaseEvent]:
    return await CaseEvent.filter(case_id=case.id, kind=kind)


async def test_a_new_case_carries_its_acknowledgement_target_and_a_contact():
    council = await make_council()

    case = await raise_case(council, latitude=54.59, longitude=-5.93)

    assert case.acknowledge_by == targets.acknowledge_by(council.fly_tipping,
                                                         case.created_at)
    assert case.acknowledge_by > case.created_at
    contact = await Contact.get(case_id=case.id)
    assert (contact.channel, contact.member_id) == (Channel.APP,
                                                    council.members[0].id)


async def test_the_first_staff_answer_acknowledges_and_a_reply_answers():
    council = await make_council()
    case = await raise_case(council)

    await act(case, lambda w, c: casework.internal_note(w, c, council.agent, "x"))
    assert (await Case.get(id=case.id)).acknowledged_at is None

    await act(case, lambda w, c: casework.change_status(
        w, c, council.agent, Status.ACKNOWLEDGED))
    stored = await Case.get(id=case.id)
    assert stored.acknowledged_at is not None and stored.answered_at is None

    await act(case, lambda w, c: casework.reply(w, c, council.agent, "On it."))
    replied = await Case.get(id=case.id)
    assert replied.acknowledged_at == stored.acknowledged_at
    assert replied.answered_at is not None


async def test_a_handoff_is_recorded_and_acknowledges():
    council = await make_council()
    case = await raise_case(council)

    await act(case, lambda w, c: casework.hand_off(w, c, council.agent,
                                                   council.cleansing))

    handoff = await Handoff.get(case_id=case.id)
    assert (handoff.department_id, handoff.by_id) == (council.cleansing.id,
                                                      council.agent.id)
    assert (await Case.get(id=case.id)).acknowledged_at is not None


async def test_triage_changes_details_and_tells_the_member():
    council = await make_council()
    case = await raise_case(council)

    await act(case, lambda w, c: actions.update_details(
        w, c, council.agent, Triage(category_id=council.missed_bin.id,
                                    priority=Priority.HIGH,
                                    kind=CaseKind.MEMBER_ENQUIRY)))

    stored = await Case.get(id=case.id)
    assert (stored.category_id, stored.priority, stored.kind) == (
        council.missed_bin.id, Priority.HIGH, CaseKind.MEMBER_ENQUIRY)
    assert stored.due_at == targets.answer_by(CaseKind.MEMBER_ENQUIRY,
                                              council.missed_bin, stored.created_at)
    (event,) = await events_of(case, EventKind.UPDATED)
    assert event.data["changes"]["category"] == {"from": "Fly-tipping",
                                                 "to": "Missed bin"}
    change = await Change.get(entity="event", entity_id=str(event.id))
    assert (change.member_id, change.staff_only) == (council.members[0].id, False)


async def test_triage_that_changes_nothing_writes_nothing():
    council = await make_council()
    case = await raise_case(council)

    result = await act(case, lambda w, c: actions.update_details(
        w, c, council.agent, Triage(priority=Priority.NORMAL)))

    assert result is None
    assert await events_of(case, EventKind.UPDATED) == []


async def test_only_hub_staff_triage():
    council = await make_council()
    case = await raise_case(council)

    with pytest.raises(Rejected) as refused:
        await act(case, lambda w, c: actions.update_details(
            w, c, council.officer, Triage(priority=Priority.HIGH)))

    assert refused.value.code == "not_allowed"


async def test_triage_refuses_an_unknown_category():
    council = await make_council()
    case = await raise_case(council)

    with pytest.raises(Rejected) as refused:
        await act(case, lambda w, c: actions.update_details(
            w, c, council.agent, Triage(category_id=9999)))

    assert (refused.value.code, refused.value.field) == ("unknown_category",
                                                         "category_id")


async def test_a_case_taken_by_one_agent_cannot_be_taken_by_another():
    council = await make_council()
    case = await raise_case(council)
    other = await User.create(email="agent2@council.test", name="Second Agent",
                              role=council.agent.role)

    await act(case, lambda w, c: actions.assign(w, c, council.agent,
                                                council.agent, take=True))
    with pytest.raises(Rejected) as refused:
        await act(case, lambda w, c: actions.assign(w, c, other, other, take=True))

    assert refused.value.code == "already_taken"
    assert "Agent" in refused.value.detail
    assert (await Case.get(id=case.id)).assigned_to_id == council.agent.id


async def test_assignment_is_for_staff_only_and_stays_off_the_member_feed():
    council = await make_council()
    case = await raise_case(council)

    event = await act(case, lambda w, c: actions.assign(
        w, c, council.supervisor, council.agent))
    with pytest.raises(Rejected) as member:
        await act(case, lambda w, c: actions.assign(
            w, c, council.agent, council.members[1]))
    with pytest.raises(Rejected) as officer:
        await act(case, lambda w, c: actions.assign(
            w, c, council.agent, council.officer))

    assert member.value.code == officer.value.code == "not_an_assignee"
    change = await Change.get(entity="event", entity_id=str(event.id))
    assert change.staff_only


async def test_an_officer_of_the_case_department_can_be_assigned():
    council = await make_council()
    case = await raise_case(council)
    await act(case, lambda w, c: casework.hand_off(w, c, council.agent,
                                                   council.cleansing))

    await act(case, lambda w, c: actions.assign(w, c, council.agent,
                                                council.officer))

    assert (await Case.get(id=case.id)).assigned_to_id == council.officer.id


async def test_duplicates_are_linked_on_both_timelines_without_loops():
    council = await make_council()
    first = await raise_case(council)
    second = await raise_case(council)

    await act(second, lambda w, c: actions.link_duplicate(w, c, council.agent,
                                                          first))
    with pytest.raises(Rejected) as loop:
        await act(first, lambda w, c: actions.link_duplicate(w, c, council.agent,
                                                             second))
    with pytest.raises(Rejected) as itself:
        await act(first, lambda w, c: actions.link_duplicate(w, c, council.agent,
                                                             first))

    assert str((await Case.get(id=second.id)).duplicate_of_id) == str(first.id)
    assert [e.data for e in await events_of(first, EventKind.LINKED)] == [
        {"duplicate": second.reference}]
    assert loop.value.code == "duplicate_loop"
    assert itself.value.code == "same_case"


async def test_open_cases_of_the_same_category_nearby_are_suggested():
    council = await make_council()
    here = await raise_case(council, latitude=54.5873, longitude=-5.9301)
    close = await raise_case(council, latitude=54.5880, longitude=-5.9310)
    far = await raise_case(council, latitude=54.6100, longitude=-5.9301)
    closed = await raise_case(council, latitude=54.5874, longitude=-5.9302)
    await act(closed, lambda w, c: casework.change_status(w, c, council.agent,
                                                          Status.CLOSED))

    suggested = await actions.nearby_duplicates(here)

    assert [case.id for case in suggested] == [close.id]
    assert far.id not in {case.id for case in suggested}


async def test_cases_at_the_same_typed_address_are_suggested():
    council = await make_council()
    here = await raise_case(council, address="12 Botanic Avenue")
    same = await raise_case(council, address="12 botanic avenue")

    suggested = await actions.nearby_duplicates(here)

    assert [case.id for case in suggested] == [same.id]


async def test_a_call_is_counted_and_noted_on_its_case():
    council = await make_council()
    case = await raise_case(council)

    async with write_transaction() as writer:
        contact = await actions.log_call(writer, council.agent, council.members[0],
                                         "Asked when the crew is coming",
                                         case=case)

    assert (contact.channel, contact.agent_id) == (Channel.PHONE, council.agent.id)
    (event,) = await events_of(case, EventKind.CONTACT)
    assert event.data["summary"] == "Asked when the crew is coming"
    change = await Change.get(entity="event", entity_id=str(event.id))
    assert change.staff_only


async def test_the_hub_raises_a_case_for_a_member_who_phoned():
    council = await make_council()

    case = await raise_case(council, channel=Channel.PHONE, author=council.agent)

    assert case.channel == Channel.PHONE
    (created,) = await events_of(case, EventKind.CREATED)
    assert created.author_id == council.agent.id
    contact = await Contact.get(case_id=case.id)
    assert (contact.channel, contact.agent_id) == (Channel.PHONE, council.agent.id)


async def test_a_case_with_no_member_cannot_come_from_the_app():
    council = await make_council()
    new = NewCase(id=uuid.uuid4(), kind=CaseKind.SERVICE_REQUEST,
                  category_id=None, description="x", answers={},
                  constituent=Constituent(), location=Location())

    with pytest.raises(Rejected) as refused:
        async with write_transaction() as writer:
            await casework.create_case(writer, None, new)

    assert refused.value.code == "not_a_member"
    assert council.agent.id


async def test_missed_targets_escalate_once_and_mail_the_supervisors():
    council = await make_council()
    late = await raise_case(council)
    on_time = await raise_case(council)
    await Case.filter(id=late.id).update(
        acknowledge_by=datetime.now(UTC) - timedelta(hours=1))

    first = await escalation.escalate_missed(datetime.now(UTC))
    again = await escalation.escalate_missed(datetime.now(UTC))

    assert (first, again) == (1, 0)
    (event,) = await events_of(late, EventKind.ESCALATED)
    assert event.data == {"reasons": ["not acknowledged in time"]}
    assert await events_of(on_time, EventKind.ESCALATED) == []
    (mail,) = await MailMessage.filter(state=MailState.QUEUED)
    assert mail.recipient.endswith(council.supervisor.email + ">")
    assert late.reference in mail.body


async def test_an_enquiry_past_its_due_date_escalates():
    council = await make_council()
    case = await raise_case(council)
    await Case.filter(id=case.id).update(
        kind=CaseKind.MEMBER_ENQUIRY, acknowledged_at=datetime.now(UTC),
        due_at=datetime.now(UTC) - timedelta(minutes=5))

    assert await escalation.escalate_missed(datetime.now(UTC)) == 1

    (event,) = await events_of(case, EventKind.ESCALATED)
    assert event.data == {"reasons": ["no written answer by the due date"]}


async def test_templates_fill_their_placeholders_and_keep_unknown_ones():
    council = await make_council()
    case = await raise_case(council, address="12 Botanic Avenue")
    own = await ResponseTemplate.create(
        category_id=council.fly_tipping.id, name="Crew booked",
        body="Dear {member_name}, {reference} ({category}) at {address}: "
             "{unknown}.")
    general = await ResponseTemplate.create(name="Thanks", body="Thanks.")
    await ResponseTemplate.create(category_id=council.missed_bin.id,
                                  name="Bins", body="Bins.")

    found = await actions.templates_for(case)
    text = await actions.fill_template(own, case)

    assert [t.id for t in found] == [own.id, general.id]
    assert text == (f"Dear Member 0, {case.reference} (Fly-tipping) at "
                    "12 Botanic Avenue: {unknown}.")
