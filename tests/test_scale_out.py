"""Several casehub instances on one PostgreSQL database, as a larger council runs it.

Phones sync through whichever instance a request lands on, a doubled push
lands on two at once, the hub works through a third, and every instance runs
its own push worker. Each mutation must still take effect once, every phone
must hold what a fresh pull gives it, and each alert must reach the push
service once.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections import Counter
from typing import Any

import asyncpg
import httpx
import pytest

from tests.chaos import Network, Response, Server, seed
from tests.conftest import ENGINE
from tests.factories import PASSWORD
from tests.fake_push import FakePushService, fake
from tests.sim import Fault, Offline, SimDevice, Stored

__all__ = ["fake"]

pytestmark = pytest.mark.skipif(ENGINE != "postgres",
                                reason="several instances share a PostgreSQL database")

INSTANCES = 3
PHONES = 6
ROUNDS = 12


class Spread:
    """Each request goes to one of several instances, chosen at random."""

    def __init__(self, networks: list[Network], rng: random.Random) -> None:
        self.networks = networks
        self.rng = rng

    async def post(self, path: str, **kwargs: Any) -> Response:
        return await self.rng.choice(self.networks).post(path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> Response:
        return await self.rng.choice(self.networks).put(path, **kwargs)


async def test_instances_on_one_database_apply_once_and_alert_once(
        settings, tmp_path, fake: FakePushService):
    codes, category, agent = await seed(settings.data_dir, PHONES,
                                        settings.database_url)
    shared = {"CASEHUB_DATABASE_URL": settings.database_url,
              "CASEHUB_PUSH_WORKER": "on",
              "CASEHUB_PUSH_HOSTS": "127.0.0.1",
              "CASEHUB_VAPID_CONTACT": "mailto:hub@council.example.org"}
    servers = [Server(settings.data_dir, tmp_path / f"serve{i}.log", **shared)
               for i in range(INSTANCES)]
    for server in servers:
        # One after another, so the first makes the push key the others read.
        await asyncio.to_thread(server.start)
    networks = [Network(server.url) for server in servers]
    rng = random.Random(5)
    staff = httpx.AsyncClient(base_url=servers[-1].url, timeout=20)
    try:
        phones = await _join(Spread(networks, rng), codes, fake)
        signed_in = await staff.post("/api/staff/session",
                                     json={"email": agent, "password": PASSWORD})
        assert signed_in.status_code == 200
        made: dict[str, str] = {}
        for _ in range(ROUNDS):
            for phone in phones:
                made.update(_changes(phone, category, rng))
            await asyncio.gather(*(_sync(phone, rng) for phone in phones),
                                 _acknowledge(staff))
        for _ in range(6):
            await asyncio.gather(*(_sync(phone, rng, Fault.NONE) for phone in phones))
        assert all(not phone.stored.outbox for phone in phones)

        for phone in phones:
            fresh = SimDevice(phone.client, phone.token, "fresh", Stored())
            await fresh.pull_all()
            assert fresh.stored.confirmed == phone.stored.confirmed
        sent = await _sent_alerts(settings.database_url)
        await fake.wait_for(len(sent), within=30)
    finally:
        await staff.aclose()
        for network in networks:
            await network.http.aclose()
        for server in servers:
            server.kill()

    outcomes = await _outcomes(settings.database_url)
    assert sorted(outcomes) == sorted(made)
    assert set(outcomes.values()) == {"applied"}
    texts = await _texts(settings.database_url)
    assert all(texts[mark] == 1 for mark in made.values()), \
        "a mutation took effect twice or not at all"
    received = Counter(message.data["id"] for message in fake.messages)
    assert sent, "the hub's work raised no alerts"
    assert set(received) == set(sent)
    assert max(received.values()) == 1


async def _join(spread: Spread, codes: list[tuple[int, str]],
                fake: FakePushService) -> list[SimDevice]:
    phones = []
    for _, code in codes:
        joined = await spread.post("/api/devices/enroll", json={"code": code})
        token = (await joined.get_json())["token"]
        subscribed = await spread.put(
            "/api/push/subscription", headers={"Authorization": f"Bearer {token}"},
            json=fake.new_device().subscription())
        assert subscribed.status_code == 200
        phones.append(SimDevice(spread, token))  # type: ignore[arg-type]
    return phones


def _changes(phone: SimDevice, category: int,
             rng: random.Random) -> dict[str, str]:
    """Queue a few changes; each mutation's id, and the mark its effect carries."""
    marks = {}
    for _ in range(rng.randint(1, 3)):
        mark = f"mark-{uuid.uuid4().hex[:12]}"
        own = list(phone.held("case"))
        if own and rng.random() < 0.6:
            pending = phone.mutate("case.note", {
                "case_id": rng.choice(own), "event_id": str(uuid.uuid4()),
                "text": mark})
        else:
            pending = phone.mutate("case.create", {
                "case_id": str(uuid.uuid4()), "category_id": category,
                "description": mark, "answers": {"bin": "Brown"}})
        marks[pending.id] = mark
    return marks


async def _sync(phone: SimDevice, rng: random.Random,
                fault: Fault | None = None) -> None:
    chosen = fault or rng.choice([Fault.NONE, Fault.DUPLICATE, Fault.DUPLICATE,
                                  Fault.LOSE_RESPONSE, Fault.REORDER])
    try:
        await phone.sync(chosen)
    except Offline:
        pass


async def _acknowledge(staff: httpx.AsyncClient) -> None:
    listed = await staff.get("/api/staff/cases", params={"status": "submitted"})
    for case in listed.json()["cases"][:3]:
        await staff.post(f"/api/staff/cases/{case['reference']}/status",
                         json={"status": "acknowledged"})


async def _query(url: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://"))
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


async def _outcomes(url: str) -> dict[str, str]:
    rows = await _query(url, "SELECT id, status FROM applied_mutations")
    return {str(row["id"]): row["status"] for row in rows}


async def _texts(url: str) -> Counter[str]:
    """How many copies of each text the cases and notes hold."""
    rows = await _query(url, "SELECT description AS text FROM cases UNION ALL "
                             "SELECT data::json->>'text' FROM case_events "
                             "WHERE kind = 'note'")
    return Counter(str(row["text"]) for row in rows)


async def _sent_alerts(url: str) -> list[str]:
    """The payload id of every alert queued for a subscribed phone."""
    rows = await _query(url, "SELECT payload FROM notifications")
    return [str(json.loads(row["payload"])["id"]) if isinstance(row["payload"], str)
            else str(row["payload"]["id"]) for row in rows]
