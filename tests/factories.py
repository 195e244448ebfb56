"""A small council for tests: a few wards, members, staff and categories."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from quart.typing import TestClientProtocol

from server import enrollment
from server.auth import hash_password
from server.models import Category, Department, Party, Role, User, Ward
from server.reference import publish_category, publish_department
from sync import PROTOCOL_VERSION
from sync.feed import write_transaction

PASSWORD = "correct horse battery staple"


@dataclass
class Council:
    wards: list[Ward]
    cleansing: Department
    parks: Department
    fly_tipping: Category
    missed_bin: Category
    overgrown: Category
    members: list[User]
    agent: User
    supervisor: User
    officer: User
    parks_officer: User
    trainer: User
    admin: User


async def make_council() -> Council:
    wards = [await Ward.create(name=name) for name in ("Botanic", "Castle")]
    party = await Party.create(name="Alliance", short_name="APNI")
    cleansing = await Department.create(name="Cleansing and Waste")
    parks = await Department.create(name="Parks and Open Spaces")
    fly_tipping = await Category.create(
        code="fly_tipping", name="Fly-tipping", department=cleansing,
        questions=[
            {"id": "what", "label": "What was dumped", "type": "choice",
             "required": True,
             "options": ["Household", "Mattress", "Builders' waste", "Other"]},
            {"id": "amount", "label": "How much", "type": "text",
             "required": False},
        ],
    )
    missed_bin = await Category.create(
        code="missed_bin", name="Missed bin", department=cleansing,
        questions=[{"id": "bin", "label": "Which bin", "type": "choice",
                    "required": True, "options": ["Black", "Blue", "Brown"]}],
    )
    overgrown = await Category.create(code="overgrown", name="Overgrown grass",
                                      department=parks)
    async with write_transaction() as writer:
        for department in (cleansing, parks):
            publish_department(writer, department)
        for category in (fly_tipping, missed_bin, overgrown):
            publish_category(writer, category)

    members = [
        await User.create(email=f"member{i}@council.test", name=f"Member {i}",
                          role=Role.MEMBER, ward=wards[i % 2], party=party)
        for i in range(3)
    ]

    async def staff(email: str, role: Role, **extra: Any) -> User:
        return await User.create(email=email, name=email.split("@")[0].title(),
                                 role=role, password_hash=hash_password(PASSWORD),
                                 **extra)

    return Council(
        wards=wards, cleansing=cleansing, parks=parks, fly_tipping=fly_tipping,
        missed_bin=missed_bin, overgrown=overgrown, members=members,
        agent=await staff("agent@council.test", Role.HUB_AGENT),
        supervisor=await staff("supervisor@council.test", Role.HUB_SUPERVISOR),
        officer=await staff("officer@council.test", Role.DEPARTMENT_OFFICER,
                            department=cleansing),
        parks_officer=await staff("parks@council.test", Role.DEPARTMENT_OFFICER,
                                  department=parks),
        trainer=await staff("trainer@council.test", Role.TRAINER),
        admin=await staff("admin@council.test", Role.ADMIN),
    )


async def enroll(client: TestClientProtocol, member: User) -> str:
    """A device token for a new device of `member`."""
    code = await enrollment.issue_code(member, None, 72)
    response = await client.post("/api/devices/enroll",
                                 json={"code": code, "device_name": "test phone"})
    assert response.status_code == 201, await response.get_data(as_text=True)
    return (await response.get_json())["token"]


async def sign_in(client: TestClientProtocol, user: User) -> None:
    response = await client.post("/api/staff/session",
                                 json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200, await response.get_data(as_text=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_case(category: Category, seq: int, **args: Any) -> dict[str, Any]:
    """A case.create mutation with sensible defaults."""
    answers = {"what": "Mattress"} if category.code == "fly_tipping" else {}
    if category.code == "missed_bin":
        answers = {"bin": "Black"}
    body = {
        "case_id": str(uuid.uuid4()),
        "category_id": category.id,
        "description": "Two mattresses dumped at the entry behind the shops",
        "answers": answers,
        "location": {"latitude": 54.5873, "longitude": -5.9301, "accuracy": 12},
    }
    body.update(args)
    return mutation(seq, "case.create", body)


def mutation(seq: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "seq": seq, "name": name, "args": args,
            "client_time": "2026-11-30T09:15:00+00:00"}


async def push(client: TestClientProtocol, token: str,
               mutations: list[dict[str, Any]]) -> Any:
    return await client.post("/api/sync/push", headers=bearer(token),
                             json={"protocol": PROTOCOL_VERSION,
                                   "mutations": mutations})


async def pull_all(client: TestClientProtocol, token: str,
                   cursor: str | None = None) -> tuple[list[dict[str, Any]], str, Any]:
    """Every page from `cursor` on: the changes, the last cursor, the last body."""
    changes: list[dict[str, Any]] = []
    while True:
        response = await client.post("/api/sync/pull", headers=bearer(token),
                                     json={"protocol": PROTOCOL_VERSION,
                                           "cursor": cursor})
        assert response.status_code == 200, await response.get_data(as_text=True)
        body = await response.get_json()
        changes.extend(body["changes"])
        cursor = body["cursor"]
        if not body["more"]:
            return changes, cursor, body
