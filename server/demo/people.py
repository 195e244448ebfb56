"""The demo council's wards, services and people, made in two transactions."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from server.demo.council import (
    CATEGORIES,
    DEPARTMENTS,
    FIRST_NAMES,
    MEMBER_DOMAIN,
    MEMBERS,
    PARTIES,
    STAFF_DOMAIN,
    SURNAMES,
    WARDS,
)
from server.models import Category, Department, Party, Role, User, Ward
from server.reference import publish_category, publish_department, publish_ward
from sync.feed import write_transaction


@dataclass
class Cast:
    """The people of the demo council, by what they do."""

    members: list[User]
    member_weights: list[float]
    agents: list[User]
    supervisors: list[User]
    trainers: list[User]
    admin: User
    officers: dict[int, list[User]]


async def make_reference_data() -> tuple[list[Ward], dict[str, Department],
                                     list[Category]]:
    """Wards, departments and categories, on the feed for every phone."""
    async with write_transaction() as writer:
        wards = [await Ward.create(name=name) for name in WARDS]
        departments = {
            name: await Department.create(name=name, email=email,
                                          uses_casehub=uses)
            for name, email, uses in DEPARTMENTS
        }
        categories = [
            await Category.create(
                code=plan.code, name=plan.name,
                department=departments[plan.department],
                questions=list(plan.questions),
                acknowledge_hours=plan.acknowledge_hours,
                answer_days=plan.answer_days,
            )
            for plan in CATEGORIES
        ]
        for ward in wards:
            publish_ward(writer, ward)
        for department in departments.values():
            publish_department(writer, department)
        for category in categories:
            publish_category(writer, category)
    return wards, departments, categories


class NameBook:
    """Plausible names, never the same person twice."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def draw(self) -> tuple[str, str]:
        while True:
            first = self.rng.choice(FIRST_NAMES)
            last = self.rng.choice(SURNAMES)
            handle = f"{ascii_name(first)}.{ascii_name(last)}"
            if handle not in self.used:
                self.used.add(handle)
                return f"{first} {last}", handle


def ascii_name(name: str) -> str:
    """A name as it goes into an email address: Seán O'Neill is sean, oneill."""
    plain = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in plain if ch.isascii() and ch.isalpha()).lower()


async def make_people(rng: random.Random, wards: list[Ward],
                      departments: dict[str, Department],
                      password_hash: str) -> Cast:
    names = NameBook(rng)
    async with in_transaction():
        parties = [await Party.create(name=name, short_name=short)
                   for name, short, _ in PARTIES]

        async def staff(role: Role, department: Department | None = None) -> User:
            name, handle = names.draw()
            return await User.create(
                email=f"{handle}@{STAFF_DOMAIN}", name=name, role=role,
                password_hash=password_hash, department=department,
            )

        trainers = [await staff(Role.TRAINER) for _ in range(2)]
        cast = Cast(
            members=[], member_weights=[],
            agents=[await staff(Role.HUB_AGENT) for _ in range(14)],
            supervisors=[await staff(Role.HUB_SUPERVISOR) for _ in range(2)],
            trainers=trainers, admin=await staff(Role.ADMIN), officers={},
        )
        for department in departments.values():
            if department.uses_casehub:
                cast.officers[department.id] = [
                    await staff(Role.DEPARTMENT_OFFICER, department)
                    for _ in range(rng.randint(1, 3))
                ]

        seats_by_ward = zip(wards, _seats(rng, len(wards)), strict=True)
        for index, (ward, seats) in enumerate(seats_by_ward):
            for party in _ward_parties(rng, parties, seats):
                name, handle = names.draw()
                cast.members.append(await User.create(
                    email=f"{handle}@{MEMBER_DOMAIN}", name=name,
                    role=Role.MEMBER, ward=ward, party=party,
                    trainer=trainers[index * 2 // len(wards)],
                ))
                # Some members bring far more casework than others.
                cast.member_weights.append(rng.uniform(0.3, 2.0))
    return cast


def _seats(rng: random.Random, wards: int) -> list[int]:
    """Between five and seven seats a ward, sixty in all."""
    seats = [MEMBERS // wards] * wards
    for _ in range(wards):
        grow, shrink = rng.sample(range(wards), 2)
        if seats[grow] < 7 and seats[shrink] > 5:
            seats[grow] += 1
            seats[shrink] -= 1
    return seats


def _ward_parties(rng: random.Random, parties: list[Party],
                  seats: int) -> list[Party]:
    weights = [weight for _, _, weight in PARTIES]
    chosen = rng.choices(parties, weights=weights, k=seats)
    while len({party.id for party in chosen}) < 2:
        chosen[-1] = rng.choices(parties, weights=weights)[0]
    return chosen

