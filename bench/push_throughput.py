"""How many mutations a second the real server applies, beside bare Quart.

The real `casehub serve` runs in a subprocess on a fresh SQLite database.
Several enrolled devices push batches concurrently over HTTP: cases raised,
and notes on the cases they raised. The same client code then drives a bare
Quart endpoint that only reads the body and answers alike, which is as fast
as any Quart app on Hypercorn can go on this machine.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.pull_scaling import VAPID_CONTACT
from bench.servers import Served, bare_command, casehub_command, free_port, serving
from server.config import load_settings
from server.db import close_database, open_database

TARGET = 1000
PROTOCOL = 1
NOTE_SHARE = 0.8
CLIENT_TIME = "2026-12-03T09:15:00+00:00"


@dataclass(frozen=True)
class Plan:
    devices: int = 8
    batches: int = 10
    batch_size: int = 50

    @property
    def mutations(self) -> int:
        return self.devices * self.batches * self.batch_size


@dataclass
class Drive:
    """What one run of the clients sent and how the server answered."""

    seconds: float
    requests: int
    mutations: int
    statuses: dict[str, int] = field(default_factory=dict)
    creates: int = 0
    notes: int = 0
    # The server's own CPU time during the run: on a shared machine it says
    # what a mutation costs better than the wall clock does.
    server_cpu: float | None = None

    @property
    def per_second(self) -> float:
        return self.mutations / self.seconds

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_mutation(self) -> float | None:
        if self.server_cpu is None:
            return None
        return self.server_cpu * 1000 / self.mutations


@dataclass(frozen=True)
class Stored:
    """What the database holds after the run, counted row by row."""

    applied: int
    cases: int
    notes: int


@dataclass(frozen=True)
class Result:
    plan: Plan
    casehub: Drive
    bare: Drive
    stored: Stored

    @property
    def ratio(self) -> float:
        return self.casehub.per_second / self.bare.per_second


# Seeding, before the server starts.

async def seed(data_dir: Path, devices: int) -> tuple[list[str], list[int]]:
    """A council of sixty members; enrollment codes for `devices` of them."""
    from server import enrollment
    from server.models import Category, Department, Party, Role, User, Ward
    from server.reference import publish_category, publish_department

    await open_database(load_settings({"CASEHUB_DATA_DIR": str(data_dir),
                                       "CASEHUB_VAPID_CONTACT": VAPID_CONTACT}))
    try:
        ward = await Ward.create(name="Botanic")
        party = await Party.create(name="Independent", short_name="IND")
        department = await Department.create(name="Cleansing and Waste")
        categories = [
            await Category.create(code=code, name=name, department=department)
            for code, name in (("fly_tipping", "Fly-tipping"),
                               ("graffiti", "Graffiti"), ("litter", "Litter"))
        ]
        from sync.feed import write_transaction

        async with write_transaction() as writer:
            publish_department(writer, department)
            for category in categories:
                publish_category(writer, category)

        members = [
            await User.create(email=f"member{i}@council.test", name=f"Member {i}",
                              role=Role.MEMBER, ward=ward, party=party)
            for i in range(60)
        ]
        codes = [await enrollment.issue_code(member, None, 72)
                 for member in members[:devices]]
    finally:
        await close_database()
    return codes, [category.id for category in categories]


async def enroll(url: str, codes: list[str]) -> list[str]:
    async with httpx.AsyncClient(base_url=url) as client:
        tokens = []
        for code in codes:
            response = await client.post("/api/devices/enroll",
                                         json={"code": code,
                                               "device_name": "bench phone"})
            response.raise_for_status()
            tokens.append(response.json()["token"])
    return tokens


# Driving.

def batches(plan: Plan, categories: list[int],
            rng: random.Random) -> Iterator[tuple[list[dict[str, Any]], int, int]]:
    """One device's batches, numbered from 1: creates, then mostly notes."""
    seq = 0
    cases: list[str] = []
    for _ in range(plan.batches):
        batch, creates, notes = [], 0, 0
        for _ in range(plan.batch_size):
            seq += 1
            if cases and rng.random() < NOTE_SHARE:
                batch.append(_mutation(seq, "case.note", {
                    "case_id": rng.choice(cases), "event_id": str(uuid.uuid4()),
                    "text": "The resident rang again; it is still there."}))
                notes += 1
                continue
            case_id = str(uuid.uuid4())
            cases.append(case_id)
            batch.append(_mutation(seq, "case.create", {
                "case_id": case_id, "category_id": rng.choice(categories),
                "description": "Bags of rubbish dumped at the entry behind the shops",
                "location": {"latitude": 54.5873, "longitude": -5.9301,
                             "accuracy": 12}}))
            creates += 1
        yield batch, creates, notes


def _mutation(seq: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "seq": seq, "name": name, "args": args,
            "client_time": CLIENT_TIME}


def drive(server: Served, tokens: list[str], plan: Plan,
          categories: list[int]) -> Drive:
    """Run the clients against a server, noting the CPU time it spent."""
    cpu_before = server.cpu_seconds()
    outcome = asyncio.run(_drive(server.url, tokens, plan, categories))
    cpu_after = server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        outcome.server_cpu = cpu_after - cpu_before
    return outcome


