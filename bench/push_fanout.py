"""How fast queued alerts reach a push service, and how soon after a change.

Fan-out: 10,000 alerts queued for 200 devices are sent by the push worker to
the fake push service (tests/fake_push.py, which decrypts and checks every
message) running in a process of its own. The same messages then go out
through a bare pywebpush loop, `webpush_async` over one shared session with
the same concurrency, which is as fast as pywebpush goes here; the gap is
what the outbox costs (claiming, leasing, marking each row sent).

Latency: the real `casehub serve` runs in a subprocess with its worker on;
the hub changes the status of 200 cases, one at a time, through the staff
API, and each alert is timed from the request to its arrival at a fake push
service in this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from pywebpush import webpush_async

from bench.servers import ROOT, casehub_command, free_port, running
from server.config import Settings, load_settings
from server.db import close_database, open_database
from server.notifications import payload, vapid
from server.notifications.models import (
    AlertKind,
    Delivery,
    Notification,
    PushSubscription,
)
from server.notifications.worker import PushWorker

ALERTS = 10_000
DEVICES = 200
CONCURRENCY = 64
CHANGES = 200
TARGET_RATE = 1000
TARGET_P99 = 1.0
CONTACT = "mailto:hub@council.example.org"


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds, and the CPU seconds this process spent meanwhile.

    On a shared machine the clock counts time other programs took; the CPU
    time is what sending cost, and bounds the rate one free core could reach.
    """

    seconds: float
    cpu: float

    @property
    def rate(self) -> float:
        return ALERTS / self.seconds

    @property
    def cpu_rate(self) -> float:
        return ALERTS / self.cpu


@contextmanager
def timed(into: list[Timing]) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    into.append(Timing(time.perf_counter() - wall, time.process_time() - cpu))


@dataclass
class Figures:
    worker: Timing
    bare: Timing
    latencies: list[float]


def settings_for(folder: Path, port: int = 8000) -> Settings:
    return load_settings({
        "CASEHUB_DATA_DIR": str(folder),
        "CASEHUB_BIND": f"127.0.0.1:{port}",
        "CASEHUB_PUSH_HOSTS": "127.0.0.1",
        "CASEHUB_VAPID_CONTACT": CONTACT,
        "CASEHUB_LOG_LEVEL": "WARNING",
    })


