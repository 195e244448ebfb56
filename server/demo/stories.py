"""Half a year of casework: each case's history, told and then stored.

Each case is written in one transaction, with its events carrying their
historical times, and put on the feed just as live casework is.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server import case_feed, casework
from server.demo.council import (
    CATEGORIES,
    FIRST_NAMES,
    HISTORY_DAYS,
    PARKS,
    STREETS,
    SURNAMES,
    CategoryPlan,
)
from server.demo.people import Cast, ascii_name
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    Category,
    Channel,
    Department,
    EventKind,
    Priority,
    Role,
    Status,
    User,
)
from server.workdays import calendar
from sync.feed import Writer, write_transaction

ENQUIRIES = (
    "What is the council doing about {topic} on {street}? Constituents want "
    "a timescale.",
    "Please explain why {topic} complaints on {street} keep coming back.",
    "Can the department set out its plans for {topic} in the area around "
    "{street}?",
    "How many reports of {topic} has the council had for {street} this year?",
)
MEMBER_NOTES = (
    "Spoke to the resident again; it is getting worse.",
    "Neighbours have raised this with me too.",
    "Photos sent to the hub by a constituent show the same.",
    "Resident asks to be kept informed.",
)
INTERNAL_NOTES = (
    "Checked the history: reported before, last year.",
    "Called the depot; they know about this one.",
    "Same location as an open case; keep an eye on both.",
    "Member phoned the hub about this too.",
    "Officer visit needed before any work can be booked.",
)
ACKNOWLEDGEMENTS = (
    "Thanks, logged and checked.",
    "Received; passing to the department today.",
    None,
    None,
)
DEPARTMENT_REPLIES = (
    "A crew has been booked for later this week.",
    "An officer visited and has arranged the work.",
    "We have written to the owner asking them to deal with it.",
    "This is on the schedule for the next round in the area.",
)
EMAIL_REPLIES = (
    "{department} replied by email: the work has been ordered.",
    "{department} say an inspector will call within ten working days.",
    "{department} have logged it under their own reference and will update.",
)
RESOLUTIONS = (
    "Done; the area has been cleared.",
    "Repaired and checked.",
    "Work completed this morning.",
    "Owner has dealt with it; site inspected.",
)
REOPENINGS = (
    "It is back again, please look at it once more.",
    "Resident says this was not actually fixed.",
)
WITHDRAWALS = (
    "Resident has sorted it themselves.",
    "Logged in error, sorry.",
    "Duplicate of another case.",
)
CLOSINGS = ("No further contact; closing.", None)


async def write_casework(rng: random.Random, cast: Cast,
                         departments: dict[str, Department],
                         categories: list[Category]) -> tuple[int, int]:
    """Cases raised over the last half year, oldest first; their counts."""
    now = datetime.now(UTC).replace(microsecond=0)
    horizon = now - timedelta(minutes=5)
    count = rng.randint(300, 400)
    # More recent than old cases, as the app has been catching on.
    span = HISTORY_DAYS * 1440 - 60
    starts = sorted(now - timedelta(minutes=60 + span * rng.random() ** 1.4)
                    for _ in range(count))
    by_id = {department.id: department for department in departments.values()}
    plans = {plan.code: plan for plan in CATEGORIES}
    weights = [plans[category.code].weight for category in categories]

    events = 0
    for start in starts:
        category = rng.choices(categories, weights=weights)[0]
        member = rng.choices(cast.members, weights=cast.member_weights)[0]
        story = _Story(rng, cast, start, horizon,
                       pace=rng.choice((1, 1, 1, 1.5, 2, 3, 6)))
        story.tell(plans[category.code], by_id[category.department_id], member)
        events += await _write_case(rng, story, member, category,
                                    plans[category.code])
    return count, events


class _StoryEnds(Exception):
    """A case story has reached today, or the case was withdrawn."""


@dataclass
class _Step:
    kind: EventKind
    author: User
    data: dict[str, Any]
    at: datetime


@dataclass
class _Story:
    """The history of one case, told step by step until it reaches today."""

    rng: random.Random
    cast: Cast
    at: datetime
    horizon: datetime
    pace: float = 1.0
    status: Status = Status.SUBMITTED
    department: Department | None = None
    steps: list[_Step] = field(default_factory=list)

    def tell(self, plan: CategoryPlan, department: Department,
             member: User) -> None:
        self.steps.append(_Step(EventKind.CREATED, member,
                                {"status": Status.SUBMITTED.value}, self.at))
        try:
            self._unfold(plan, department, member)
        except _StoryEnds:
            pass

    def _unfold(self, plan: CategoryPlan, department: Department,
                member: User) -> None:
        rng = self.rng
        if rng.random() < 0.12:
            self.add(rng.uniform(0.2, 6), EventKind.NOTE, member,
                     {"text": rng.choice(MEMBER_NOTES)})
        if rng.random() < 0.04:
            self.move(rng.uniform(0.5, 20), member, Status.WITHDRAWN,
                      rng.choice(WITHDRAWALS))
            return

        agent = rng.choice(self.cast.agents)
        self.move(rng.uniform(0.3, plan.acknowledge_hours * 1.4), agent,
                  Status.ACKNOWLEDGED, rng.choice(ACKNOWLEDGEMENTS))
        if rng.random() < 0.3:
            self.add(rng.uniform(0.1, 3), EventKind.INTERNAL_NOTE, agent,
                     {"text": rng.choice(INTERNAL_NOTES)})
        self.hand_off(rng.uniform(0.2, 20), agent, department)
        self.work(plan, department, agent, member)

        if rng.random() < 0.12:
            self.move(rng.uniform(24, 120), member, Status.REOPENED,
                      rng.choice(REOPENINGS))
            self.hand_off(rng.uniform(1, 24), agent, department)
            self.work(plan, department, agent, member)
        if rng.random() < 0.15:
            return
        closer = rng.choice(self.cast.supervisors + self.cast.agents[:4])
        self.move(rng.uniform(48, 240), closer, Status.CLOSED,
                  rng.choice(CLOSINGS))

    def work(self, plan: CategoryPlan, department: Department, agent: User,
             member: User) -> None:
        """The department's part, up to the case being resolved."""
        rng = self.rng
        officers = self.cast.officers.get(department.id)
        if officers:
            worker = rng.choice(officers)
            self.move(rng.uniform(2, 72), worker, Status.IN_PROGRESS, None)
            if rng.random() < 0.3:
                self.add(rng.uniform(1, 48), EventKind.INTERNAL_NOTE, worker,
                         {"text": rng.choice(INTERNAL_NOTES)})
            if rng.random() < 0.6:
                self.add(rng.uniform(2, 72), EventKind.REPLY, worker,
                         {"text": rng.choice(DEPARTMENT_REPLIES)})
        else:
            worker = agent
            self.add(rng.uniform(0.1, 1), EventKind.INTERNAL_NOTE, agent,
                     {"text": f"Sent to {department.email} by email."})
            reply = rng.choice(EMAIL_REPLIES).format(department=department.name)
            self.add(rng.uniform(24, 24 * plan.answer_days), EventKind.REPLY,
                     agent, {"text": reply})

        if rng.random() < 0.15:
            self.add(rng.uniform(24, 96), EventKind.NOTE, member,
                     {"text": rng.choice(MEMBER_NOTES)})
        if rng.random() < 0.04:
            self.move(rng.uniform(2, 48), member, Status.WITHDRAWN,
                      rng.choice(WITHDRAWALS))
            raise _StoryEnds
        self.move(rng.uniform(12, 24 * plan.answer_days * 1.3), worker,
                  Status.RESOLVED, rng.choice(RESOLUTIONS))

    def hand_off(self, hours: float, agent: User, department: Department) -> None:
        self.add(hours, EventKind.HANDOFF, agent, {
            "department_id": department.id, "department": department.name,
            "note": None,
        })
        self.department = department
        self.move(0, agent, Status.WITH_DEPARTMENT, None)

    def move(self, hours: float, actor: User, to: Status, note: str | None) -> None:
        if to not in casework.TRANSITIONS[self.status]:
            raise ValueError(f"the demo moved a case from {self.status} to {to}")
        self.add(hours, EventKind.STATUS_CHANGE, actor,
                 {"from": self.status.value, "to": to.value, "note": note})
        self.status = to

    def add(self, hours: float, kind: EventKind, author: User,
            data: dict[str, Any]) -> None:
        # A status change that goes with a handoff is a second later, so the
        # timeline keeps its order when sorted by time.
        moment = self.at + timedelta(hours=hours * self.pace, seconds=1)
        if moment > self.horizon:
            raise _StoryEnds
        self.at = moment
        self.steps.append(_Step(kind, author, data, moment))


