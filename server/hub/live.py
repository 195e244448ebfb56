"""Telling open hub pages that something changed, whichever process changed it.

Every write goes through a transaction that takes the next version of the
change feed, so the feed's version moves whenever anything changes. One task
per process reads that version every second while any page listens, and
wakes the pages when it moved: a case taken through another server process
shows as taken within a second or so, at the cost of one small query a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from tortoise.exceptions import BaseORMException

from sync.models import SyncState

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


async def feed_version() -> int:
    state = await SyncState.get_or_none(id=1)
    return state.version if state else 0


class FeedWatch:
    """Waits for the feed's version to pass a given one, for many waiters."""

    def __init__(self, every: float = POLL_SECONDS) -> None:
        self.every = every
        self.version: int | None = None
        self.closed = False
        self._moved = asyncio.Condition()
        self._waiters = 0
        self._task: asyncio.Task[None] | None = None

    async def wait_past(self, seen: int, within: float) -> int:
        """The feed's version once it passes `seen`, or after `within` seconds.

        Returns at once when the version already passed `seen`, so a page
        that connects late still hears of what changed since it was drawn.
        """
        self._waiters += 1
        self._start()
        try:
            async with self._moved:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._moved.wait_for(
                        lambda: self.closed or (self.version or 0) > seen),
                        within)
            return self.version if self.version is not None else seen
        finally:
            self._waiters -= 1

    async def close(self) -> None:
        self.closed = True
        async with self._moved:
            self._moved.notify_all()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll(), name="feed-watch")

    async def _poll(self) -> None:
        # The task ends when nobody has listened for a whole round.
        while not self.closed and self._waiters:
            try:
                version = await feed_version()
            except BaseORMException as error:
                log.warning("could not read the feed version: %s", error)
            else:
                if version != self.version:
                    self.version = version
                    async with self._moved:
                        self._moved.notify_all()
            await asyncio.sleep(self.every)
