"""The periodic jobs the server runs beside answering requests."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import OperationalError

from server.app import create_app
from server.config import Settings
from server.db import close_database, open_database
from server.jobs import Jobs
from server.models import Case, CaseEvent, EventKind
from tests.factories import make_council
from tests.test_hub_actions import raise_case


async def test_a_failing_job_is_logged_and_tried_again(caplog):
    caplog.set_level(logging.ERROR, logger="server.jobs")
    calls: list[datetime] = []
    done = asyncio.Event()

    async def flaky(moment: datetime) -> None:
        calls.append(moment)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        done.set()

    jobs = Jobs()
    jobs.every(0.01, "flaky", flaky)
    await asyncio.wait_for(done.wait(), timeout=5)
    await jobs.stop()

    assert len(calls) == 2
    (record,) = caplog.records
    assert record.getMessage().startswith("flaky failed, trying again")
    assert "database is locked" in record.getMessage()
    assert jobs.tasks == []


async def _late_case(settings: Settings) -> Case:
    await open_database(settings)
    try:
        council = await make_council()
        case = await raise_case(council)
        await Case.filter(id=case.id).update(
            acknowledge_by=datetime.now(UTC) - timedelta(hours=1))
        return case
    finally:
        await close_database()


async def _escalations(case: Case) -> int:
    return await CaseEvent.filter(case_id=case.id, kind=EventKind.ESCALATED).count()


async def test_the_served_app_escalates_a_late_case_as_it_starts(settings):
    case = await _late_case(settings)
    application = create_app(settings)

    async with application.test_app():
        assert application.config["JOBS"] is not None
        for _ in range(100):
            if await _escalations(case):
                break
            await asyncio.sleep(0.05)

        assert await _escalations(case) == 1


async def test_with_jobs_off_the_server_runs_none(settings):
    case = await _late_case(settings)
    application = create_app(dataclasses.replace(settings, jobs=False))

    async with application.test_app():
        assert application.config["JOBS"] is None
        await asyncio.sleep(0.5)

        assert await _escalations(case) == 0