async def _write_case(rng: random.Random, story: _Story, member: User,
                      category: Category, plan: CategoryPlan) -> int:
    """Store one case and its timeline in one transaction, as live ones are."""
    created = story.steps[0].at
    kind = (CaseKind.MEMBER_ENQUIRY if rng.random() < 0.2
            else CaseKind.SERVICE_REQUEST)
    street, postcode = rng.choice(STREETS)
    number = rng.randint(1, 240)
    async with write_transaction() as writer:
        case = await Case.create(
            id=_uuid(rng),
            reference=await casework.next_reference(writer),
            member_id=member.id,
            kind=kind,
            category_id=category.id,
            department_id=story.department.id if story.department else None,
            answers=_answers(rng, plan),
            description=_description(rng, plan, kind, street, number),
            **_constituent(rng, street, postcode),
            **_location(rng, street, postcode, number),
            status=story.status,
            priority=_priority(rng, plan),
            due_at=(calendar.add_working_days(created, plan.answer_days)
                    if kind == CaseKind.MEMBER_ENQUIRY else None),
            channel=Channel.APP,
            created_at=created,
            client_created_at=created - timedelta(seconds=rng.randint(2, 90)),
            updated_at=story.steps[-1].at,
            version=writer.version,
        )
        await _write_events(rng, writer, case, story)
        await case_feed.publish_case(writer, case)
    return len(story.steps)


