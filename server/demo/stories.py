"""Half a year of casework: each case's history, told and then stored.

A case arrives in the app, by a call to the members' line or by email, and
the hub works it in its opening hours: acknowledged, sometimes taken by an
agent, handed on, answered. A case that missed a target is escalated as the
server would have done, and members ring or write to ask how a case is
going. Each case is written in one transaction, with its events carrying
their historical times, and put on the feed just as live casework is.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server import case_feed, casework
from server.casework import OPEN
from server.demo import details
from server.demo.council import CATEGORIES, HISTORY_DAYS, STREETS, CategoryPlan
from server.demo.people import Cast
from server.hub import targets
from server.hub.models import Contact, Handoff
from server.models import (
    Case,
    CaseEvent,
    CaseKind,
    Category,
    Channel,
    Department,
    EventKind,
    Role,
    Status,
    User,
)
from server.workdays import calendar
from sync.feed import Writer, write_transaction

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
FOLLOW_UPS = (
    "Asked where the case had got to.",
    "Wanted to know when the crew will come.",
    "Resident has been on to the member again; asked for an update.",
    "Asked whether the department has a date yet.",
)
# How members' cases reach the hub, as (channel, weight).
CASE_CHANNELS = ((Channel.APP, 55), (Channel.PHONE, 25), (Channel.EMAIL, 20))
# Steps that answer a case for its acknowledgement target.
RESPONSES = frozenset({EventKind.STATUS_CHANGE, EventKind.HANDOFF,
                       EventKind.REPLY})
# About this much of the clock is the hub's opening hours.
WORKING_SHARE = 50 / 168


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
        plan = plans[category.code]
        member = rng.choices(cast.members, weights=cast.member_weights)[0]
        # Each case draws from its own generator, so a story cut short by
        # today, which moves with the clock, leaves the others as they were.
        own = random.Random(rng.getrandbits(64))
        story = _Story.begin(own, cast, start, horizon, plan)
        story.tell(plan, by_id[category.department_id], member)
        story.follow_ups(member)
        story.escalate()
        events += await _write_case(own, story, member, category, plan)
    return count, events


class _StoryEnds(Exception):
    """A case story has reached today, or the case was withdrawn."""


@dataclass
class _Step:
    kind: EventKind
    # None for what the server does by itself, such as an escalation.
    author: User | None
    data: dict[str, Any]
    at: datetime

    @property
    def by_staff(self) -> bool:
        return self.author is not None and self.author.role != Role.MEMBER


@dataclass
class _Story:
    """The history of one case, told step by step until it reaches today."""

    rng: random.Random
    cast: Cast
    at: datetime
    horizon: datetime
    channel: Channel
    kind: CaseKind
    agent: User
    acknowledge_by: datetime
    due_at: datetime | None
    pace: float = 1.0
    status: Status = Status.SUBMITTED
    department: Department | None = None
    assigned: User | None = None
    escalated_at: datetime | None = None
    steps: list[_Step] = field(default_factory=list)

    @classmethod
    def begin(cls, rng: random.Random, cast: Cast, start: datetime,
              horizon: datetime, plan: CategoryPlan) -> _Story:
        """A case arriving about `start`: a call waits for the line to open."""
        channel = rng.choices([c for c, _ in CASE_CHANNELS],
                              [w for _, w in CASE_CHANNELS])[0]
        if channel == Channel.PHONE:
            answered = calendar.add_working_hours(start, rng.uniform(0, 2))
            if answered < horizon:
                start = answered
            else:
                channel = Channel.EMAIL
        kind = (CaseKind.MEMBER_ENQUIRY if rng.random() < 0.2
                else CaseKind.SERVICE_REQUEST)
        return cls(
            rng=rng, cast=cast, at=start, horizon=horizon, channel=channel,
            kind=kind, agent=rng.choice(cast.agents),
            acknowledge_by=calendar.add_working_hours(start,
                                                      plan.acknowledge_hours),
            due_at=(calendar.add_working_days(start, plan.answer_days)
                    if kind == CaseKind.MEMBER_ENQUIRY else None),
            # Enquiries are chased to their due date; service requests drift.
            pace=(1 if kind == CaseKind.MEMBER_ENQUIRY
                  else rng.choice((1, 1, 1, 1.5, 2, 3, 6))),
        )

    @property
    def created(self) -> datetime:
        return self.steps[0].at

    def tell(self, plan: CategoryPlan, department: Department,
             member: User) -> None:
        creator = self.agent if self.channel == Channel.PHONE else member
        self.steps.append(_Step(EventKind.CREATED, creator,
                                {"status": Status.SUBMITTED.value,
                                 "channel": self.channel.value}, self.at))
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

        agent = self.agent
        delay = self._acknowledgement_delay(plan)
        if self.channel == Channel.EMAIL:
            # An email arrives unsorted: the hub gives it its category first.
            self.add(0, EventKind.UPDATED, agent, {"changes": {"category": {
                "from": None, "to": plan.name}}}, working_hours=delay * 0.8)
            delay *= 0.2
        if rng.random() < 0.35:
            self.add(0, EventKind.ASSIGNED, agent, {
                "from_id": None, "to_id": agent.id, "to": agent.name,
            }, working_hours=delay)
            self.assigned = agent
            delay = 0
        self.move(0, agent, Status.ACKNOWLEDGED, rng.choice(ACKNOWLEDGEMENTS),
                  working_hours=delay)
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

    def _acknowledgement_delay(self, plan: CategoryPlan) -> float:
        """Working hours to the first answer: within target, mostly."""
        target = plan.acknowledge_hours
        if self.rng.random() < 0.9:
            return self.rng.uniform(0.05, target * 0.9)
        return self.rng.uniform(target * 1.05, target * 2.5)

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
            # An enquiry is owed a written answer; most get one in time.
            if self.kind == CaseKind.MEMBER_ENQUIRY or rng.random() < 0.6:
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
            "note": None, "by_email": not department.uses_casehub,
        })
        self.department = department
        self.move(0, agent, Status.WITH_DEPARTMENT, None)

    def move(self, hours: float, actor: User, to: Status, note: str | None,
             working_hours: float | None = None) -> None:
        if to not in casework.TRANSITIONS[self.status]:
            raise ValueError(f"the demo moved a case from {self.status} to {to}")
        self.add(hours, EventKind.STATUS_CHANGE, actor,
                 {"from": self.status.value, "to": to.value, "note": note},
                 working_hours)
        self.status = to

    def add(self, hours: float, kind: EventKind, author: User,
            data: dict[str, Any], working_hours: float | None = None) -> None:
        """The next step, `hours` of the clock on at the case's pace.

        Staff work only while the hub is open, so their steps are moved on in
        working time: `working_hours` exactly, or the clock hours' share of
        it. A status change that goes with a handoff is a second later, so
        the timeline keeps its order when sorted by time.
        """
        step = _Step(kind, author, data, self.at)
        if step.by_staff:
            span = (working_hours if working_hours is not None
                    else hours * self.pace * WORKING_SHARE)
            moment = calendar.add_working_hours(self.at, span)
        else:
            moment = self.at + timedelta(hours=hours * self.pace)
        moment += timedelta(seconds=1)
        if moment > self.horizon:
            raise _StoryEnds
        self.at = step.at = moment
        self.steps.append(step)

    def follow_ups(self, member: User) -> None:
        """Calls and emails from the member asking how the case is going."""
        rng = self.rng
        last = self.steps[-1].at
        for _ in range(rng.choice((0, 0, 0, 1, 1, 2))):
            at = self.created + (last - self.created) * rng.random()
            channel = Channel.PHONE if rng.random() < 0.6 else Channel.EMAIL
            if channel == Channel.PHONE:
                at = calendar.add_working_hours(at, rng.uniform(0, 1))
            if at <= self.created or at >= self.horizon:
                continue
            self._insert(_Step(EventKind.CONTACT, self.agent, {
                "channel": channel.value, "summary": rng.choice(FOLLOW_UPS),
                "notes": None, "member": member.name,
            }, at))

    def escalate(self) -> None:
        """Escalate a missed target once, a minute after, if still open then."""
        targets_met = [
            (self.acknowledge_by, self.acknowledged_at(),
             "not acknowledged in time"),
            (self.due_at, self.answered_at(), "no written answer by the due date"),
        ]
        for target, met, reason in sorted(targets_met, key=_by_target):
            if target is None:
                continue
            at = target + timedelta(seconds=self.rng.randint(5, 60))
            late = met is None or met > at
            if not late or at >= self.horizon or self._status_at(at) not in OPEN:
                continue
            self._insert(_Step(EventKind.ESCALATED, None, {"reasons": [reason]},
                               at))
            self.escalated_at = at
            return

    def _status_at(self, moment: datetime) -> Status:
        status = Status.SUBMITTED
        for step in self.steps:
            if step.at > moment:
                break
            if step.kind == EventKind.STATUS_CHANGE:
                status = Status(step.data["to"])
        return status

    def _insert(self, step: _Step) -> None:
        """Put a step into the timeline at its time, a second from any other."""
        taken = {other.at for other in self.steps}
        while step.at in taken:
            step.at += timedelta(seconds=1)
        times = [other.at for other in self.steps]
        self.steps.insert(bisect.bisect(times, step.at), step)

    def acknowledged_at(self) -> datetime | None:
        return next((s.at for s in self.steps
                     if s.by_staff and s.kind in RESPONSES), None)

    def answered_at(self) -> datetime | None:
        return next((s.at for s in self.steps
                     if s.by_staff and s.kind == EventKind.REPLY), None)


def _by_target(entry: tuple[datetime | None, datetime | None, str]) -> datetime:
    return entry[0] or datetime.max.replace(tzinfo=UTC)


async def _write_case(rng: random.Random, story: _Story, member: User,
                      category: Category, plan: CategoryPlan) -> int:
    """Store one case and its timeline in one transaction, as live ones are."""
    created = story.created
    street, postcode = rng.choice(STREETS)
    number = rng.randint(1, 240)
    acknowledged = story.acknowledged_at()
    clock, working = (targets.response_times(created, acknowledged)
                      if acknowledged else (None, None))
    async with write_transaction() as writer:
        case = await Case.create(
            id=details.new_uuid(rng),
            reference=await casework.next_reference(writer),
            member_id=member.id,
            kind=story.kind,
            category_id=category.id,
            department_id=story.department.id if story.department else None,
            answers=details.answers(rng, plan),
            description=details.description(rng, plan, story.kind, street,
                                            number),
            **details.constituent(rng, street, postcode),
            **details.location(rng, street, postcode, number),
            status=story.status,
            priority=details.priority(rng, plan),
            due_at=story.due_at,
            channel=story.channel,
            assigned_to_id=story.assigned.id if story.assigned else None,
            acknowledge_by=story.acknowledge_by,
            acknowledged_at=acknowledged,
            answered_at=story.answered_at(),
            escalated_at=story.escalated_at,
            response_seconds=clock,
            response_working_seconds=working,
            created_at=created,
            client_created_at=(created - timedelta(seconds=rng.randint(2, 90))
                               if story.channel == Channel.APP else None),
            updated_at=story.steps[-1].at,
            version=writer.version,
        )
        await _write_events(rng, writer, case, story)
        await _write_hub_records(writer, case, story)
        await case_feed.publish_case(writer, case)
    return len(story.steps)


async def _write_events(rng: random.Random, writer: Writer, case: Case,
                        story: _Story) -> None:
    events = []
    for step in story.steps:
        from_phone = (step.author is not None and step.author.role == Role.MEMBER
                      and story.channel == Channel.APP)
        event = CaseEvent(
            id=details.new_uuid(rng), case_id=case.id, kind=step.kind,
            author_id=step.author.id if step.author else None, data=step.data,
            created_at=step.at,
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


async def _write_hub_records(writer: Writer, case: Case, story: _Story) -> None:
    """The contacts and hand-offs the hub counts, as live casework leaves them."""
    contacts = [Contact(
        channel=story.channel, at=story.created, member_id=case.member_id,
        case_id=case.id,
        agent_id=story.agent.id if story.channel == Channel.PHONE else None,
        summary=case.description[:300],
    )]
    handoffs = []
    for step in story.steps:
        if step.kind == EventKind.CONTACT:
            channel = Channel(step.data["channel"])
            contacts.append(Contact(
                channel=channel, at=step.at, member_id=case.member_id,
                case_id=case.id, summary=step.data["summary"],
                agent_id=(step.author.id if step.author
                          and channel == Channel.PHONE else None),
            ))
        elif step.kind == EventKind.HANDOFF and step.author is not None:
            handoffs.append(Handoff(
                case_id=case.id, department_id=step.data["department_id"],
                by_id=step.author.id, at=step.at,
                by_email=step.data["by_email"],
            ))
    await Contact.bulk_create(contacts, using_db=writer.connection)
    await Handoff.bulk_create(handoffs, using_db=writer.connection)
