"""Storing a told case: its row, timeline, contacts and hand-offs, in one go.

Each case is written in one transaction, with its events carrying their
historical times, and put on the feed just as live casework is.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from server import case_feed, casework
from server.demo import details
from server.demo.council import STREETS, CategoryPlan
from server.hub import targets
from server.hub.models import Contact, Handoff
from server.models import Case, CaseEvent, Category, Channel, EventKind, Role, User
from sync.feed import Writer, write_transaction

if TYPE_CHECKING:
    from server.demo.stories import Story


async def write_case(rng: random.Random, story: Story, member: User,
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
        await _events(rng, writer, case, story)
        await _hub_records(writer, case, story)
        await case_feed.publish_case(writer, case)
    return len(story.steps)


async def _events(rng: random.Random, writer: Writer, case: Case,
                        story: Story) -> None:
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


async def _hub_records(writer: Writer, case: Case, story: Story) -> None:
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