@contextmanager
def fake_service(devices: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The fake push service in its own process, with `devices` subscriptions."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "tests.fake_push",
                                str(devices)], cwd=ROOT, env=environment,
                               stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline())
        yield started["origin"], started["subscriptions"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def received(origin: str) -> dict[str, int]:
    return dict(httpx.get(f"{origin}/count", timeout=5).json())


# Fan-out.

async def queue_alerts(settings: Settings,
                       subscriptions: list[dict[str, Any]]) -> None:
    """Devices for one member, and ALERTS alerts spread over them."""
    from server.models import Role, User
    from sync.models import Device

    key = vapid.load_or_create(settings.data_dir)
    member = await User.create(email="member@council.test", name="Member",
                               role=Role.MEMBER)
    rows = []
    for number, subscription in enumerate(subscriptions):
        device = await Device.create(id=uuid.uuid4(), user_id=member.id,
                                     token_hash=f"{number:064x}")
        rows.append(await PushSubscription.create(
            device_id=device.id, user_id=member.id,
            endpoint=subscription["endpoint"],
            p256dh=subscription["keys"]["p256dh"],
            auth=subscription["keys"]["auth"], key_id=key.key_id,
        ))

    now = datetime.now(UTC)
    alerts = []
    for number in range(ALERTS):
        case_id = uuid.uuid4()
        message = payload.build(uuid.uuid4().hex, AlertKind.STATUS, case_id,
                                f"CH-{100000 + number}", {"to": "in_progress"},
                                now.isoformat(timespec="seconds"))
        alerts.append(Notification(
            subscription_id=rows[number % len(rows)].id,
            delivery_key=f"bench:{number}", case_id=case_id,
            kind=AlertKind.STATUS, payload=message, urgency="normal",
            next_attempt_at=now, created_at=now,
        ))
    await Notification.bulk_create(alerts, batch_size=1000)


async def fan_out(settings: Settings) -> Timing:
    worker = PushWorker(settings, concurrency=CONCURRENCY, batch=512)
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    timings: list[Timing] = []
    async with aiohttp.ClientSession(connector=connector) as session:
        with timed(timings):
            while await worker.run_once(session):
                pass

    sent = await Notification.filter(status=Delivery.SENT).count()
    if sent != ALERTS:
        raise RuntimeError(f"the worker sent {sent} of {ALERTS} alerts")
    return timings[0]


async def bare_loop(settings: Settings,
                    subscriptions: list[dict[str, Any]]) -> Timing:
    """The same number of messages through pywebpush alone."""
    key = vapid.load_or_create(settings.data_dir)
    limit = asyncio.Semaphore(CONCURRENCY)
    now = datetime.now(UTC).isoformat(timespec="seconds")

    async def one(session: aiohttp.ClientSession, number: int) -> None:
        case_id = uuid.uuid4()
        message = payload.build(uuid.uuid4().hex, AlertKind.STATUS, case_id,
                                f"CH-{100000 + number}", {"to": "in_progress"}, now)
        async with limit:
            await webpush_async(
                subscriptions[number % len(subscriptions)],
                data=json.dumps(message, separators=(",", ":")),
                vapid_private_key=key.signer, vapid_claims={"sub": CONTACT},
                ttl=86400, headers={"Urgency": "normal",
                                    "Topic": payload.topic(case_id)},
                aiohttp_session=session,
            )

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    timings: list[Timing] = []
    async with aiohttp.ClientSession(connector=connector) as session:
        with timed(timings):
            await asyncio.gather(*(one(session, number) for number in range(ALERTS)))
    return timings[0]


async def measure_fan_out(folder: Path) -> tuple[Timing, Timing]:
    settings = settings_for(folder)
    with fake_service(DEVICES) as (origin, subscriptions):
        await open_database(settings)
        try:
            await queue_alerts(settings, subscriptions)
            worker = await fan_out(settings)
        finally:
            await close_database()
        bare = await bare_loop(settings, subscriptions)
        counts = received(origin)
    if counts != {"messages": 2 * ALERTS, "problems": 0}:
        raise RuntimeError(f"the fake push service saw {counts}")
    return worker, bare


# Latency from a hub status change to the push service.

async def seed_council(settings: Settings) -> tuple[str, str]:
    """The test council; an enrollment code for a member and the agent's email."""
    from server.enrollment import issue_code
    from tests.factories import make_council

    await open_database(settings)
    try:
        council = await make_council()
        code = await issue_code(council.members[0], None, 72)
        return code, council.agent.email
    finally:
        await close_database()


async def measure_latency(folder: Path) -> list[float]:
    from tests.factories import PASSWORD, new_case
    from tests.fake_push import FakePushService

    port = free_port()
    settings = settings_for(folder, port)
    code, agent = await seed_council(settings)
    fake = FakePushService()
    await fake.start()
    environment = {"CASEHUB_DATA_DIR": str(folder),
                   "CASEHUB_BIND": f"127.0.0.1:{port}",
                   "CASEHUB_PUSH_HOSTS": "127.0.0.1",
                   "CASEHUB_VAPID_CONTACT": CONTACT,
                   "CASEHUB_LOG_LEVEL": "WARNING"}
    try:
        with running(casehub_command(), port, folder / "server.log",
                     environment) as url:
            return await _time_changes(url, code, agent, PASSWORD, fake, new_case)
    finally:
        await fake.stop()


async def _time_changes(url: str, code: str, agent: str, password: str,
                        fake: Any, new_case: Any) -> list[float]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        joined = await client.post("/api/devices/enroll",
                                   json={"code": code, "device_name": "bench"})
        token = joined.json()["token"]
        member = {"Authorization": f"Bearer {token}"}
        fake.server_key = (await client.get("/api/push/key")).json()["public_key"]
        device = fake.new_device()
        subscribed = await client.put("/api/push/subscription", headers=member,
                                      json=device.subscription())
        subscribed.raise_for_status()

        category = (await _category(client, member))
        mutations = [new_case(category, seq) for seq in range(1, CHANGES + 1)]
        for start in range(0, CHANGES, 50):
            pushed = await client.post("/api/sync/push", headers=member, json={
                "protocol": 1, "mutations": mutations[start:start + 50]})
            pushed.raise_for_status()
        signed_in = await client.post("/api/staff/session",
                                      json={"email": agent, "password": password})
        signed_in.raise_for_status()
        cases = (await client.get("/api/staff/cases",
                                  params={"limit": CHANGES})).json()

        latencies = []
        for number, case in enumerate(_references(cases)[:CHANGES]):
            started = time.monotonic()
            changed = await client.post(f"/api/staff/cases/{case}/status",
                                        json={"status": "acknowledged"})
            changed.raise_for_status()
            await fake.wait_for(number + 1, within=10)
            latencies.append(fake.messages[number].at - started)
    if fake.problems:
        raise RuntimeError(f"the fake push service refused: {fake.problems[:3]}")
    return latencies


async def _category(client: httpx.AsyncClient, member: dict[str, str]) -> Any:
    """The overgrown grass category, as `new_case` expects it."""
    from server.models import Category

    pulled = await client.post("/api/sync/pull", headers=member,
                               json={"protocol": 1})
    for change in pulled.json()["changes"]:
        if change["entity"] == "category" and change["data"]["code"] == "overgrown":
            return Category(id=change["data"]["id"], code="overgrown")
    raise RuntimeError("the seeded council has no overgrown grass category")


def _references(listing: Any) -> list[str]:
    rows = listing["cases"] if isinstance(listing, dict) else listing
    return [row["reference"] for row in rows]


# Report.

def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(figures: Figures) -> list[str]:
    p50 = statistics.median(figures.latencies)
    p99 = percentile(figures.latencies, 0.99)
    return [
        f"Push alerts: {ALERTS:,} alerts to {DEVICES} devices, concurrency "
        f"{CONCURRENCY}, fake push service decrypting each in its own process",
        f"  push worker (outbox):  {figures.worker.seconds:6.2f} s "
        f"{figures.worker.rate:6.0f} alerts/s; {figures.worker.cpu:5.2f} CPU s, "
        f"{figures.worker.cpu_rate:5.0f} alerts per CPU s (target {TARGET_RATE}/s)",
        f"  bare pywebpush loop:   {figures.bare.seconds:6.2f} s "
        f"{figures.bare.rate:6.0f} alerts/s; {figures.bare.cpu:5.2f} CPU s, "
        f"{figures.bare.cpu_rate:5.0f} alerts per CPU s",
        f"  worker / bare:         {figures.worker.rate / figures.bare.rate:6.0%} "
        f"by the clock, {figures.worker.cpu_rate / figures.bare.cpu_rate:.0%} by CPU",
        f"  hub status change to push service, {len(figures.latencies)} changes "
        f"through the served app: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
        f"(target p99 < {TARGET_P99 * 1000:.0f} ms)",
    ]


def run() -> Figures:
    with tempfile.TemporaryDirectory(prefix="casehub-fanout-") as first:
        worker, bare = asyncio.run(measure_fan_out(Path(first)))
    with tempfile.TemporaryDirectory(prefix="casehub-latency-") as second:
        latencies = asyncio.run(measure_latency(Path(second)))
    figures = Figures(worker, bare, latencies)
    for line in report(figures):
        print(line, flush=True)
    return figures


if __name__ == "__main__":
    run()
