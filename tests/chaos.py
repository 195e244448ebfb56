"""Chaos for sync: many phones against a real server that keeps being killed.

Simulated phones (tests/sim.py) make cases and notes, go offline for a while,
and sync through dropped requests, answers lost after commit, doubled and
crossed batches. A hub agent acknowledges and answers cases as they come.
Meanwhile the `casehub serve` process is killed with SIGKILL and started
again on the same database, several times. Then the network heals, every
phone syncs until it has nothing left to send, and the run checks that each
mutation took effect exactly once and that every phone holds what a fresh
pull from the server gives it.

    python -m tests.chaos --devices 60 --rounds 300 --kills 12

runs a long one; tests/test_chaos.py runs a short one with every test run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from server import enrollment
from server.config import load_settings
from server.db import close_database, open_database
from server.models import Role, User
from tests.factories import PASSWORD, make_council
from tests.serving import free_port, wait_until_healthy
from tests.sim import Fault, Offline, SimDevice, Stored

PROJECT = Path(__file__).resolve().parents[1]
FAULTS = [Fault.NONE, Fault.NONE, Fault.DROP_REQUEST, Fault.LOSE_RESPONSE,
          Fault.DUPLICATE, Fault.REORDER]
HEALING_ROUNDS = 30


@dataclass
class Figures:
    devices: int = 0
    rounds: int = 0
    mutations: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    kills: int = 0
    staff_actions: int = 0
    applied: int = 0
    rejected: int = 0
    rejections: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    duplicated: int = 0
    diverged: int = 0
    seconds: float = 0.0

    def lines(self) -> Iterator[str]:
        yield (f"Sync chaos: {self.devices} phones, {self.rounds} rounds, "
               f"{self.seconds:.0f} s")
        yield (f"  mutations sent {self.mutations:,}: applied {self.applied:,}, "
               f"rejected {self.rejected:,}, lost {self.lost}, "
               f"duplicated {self.duplicated}")
        reasons = ", ".join(f"{code} {count}" for code, count
                            in sorted(self.rejections.items()))
        yield f"  rejected because: {reasons or 'nothing'}"
        faults = ", ".join(f"{name} {count}" for name, count
                           in sorted(self.faults.items()))
        yield (f"  faults injected: {faults}; server killed {self.kills} times; "
               f"{self.staff_actions} hub actions")
        yield f"  phones whose data differs from the server's: {self.diverged}"


class Response:
    """An httpx answer dressed as the Quart test client's, for SimDevice."""

    def __init__(self, answer: httpx.Response) -> None:
        self.answer = answer
        self.status_code = answer.status_code

    async def get_json(self) -> Any:
        return self.answer.json()


class Network:
    """HTTP to the served casehub; a server that is down is a lost request."""

    def __init__(self, url: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=20)

    async def post(self, path: str, **kwargs: Any) -> Response:
        return await self._send("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> Response:
        data = kwargs.pop("data", None)
        return await self._send("PUT", path, content=data, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self._send("GET", path, **kwargs)

    async def _send(self, method: str, path: str, **kwargs: Any) -> Response:
        try:
            answer = await self.http.request(method, path, **kwargs)
        except httpx.TransportError as error:
            raise Offline(f"{method} {path}: {error!r}") from None
        if answer.status_code >= 500:
            raise Offline(f"{method} {path} answered {answer.status_code}")
        return Response(answer)


class Server:
    """`casehub serve` in a subprocess that can be killed and started again."""

    def __init__(self, data_dir: Path, log: Path, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("CASEHUB_")}
        self.env.update(CASEHUB_DATA_DIR=str(data_dir),
                        CASEHUB_BIND=f"127.0.0.1:{self.port}",
                        CASEHUB_PUBLIC_URL=self.url, CASEHUB_PUSH_WORKER="off",
                        CASEHUB_SMTP_LISTEN="off", CASEHUB_LOG_LEVEL="WARNING")
        self.env.update(settings)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-c",
                 "from server.cli import main; raise SystemExit(main(['serve']))"],
                cwd=PROJECT, env=self.env, stdout=output, stderr=subprocess.STDOUT,
            )
        wait_until_healthy(self.url, self.process, self.log, 60)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Phone:
    sim: SimDevice
    member_id: int
    offline_rounds: int = 0
    # Every mutation this phone made: its id and a mark its effect carries.
    made: dict[str, tuple[str, str]] = field(default_factory=dict)


