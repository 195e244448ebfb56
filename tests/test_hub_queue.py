"""The hub's lists in working order, and what the console keeps: calls,
templates, category targets and the feed watch behind live pages."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from server import casework
from server.casework import Constituent, Location, NewCase
from server.hub import actions, calls, live, responses, targets
from server.hub import queue as hub_queue
from server.hub.models import Contact, ResponseTemplate
from server.hub.queue import QueueFilter, Who
from server.mail.models import MailDirection, MailMessage, MailState
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    Category,
    Channel,
    EventKind,
    Priority,
    Status,
)
from sync.errors import Rejected
from sync.feed import write_transaction
from sync.models import Change
from tests.factories import make_council
from tests.test_hub_actions import act, raise_case

pytestmark = pytest.mark.usefixtures("db")

NOW = datetime.now(UTC)


async def due(case: Case, hours: float, **changes: object) -> None:
    """Move a case's acknowledgement target to `hours` from now."""
    await Case.filter(id=case.id).update(
        acknowledge_by=datetime.now(UTC) + timedelta(hours=hours), **changes)


async def references(wanted: QueueFilter, user) -> list[str]:
    found = await hub_queue.hub_queue(user, wanted, datetime.now(UTC))
    return [entry.case.reference for entry in found.entries]


async def test_the_queue_puts_the_most_urgent_target_first():
    council = await make_council()
    later, overdue, sooner, tie_urgent = [await raise_case(council)
                                          for _ in range(4)]
    await due(later, 5)
    await due(overdue, -2)
    await due(sooner, 1)
    await Case.filter(id=tie_urgent.id).update(
        acknowledge_by=(await Case.get(id=later.id)).acknowledge_by,
        priority=Priority.URGENT)

    found = await hub_queue.hub_queue(council.agent, QueueFilter(),
                                      datetime.now(UTC))

    assert [entry.case.id for entry in found.entries] == [
        overdue.id, sooner.id, tie_urgent.id, later.id]
    assert (found.total, found.overdue) == (4, 1)
    assert found.entries[0].target.overdue
    assert found.entries[0].target.what == "acknowledge"


async def test_an_acknowledged_enquiry_waits_on_its_answer_and_met_targets_go_last():
    council = await make_council()
    enquiry, done = await raise_case(council), await raise_case(council)
    await Case.filter(id=enquiry.id).update(
        kind=CaseKind.MEMBER_ENQUIRY, acknowledged_at=datetime.now(UTC),
        due_at=datetime.now(UTC) + timedelta(days=3))
    await Case.filter(id=done.id).update(acknowledged_at=datetime.now(UTC))

    found = await hub_queue.hub_queue(council.agent, QueueFilter(),
                                      datetime.now(UTC))

    assert [entry.case.id for entry in found.entries] == [enquiry.id, done.id]
    assert found.entries[0].target.what == "answer"
    assert found.entries[1].target is None


async def test_the_queue_holds_what_needs_the_hub_and_nothing_else():
    council = await make_council()
    waiting = await raise_case(council)
    handed = await raise_case(council)
    reopened = await raise_case(council)
    closed = await raise_case(council)
    for case in (handed, reopened):
        await act(case, lambda w, c: casework.hand_off(w, c, council.agent,
                                                       council.cleansing))
    await act(reopened, lambda w, c: casework.change_status(
        w, c, council.agent, Status.RESOLVED))
    await act(reopened, lambda w, c: casework.change_status(
        w, c, council.agent, Status.REOPENED))
    await act(closed, lambda w, c: casework.change_status(
        w, c, council.agent, Status.CLOSED))

    found = set(await references(QueueFilter(), council.agent))

    assert found == {waiting.reference, reopened.reference}


async def test_the_queue_filters_by_channel_status_category_and_holder():
    council = await make_council()
    app = await raise_case(council)
    phoned = await raise_case(council, channel=Channel.PHONE, author=council.agent)
    unsorted = await raise_case(council)
    await Case.filter(id=unsorted.id).update(category_id=None)
    await act(app, lambda w, c: actions.assign(w, c, council.agent, council.agent))
    await act(phoned, lambda w, c: casework.change_status(
        w, c, council.agent, Status.ACKNOWLEDGED))
    agent = council.agent

    assert await references(QueueFilter(channel=Channel.PHONE), agent) == [
        phoned.reference]
    assert await references(QueueFilter(status=Status.ACKNOWLEDGED), agent) == [
        phoned.reference]
    assert await references(QueueFilter(unsorted=True), agent) == [
        unsorted.reference]
    assert set(await references(QueueFilter(category_id=council.fly_tipping.id),
                                agent)) == {app.reference, phoned.reference}
    assert await references(QueueFilter(who=Who.MINE), agent) == [app.reference]
    assert await references(QueueFilter(who=Who.MINE), council.supervisor) == []
    assert set(await references(QueueFilter(who=Who.UNASSIGNED), agent)) == {
        phoned.reference, unsorted.reference}


