"""Half a year of casework: each case's history, told step by step.

A case arrives in the app, by a call to the members' line or by email, and
the hub works it in its opening hours: acknowledged, sometimes taken by an
agent, handed on, answered. A case that missed a target is escalated as the
server would have done, and members ring or write to ask how a case is
going. server/demo/records.py then stores each story as live casework is.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from server import casework
from server.casework import OPEN
from server.demo import records
from server.demo.council import CATEGORIES, HISTORY_DAYS, CategoryPlan
from server.demo.people import Cast
from server.demo.phrases import (
    ACKNOWLEDGEMENTS,
    CLOSINGS,
    DEPARTMENT_REPLIES,
    EMAIL_REPLIES,
    FOLLOW_UPS,
    INTERNAL_NOTES,
    MEMBER_NOTES,
    REOPENINGS,
    RESOLUTIONS,
    WITHDRAWALS,
)
from server.models import (
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
        story = Story.begin(own, cast, start, horizon, plan)
        story.tell(plan, by_id[category.department_id], member)
        story.follow_ups(member)
        story.escalate()
        events += await records.write_case(own, story, member, category, plan)
    return count, events


class StoryEnds(Exception):
    """A case story has reached today, or the case was withdrawn."""


@dataclass
class Step:
    kind: EventKind
    # None for what the server does by itself, such as an escalation.
    author: User | None
    data: dict[str, Any]
    at: datetime

    @property
    def by_staff(self) -> bool:
        return self.author is not None and self.author.role != Role.MEMBER


@dataclass
class Story:
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
    steps: list[Step] = field(default_factory=list)

    @classmethod
    def begin(cls, rng: random.Random, cast: Cast, start: datetime,
              horizon: datetime, plan: CategoryPlan) -> Story:
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
        self.steps.append(Step(EventKind.CREATED, creator,
                                {"status": Status.SUBMITTED.value,
                                 "channel": self.channel.value}, self.at))
        try:
            self._unfold(plan, department, member)
        except StoryEnds:
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
            raise StoryEnds
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
        step = Step(kind, author, data, self.at)
        if step.by_staff:
            span = (working_hours if working_hours is not None
                    else hours * self.pace * WORKING_SHARE)
            moment = calendar.add_working_hours(self.at, span)
        else:
            moment = self.at + timedelta(hours=hours * self.pace)
        moment += timedelta(seconds=1)
        if moment > self.horizon:
            raise StoryEnds
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
            self._insert(Step(EventKind.CONTACT, self.agent, {
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
            self._insert(Step(EventKind.ESCALATED, None, {"reasons": [reason]},
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

    def _insert(self, step: Step) -> None:
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
