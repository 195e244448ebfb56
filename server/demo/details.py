"""What a demo case says: its answers, description, resident and place."""

from __future__ import annotations

import random
import uuid
from typing import Any

from server.demo.council import FIRST_NAMES, PARKS, SURNAMES, CategoryPlan
from server.demo.people import ascii_name
from server.models import CaseKind, Priority

ENQUIRIES = (
    "What is the council doing about {topic} on {street}? Constituents want "
    "a timescale.",
    "Please explain why {topic} complaints on {street} keep coming back.",
    "Can the department set out its plans for {topic} in the area around "
    "{street}?",
    "How many reports of {topic} has the council had for {street} this year?",
)


def new_uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def answers(rng: random.Random, plan: CategoryPlan) -> dict[str, Any]:
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


def description(rng: random.Random, plan: CategoryPlan, kind: CaseKind,
                 street: str, number: int) -> str:
    if kind == CaseKind.MEMBER_ENQUIRY:
        template = rng.choice(ENQUIRIES)
        return template.format(topic=plan.name.lower(), street=street)
    return rng.choice(plan.descriptions).format(street=street, number=number)


def constituent(rng: random.Random, street: str, postcode: str) -> dict[str, Any]:
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


def location(rng: random.Random, street: str, postcode: str,
              number: int) -> dict[str, Any]:
    place: dict[str, Any] = {}
    if rng.random() < 0.85:
        place["latitude"] = round(rng.uniform(54.55, 54.64), 6)
        place["longitude"] = round(rng.uniform(-6.02, -5.86), 6)
        place["location_accuracy"] = float(rng.choice((5, 8, 12, 20, 35)))
    if not place or rng.random() < 0.5:
        place["address"] = f"{number} {street}, Belfast {postcode}"
    return place


def priority(rng: random.Random, plan: CategoryPlan) -> Priority:
    if plan.acknowledge_hours <= 2:
        return Priority.URGENT
    return rng.choices(
        (Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT),
        weights=(10, 70, 17, 3),
    )[0]
