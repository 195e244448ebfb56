"""Does the hub dashboard answer within 300 ms over a year of contacts?

Two SQLite databases are built with the real schema and filled with raw SQL
the way a year of the hub's work would fill them: contacts on every channel
every day, most working days near the plan of 750, and the cases that half of
them opened, each with its targets, its response times, a hand-off and, when
late, an escalation. The large one holds the planned rate, about 200,000
contacts; the small one a hundredth of it. The dashboard over the whole year
is then requested from both through the Quart test client, signed in as a
hub agent, in alternating rounds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sqlite3
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.pull_scaling import (
    RESULTS,
    VAPID_CONTACT,
    schema_hash,
    stopwatch,
)
from server.auth import hash_password
from server.config import Settings, load_settings
from server.db import close_database, open_database
from server.workdays import calendar

# Bumped whenever the shape of the generated data changes.
GENERATOR = "1"
TARGET_MS = 300
PLANNED = 750
FIRST_DAY = date(2025, 12, 1)
DAYS = 365
PASSWORD = "bench-dashboard-password"
AGENT_EMAIL = "agent@council.test"

# How contacts arrive, as (channel, weight, share that opens a case).
CHANNELS = [("phone", 40, 0.35), ("email", 33, 0.6), ("app", 20, 1.0),
            ("web", 7, 1.0)]
DEPARTMENTS = ["Cleansing and Waste", "Parks and Open Spaces", "Building Control",
               "Environmental Health", "Street Lighting", "Roads liaison",
               "Housing liaison"]
STATUSES_DONE = ["closed"] * 6 + ["resolved"] * 3 + ["withdrawn"]


@dataclass(frozen=True)
class Built:
    """A built dashboard database and what it holds."""

    path: Path
    contacts: int
    cases: int
    handoffs: int
    per_day: int


@dataclass(frozen=True)
class Timing:
    label: str
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        return statistics.quantiles(self.samples, n=10)[-1]


@dataclass
class Result:
    small: Built
    large: Built
    timings: dict[str, Timing] = field(default_factory=dict)
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.timings["large"].median / self.timings["small"].median


# Building.

def cached(per_day: int, folder: Path = RESULTS) -> Built:
    """The database of a year at `per_day` contacts a working day, built once."""
    stem = folder / f"dashboard-{per_day}-{schema_hash(GENERATOR)}"
    path, facts = stem.with_suffix(".db"), stem.with_suffix(".json")
    if path.exists() and facts.exists():
        return Built(**{**json.loads(facts.read_text()), "path": path})

    folder.mkdir(parents=True, exist_ok=True)
    building = stem.with_suffix(".building")
    building.unlink(missing_ok=True)
    built = build(building, per_day)
    building.rename(path)
    built = Built(**{**asdict(built), "path": path})
    facts.write_text(json.dumps({**asdict(built), "path": str(path)}))
    return built


def build(path: Path, per_day: int, seed: int = 2026) -> Built:
    asyncio.run(_migrate(path))
    connection = sqlite3.connect(path)
    try:
        connection.executescript("PRAGMA synchronous = OFF;"
                                 " PRAGMA journal_mode = MEMORY;")
        builder = _Builder(connection, random.Random(seed), per_day)
        built = builder.build(path)
        connection.commit()
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()
    return built


async def _migrate(path: Path) -> None:
    await open_database(_settings(path))
    await close_database()


def _settings(path: Path) -> Settings:
    return load_settings({
        "CASEHUB_DATA_DIR": str(path.parent),
        "CASEHUB_DATABASE_URL": f"sqlite://{path}",
        "CASEHUB_VAPID_CONTACT": VAPID_CONTACT,
        "CASEHUB_PUSH_WORKER": "off",
        "CASEHUB_SMTP_LISTEN": "off",
        # The jobs, starting with the app, would release a year of old cases
        # from the phones beside the timed requests: work that a server
        # running all year does as it goes.
        "CASEHUB_JOBS": "off",
        "CASEHUB_MAIL_WORKER": "off",
        "CASEHUB_PLANNED_CONTACTS": str(PLANNED),
    })


class _Builder:
    """Writes a council and a year of its hub's work straight into the tables."""

    def __init__(self, connection: sqlite3.Connection, rng: random.Random,
                 per_day: int) -> None:
        self.db = connection
        self.rng = rng
        self.per_day = per_day
        self.contacts: list[tuple[Any, ...]] = []
        self.cases: list[tuple[Any, ...]] = []
        self.handoffs: list[tuple[Any, ...]] = []
        self.reference = 100000
        self.members = list(range(1, 61))
        self.now = _utc(FIRST_DAY + timedelta(days=DAYS)) - timedelta(hours=6)

    def build(self, path: Path) -> Built:
        self._council()
        for offset in range(DAYS):
            self._day(FIRST_DAY + timedelta(days=offset))
        self.db.executemany(
            "INSERT INTO contacts (channel, at, member_id, case_id, agent_id,"
            " summary, source) VALUES (?, ?, ?, ?, ?, ?, ?)", self.contacts)
        self.db.executemany(
            "INSERT INTO cases (id, reference, kind, answers, description,"
            " constituent_name, constituent_address, address, status, priority,"
            " channel, created_at, updated_at, version, category_id,"
            " department_id, member_id, acknowledge_by, acknowledged_at,"
            " response_seconds, response_working_seconds, due_at, answered_at,"
            " escalated_at) VALUES (?, ?, ?, '{}', ?, ?, ?, ?, ?, 'normal', ?,"
            " ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self.cases)
        self.db.executemany(
            "INSERT INTO handoffs (case_id, department_id, by_id, at, by_email)"
            " VALUES (?, ?, 61, ?, ?)", self.handoffs)
        return Built(path=path, contacts=len(self.contacts), cases=len(self.cases),
                     handoffs=len(self.handoffs), per_day=self.per_day)

    def _council(self) -> None:
        db = self.db
        db.executemany("INSERT INTO wards (id, name) VALUES (?, ?)",
                       [(i, f"Ward {i}") for i in range(1, 11)])
        db.executemany("INSERT INTO parties (id, name, short_name) VALUES (?,?,?)",
                       [(1, "Alliance", "APNI"), (2, "Independent", "IND")])
        db.executemany(
            "INSERT INTO departments (id, name, email, uses_casehub)"
            " VALUES (?, ?, ?, ?)",
            [(i, name, None if i <= 4 else f"dept{i}@council.test", int(i <= 4))
             for i, name in enumerate(DEPARTMENTS, 1)])
        db.executemany(
            "INSERT INTO categories (id, code, name, questions, acknowledge_hours,"
            " answer_days, active, department_id) VALUES (?, ?, ?, '[]', 8, 10,"
            " 1, ?)",
            [(i, f"category{i}", f"Category {i}", (i - 1) % 7 + 1)
             for i in range(1, 15)])
        created = _ts(_utc(FIRST_DAY) - timedelta(days=30))
        users = [(i, f"member{i}@council.test", f"Member {i:02d}", "member", None,
                  created, (i % 2) + 1, (i - 1) % 10 + 1) for i in self.members]
        users.append((61, AGENT_EMAIL, "Agent", "hub_agent",
                      hash_password(PASSWORD), created, None, None))
        db.executemany(
            "INSERT INTO users (id, email, name, role, password_hash, active,"
            " acl_epoch, created_at, party_id, ward_id)"
            " VALUES (?, ?, ?, ?, ?, 1, 1, ?, ?, ?)", users)
        db.executemany(
            "INSERT INTO devices (id, name, token_hash, last_seq, created_at,"
            " last_pull_at, user_id) VALUES (?, 'phone', ?, 0, ?, ?, ?)",
            [(str(uuid.UUID(int=i)), hashlib.sha256(str(i).encode()).hexdigest(),
              created, _ts(self.now - timedelta(hours=i)), i)
             for i in self.members[:40]])

    def _day(self, day: date) -> None:
        rng = self.rng
        working = calendar.is_working_day(day)
        planned = self.per_day * rng.uniform(0.8, 1.25) if working else (
            self.per_day * 0.06)
        for _ in range(round(planned)):
            channel, opens = self._channel(working)
            hours = (rng.uniform(8, 18) if working and channel == "phone"
                     else rng.uniform(0, 24))
            at = _utc(day) + timedelta(hours=hours)
            member = rng.choice(self.members) if rng.random() < 0.3 else None
            case_id = self._case(at, channel, member) if rng.random() < opens else None
            self.contacts.append((channel, _ts(at), member, case_id,
                                  61 if channel == "phone" else None,
                                  "Asked about a case", None))

    def _channel(self, working: bool) -> tuple[str, float]:
        if not working:
            choices = CHANNELS[1:3]
        else:
            choices = CHANNELS
        channel, _, opens = self.rng.choices(choices, [w for _, w, _ in choices])[0]
        return channel, opens

    def _case(self, at: datetime, channel: str, member: int | None) -> str:
        rng = self.rng
        self.reference += 1
        case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        enquiry = rng.random() < 0.2
        category = rng.randint(1, 14)
        department = (category - 1) % 7 + 1
        due = calendar.add_working_days(at, 10) if enquiry else None
        acknowledge_by = calendar.add_working_hours(at, 8)
        fresh = self.now - at < timedelta(days=10)

        acknowledged = None
        if not (fresh and rng.random() < 0.3):
            acknowledged = calendar.add_working_hours(at, rng.expovariate(1 / 4))
        if acknowledged is not None and acknowledged > self.now:
            acknowledged = None
        answered = None
        if enquiry and acknowledged is not None and rng.random() < 0.9:
            answered = calendar.add_working_hours(acknowledged,
                                                  rng.uniform(4, 100))
            answered = answered if answered < self.now else None
        late = acknowledged is None and acknowledge_by < self.now
        late = late or (acknowledged is not None and acknowledged > acknowledge_by)
        escalated = acknowledge_by + timedelta(minutes=1) if late else None

        status = ("submitted" if acknowledged is None
                  else "with_department" if fresh else rng.choice(STATUSES_DONE))
        clock = working = None
        if acknowledged is not None:
            clock = round((acknowledged - at).total_seconds())
            working = round(calendar.working_hours_between(at, acknowledged) * 3600)
            self.handoffs.append((case_id, department, _ts(acknowledged),
                                  int(department > 4)))
        self.cases.append((
            case_id, f"CH-{self.reference:06d}",
            "member_enquiry" if enquiry else "service_request",
            "Bins on the street were not lifted on collection day again.",
            "A Resident", "12 Ormeau Road, Belfast BT7", "Ormeau Road, Belfast",
            status, channel, _ts(at), _ts(acknowledged or at), category,
            department if acknowledged else None, member, _ts(acknowledge_by),
            _ts(acknowledged), clock, working, _ts(due), _ts(answered),
            _ts(escalated),
        ))
        return case_id


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _ts(moment: datetime | None) -> str | None:
    return moment.isoformat(sep=" ") if moment is not None else None


# Timing.

def query() -> str:
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    return f"from={FIRST_DAY.isoformat()}&to={last.isoformat()}"


async def time_dashboard(built: Built, repetitions: int) -> list[float]:
    """Seconds per dashboard request over the year, signed in as an agent."""
    from server.app import create_app

    app = create_app(_settings(built.path))
    async with app.test_app():
        client = app.test_client()
        signed = await client.post("/api/staff/session", json={
            "email": AGENT_EMAIL, "password": PASSWORD})
        if signed.status_code != 200:
            raise RuntimeError(f"the agent could not sign in: {signed.status_code}")
        first = await client.get(f"/staff/dashboard?{query()}")
        _check_page(first.status_code, await first.get_data(as_text=True), built)

        async def request() -> None:
            response = await client.get(f"/staff/dashboard?{query()}")
            await response.get_data()
            if response.status_code != 200:
                raise RuntimeError(f"the dashboard answered {response.status_code}")

        return await _repeat(request, repetitions)


def _check_page(status: int, page: str, built: Built) -> None:
    if status != 200:
        raise RuntimeError(f"the dashboard answered {status}")
    if f"{built.contacts} contacts:" not in " ".join(page.split()):
        raise RuntimeError(f"the dashboard does not count the {built.contacts} "
                           "contacts the database holds")


async def time_parts(built: Built, repetitions: int) -> dict[str, float]:
    """Median seconds of each of the dashboard's queries, alone."""
    from server.hub import dashboard
    from server.hub.dashboard_range import parse_range

    await open_database(_settings(built.path))
    try:
        chosen = parse_range(*query().replace("from=", "").split("&to="),
                             FIRST_DAY)
        start, end = chosen.bounds(calendar.zone)
        now = datetime.now(UTC)
        arrivals = await dashboard._arrivals(start, end, now)
        parts: dict[str, Callable[[], Awaitable[object]]] = {
            "contacts by day": lambda: dashboard.contacts_by_day(chosen, PLANNED),
            "cases and targets": lambda: dashboard._arrivals(start, end, now),
            "response percentiles": lambda: dashboard._response_spreads(
                start, end, arrivals["responded"]),
            "queue now": lambda: dashboard.queue_now(now),
            "hand-offs": lambda: dashboard.handoffs_by_department(start, end),
            "escalations": lambda: dashboard._escalations(start, end),
        }
        medians = {}
        for name, call in parts.items():

            async def run(call: Callable[[], Awaitable[object]] = call) -> None:
                await call()

            medians[name] = statistics.median(await _repeat(run, repetitions))
        return medians
    finally:
        await close_database()


async def _repeat(call: Callable[[], Awaitable[None]],
                  repetitions: int) -> list[float]:
    for _ in range(max(repetitions // 10, 2)):
        await call()
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def measure(small: Built, large: Built, repetitions: int, rounds: int) -> Result:
    """Time both databases in alternating rounds, so drift hits both alike."""
    result = Result(small, large)
    samples: dict[str, list[float]] = {"small": [], "large": []}
    for _ in range(rounds):
        for name, built in (("small", small), ("large", large)):
            samples[name] += asyncio.run(time_dashboard(built, repetitions))
    result.timings = {name: Timing(name, found) for name, found in samples.items()}
    result.parts = asyncio.run(time_parts(large, max(repetitions // 2, 3)))
    return result


# Reporting.

def report(result: Result) -> Iterator[str]:
    yield "Dashboard: a year of the hub's work, requested in one page"
    for name in ("small", "large"):
        built = getattr(result, name)
        timing = result.timings[name]
        size = built.path.stat().st_size / 1e6
        yield (f"  {built.contacts:>7,} contacts, {built.cases:>7,} cases,"
               f" {built.handoffs:>7,} hand-offs ({size:,.0f} MB):"
               f" median {timing.median * 1e3:6.1f} ms,"
               f" p90 {timing.p90 * 1e3:6.1f} ms"
               f" ({len(timing.samples)} requests)")
    large = result.timings["large"]
    verdict = "meets" if large.p90 * 1e3 <= TARGET_MS else "misses"
    yield (f"  ratio of medians, large to small: {result.ratio:.2f};"
           f" the large p90 {verdict} the {TARGET_MS} ms target")
    yield "  each query alone over the large database (median):"
    for name, seconds in result.parts.items():
        yield f"    {name:<22} {seconds * 1e3:6.1f} ms"


def run(small_per_day: int = PLANNED // 100, large_per_day: int = PLANNED,
        repetitions: int = 20, rounds: int = 3) -> Result:
    print("Preparing the dashboard databases (cached in bench/results/)",
          flush=True)
    with stopwatch(f"{small_per_day}-a-day database ready"):
        small = cached(small_per_day)
    with stopwatch(f"{large_per_day}-a-day database ready"):
        large = cached(large_per_day)

    result = measure(small, large, repetitions, rounds)
    for line in report(result):
        print(line, flush=True)
    return result