async def _drive(url: str, tokens: list[str], plan: Plan,
                 categories: list[int], seed: int = 7) -> Drive:
    """Every device pushes its batches one after another, all devices at once."""
    plans = [list(batches(plan, categories, random.Random(seed + i)))
             for i in range(len(tokens))]
    outcome = Drive(seconds=0, requests=0, mutations=0)
    limits = httpx.Limits(max_connections=len(tokens))

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(
            _push_all(client, token, device_plan, outcome)
            for token, device_plan in zip(tokens, plans, strict=True)
        ))
        outcome.seconds = time.perf_counter() - started
    return outcome


async def _push_all(client: httpx.AsyncClient, token: str,
                    plan: list[tuple[list[dict[str, Any]], int, int]],
                    outcome: Drive) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for batch, creates, notes in plan:
        response = await client.post("/api/sync/push", headers=headers,
                                     json={"protocol": PROTOCOL, "mutations": batch})
        if response.status_code != 200:
            raise RuntimeError(f"push answered {response.status_code}: "
                               f"{response.text[:500]}")
        for result in response.json()["results"]:
            status = result["status"]
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
        outcome.requests += 1
        outcome.mutations += len(batch)
        outcome.creates += creates
        outcome.notes += notes


def count_stored(database: Path) -> Stored:
    connection = sqlite3.connect(database)
    try:
        def count(sql: str) -> int:
            return int(connection.execute(sql).fetchone()[0])

        return Stored(
            applied=count("SELECT count(*) FROM applied_mutations"
                          " WHERE status = 'applied'"),
            cases=count("SELECT count(*) FROM cases"),
            notes=count("SELECT count(*) FROM case_events WHERE kind = 'note'"),
        )
    finally:
        connection.close()


def measure(plan: Plan, folder: Path) -> Result:
    """Drive the real server, then the bare baseline, with the same plan."""
    data_dir = folder / "data"
    codes, categories = asyncio.run(seed(data_dir, plan.devices))

    port = free_port()
    env = {"CASEHUB_DATA_DIR": str(data_dir), "CASEHUB_BIND": f"127.0.0.1:{port}",
           "CASEHUB_LOG_LEVEL": "WARNING", "CASEHUB_VAPID_CONTACT": VAPID_CONTACT}
    with serving(casehub_command(), port, folder / "casehub.log", env) as server:
        tokens = asyncio.run(enroll(server.url, codes))
        casehub = drive(server, tokens, plan, categories)
    stored = count_stored(data_dir / "casehub.db")

    port = free_port()
    with serving(bare_command(port), port, folder / "bare.log") as server:
        bare = drive(server, [f"bare-{i}" for i in range(plan.devices)], plan,
                     categories)
    return Result(plan, casehub, bare, stored)


def report(result: Result) -> Iterator[str]:
    plan, casehub, bare, stored = (result.plan, result.casehub, result.bare,
                                   result.stored)
    yield (f"Push throughput: {plan.devices} devices at once, {plan.batches} batches"
           f" of {plan.batch_size} each ({plan.mutations:,} mutations:"
           f" {casehub.creates:,} case.create, {casehub.notes:,} case.note)")
    yield (f"  casehub on SQLite: {casehub.per_second:8,.0f} mutations/s"
           f" ({casehub.requests_per_second:,.1f} requests/s,"
           f" {casehub.seconds:.1f} s)")
    yield (f"  bare Quart:        {bare.per_second:8,.0f} mutations-equivalent/s"
           f" ({bare.requests_per_second:,.1f} requests/s, {bare.seconds:.1f} s)")
    yield f"  casehub runs at {result.ratio:.3f} of the bare endpoint's rate"
    if casehub.cpu_ms_per_mutation and bare.cpu_ms_per_mutation:
        yield (f"  server CPU per mutation: casehub {casehub.cpu_ms_per_mutation:.2f}"
               f" ms, bare {bare.cpu_ms_per_mutation:.3f} ms; one core could"
               f" apply at most {1000 / casehub.cpu_ms_per_mutation:,.0f}"
               " mutations/s")
    verdict = "meets" if casehub.per_second >= TARGET else "misses"
    yield f"  target {TARGET:,} mutations/s on 2 cores: {verdict} the target"
    yield (f"  stored afterwards: {stored.applied:,} applied mutations,"
           f" {stored.cases:,} cases, {stored.notes:,} notes;"
           f" answers {casehub.statuses}")


def check(result: Result) -> None:
    """The server must hold exactly what was sent, no more and no less."""
    sent, stored = result.casehub, result.stored
    if (sent.statuses != {"applied": sent.mutations} or stored.applied != sent.mutations
            or stored.cases != sent.creates or stored.notes != sent.notes):
        raise RuntimeError(f"the server holds {stored} after {sent}")


def run(plan: Plan | None = None) -> Result:
    plan = plan or Plan()
    with tempfile.TemporaryDirectory(prefix="casehub-push-") as folder:
        result = measure(plan, Path(folder))
    for line in report(result):
        print(line, flush=True)
    check(result)
    return result
