"""Periodic work the server does beside answering requests.

Each job runs every so often in its own task; a failure is logged and the
job tried again next time, so one bad round never stops the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tortoise.exceptions import BaseORMException

from server.config import Settings
from server.hub.escalation import escalate_missed
from server.privacy.release import release_finished
from server.privacy.retention import apply_retention
from server.rollout import reminders

log = logging.getLogger(__name__)

Job = Callable[[datetime], Awaitable[object]]


@dataclass
class Jobs:
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def every(self, seconds: float, name: str, job: Job) -> None:
        self.tasks.append(asyncio.create_task(_repeat(seconds, name, job),
                                              name=name))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()


async def _repeat(seconds: float, name: str, job: Job) -> None:
    while True:
        try:
            await job(datetime.now(UTC))
        except (BaseORMException, OSError) as error:
            log.error("%s failed, trying again in %.0f s: %s", name, seconds, error)
        await asyncio.sleep(seconds)


def start(settings: Settings) -> Jobs:
    jobs = Jobs()
    jobs.every(60, "escalation",
               lambda moment: escalate_missed(moment, settings))
    jobs.every(300, "training-reminders",
               lambda moment: reminders.send_due(moment, settings))
    jobs.every(3600, "release-from-phones",
               lambda moment: release_finished(moment, settings.phone_keeps_days))
    jobs.every(3600, "retention",
               lambda moment: apply_retention(moment, settings))
    return jobs
