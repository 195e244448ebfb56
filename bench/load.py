"""Many members syncing at once against the real server, and its memory.

Five hundred members each have a phone that syncs every few seconds, as an
open app does: a push when something was raised or noted, then a pull.
The run prints the latency of every request (median and 99th percentile),
the errors, and the server's memory sampled each second, which must stay
flat. The same load then goes to a bare Quart app on Hypercorn that answers
pushes and pulls without a database: its latency under the same clients is
the floor set by the machine, and casehub's is printed against it.

Each half lasts two minutes; `CASEHUB_BENCH_LOAD_SECONDS` sets another length,
for a longer soak.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.pull_scaling import VAPID_CONTACT
from bench.servers import Served, bare_command, casehub_command, serving
from server.config import load_settings
from server.db import close_database, open_database
from tests.serving import free_port

PROTOCOL = 1
TARGET_P99_MS = 200


@dataclass(frozen=True)
class Plan:
    members: int = 500
    seconds: float = 120.0
    # How often each phone syncs, on average; the app syncs on every change,
    # on opening and every few minutes, so this is a busy day and then some.
    every: float = 10.0
    change_share: float = 0.3


@dataclass
class Run:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    memory: list[tuple[float, int]] = field(default_factory=list)
    mutations: int = 0
    seconds: float = 0.0

    def note(self, kind: str, started: float) -> None:
        self.latencies.setdefault(kind, []).append(time.perf_counter() - started)

    def fail(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]


@dataclass(frozen=True)
class Result:
    plan: Plan
    casehub: Run
    bare: Run


async def seed(data_dir: Path, members: int) -> tuple[list[str], int]:
    """Members with a phone each, signed in, and a few cases each already."""
    from server import casework, tokens
    from server.casework import Constituent, Location, NewCase
    from server.models import CaseKind, Category, Department, Role, User, Ward
    from server.reference import publish_category, publish_department
    from sync.feed import write_transaction
    from sync.models import Device

    await open_database(load_settings({"CASEHUB_DATA_DIR": str(data_dir),
                                       "CASEHUB_VAPID_CONTACT": VAPID_CONTACT}))
    try:
        ward = await Ward.create(name="Botanic")
        department = await Department.create(name="Cleansing and Waste")
        category = await Category.create(code="litter", name="Litter",
                                         department=department)
        async with write_transaction() as writer:
            publish_department(writer, department)
            publish_category(writer, category)
        phone_tokens = []
        for index in range(members):
            member = await User.create(email=f"m{index}@council.test",
                                       name=f"Member {index}", role=Role.MEMBER,
                                       ward=ward)
            token = tokens.new_device_token()
            await Device.create(id=uuid.uuid4(), user_id=member.id,
                                name="phone", token_hash=tokens.digest(token))
            phone_tokens.append(token)
            async with write_transaction() as writer:
                for _ in range(2):
                    await casework.create_case(writer, member, NewCase(
                        id=uuid.uuid4(), kind=CaseKind.SERVICE_REQUEST,
                        category_id=category.id, description="Litter by the bus stop",
                        answers={}, constituent=Constituent(), location=Location()))
        return phone_tokens, category.id
    finally:
        await close_database()


class Phone:
    def __init__(self, token: str, category: int, rng: random.Random) -> None:
        self.headers = {"Authorization": f"Bearer {token}"}
        self.category = category
        self.rng = rng
        self.seq = 0
        self.cursor: str | None = None
        self.cases: list[str] = []

    async def live(self, session: aiohttp.ClientSession, plan: Plan, run: Run,
                   until: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, plan.every))
        while time.perf_counter() < until:
            if self.rng.random() < plan.change_share:
                await self.push(session, run)
            await self.pull(session, run)
            await asyncio.sleep(self.rng.expovariate(1 / plan.every))

    async def push(self, session: aiohttp.ClientSession, run: Run) -> None:
        self.seq += 1
        if self.cases and self.rng.random() < 0.6:
            name, args = "case.note", {"case_id": self.rng.choice(self.cases),
                                       "event_id": str(uuid.uuid4()),
                                       "text": "The resident called again."}
        else:
            case_id = str(uuid.uuid4())
            self.cases.append(case_id)
            name, args = "case.create", {"case_id": case_id,
                                         "category_id": self.category,
                                         "description": "Bins left out all week"}
        body = {"protocol": PROTOCOL, "mutations": [
            {"id": str(uuid.uuid4()), "seq": self.seq, "name": name, "args": args}]}
        await self._send(session, run, "push", "/api/sync/push", body)
        run.mutations += 1

    async def pull(self, session: aiohttp.ClientSession, run: Run) -> None:
        more = True
        while more:
            body = await self._send(session, run, "pull", "/api/sync/pull",
                                    {"protocol": PROTOCOL, "cursor": self.cursor})
            if body is None:
                return
            self.cursor = body.get("cursor")
            more = bool(body.get("more"))

    async def _send(self, session: aiohttp.ClientSession, run: Run, kind: str,
                    path: str, body: dict[str, Any]) -> dict[str, Any] | None:
        started = time.perf_counter()
        try:
            async with session.post(path, json=body, headers=self.headers) as answer:
                data = await answer.json(content_type=None)
                run.note(kind, started)
                if answer.status != 200:
                    run.fail(f"{kind} {answer.status}")
                    return None
                return dict(data)
        except (aiohttp.ClientError, TimeoutError) as error:
            run.fail(f"{kind} {type(error).__name__}")
            return None


async def _memory(served: Served, run: Run, until: float) -> None:
    started = time.perf_counter()
    while time.perf_counter() < until:
        try:
            status = await asyncio.to_thread(
                Path(f"/proc/{served.pid}/status").read_text)
        except OSError:
            return
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                run.memory.append((time.perf_counter() - started,
                                   int(line.split()[1])))
        await asyncio.sleep(1)


async def _drive(served: Served, tokens: list[str], category: int,
                 plan: Plan) -> Run:
    run = Run()
    rng = random.Random(11)
    phones = [Phone(token, category, random.Random(rng.random()))
              for token in tokens]
    connector = aiohttp.TCPConnector(limit=200)
    timeout = aiohttp.ClientTimeout(total=30)
    started = time.perf_counter()
    until = started + plan.seconds
    async with aiohttp.ClientSession(served.url, connector=connector,
                                     timeout=timeout) as session:
        await asyncio.gather(_memory(served, run, until),
                             *(phone.live(session, plan, run, until)
                               for phone in phones))
    run.seconds = time.perf_counter() - started
    return run


def measure(plan: Plan, folder: Path) -> Result:
    data_dir = folder / "data"
    tokens, category = asyncio.run(seed(data_dir, plan.members))
    port = free_port()
    env = {"CASEHUB_DATA_DIR": str(data_dir), "CASEHUB_BIND": f"127.0.0.1:{port}",
           "CASEHUB_LOG_LEVEL": "WARNING", "CASEHUB_VAPID_CONTACT": VAPID_CONTACT,
           "CASEHUB_SMTP_LISTEN": "off"}
    with serving(casehub_command(), port, folder / "casehub.log", env) as served:
        casehub = asyncio.run(_drive(served, tokens, category, plan))

    port = free_port()
    with serving(bare_command(port), port, folder / "bare.log") as served:
        bare = asyncio.run(_drive(served, tokens, category, plan))
    return Result(plan, casehub, bare)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def memory_growth(run: Run) -> tuple[int, int, int]:
    """Resident memory in the first and last fifth of the run, and the peak, KB."""
    samples = [kb for _, kb in run.memory]
    if not samples:
        return 0, 0, 0
    fifth = max(1, len(samples) // 5)
    return (int(statistics.median(samples[:fifth])),
            int(statistics.median(samples[-fifth:])), max(samples))


def report(result: Result) -> list[str]:
    plan, casehub, bare = result.plan, result.casehub, result.bare
    lines = [f"Load: {plan.members} members syncing about every {plan.every:.0f} s "
             f"for {plan.seconds:.0f} s, a change in {plan.change_share:.0%} of "
             "syncs"]
    for name, run in (("casehub", casehub), ("bare Quart", bare)):
        values = run.all_latencies()
        lines.append(
            f"  {name:<11} {run.requests:,} requests ({run.requests / run.seconds:,.0f}"
            f"/s): median {statistics.median(values) * 1000:6.1f} ms, p99 "
            f"{percentile(values, 0.99) * 1000:6.1f} ms; errors "
            f"{sum(run.errors.values())} {run.errors or ''}".rstrip())
    for kind, values in sorted(casehub.latencies.items()):
        lines.append(f"  casehub {kind}: median {statistics.median(values) * 1000:.1f}"
                     f" ms, p99 {percentile(values, 0.99) * 1000:.1f} ms over "
                     f"{len(values):,}")
    p99 = percentile(casehub.all_latencies(), 0.99)
    floor = percentile(bare.all_latencies(), 0.99)
    lines.append(f"  casehub p99 is {p99 / floor:.1f} times the bare app's")
    first, last, peak = memory_growth(casehub)
    lines.append(f"  server memory: {first / 1024:.0f} MB in the first fifth, "
                 f"{last / 1024:.0f} MB in the last, peak {peak / 1024:.0f} MB")
    verdict = ("meets" if p99 * 1000 < TARGET_P99_MS and not casehub.errors
               else "misses")
    lines.append(f"  target no errors and p99 under {TARGET_P99_MS} ms: {verdict}")
    return lines


def check(result: Result) -> None:
    if not result.casehub.latencies.get("pull"):
        raise RuntimeError("no pull was answered: the load never reached the server")


def run(plan: Plan | None = None) -> Result:
    plan = plan or Plan(seconds=float(os.environ.get("CASEHUB_BENCH_LOAD_SECONDS",
                                                     Plan.seconds)))
    with tempfile.TemporaryDirectory(prefix="casehub-load-") as folder:
        result = measure(plan, Path(folder))
    for line in report(result):
        print(line, flush=True)
    check(result)
    return result
