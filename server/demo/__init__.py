"""A made-up council with half a year of casework, to try casehub on.

Everything is written the way live changes are, onto the same change feed, so
a demo member's phone receives its whole history on first sync. A seed gives
the same council every time; only the dates move with today.
"""

from __future__ import annotations

import logging
import random
from collections import Counter as Tally
from dataclasses import dataclass
from typing import Any

from server import enrollment
from server.auth import hash_password
from server.config import Settings
from server.demo.council import DEMO_PASSWORD
from server.demo.hub import write_hub_history
from server.demo.people import make_people, make_reference_data
from server.demo.rollout import write_rollout
from server.demo.stories import write_casework
from server.hub.models import Contact
from server.models import Case, Department, Role, User, Ward

log = logging.getLogger(__name__)

__all__ = ["DEMO_PASSWORD", "DemoSummary", "council_is_empty", "load_demo",
           "sign_in_details"]


@dataclass
class DemoSummary:
    """What the demo loaded, and what someone needs to sign in to it."""

    wards: int
    members: int
    staff: int
    departments: int
    categories: int
    cases: int
    events: int
    contacts: int
    training_slots: int
    password: str
    agent_email: str
    supervisor_email: str
    officer_email: str
    trainer_email: str
    admin_email: str
    member_name: str
    member_email: str
    enrollment_code: str


async def council_is_empty() -> bool:
    """True when nobody, no ward and no department has been set up yet."""
    return not (await User.exists() or await Ward.exists()
                or await Department.exists())


async def load_demo(seed: int) -> DemoSummary:
    """Fill an empty database with the demo council and its casework."""
    rng = random.Random(seed)
    password_hash = hash_password(DEMO_PASSWORD)

    wards, departments, categories = await make_reference_data()
    cast = await make_people(rng, wards, departments, password_hash)
    cases, events = await write_casework(rng, cast, departments, categories)
    await write_hub_history(rng, cast, categories)
    slots = await write_rollout(rng, cast)

    sample = await _busiest_member(cast.members)
    code = await enrollment.issue_code(sample, None, 72)
    log.info("demo council loaded: %d cases, %d events", cases, events)
    officer = next(iter(cast.officers.values()))[0]
    return DemoSummary(
        wards=len(wards), members=len(cast.members),
        staff=await User.exclude(role=Role.MEMBER).count(),
        departments=len(departments), categories=len(categories),
        cases=cases, events=events, contacts=await Contact.all().count(),
        training_slots=slots,
        password=DEMO_PASSWORD,
        agent_email=cast.agents[0].email,
        supervisor_email=cast.supervisors[0].email,
        officer_email=officer.email, trainer_email=cast.trainers[0].email,
        admin_email=cast.admin.email, member_name=sample.name,
        member_email=sample.email, enrollment_code=code,
    )


def sign_in_details(summary: DemoSummary, settings: Settings) -> str:
    """What to tell the person who just started the demo."""
    base = settings.public_url
    return (
        f"Demo council loaded: {summary.members} members in {summary.wards} "
        f"wards, {summary.staff} staff, {summary.cases} cases, "
        f"{summary.contacts} contacts with the hub, "
        f"{summary.training_slots} training slots.\n"
        f"\n"
        f"Member app:      {base}/\n"
        f"Staff pages:     {base}/staff/\n"
        f"Hub dashboard:   {base}/staff/dashboard\n"
        f"Rollout:         {base}/staff/training/\n"
        f"OpenAPI:         {base}/openapi.json\n"
        f"\n"
        f"Staff sign-in (password for every demo account: {summary.password})\n"
        f"  hub agent           {summary.agent_email}\n"
        f"  hub supervisor      {summary.supervisor_email}\n"
        f"  department officer  {summary.officer_email}\n"
        f"  trainer             {summary.trainer_email}\n"
        f"  admin               {summary.admin_email}\n"
        f"\n"
        f"Sample member: {summary.member_name} <{summary.member_email}>\n"
        f"  enrollment code {summary.enrollment_code} (once, within 72 hours)\n"
        f"  join at {base}/#join={summary.enrollment_code}\n"
    )


async def _busiest_member(members: list[User]) -> User:
    counts: Tally[Any] = Tally(
        await Case.filter(member_id__in=[m.id for m in members])
        .values_list("member_id", flat=True)
    )
    return max(members, key=lambda member: (counts[member.id], -member.id))
