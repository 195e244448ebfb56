"""The demo council: realistic, repeatable, and on the feed like live work."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from server.casework import OPEN
from server.config import Settings
from server.db import close_database, open_database
from server.demo import DEMO_PASSWORD, council_is_empty, load_demo
from server.hub import targets
from server.hub.actions import PLACEHOLDER, PLACEHOLDERS
from server.hub.models import Contact, Handoff, ResponseTemplate
from server.models import (
    STAFF_ONLY_EVENTS,
    Case,
    CaseEvent,
    CaseKind,
    Category,
    Channel,
    Department,
    EventKind,
    Party,
    Role,
    Status,
    User,
    Ward,
)
from server.rollout import adoption as rollout_adoption
from server.rollout import booking
from server.rollout.models import (
    Booking,
    Briefing,
    DeviceReport,
    Feedback,
    TrainingSlot,
)
from server.workdays import calendar
from sync.models import Device
from tests.conftest import ENGINE, _pg_empty
from tests.factories import pull_all

SEED = 2026
WARD_NAMES = {"Balmoral", "Black Mountain", "Botanic", "Castle", "Collin", "Court",
              "Lisnasharragh", "Oldpark", "Ormiston", "Titanic"}


async def test_demo_council_has_the_shape_of_a_real_one(db: Settings) -> None:
    assert await council_is_empty()
    summary = await load_demo(seed=SEED)
    assert not await council_is_empty()

    wards = await Ward.all()
    assert {ward.name for ward in wards} == WARD_NAMES
    members = await User.filter(role=Role.MEMBER)
    assert len(members) == summary.members == 60
    assert len({member.email for member in members}) == 60
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+@councillors\.example", member.email)
               for member in members)
    by_ward: dict[int | None, list[User]] = defaultdict(list)
    for member in members:
        by_ward[member.ward_id].append(member)
    assert set(by_ward) == {ward.id for ward in wards}
    for ward_members in by_ward.values():
        assert 5 <= len(ward_members) <= 7
        assert len({member.party_id for member in ward_members}) >= 2

    roles = [user.role for user in await User.exclude(role=Role.MEMBER)]
    assert roles.count(Role.HUB_AGENT) == 14
    assert roles.count(Role.HUB_SUPERVISOR) == 2
    assert roles.count(Role.TRAINER) == 2
    assert roles.count(Role.ADMIN) == 1
    trainers = {user.id for user in await User.filter(role=Role.TRAINER)}
    assert {member.trainer_id for member in members} == trainers

    departments = await Department.all().order_by("id")
    assert departments[0].name == "Cleansing and Waste"
    assert any(not d.uses_casehub and d.email for d in departments)
    for department in departments:
        officers = await User.filter(role=Role.DEPARTMENT_OFFICER,
                                     department_id=department.id).count()
        assert (1 <= officers <= 3) if department.uses_casehub else officers == 0

    categories = await Category.all()
    assert 12 <= len(categories) <= 15
    department_ids = {department.id for department in departments}
    assert all(category.department_id in department_ids for category in categories)
    assert any(category.questions for category in categories)


async def test_demo_cases_have_ordered_believable_histories(db: Settings) -> None:
    summary = await load_demo(seed=SEED)
    now = datetime.now(UTC)

    cases = await Case.all().order_by("reference")
    assert len(cases) == summary.cases >= 300
    statuses = {case.status for case in cases}
    assert {Status.SUBMITTED, Status.WITH_DEPARTMENT, Status.RESOLVED,
            Status.CLOSED, Status.WITHDRAWN} <= statuses
    versions = [case.version for case in cases]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)

    enquiries = [case for case in cases if case.kind == CaseKind.MEMBER_ENQUIRY]
    assert enquiries and all(case.due_at and case.due_at > case.created_at
                             for case in enquiries)
    assert any(case.constituent_name for case in cases)
    assert any(case.constituent_name is None for case in cases)
    for case in cases:
        if case.latitude is not None:
            assert 54.55 <= case.latitude <= 54.64
            assert -6.02 <= case.longitude <= -5.86

    timelines: dict[Any, list[CaseEvent]] = defaultdict(list)
    for event in await CaseEvent.all().order_by("created_at"):
        timelines[event.case_id].append(event)
    assert sum(len(events) for events in timelines.values()) == summary.events
    for case in cases:
        events = timelines[case.id]
        assert events[0].kind == EventKind.CREATED
        assert events[0].created_at == case.created_at
        assert events[-1].created_at == case.updated_at < now
        assert len({event.created_at for event in events}) == len(events)
        assert all(event.version == case.version for event in events)
        assert _status_after(events) == case.status


async def test_demo_hub_has_contacts_on_every_channel_at_its_planned_scale(
        db: Settings) -> None:
    summary = await load_demo(seed=SEED)
    now = datetime.now(UTC)

    contacts = await Contact.all()
    assert len(contacts) == summary.contacts
    assert {contact.channel for contact in contacts} == set(Channel)
    assert all(contact.at < now for contact in contacts)
    emails = sum(contact.channel == Channel.EMAIL for contact in contacts)
    assert 0.25 < emails / len(contacts) < 0.45
    by_day: dict[Any, int] = defaultdict(int)
    for contact in contacts:
        by_day[contact.at.astimezone(calendar.zone).date()] += 1
    busy = [count for day, count in by_day.items()
            if calendar.is_working_day(day)]
    assert 500 < sorted(busy)[len(busy) // 2] < 1000
    calls = [c for c in contacts if c.channel == Channel.PHONE]
    assert all(c.agent_id is not None for c in calls)
    assert all(8 <= c.at.astimezone(calendar.zone).hour < 18 for c in calls)

    # Members' contacts: some opened a case, some asked about one, some neither.
    members = [c for c in contacts if c.member_id is not None]
    cases = {case.id: case for case in await Case.all()}
    opened = [c for c in members if c.case_id is not None
              and cases[c.case_id].created_at == c.at]
    asked = [c for c in members if c.case_id is not None
             and cases[c.case_id].created_at < c.at]
    assert len(opened) == len(cases)
    assert asked and any(c.case_id is None for c in members)
    assert {cases[c.case_id].channel for c in opened} == {
        Channel.APP, Channel.PHONE, Channel.EMAIL}
    for contact in opened:
        assert contact.channel == cases[contact.case_id].channel
    follow_ups = await CaseEvent.filter(kind=EventKind.CONTACT).count()
    assert follow_ups == len(asked)


async def test_demo_cases_carry_their_targets_and_what_became_of_them(
        db: Settings) -> None:
    await load_demo(seed=SEED)
    now = datetime.now(UTC)
    cases = await Case.all()
    timelines: dict[Any, list[CaseEvent]] = defaultdict(list)
    for event in await CaseEvent.all().order_by("created_at"):
        timelines[event.case_id].append(event)
    staff = {user.id for user in await User.exclude(role=Role.MEMBER)}

    late = on_time = 0
    for case in cases:
        events = timelines[case.id]
        assert case.acknowledge_by is not None and case.acknowledge_by > case.created_at
        responses = [e for e in events if e.author_id in staff and e.kind in (
            EventKind.STATUS_CHANGE, EventKind.HANDOFF, EventKind.REPLY)]
        replies = [e for e in responses if e.kind == EventKind.REPLY]
        assert case.acknowledged_at == (responses[0].created_at if responses
                                        else None)
        assert case.answered_at == (replies[0].created_at if replies else None)
        if case.acknowledged_at is not None:
            assert (case.response_seconds, case.response_working_seconds) == (
                targets.response_times(case.created_at, case.acknowledged_at))
            late += case.acknowledged_at > case.acknowledge_by
            on_time += case.acknowledged_at <= case.acknowledge_by
            assert calendar.working_hours_between(
                case.acknowledged_at - timedelta(seconds=2),
                case.acknowledged_at) > 0, "the hub answers in its opening hours"
        escalations = [e for e in events if e.kind == EventKind.ESCALATED]
        assert len(escalations) <= 1
        if escalations:
            assert case.escalated_at == escalations[0].created_at
        else:
            assert case.escalated_at is None
            assert case.status not in OPEN or not targets.missed(case, now)
    assert 0 < late < on_time / 3
    escalated = sum(case.escalated_at is not None for case in cases)
    assert 0 < escalated < len(cases) / 4
    assert sum(case.assigned_to_id is not None for case in cases) > len(cases) / 5

    handoffs = await Handoff.all()
    handoff_events = [e for events in timelines.values() for e in events
                      if e.kind == EventKind.HANDOFF]
    assert sorted((str(h.case_id), h.department_id, h.at) for h in handoffs) == (
        sorted((str(e.case_id), e.data["department_id"], e.created_at)
               for e in handoff_events))
    outside = {d.id for d in await Department.filter(uses_casehub=False)}
    assert all(h.by_email == (h.department_id in outside) for h in handoffs)
    assert any(h.by_email for h in handoffs)


async def test_demo_rollout_has_trained_members_and_slots_to_book(db: Settings) -> None:
    summary = await load_demo(seed=SEED)
    now = datetime.now(UTC)

    slots = await TrainingSlot.all().order_by("starts_at")
    assert len(slots) == summary.training_slots
    trainers = {slot.trainer_id for slot in slots}
    assert len(trainers) == 2
    for trainer in trainers:
        diary = [slot for slot in slots if slot.trainer_id == trainer]
        assert all(earlier.starts_at + timedelta(minutes=earlier.minutes)
                   <= later.starts_at for earlier, later in pairwise(diary))
        assert any(slot.starts_at > now for slot in diary)
    bookings = await Booking.filter(cancelled_at=None).prefetch_related("slot",
                                                                        "member")
    with_phones = set(await Device.all().values_list("user_id", flat=True))
    trained = {b.member_id for b in bookings if b.trained_at is not None}
    assert trained == with_phones
    waiting = [b for b in bookings if b.trained_at is None]
    assert waiting and all(b.slot.starts_at > now for b in waiting)
    assert all(b.member.trainer_id == b.slot.trainer_id for b in bookings)
    assert await DeviceReport.all().count() == await Device.all().count()

    adoption = await rollout_adoption.report()
    total = adoption.total
    assert total.members == 60
    assert total.booked == len(bookings) > total.trained == len(trained)
    assert 0 < total.active <= total.installed == len(trained)
    briefed = await Briefing.all()
    assert len(briefed) == await Party.all().count()
    assert all(briefing.starts_at > now for briefing in briefed)
    assert await Feedback.all().count() > 0

    # A member with no booking can take one of the coming slots.
    held = {b.slot_id for b in bookings}
    free = next(slot for slot in slots
                if slot.starts_at > now and slot.id not in held)
    member = await User.filter(role=Role.MEMBER, trainer_id=free.trainer_id).exclude(
        id__in=[b.member_id for b in bookings]).first()
    assert member is not None
    booked = await booking.book(db, member, free.id)
    assert booked.held_slot == free.id


async def test_demo_templates_serve_every_category_with_known_placeholders(
        db: Settings) -> None:
    await load_demo(seed=SEED)

    templates = await ResponseTemplate.all()
    categories = {category.id for category in await Category.all()}
    assert {t.category_id for t in templates} == categories | {None}
    used = {name for t in templates for name in PLACEHOLDER.findall(t.body)}
    assert used <= set(PLACEHOLDERS)
    assert {"reference", "member_name", "due_date"} <= used


def _status_after(events: list[CaseEvent]) -> Status:
    """Replay the status changes of a timeline, checking each starts right."""
    status = Status.SUBMITTED
    for event in events:
        if event.kind == EventKind.STATUS_CHANGE:
            assert event.data["from"] == status.value
            status = Status(event.data["to"])
    return status


def test_the_same_seed_gives_the_same_council(template: str,
                                              settings: Settings) -> None:
    first = asyncio.run(_fingerprint(settings, seed=11))
    _empty(template, settings)
    again = asyncio.run(_fingerprint(settings, seed=11))
    _empty(template, settings)
    other = asyncio.run(_fingerprint(settings, seed=12))

    assert first == again
    assert first != other


async def _fingerprint(settings: Settings, seed: int) -> list[Any]:
    """Everything a seed decides: people, cases and timelines, without dates.

    The hub works in its opening hours, so how long each step took depends
    on the day the demo is loaded; the steps themselves do not.
    """
    await open_database(settings)
    try:
        await load_demo(seed=seed)
        users = await User.all().order_by("id").values_list(
            "email", "name", "role", "ward__name", "party__name", "trainer__email",
            "department__name",
        )
        cases = await Case.all().order_by("reference").values_list(
            "id", "reference", "member__email", "category__code", "kind", "status",
            "description", "answers", "constituent_name", "latitude", "address",
        )
        events = [
            (str(event.id), str(event.case_id), event.kind, event.author_id,
             event.data)
            for event in await CaseEvent.all().prefetch_related("case")
            .order_by("case__reference", "created_at")
        ]
        return [users, cases, events]
    finally:
        await close_database()


def _empty(template: str, settings: Settings) -> None:
    if ENGINE == "postgres":
        asyncio.run(_pg_empty(template))
    else:
        shutil.copy(template, settings.data_dir / "casehub.db")


async def test_a_demo_member_phone_receives_exactly_their_history(client) -> None:
    summary = await load_demo(seed=SEED)
    member = await User.get(email=summary.member_email)
    response = await client.post("/api/devices/enroll", json={
        "code": summary.enrollment_code, "device_name": "demo phone",
    })
    assert response.status_code == 201
    token = (await response.get_json())["token"]

    changes, _, _ = await pull_all(client, token)

    own = await Case.filter(member_id=member.id)
    assert own
    visible = await CaseEvent.filter(case__member_id=member.id).exclude(
        kind__in=list(STAFF_ONLY_EVENTS)
    )
    pulled: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        pulled[change["entity"]].append(change)
    assert {c["id"] for c in pulled["case"]} == {str(case.id) for case in own}
    assert {c["id"] for c in pulled["event"]} == {str(e.id) for e in visible}
    assert not {c["data"]["kind"] for c in pulled["event"]} & STAFF_ONLY_EVENTS
    assert len(pulled["ward"]) == summary.wards
    assert len(pulled["department"]) == summary.departments
    assert len(pulled["category"]) == summary.categories
    statuses = {str(case.id): case.status.value for case in own}
    assert all(c["data"]["status"] == statuses[c["id"]] for c in pulled["case"])

    staff = await client.post("/api/staff/session", json={
        "email": summary.agent_email, "password": DEMO_PASSWORD,
    })
    assert staff.status_code == 200


def test_casehub_demo_loads_once_and_prints_how_to_sign_in(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("CASEHUB_")}
    env["CASEHUB_DATA_DIR"] = str(tmp_path / "data")
    command = [sys.executable, "-c",
               "from server.cli import main; raise SystemExit(main(['demo']))"]
    root = Path(__file__).resolve().parent.parent

    first = subprocess.run(command, env=env, cwd=root, capture_output=True,
                           text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "Member app:      http://127.0.0.1:8000/\n" in first.stdout
    assert "Hub dashboard:   http://127.0.0.1:8000/staff/dashboard\n" in first.stdout
    assert "Staff pages:     http://127.0.0.1:8000/staff/\n" in first.stdout
    assert "http://127.0.0.1:8000/openapi.json" in first.stdout
    assert DEMO_PASSWORD in first.stdout
    assert re.search(r"enrollment code [A-Z0-9]{4}-[A-Z0-9]{4}", first.stdout)
    assert re.search(r"hub agent +\S+@council\.example", first.stdout)

    second = subprocess.run(command, env=env, cwd=root, capture_output=True,
                            text=True, timeout=120)
    assert second.returncode == 1
    assert "already holds a council" in second.stderr
    assert second.stdout == ""