async def seed(data_dir: Path, devices: int, database_url: str | None = None,
               ) -> tuple[list[tuple[int, str]], int, str]:
    """A council with a member for each phone; their codes; a category."""
    settings = {"CASEHUB_DATA_DIR": str(data_dir)}
    if database_url:
        settings["CASEHUB_DATABASE_URL"] = database_url
    await open_database(load_settings(settings))
    try:
        council = await make_council()
        members = list(council.members)
        while len(members) < devices:
            index = len(members)
            members.append(await User.create(
                email=f"member{index}@council.test", name=f"Member {index}",
                role=Role.MEMBER, ward=council.wards[index % 2]))
        codes = [(member.id, await enrollment.issue_code(member, None, 2))
                 for member in members[:devices]]
        return codes, council.missed_bin.id, council.agent.email
    finally:
        await close_database()


class Chaos:
    def __init__(self, folder: Path, devices: int, rounds: int, kills: int,
                 seed: int) -> None:
        self.folder = folder
        self.devices = devices
        self.rounds = rounds
        self.kill_rounds = set(random.Random(seed).sample(range(1, rounds),
                                                          min(kills, rounds - 1)))
        self.rng = random.Random(seed)
        self.figures = Figures(devices=devices, rounds=rounds)
        self.server = Server(folder / "data", folder / "serve.log")
        self.phones: list[Phone] = []
        self.category_id = 0
        self.staff: httpx.AsyncClient | None = None

    async def run(self) -> Figures:
        started = time.monotonic()
        codes, self.category_id, agent = await seed(self.folder / "data",
                                                    self.devices)
        self.server.start()
        network = Network(self.server.url)
        try:
            await self._join(network, codes)
            self.staff = httpx.AsyncClient(base_url=self.server.url, timeout=20)
            await self._sign_in(agent)
            for number in range(self.rounds):
                await self._round(number)
            await self._heal()
            await self._check_convergence(network)
        finally:
            await network.http.aclose()
            if self.staff is not None:
                await self.staff.aclose()
            self.server.kill()
        self._count_effects()
        self.figures.seconds = time.monotonic() - started
        return self.figures

    async def _join(self, network: Network, codes: list[tuple[int, str]]) -> None:
        for member_id, code in codes:
            answer = await network.post("/api/devices/enroll",
                                        json={"code": code,
                                              "device_name": "chaos phone"})
            token = (await answer.get_json())["token"]
            self.phones.append(Phone(SimDevice(network, token, f"m{member_id}"),
                                     member_id))

    async def _sign_in(self, agent: str) -> None:
        assert self.staff is not None
        answer = await self.staff.post("/api/staff/session",
                                       json={"email": agent, "password": PASSWORD})
        answer.raise_for_status()

    # One round: every phone acts at once, the hub works, the server may die.

    async def _round(self, number: int) -> None:
        work = [self._act(phone) for phone in self.phones]
        work.append(self._hub_works())
        if number in self.kill_rounds:
            work.append(self._kill_and_restart())
        await asyncio.gather(*work)
        if not self.server.running:
            self.server.start()

    async def _kill_and_restart(self) -> None:
        # Mid-round, while requests are in flight.
        await asyncio.sleep(self.rng.uniform(0.01, 0.3))
        self.server.kill()
        self.figures.kills += 1
        await asyncio.sleep(self.rng.uniform(0.1, 0.5))
        await asyncio.to_thread(self.server.start)

    async def _act(self, phone: Phone) -> None:
        for _ in range(self.rng.choice([0, 0, 1, 1, 2, 3])):
            self._change(phone)
        if phone.offline_rounds:
            phone.offline_rounds -= 1
            return
        if self.rng.random() < 0.1:
            phone.offline_rounds = self.rng.randint(1, 8)
            self.figures.faults["offline"] += 1
            return
        if self.rng.random() < 0.05:
            phone.sim.crash()
            self.figures.faults["phone_crash"] += 1
        fault = self.rng.choice(FAULTS)
        if fault != Fault.NONE:
            self.figures.faults[fault.value] += 1
        try:
            await phone.sim.sync(fault)
        except Offline:
            self.figures.faults["server_down"] += 1

    def _change(self, phone: Phone) -> None:
        mark = uuid.uuid4().hex
        own = list(phone.sim.held("case"))
        known = own + [args["case_id"] for name, args in
                       ((p.name, p.args) for p in phone.sim.stored.outbox)
                       if name == "case.create"]
        choice = self.rng.random()
        if not known or choice < 0.35:
            pending = phone.sim.mutate("case.create", {
                "case_id": str(uuid.uuid4()), "category_id": self.category_id,
                "description": f"Bin missed again, ref {mark}",
                "answers": {"bin": "Black"},
            })
            phone.made[pending.id] = ("case", mark)
        elif choice < 0.95:
            pending = phone.sim.mutate("case.note", {
                "case_id": self.rng.choice(known), "event_id": str(uuid.uuid4()),
                "text": f"Still not collected, ref {mark}",
            })
            phone.made[pending.id] = ("note", mark)
        else:
            pending = phone.sim.mutate("case.withdraw", {
                "case_id": self.rng.choice(known), "event_id": str(uuid.uuid4()),
                "reason": f"Sorted by a neighbour, ref {mark}",
            })
            phone.made[pending.id] = ("status_change", mark)
        self.figures.mutations += 1

    async def _hub_works(self) -> None:
        assert self.staff is not None
        try:
            listed = await self.staff.get("/api/staff/cases",
                                          params={"status": "submitted",
                                                  "limit": 20})
            if listed.status_code != 200:
                return
            cases = listed.json()["cases"]
            for case in self.rng.sample(cases, min(2, len(cases))):
                step = self.rng.choice(["status", "replies"])
                body = ({"status": "acknowledged"} if step == "status"
                        else {"text": "Logged with the depot."})
                answer = await self.staff.post(
                    f"/api/staff/cases/{case['reference']}/{step}", json=body)
                if answer.status_code == 200:
                    self.figures.staff_actions += 1
        except httpx.TransportError:
            self.figures.faults["server_down"] += 1

    # The end: heal, converge, count.

    async def _heal(self) -> None:
        if not self.server.running:
            self.server.start()
        for _ in range(HEALING_ROUNDS):
            for phone in self.phones:
                phone.offline_rounds = 0
            results = await asyncio.gather(*(self._sync_quietly(phone)
                                             for phone in self.phones))
            if all(results):
                return
        raise AssertionError("phones still had work to send after healing")

    async def _sync_quietly(self, phone: Phone) -> bool:
        try:
            await phone.sim.sync()
        except Offline:
            return False
        return not phone.sim.stored.outbox

    async def _check_convergence(self, network: Network) -> None:
        for phone in self.phones:
            # The hub may have moved cases on while others were still healing.
            await phone.sim.pull_all()
            fresh = SimDevice(network, phone.sim.token, "fresh", Stored())
            await fresh.pull_all()
            if fresh.stored.confirmed != phone.sim.stored.confirmed:
                self.figures.diverged += 1

    def _count_effects(self) -> None:
        """Every mutation has one outcome, and its mark is in the data once."""
        database = sqlite3.connect(self.folder / "data" / "casehub.db")
        try:
            outcomes = {str(uuid.UUID(str(key))): (status, code)
                        for key, status, code in database.execute(
                            "SELECT id, status, error_code FROM applied_mutations")}
            descriptions = Counter(row[0] for row in database.execute(
                "SELECT description FROM cases"))
            texts = Counter(row[0] for row in database.execute(
                "SELECT data FROM case_events WHERE kind IN ('note', "
                "'status_change') AND author_id IN (SELECT id FROM users "
                "WHERE role = 'member')"))
        finally:
            database.close()

        for phone in self.phones:
            for mutation_id, (kind, mark) in phone.made.items():
                outcome = outcomes.get(mutation_id)
                if outcome is None:
                    self.figures.lost += 1
                    continue
                if outcome[0] == "rejected":
                    self.figures.rejected += 1
                    self.figures.rejections[str(outcome[1])] += 1
                    continue
                self.figures.applied += 1
                found = (sum(n for text, n in descriptions.items() if mark in text)
                         if kind == "case"
                         else sum(n for text, n in texts.items() if mark in text))
                if found == 0:
                    self.figures.lost += 1
                elif found > 1:
                    self.figures.duplicated += 1


async def run_chaos(folder: Path, devices: int = 12, rounds: int = 30,
                    kills: int = 3, seed: int = 2026) -> Figures:
    return await Chaos(folder, devices, rounds, kills, seed).run()


@contextmanager
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="casehub-chaos-") as folder:
        yield Path(folder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos")
    parser.add_argument("--devices", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    with scratch() as folder:
        figures = asyncio.run(run_chaos(folder, args.devices, args.rounds,
                                        args.kills, args.seed))
    for line in figures.lines():
        sys.stdout.write(line + "\n")
    failed = figures.lost or figures.duplicated or figures.diverged
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