async def _write_events(rng: random.Random, writer: Writer, case: Case,
                        story: _Story) -> None:
    events = []
    for step in story.steps:
        from_phone = step.author.role == Role.MEMBER
        event = CaseEvent(
            id=_uuid(rng), case_id=case.id, kind=step.kind,
            author_id=step.author.id, data=step.data, created_at=step.at,
            client_created_at=(step.at - timedelta(seconds=rng.randint(2, 90))
                               if from_phone else None),
            version=writer.version,
        )
        events.append(event)
        # The feed carries each event with the case's final audience, as a
        # handoff republishes the timeline for the department.
        writer.record("event", str(event.id),
                      case_feed.event_data(event, step.author),
                      case_feed.event_audience(case, event))
    await CaseEvent.bulk_create(events, using_db=writer.connection)


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _answers(rng: random.Random, plan: CategoryPlan) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in plan.questions:
        if not question["required"] and rng.random() < 0.3:
            continue
        if question["type"] == "choice":
            answers[question["id"]] = rng.choice(question["options"])
        elif question["id"] == "park":
            answers["park"] = rng.choice(PARKS)
        elif question["id"] == "pole":
            answers["pole"] = f"{rng.randint(1, 90)}/{rng.randint(1, 40)}"
        else:
            answers[question["id"]] = (
                f"{rng.choice('ABCDEFGHJK')}{rng.choice('ABCDEFGHJK')}Z "
                f"{rng.randint(1000, 9999)}"
            )
    return answers


def _description(rng: random.Random, plan: CategoryPlan, kind: CaseKind,
                 street: str, number: int) -> str:
    if kind == CaseKind.MEMBER_ENQUIRY:
        template = rng.choice(ENQUIRIES)
        return template.format(topic=plan.name.lower(), street=street)
    return rng.choice(plan.descriptions).format(street=street, number=number)


def _constituent(rng: random.Random, street: str, postcode: str) -> dict[str, Any]:
    """A resident's details on most cases; the rest were just logged."""
    if rng.random() < 0.4:
        return {}
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    email = None
    if rng.random() < 0.5:
        email = f"{ascii_name(first)}{rng.randint(1, 99)}@example.com"
    return {
        "constituent_name": f"{first} {last}",
        "constituent_address": f"{rng.randint(1, 240)} {street}, Belfast {postcode}",
        "constituent_phone": f"07700 900{rng.randint(0, 999):03d}",
        "constituent_email": email,
    }


def _location(rng: random.Random, street: str, postcode: str,
              number: int) -> dict[str, Any]:
    place: dict[str, Any] = {}
    if rng.random() < 0.85:
        place["latitude"] = round(rng.uniform(54.55, 54.64), 6)
        place["longitude"] = round(rng.uniform(-6.02, -5.86), 6)
        place["location_accuracy"] = float(rng.choice((5, 8, 12, 20, 35)))
    if not place or rng.random() < 0.5:
        place["address"] = f"{number} {street}, Belfast {postcode}"
    return place


def _priority(rng: random.Random, plan: CategoryPlan) -> Priority:
    if plan.acknowledge_hours <= 2:
        return Priority.URGENT
    return rng.choices(
        (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT),
        weights=(10, 70, 17, 3),
    )[0]