async def test_the_queue_finds_cases_by_reference_or_words_and_lists_the_overdue():
    council = await make_council()
    shops = await raise_case(council)
    park = await raise_case(council, address="Ormeau Park gates")
    await due(park, -1)

    assert await references(QueueFilter(search=shops.reference.lower()),
                            council.agent) == [shops.reference]
    assert await references(QueueFilter(search="ormeau park"),
                            council.agent) == [park.reference]
    assert await references(QueueFilter(overdue=True), council.agent) == [
        park.reference]


async def test_a_department_sees_its_open_cases_overdue_first():
    council = await make_council()
    first, second, other = [await raise_case(council) for _ in range(3)]
    for case in (first, second):
        await act(case, lambda w, c: casework.hand_off(w, c, council.agent,
                                                       council.cleansing))
    await act(other, lambda w, c: casework.hand_off(w, c, council.agent,
                                                    council.parks))
    await Case.filter(id=second.id).update(acknowledged_at=None,
                                           acknowledge_by=NOW - timedelta(hours=1))

    found = await hub_queue.department_queue(council.cleansing.id,
                                             datetime.now(UTC))

    assert [entry.case.id for entry in found.entries] == [second.id, first.id]
    assert found.overdue == 1


async def test_escalations_list_open_escalated_cases_with_their_reasons():
    council = await make_council()
    late, closed = await raise_case(council), await raise_case(council)
    for case in (late, closed):
        await act(case, lambda w, c: actions.escalate(w, c, ["not acknowledged "
                                                             "in time"]))
    await act(closed, lambda w, c: casework.change_status(
        w, c, council.agent, Status.CLOSED))

    found = await hub_queue.escalations()

    assert [(item.case.id, item.reasons) for item in found] == [
        (late.id, ["not acknowledged in time"])]


async def test_unmatched_mail_is_counted():
    for number, state in enumerate((MailState.UNMATCHED, MailState.UNMATCHED,
                                    MailState.RECEIVED)):
        await MailMessage.create(
            message_id=f"<{number}@mail.test>", direction=MailDirection.IN,
            state=state, sender="someone@mail.test", recipient="members@hub.test",
            subject="Bins", body="", source="", created_at=NOW)

    assert await hub_queue.unmatched_mail() == 2


def phoned_case(council, **changes) -> NewCase:
    new = {"id": uuid.uuid4(), "kind": CaseKind.MEMBER_ENQUIRY,
           "category_id": council.missed_bin.id,
           "description": "Bins missed on the whole street",
           "answers": {"bin": "Blue"}, "constituent": Constituent(name="Sam"),
           "location": Location(address="4 Castle Street")}
    new.update(changes)
    return NewCase(**new)


async def test_a_case_raised_on_a_call_is_one_phone_contact_with_its_notes():
    council = await make_council()

    async with write_transaction() as writer:
        case = await calls.raise_from_call(
            writer, council.agent, council.members[1], phoned_case(council),
            "Wants the bins collected", "Third time this month")

    assert (case.channel, case.member_id) == (Channel.PHONE, council.members[1].id)
    (contact,) = await Contact.filter(case_id=case.id)
    assert (contact.channel, contact.agent_id, contact.summary, contact.notes) == (
        Channel.PHONE, council.agent.id, "Wants the bins collected",
        "Third time this month")
    (created,) = await CaseEvent.filter(case_id=case.id, kind=EventKind.CREATED)
    assert created.author_id == council.agent.id
    (call,) = await CaseEvent.filter(case_id=case.id, kind=EventKind.CONTACT)
    assert call.data["notes"] == "Third time this month"


async def test_a_case_raised_on_a_call_keeps_the_category_rules():
    council = await make_council()

    with pytest.raises(Rejected) as refused:
        async with write_transaction() as writer:
            await calls.raise_from_call(writer, council.agent, council.members[0],
                                        phoned_case(council, answers={}), "Bins")
    with pytest.raises(Rejected) as not_hub:
        async with write_transaction() as writer:
            await calls.raise_from_call(writer, council.officer, council.members[0],
                                        phoned_case(council), "Bins")

    assert (refused.value.code, refused.value.field) == ("answer_required",
                                                         "answers.bin")
    assert not_hub.value.code == "not_allowed"
    assert await Case.all().count() == 0
    assert await Contact.all().count() == 0


async def test_the_day_s_calls_are_listed_latest_first():
    council = await make_council()
    async with write_transaction() as writer:
        first = await actions.log_call(writer, council.agent, council.members[0],
                                       "Where is my case")
        second = await actions.log_call(writer, council.agent, council.members[1],
                                        "A new pothole")
    await Contact.filter(id=first.id).update(at=datetime.now(UTC)
                                             - timedelta(minutes=5))
    await Contact.create(channel=Channel.PHONE, summary="Last week",
                         at=datetime.now(UTC) - timedelta(days=7))

    found = await calls.calls_on(datetime.now(UTC))

    assert [contact.id for contact in found] == [second.id, first.id]
    assert found[0].member.name == council.members[1].name


