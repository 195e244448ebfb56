"""Does a member's pull stay as quick when the feed grows a hundredfold?

Two SQLite databases are built with the real schema and filled, with raw SQL
for speed, the way years of casework would fill them: sixty members raising
cases, members and staff adding events, and every event putting itself and
its case on the change feed. One member's device is then left exactly 50 feed
rows behind, and its pull is timed in both databases.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import queue
import random
import sqlite3
import statistics
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.config import Settings, load_settings
from server.db import close_database, open_database

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "server" / "migrations"
RESULTS = Path(__file__).resolve().parent / "results"
# Bumped whenever the shape of the generated data changes, so that cached
# databases built by an older generator are not reused.
GENERATOR = "5"

MEMBERS = 60
NEW_CHANGES = 50
TARGET_RATIO = 1.3
SMALL, LARGE = 10_000, 1_000_000
PAGE_LIMIT = 500
FLUSH_EVERY = 20_000
START = datetime(2022, 5, 9, 8, 30, tzinfo=UTC)
# A contact the push service would accept, so the server has nothing to warn of.
VAPID_CONTACT = "mailto:it@council.example"

DEPARTMENTS = ["Cleansing and Waste", "Parks and Open Spaces", "Roads",
               "Building Control", "Environmental Health", "Housing"]
CATEGORIES = [
    ("fly_tipping", "Fly-tipping", 0), ("missed_bin", "Missed bin", 0),
    ("overgrown", "Overgrown grass", 1), ("play_park", "Play park damage", 1),
    ("pothole", "Pothole", 2), ("street_light", "Street light out", 2),
    ("dangerous_building", "Dangerous building", 3), ("noise", "Noise", 4),
    ("dog_fouling", "Dog fouling", 4), ("graffiti", "Graffiti", 0),
    ("repairs", "Housing repairs", 5), ("enquiry", "General enquiry", 0),
]
STREETS = ["Ormeau Road", "Lisburn Road", "Castle Street", "Falls Road",
           "Newtownards Road", "Antrim Road", "Shankill Road", "Ravenhill Road"]
STATUSES = ["acknowledged", "with_department", "in_progress", "resolved", "closed"]

# How the non-creating events of a case are spread, as (kind, weight).
EVENT_MIX = [("note", 45), ("reply", 15), ("internal_note", 10),
             ("status_change", 20), ("handoff", 10)]
NEW_CASE_SHARE = 0.125
CHANGING = {"status", "department_id", "updated_at", "version"}


@dataclass(frozen=True)
class Feed:
    """A built feed database and the device whose pull is timed in it."""

    path: Path
    events: int
    changes: int
    cases: int
    applied_mutations: int
    member_id: int
    device_id: str
    device_token: str
    cursor_version: int


@dataclass(frozen=True)
class Timing:
    label: str
    events: int
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        return statistics.quantiles(self.samples, n=10)[-1]


@dataclass
class Result:
    small: Feed
    large: Feed
    timings: dict[str, tuple[Timing, Timing]] = field(default_factory=dict)

    def ratio(self, what: str) -> float:
        small, large = self.timings[what]
        return large.median / small.median


# Building.

def schema_hash(generator: str = GENERATOR) -> str:
    """A fingerprint of the migrations and of the generator's version, so a
    cached database matches the code that would build it now."""
    digest = hashlib.sha256(generator.encode())
    for path in sorted(SCHEMA_DIR.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def cached_feed(events: int, folder: Path = RESULTS) -> Feed:
    """The feed database of `events` events, built once per schema."""
    stem = folder / f"feed-{events}-{schema_hash()}"
    path, facts = stem.with_suffix(".db"), stem.with_suffix(".json")
    if path.exists() and facts.exists():
        stored = json.loads(facts.read_text())
        return Feed(**{**stored, "path": path})

    folder.mkdir(parents=True, exist_ok=True)
    building = stem.with_suffix(".building")
    building.unlink(missing_ok=True)
    feed = build_feed(building, events)
    building.rename(path)
    feed = Feed(**{**asdict(feed), "path": path})
    facts.write_text(json.dumps({**asdict(feed), "path": str(path)}))
    return feed


def build_feed(path: Path, events: int, seed: int = 2026) -> Feed:
    """Make a migrated database at `path` holding `events` case events."""
    asyncio.run(_migrate(path))
    # Rows are written by a second thread, which SQLite lets run while this
    # one makes the next batch.
    connection = sqlite3.connect(path, check_same_thread=False)
    try:
        # Ids are random, so their indexes are written all over; a cache
        # big enough to hold them saves reading pages back from disk.
        connection.executescript(
            "PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY;"
            " PRAGMA cache_size = -1000000;"
        )
        indexes = _drop_feed_indexes(connection)
        builder = _Builder(connection, random.Random(seed))
        feed = builder.build(path, events)
        connection.executescript(";".join(indexes))
        connection.commit()
    finally:
        connection.close()
    return feed


def _drop_feed_indexes(connection: sqlite3.Connection) -> list[str]:
    """Drop the feed's indexes, returning the statements that remake them.

    Making an index once from a full table is quicker than keeping it up to
    date through a million inserts.
    """
    found = connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
        " AND tbl_name = 'changes' AND sql IS NOT NULL").fetchall()
    for name, _ in found:
        connection.execute(f'DROP INDEX "{name}"')
    return [sql for _, sql in found]


async def _migrate(path: Path) -> None:
    await open_database(_settings(path))
    await close_database()


def _settings(path: Path) -> Settings:
    return load_settings({
        "CASEHUB_DATA_DIR": str(path.parent),
        "CASEHUB_DATABASE_URL": f"sqlite://{path}",
        "CASEHUB_VAPID_CONTACT": VAPID_CONTACT,
        # The periodic jobs would release the history's old cases from the
        # phones, which adds to the feed that the pulls count.
        "CASEHUB_JOBS": "off",
        "CASEHUB_MAIL_WORKER": "off",
        "CASEHUB_SMTP_LISTEN": "off",
    })


class _Builder:
    """Writes a council and its casework straight into the tables."""

    def __init__(self, connection: sqlite3.Connection, rng: random.Random) -> None:
        self.db = connection
        self.rng = rng
        self.version = 0
        self.moment = START
        self.rows: dict[str, list[tuple[Any, ...]]] = {
            "case_events": [], "changes": [], "applied_mutations": []}
        self.cases: dict[str, dict[str, Any]] = {}
        self.fixed_json: dict[str, str] = {}
        self.pending: queue.Queue[dict[str, list[tuple[Any, ...]]] | None] = (
            queue.Queue(maxsize=2))
        self.by_member: dict[int, list[str]] = {}
        self.device_of: dict[int, tuple[str, int]] = {}
        self.staff: list[tuple[int, str]] = []
        self.members: list[tuple[int, str]] = []
        self.reference = 100000
        self.ids = 0
        self.counts = {"events": 0, "changes": 0, "applied_mutations": 0}

    def build(self, path: Path, events: int) -> Feed:
        self._council()

        reader = self.members[0][0]
        notes = NEW_CHANGES // 2
        others = 3 if events >= 8 * NEW_CHANGES else 0
        tail = notes * (others + 1)
        if events < notes + tail:
            raise ValueError(f"a feed needs at least {notes + tail} events")
        writer = threading.Thread(target=self._write_batches)
        writer.start()
        try:
            # The reader raises enough cases early on for the notes at the end.
            for _ in range(notes):
                self._transaction(reader, new=True)
            for _ in range(events - notes - tail):
                self._transaction(None)
            cursor_version = self._tail(reader, others)
            self._flush()
        finally:
            self.pending.put(None)
            writer.join()

        self._write_cases()
        self.db.execute("UPDATE sync_state SET version = ? WHERE id = 1",
                        (self.version,))
        self.db.execute("UPDATE counters SET value = ? WHERE name = 'case_reference'",
                        (self.reference,))
        device_id, _ = self.device_of[reader]
        return Feed(path=path, events=self.counts["events"],
                    changes=self.counts["changes"], cases=len(self.cases),
                    applied_mutations=self.counts["applied_mutations"],
                    member_id=reader, device_id=device_id,
                    device_token=_token(reader), cursor_version=cursor_version)

    def _council(self) -> None:
        """Wards, a party, departments, categories, members and hub staff."""
        db = self.db
        db.executemany("INSERT INTO wards (id, name) VALUES (?, ?)",
                       [(i, f"Ward {i}") for i in range(1, 11)])
        db.execute("INSERT INTO parties (id, name, short_name) VALUES (1, ?, ?)",
                   ("Independent", "IND"))
        db.executemany(
            "INSERT INTO departments (id, name, email, uses_casehub) VALUES (?,?,?,1)",
            [(i, name, None) for i, name in enumerate(DEPARTMENTS, 1)])
        db.executemany(
            "INSERT INTO categories (id, code, name, questions, acknowledge_hours,"
            " answer_days, active, department_id) VALUES (?, ?, ?, '[]', 48, 10,"
            " 1, ?)",
            [(i, code, name, dept + 1)
             for i, (code, name, dept) in enumerate(CATEGORIES, 1)])

        created = _ts(START - timedelta(days=30))
        users: list[tuple[Any, ...]] = []
        for i in range(1, MEMBERS + 1):
            users.append((i, f"member{i}@council.test", f"Member {i}", "member",
                          None, created, None, 1, (i - 1) % 10 + 1))
            self.members.append((i, f"Member {i}"))
        for j, role in enumerate(["hub_agent"] * 6 + ["hub_supervisor"] * 2):
            uid = MEMBERS + 1 + j
            users.append((uid, f"staff{j}@council.test", f"Agent {j}", role,
                          "x", created, None, None, None))
            self.staff.append((uid, f"Agent {j}"))
        db.executemany(
            "INSERT INTO users (id, email, name, role, password_hash, active,"
            " acl_epoch, created_at, department_id, party_id, ward_id)"
            " VALUES (?, ?, ?, ?, ?, 1, 0, ?, ?, ?, ?)", users)

        db.executemany(
            "INSERT INTO devices (id, name, token_hash, last_seq, created_at, user_id)"
            " VALUES (?, 'phone', ?, 0, ?, ?)",
            [(str(uuid.UUID(int=uid)), _digest(_token(uid)), created, uid)
             for uid, _ in self.members])
        self.device_of = {uid: (str(uuid.UUID(int=uid)), 0)
                          for uid, _ in self.members}

        self.version += 1
        public = [("department", i, {"id": i, "name": name})
                  for i, name in enumerate(DEPARTMENTS, 1)]
        public += [("category", i, {"id": i, "code": code, "name": name,
                                    "department_id": dept + 1, "questions": []})
                   for i, (code, name, dept) in enumerate(CATEGORIES, 1)]
        public += [("ward", i, {"id": i, "name": f"Ward {i}"}) for i in range(1, 11)]
        for entity, key, data in public:
            self._change(entity, str(key), data, None, None, public=True)

    def _transaction(self, member: int | None, case_id: str | None = None,
                     kind: str | None = None, new: bool = False) -> None:
        """One write transaction: an event, and its case's new state."""
        self.version += 1
        self.moment += timedelta(seconds=self.rng.randint(5, 240))
        member = member or self.rng.choice(self.members)[0]
        owned = self.by_member.setdefault(member, [])

        fresh = not owned or self.rng.random() < NEW_CASE_SHARE
        if new or (case_id is None and fresh):
            self._new_case(member)
            return
        case_id = case_id or self.rng.choice(owned[-40:])
        kind = kind or _weighted(self.rng, EVENT_MIX)
        self._event(self.cases[case_id], kind)

    def _new_case(self, member: int) -> None:
        case_id = self._new_id()
        self.reference += 1
        category = self.rng.randrange(len(CATEGORIES)) + 1
        street = self.rng.choice(STREETS)
        case = {
            "id": case_id, "reference": f"CH-{self.reference:06d}",
            "member_id": member, "kind": "service_request",
            "category_id": category, "department_id": None, "answers": {},
            "description": f"Reported at {self.rng.randint(1, 300)} {street}: "
                           "residents say it has been like this for a week.",
            "constituent": {"name": "A Resident", "address": f"12 {street}",
                            "phone": "028 9032 0202", "email": None},
            "location": {"latitude": 54.59 + self.rng.random() / 50,
                         "longitude": -5.93 + self.rng.random() / 50,
                         "accuracy": 12.0, "address": street},
            "status": "submitted", "priority": "normal", "due_at": None,
            "channel": "app", "photos": [], "created_at": self.moment.isoformat(),
            "client_created_at": None, "updated_at": self.moment.isoformat(),
            "version": self.version,
        }
        self.cases[case_id] = case
        # Only status, department and time change after a case is raised, so
        # the rest of its feed entry is encoded once.
        fixed = {key: value for key, value in case.items() if key not in CHANGING}
        self.fixed_json[case_id] = json.dumps(fixed, separators=(",", ":"))[:-1]
        self.by_member[member].append(case_id)
        self._event(case, "created", touch=False)

    def _event(self, case: dict[str, Any], kind: str, touch: bool = True) -> None:
        by_member = kind in {"created", "note"}
        author_id, author_name = (
            (case["member_id"], f"Member {case['member_id']}") if by_member
            else self.rng.choice(self.staff))
        data: dict[str, Any] = {"text": "Thanks, we have passed this on."}
        if kind == "created":
            data = {"status": "submitted"}
        elif kind == "note":
            data = {"text": "The resident rang again this morning about it."}
        elif kind == "status_change":
            case["status"] = self.rng.choice(STATUSES)
            data = {"status": case["status"]}
        elif kind == "handoff":
            case["department_id"] = self.rng.randrange(len(DEPARTMENTS)) + 1
            data = {"department_id": case["department_id"]}

        event_id = self._new_id()
        at = self.moment.isoformat()
        self.rows["case_events"].append(
            (event_id, kind, json.dumps(data), at.replace("T", " "), None,
             self.version, author_id, case["id"]))
        self.counts["events"] += 1
        event = {"id": event_id, "case_id": case["id"], "kind": kind,
                 "author": {"id": author_id, "name": author_name,
                            "role": "member" if by_member else "staff"},
                 "data": data, "created_at": at, "client_created_at": None}
        self._change("event", event_id, event, case["member_id"],
                     case["department_id"], staff_only=kind == "internal_note")

        if touch:
            case["updated_at"] = at
            case["version"] = self.version
        self._change("case", case["id"], self._case_json(case), case["member_id"],
                     case["department_id"])
        if by_member:
            self._applied(case["member_id"], "case.create" if kind == "created"
                          else "case.note")
        if len(self.rows["changes"]) >= FLUSH_EVERY:
            self._flush()

    def _tail(self, reader: int, others: int) -> int:
        """End with the reader's notes on distinct cases among others' work.

        Returns the version the reader's cursor stands at, which leaves
        exactly `NEW_CHANGES` feed rows (an event and a case each) to pull.
        """
        chosen = self.rng.sample(self.by_member[reader], NEW_CHANGES // 2)

        cursor = self.version
        for case_id in chosen:
            for _ in range(others):
                self._transaction(self.rng.choice(self.members[1:])[0])
            self._transaction(reader, case_id, "note")
        return cursor

    def _applied(self, member: int, name: str) -> None:
        device_id, seq = self.device_of[member]
        self.device_of[member] = (device_id, seq + 1)
        self.rows["applied_mutations"].append(
            (self._new_id(), seq + 1,
             name, "applied", self.version, _ts(self.moment), device_id))
        self.counts["applied_mutations"] += 1

    def _new_id(self) -> str:
        """A UUID that sorts by when it was made, like the time-ordered kind.

        Random ids would scatter the inserts over every page of their index
        and make the build many times slower; what a pull reads is the same.
        """
        self.ids += 1
        return str(uuid.UUID(int=(self.ids << 80) | self.rng.getrandbits(80),
                             version=4))

    def _case_json(self, case: dict[str, Any]) -> str:
        department = case["department_id"]
        return (f'{self.fixed_json[case["id"]]},"status":"{case["status"]}",'
                f'"department_id":{"null" if department is None else department},'
                f'"updated_at":"{case["updated_at"]}"}}')

    def _change(self, entity: str, entity_id: str, data: dict[str, Any] | str,
                member_id: int | None, department_id: int | None,
                public: bool = False, staff_only: bool = False) -> None:
        encoded = data if isinstance(data, str) else json.dumps(
            data, separators=(",", ":"))
        self.rows["changes"].append(
            (self.version, entity, entity_id, encoded, member_id, department_id,
             int(public), int(staff_only)))
        self.counts["changes"] += 1

    def _flush(self) -> None:
        self.pending.put(self.rows)
        self.rows = {name: [] for name in self.rows}

    def _write_batches(self) -> None:
        while (rows := self.pending.get()) is not None:
            self._insert(rows)

    def _insert(self, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        db = self.db
        db.executemany(
            "INSERT INTO case_events (id, kind, data, created_at, client_created_at,"
            " version, author_id, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows["case_events"])
        db.executemany(
            "INSERT INTO changes (version, entity, entity_id, data, member_id,"
            " department_id, public, personal, staff_only)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)", rows["changes"])
        db.executemany(
            "INSERT INTO applied_mutations (id, seq, name, status, version,"
            " applied_at, device_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows["applied_mutations"])
        db.commit()

    def _write_cases(self) -> None:
        self.db.executemany(
            "INSERT INTO cases (id, reference, kind, answers, description,"
            " constituent_name, constituent_address, constituent_phone,"
            " latitude, longitude, location_accuracy, address, status, priority,"
            " channel, created_at, updated_at, version, category_id,"
            " department_id, member_id) VALUES (?, ?, ?, '{}', ?, ?, ?, ?, ?, ?,"
            " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(c["id"], c["reference"], c["kind"], c["description"],
              c["constituent"]["name"], c["constituent"]["address"],
              c["constituent"]["phone"], c["location"]["latitude"],
              c["location"]["longitude"], c["location"]["accuracy"],
              c["location"]["address"], c["status"], c["priority"], c["channel"],
              _ts(datetime.fromisoformat(c["created_at"])),
              _ts(datetime.fromisoformat(c["updated_at"])), c["version"],
              c["category_id"], c["department_id"], c["member_id"])
             for c in self.cases.values()])
        self.db.executemany(
            "UPDATE devices SET last_seq = ? WHERE id = ?",
            [(seq, device_id) for device_id, seq in self.device_of.values()])


def _weighted(rng: random.Random, mix: list[tuple[str, int]]) -> str:
    return rng.choices([kind for kind, _ in mix], [w for _, w in mix])[0]


def _ts(moment: datetime) -> str:
    return moment.isoformat(sep=" ")


def _token(member_id: int) -> str:
    return f"bench-device-token-{member_id:04d}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Timing.

async def time_read_page(feed: Feed, repetitions: int) -> list[float]:
    """Seconds per `read_page` call for the feed's reader, from its cursor."""
    from server.models import User
    from server.visibility import feed_scopes
    from sync.cursor import Cursor
    from sync.feed import current_state
    from sync.models import Device
    from sync.pull import read_page

    await open_database(_settings(feed.path))
    try:
        device = await Device.get(id=feed.device_id)
        user = await User.get(id=feed.member_id)
        state = await current_state()
        cursor = Cursor(feed.cursor_version, state.epoch, user.acl_epoch, user.id)
        scopes = feed_scopes(user)

        async def pull() -> None:
            page = await read_page(device, cursor, scopes, user.acl_epoch,
                                   PAGE_LIMIT)
            _check_page(len(page.changes), page.more)

        return await _repeat(pull, repetitions)
    finally:
        await close_database()


async def time_endpoint(feed: Feed, repetitions: int) -> list[float]:
    """Seconds per `POST /api/sync/pull` through the Quart test client."""
    from server.app import create_app
    from sync import PROTOCOL_VERSION
    from sync.cursor import Cursor, encode_cursor
    from sync.feed import current_state

    app = create_app(_settings(feed.path))
    async with app.test_app():
        client = app.test_client()
        state = await current_state()
        cursor = encode_cursor(
            Cursor(feed.cursor_version, state.epoch, 0, feed.member_id),
            app.config["CURSOR_KEY"])
        headers = {"Authorization": f"Bearer {feed.device_token}"}
        body = {"protocol": PROTOCOL_VERSION, "cursor": cursor,
                "limit": PAGE_LIMIT}

        async def pull() -> None:
            response = await client.post("/api/sync/pull", json=body,
                                         headers=headers)
            page = await response.get_json()
            if response.status_code != 200:
                raise RuntimeError(f"pull answered {response.status_code}: {page}")
            _check_page(len(page["changes"]), page["more"])

        return await _repeat(pull, repetitions)


def _check_page(changes: int, more: bool) -> None:
    if changes != NEW_CHANGES or more:
        raise RuntimeError(
            f"expected one page of {NEW_CHANGES} changes, got {changes} "
            f"(more={more}); the generated feed is not what it claims")


async def _repeat(call: Callable[[], Awaitable[None]],
                  repetitions: int) -> list[float]:
    for _ in range(max(repetitions // 10, 3)):
        await call()
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


def measure(small: Feed, large: Feed, repetitions: int, rounds: int) -> Result:
    """Time both databases in alternating rounds, so drift hits both alike."""
    result = Result(small, large)
    ways = {"read_page": time_read_page, "pull endpoint": time_endpoint}
    for what, way in ways.items():
        samples: dict[int, list[float]] = {small.events: [], large.events: []}
        for _ in range(rounds):
            for feed in (small, large):
                samples[feed.events] += asyncio.run(way(feed, repetitions))
        result.timings[what] = (
            Timing(what, small.events, samples[small.events]),
            Timing(what, large.events, samples[large.events]),
        )
    return result


# Reporting.

def report(result: Result) -> Iterator[str]:
    yield "Pull scaling: one member's pull of 50 new changes"
    for feed in (result.small, result.large):
        size = feed.path.stat().st_size / 1e6
        yield (f"  database of {feed.events:>9,} events: {feed.changes:,} feed rows,"
               f" {feed.cases:,} cases, {size:,.0f} MB")
    for what, (small, large) in result.timings.items():
        yield f"  {what} ({len(small.samples)} pulls each):"
        for timing in (small, large):
            yield (f"    {timing.events:>9,} events: median {timing.median * 1e3:6.2f}"
                   f" ms, p90 {timing.p90 * 1e3:6.2f} ms")
        ratio = result.ratio(what)
        verdict = "meets" if ratio <= TARGET_RATIO else "misses"
        yield (f"    ratio of medians {ratio:.2f} (target at most {TARGET_RATIO}):"
               f" {verdict} the target")


@contextmanager
def stopwatch(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {label} in {time.perf_counter() - started:.1f} s", flush=True)


def run(small_events: int = SMALL, large_events: int = LARGE,
        repetitions: int = 200, rounds: int = 3) -> Result:
    print("Preparing the feed databases (cached in bench/results/)", flush=True)
    with stopwatch(f"{small_events:,}-event database ready"):
        small = cached_feed(small_events)
    with stopwatch(f"{large_events:,}-event database ready"):
        large = cached_feed(large_events)

    result = measure(small, large, repetitions, rounds)
    for line in report(result):
        print(line, flush=True)
    return result
