"""The demo hub's other work: its reply templates, and the contacts of its days.

Most contacts with a customer hub are settled on the spot: a resident asks
when the bins go out, a member rings about a meeting. These are counted on
the dashboard but open no case, so they are written in bulk, over the weeks
since the hub opened, at about the rate the hub is staffed for: busier on
Mondays, far busier after a bank holiday, and over the plan on its first day.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from server.demo.council import CATEGORIES
from server.demo.people import Cast
from server.hub.dashboard_sql import is_postgres, numbered
from server.hub.models import ResponseTemplate
from server.models import Case, Category, Channel
from server.workdays import calendar
from sync.models import Device

HUB_DAYS = 91
CONTACT_COLUMNS = ("channel", "at", "member_id", "case_id", "agent_id",
                   "summary", "source")
# Contacts on an ordinary working day, beside the members' own casework.
RESIDENT_CONTACTS = 700
WEEKEND_CONTACTS = 40
# How residents' contacts arrive on a working day; the rest come from the web.
PHONE_SHARE = 0.55
EMAIL_SHARE = 0.36
RESIDENT_SUMMARIES = {
    Channel.PHONE: ("Asked which day the bins go out.",
                    "Booked a bulky waste collection.",
                    "Asked how to pay for a replacement bin.",
                    "Reported a missed bin; passed to the depot.",
                    "Council tax question; put through to Finance.",
                    "Asked about opening hours at the recycling centre."),
    Channel.EMAIL: ("Asked for a copy of a letter about a bin collection.",
                    "Sent photos of dumped rubbish; passed to Cleansing.",
                    "Asked about a park booking.",
                    "Complained about the state of a footpath."),
    Channel.WEB: ("Report passed straight to the department.",
                  "Report sent on to the Roads service."),
}
MEMBER_SUMMARIES = ("Asked about a planning application in the ward.",
                    "Wanted the number for the depot manager.",
                    "Asked when the hub's surgery notes are sent.",
                    "Checked how to raise a case in the app.")

GENERAL_TEMPLATES = (
    ("Acknowledgement",
     "Dear {member_name},\n\nThank you for case {reference}. The hub has "
     "logged it as {category} and will keep you informed.\n\nCustomer Hub"),
    ("Passed to the department",
     "Case {reference} is now with {department}, who will update you. Its "
     "status is {status}."),
    ("Enquiry answer due",
     "We will send a written answer to case {reference} by {due_date}."),
)
CATEGORY_TEMPLATES = (
    ("Booked", "Thank you, {member_name}. {department} have booked the work "
     "for {category} at {address} (case {reference})."),
    ("Resident told", "We have let {constituent_name} know that {category} "
     "at {address} is with {department} (case {reference})."),
)


async def write_hub_history(rng: random.Random, cast: Cast,
                            categories: list[Category]) -> int:
    """Templates, and the contacts that opened no case; how many contacts."""
    async with in_transaction() as connection:
        await ResponseTemplate.bulk_create(_templates(categories),
                                           using_db=connection)
        contacts = _contacts(rng, cast)
        # Tens of thousands of rows: sent as one statement run many times,
        # which is many times quicker than building a model for each.
        insert = (f"INSERT INTO contacts ({', '.join(CONTACT_COLUMNS)})"
                  f" VALUES ({', '.join('?' * len(CONTACT_COLUMNS))})")
        if is_postgres(connection):
            insert = numbered(insert)
        await connection.execute_many(insert, contacts)
        await Device.bulk_create(await _phones(rng), using_db=connection)
    return len(contacts)


async def _phones(rng: random.Random) -> list[Device]:
    """A phone for each member who raised a case in the app, most synced lately.

    Their tokens are random and known to nobody: they only show who uses
    the app. A demo member joins with the enrollment code instead.
    """
    users = await Case.filter(channel=Channel.APP).distinct().values_list(
        "member_id", flat=True)
    now = datetime.now(UTC)
    phones = []
    for user_id in sorted({user for user in users if user is not None}):
        for _ in range(1 if rng.random() < 0.85 else 2):
            joined = now - timedelta(days=rng.uniform(60, 180))
            synced = now - timedelta(hours=rng.choice((0.2, 3, 20, 70, 400))
                                     * rng.uniform(0.5, 1.5))
            phones.append(Device(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                user_id=user_id,
                name=rng.choice(("iPhone", "Android phone", "Work phone")),
                token_hash=hashlib.sha256(rng.randbytes(32)).hexdigest(),
                app_version="0.1.0", created_at=joined, last_seen_at=synced,
                last_pull_at=synced,
            ))
    return phones


def _templates(categories: list[Category]) -> list[ResponseTemplate]:
    made = [ResponseTemplate(name=name, body=body)
            for name, body in GENERAL_TEMPLATES]
    names = {plan.code: plan.name for plan in CATEGORIES}
    for category in categories:
        for name, body in CATEGORY_TEMPLATES:
            made.append(ResponseTemplate(
                category_id=category.id, name=f"{names[category.code]}: {name}",
                body=body))
    return made


def _contacts(rng: random.Random, cast: Cast) -> list[list[Any]]:
    today = datetime.now(calendar.zone).date()
    opened = today - timedelta(days=HUB_DAYS)
    while not calendar.is_working_day(opened):
        opened += timedelta(days=1)
    now = datetime.now(UTC)
    agents = [agent.id for agent in cast.agents]
    made: list[list[Any]] = []
    for offset in range((today - opened).days + 1):
        day = opened + timedelta(days=offset)
        working = calendar.is_working_day(day)
        midnight = _local(day, 0)
        for _ in range(_volume(rng, day, opened)):
            contact = _resident_contact(rng, agents, midnight, working)
            if contact[1] < now:
                made.append(contact)
        if working:
            made.extend(c for c in _member_contacts(rng, cast, day) if c[1] < now)
    return made


def _volume(rng: random.Random, day: date, opened: date) -> int:
    """How many residents contact the hub on `day`."""
    if not calendar.is_working_day(day):
        return round(WEEKEND_CONTACTS * rng.uniform(0.7, 1.3))
    rate = RESIDENT_CONTACTS * rng.uniform(0.88, 1.12)
    previous = day - timedelta(days=1)
    if day == opened:
        rate *= 1.6
    elif previous.weekday() < 5 and not calendar.is_working_day(previous):
        # The day after a bank holiday brings two days' worth.
        rate *= rng.uniform(2.3, 2.6)
    elif day.weekday() == 0:
        rate *= 1.15
    return round(rate)


def _resident_contact(rng: random.Random, agents: list[int], midnight: datetime,
                      working: bool) -> list[Any]:
    """A resident's contact, as a row of CONTACT_COLUMNS.

    Called tens of thousands of times, so it draws the channel from one
    number and reckons from the day's midnight: a day the clocks change is
    a Sunday, when the lines are closed.
    """
    draw = rng.random()
    if working:
        channel = (Channel.PHONE if draw < PHONE_SHARE
                   else Channel.EMAIL if draw < PHONE_SHARE + EMAIL_SHARE
                   else Channel.WEB)
    else:
        channel = Channel.EMAIL if draw < 0.8 else Channel.WEB
    agent = source = None
    if channel == Channel.PHONE:
        hour = rng.triangular(8, 18, 10)
        agent = rng.choice(agents)
    else:
        hour = rng.triangular(0, 24, 13)
        source = (f"resident{rng.randint(1, 9999)}@example.com"
                  if channel == Channel.EMAIL else "Open311 gateway")
    return [channel.value, midnight + timedelta(hours=hour), None, None, agent,
            rng.choice(RESIDENT_SUMMARIES[channel]), source]


def _member_contacts(rng: random.Random, cast: Cast, day: date) -> list[list[Any]]:
    """Members ringing or writing about something that is not a case."""
    made = []
    for _ in range(rng.randint(2, 7)):
        member = rng.choices(cast.members, weights=cast.member_weights)[0]
        phoned = rng.random() < 0.55
        at = _local(day, rng.uniform(8, 18) if phoned else rng.uniform(7, 23))
        made.append([
            (Channel.PHONE if phoned else Channel.EMAIL).value, at, member.id,
            None, rng.choice(cast.agents).id if phoned else None,
            rng.choice(MEMBER_SUMMARIES), None,
        ])
    return made


def _local(day: date, hour: float) -> datetime:
    """The moment `hour` hours into `day` in council time, in UTC."""
    start = datetime.combine(day, time(0), calendar.zone)
    return (start + timedelta(hours=hour)).astimezone(UTC)