async def test_members_are_found_by_name_ward_and_party():
    council = await make_council()
    castle = council.wards[1]

    by_name = await calls.find_members("member 1")
    by_ward = await calls.find_members(ward_id=castle.id)
    by_party = await calls.find_members(party_id=council.members[0].party_id)

    assert [member.id for member in by_name] == [council.members[1].id]
    assert {member.ward_id for member in by_ward} == {castle.id}
    assert len(by_party) == 3
    assert await calls.find_members("nobody of that name") == []


async def test_templates_are_checked_saved_and_previewed():
    council = await make_council()

    saved = await responses.save(responses.Draft(
        name=" Crew booked ", body="{reference}: crew booked for {address}. {oops}",
        category_id=council.fly_tipping.id))
    changed = await responses.save(responses.Draft(
        name="Crew booked", body="Done.", category_id=None, active=False), saved)

    stored = await ResponseTemplate.get(id=saved.id)
    assert (stored.name, stored.body, stored.category_id, stored.active) == (
        "Crew booked", "Done.", None, False)
    assert changed.id == saved.id
    assert responses.preview("{reference} at {address}, {oops}") == (
        "CH-000123 at 12 Ormeau Road, {oops}")
    assert responses.unknown_placeholders("{oops} {reference} {oops}") == ["oops"]


@pytest.mark.parametrize(("draft", "code", "field"), [
    (responses.Draft("", "Text", None), "name_required", "name"),
    (responses.Draft("x" * 121, "Text", None), "name_too_long", "name"),
    (responses.Draft("Name", "  ", None), "body_required", "body"),
    (responses.Draft("Name", "x" * 5001, None), "body_too_long", "body"),
    (responses.Draft("Name", "Text", 9999), "unknown_category", "category_id"),
])
async def test_a_template_that_cannot_be_saved_names_its_field(draft, code, field):
    with pytest.raises(Rejected) as refused:
        await responses.save(draft)

    assert (refused.value.code, refused.value.field) == (code, field)
    assert await ResponseTemplate.all().count() == 0


async def test_new_category_targets_reach_the_phones_and_only_new_cases():
    council = await make_council()
    before = await raise_case(council)

    async with write_transaction() as writer:
        moved = await targets.change_category_targets(
            writer, council.fly_tipping, 2, 3)
    async with write_transaction() as writer:
        again = await targets.change_category_targets(
            writer, council.fly_tipping, 2, 3)
    after = await raise_case(council)

    assert (moved, again) == (True, False)
    stored = await Category.get(id=council.fly_tipping.id)
    assert (stored.acknowledge_hours, stored.answer_days) == (2, 3)
    change = await Change.filter(entity="category",
                                 entity_id=str(stored.id)).order_by("-id").first()
    assert change.public and change.data["acknowledge_hours"] == 2
    unchanged = await Case.get(id=before.id)
    assert unchanged.acknowledge_by == before.acknowledge_by
    assert after.acknowledge_by == targets.acknowledge_by(stored, after.created_at)


@pytest.mark.parametrize(("hours", "days", "field"), [
    (0, 5, "acknowledge_hours"), (targets.MOST_ACKNOWLEDGE_HOURS + 1, 5,
                                  "acknowledge_hours"),
    (8, 0, "answer_days"), (8, targets.MOST_ANSWER_DAYS + 1, "answer_days"),
])
async def test_targets_out_of_range_are_refused(hours, days, field):
    council = await make_council()

    with pytest.raises(Rejected) as refused:
        async with write_transaction() as writer:
            await targets.change_category_targets(writer, council.fly_tipping,
                                                  hours, days)

    assert (refused.value.code, refused.value.field) == ("target_out_of_range",
                                                         field)


async def test_the_feed_watch_hears_a_change_written_anywhere():
    council = await make_council()
    watch = live.FeedWatch(every=0.05)
    seen = await live.feed_version()
    try:
        waiting = asyncio.create_task(watch.wait_past(seen, 5))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        # Written straight to the database, as another server process would.
        case = await raise_case(council)
        started = time.monotonic()
        version = await waiting
        assert version > seen
        assert time.monotonic() - started < 2
        assert await live.feed_version() == version
        quiet = await watch.wait_past(version, 0.2)
        assert quiet == version
    finally:
        await watch.close()
    assert case.reference


async def test_a_closed_feed_watch_lets_its_waiters_go():
    watch = live.FeedWatch(every=0.05)
    seen = await live.feed_version()
    waiting = asyncio.create_task(watch.wait_past(seen + 1000, 30))
    await asyncio.sleep(0.1)

    await watch.close()

    assert await asyncio.wait_for(waiting, 2) <= seen
