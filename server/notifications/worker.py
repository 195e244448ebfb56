"""The worker that sends queued alerts, in the server or on its own.

Each batch is claimed in a short transaction (marked `sending` under a lease),
sent with no transaction open, and each row marked `sent` right after its
push service accepts it. A worker that dies mid-batch leaves its rows
`sending`; once the lease runs out another worker sends them again. A push
accepted just before the crash and not yet marked is therefore sent twice:
HTTP gives no way to avoid that, so the window is kept to at most two
database updates, each retaking is counted in `reclaims`, and the repeat
carries the same Topic (the push service replaces an undelivered copy) and
the same notification tag (the phone shows one alert). A worker told to stop
finishes its batch first, so only a crash opens that window.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import socket
import uuid
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
from tortoise.exceptions import BaseORMException, IntegrityError
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from server.casework import OPEN
from server.config import Settings
from server.models import Case, CaseKind
from server.notifications import delivery, payload, vapid
from server.notifications.delivery import Outcome, Result
from server.notifications.models import (
    AlertKind,
    Delivery,
    DueReminder,
    Notification,
    PushSubscription,
)
from server.notifications.outbox import enqueue, listen, stop_listening

log = logging.getLogger(__name__)

DUE_SOON = timedelta(hours=24)
# After a wake-up the rows may not be committed yet; look again quickly for
# a short while rather than wait a whole poll.
HINT_WINDOW = 2.0
HINT_POLL = 0.02
# How long a stopping worker may spend finishing the batch in hand.
GRACE_SECONDS = 15.0


class PushWorker:
    def __init__(self, settings: Settings, *, concurrency: int = 64,
                 batch: int = 256, lease: float = 60.0, poll: float = 2.0,
                 max_attempts: int = 8, backoff: float = 30.0,
                 due_every: float = 300.0, timeout: float = 10.0) -> None:
        self.settings = settings
        self.concurrency = concurrency
        self.batch = batch
        self.lease = timedelta(seconds=lease)
        self.poll = poll
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.due_every = due_every
        self.timeout = timeout
        host = socket.gethostname()[:30]
        self.worker_id = f"{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._claims = itertools.count(1)
        self._event = asyncio.Event()
        self._hinted_at = float("-inf")
        self._unsent: dict[int, str] = {}
        self._session: aiohttp.ClientSession | None = None
        self._stopping = False
        self._accepted: list[Notification] = []
        self._marking = False
        self._tokens: vapid.Tokens | None = None

    def wake(self) -> None:
        self._hinted_at = asyncio.get_running_loop().time()
        self._event.set()

    def finish(self) -> None:
        """Stop after the batch in hand, so no accepted alert is left unmarked."""
        self._stopping = True
        self._event.set()

    async def run(self) -> None:
        """Send alerts until told to finish, or cancelled."""
        listen(self.wake)
        loop = asyncio.get_running_loop()
        next_due_check = loop.time()
        connector = aiohttp.TCPConnector(limit=self.concurrency)
        log.info("push worker %s started", self.worker_id)
        try:
            async with aiohttp.ClientSession(connector=connector) as session:
                self._session = session
                while not self._stopping:
                    if loop.time() >= next_due_check:
                        await self._guarded(self.check_due())
                        next_due_check = loop.time() + self.due_every
                    if await self._guarded(self.run_once()):
                        continue
                    await self._idle()
        finally:
            stop_listening(self.wake)
            try:
                await self._mark_accepted()
            except BaseORMException as error:
                log.error("could not mark %d sent alerts: %s",
                          len(self._accepted), error)
            await self._release_unsent()
            self._session = None
            log.info("push worker %s stopped", self.worker_id)

    async def _guarded(self, step: Awaitable[int]) -> int:
        """Run a step, logging a database or network failure instead of dying."""
        try:
            return await step
        except (BaseORMException, OSError) as error:
            log.error("push worker step failed: %s", error)
            await asyncio.sleep(self.poll)
            return 0

    async def _idle(self) -> None:
        loop = asyncio.get_running_loop()
        hinted = loop.time() - self._hinted_at < HINT_WINDOW
        try:
            await asyncio.wait_for(self._event.wait(),
                                   HINT_POLL if hinted else self.poll)
        except TimeoutError:
            pass
        self._event.clear()

    async def run_once(self, session: aiohttp.ClientSession | None = None) -> int:
        """Claim one batch and send it; returns how many rows were claimed."""
        session = session or self._session
        if session is None:
            raise RuntimeError("run_once needs a session outside run()")
        rows = await self.claim()
        if not rows:
            return 0

        tokens = self._tokens_for(vapid.load_or_create(self.settings.data_dir))
        subscriptions = {
            found.id: found
            for found in await PushSubscription.filter(
                id__in={row.subscription_id for row in rows}
            )
        }
        limit = asyncio.Semaphore(self.concurrency)
        await asyncio.gather(*(
            self._deliver(session, tokens, limit, row,
                          subscriptions.get(row.subscription_id or 0))
            for row in rows
        ))
        return len(rows)

    async def claim(self) -> list[Notification]:
        """Mark a batch as ours for the length of the lease."""
        now = datetime.now(UTC)
        token = f"{self.worker_id}:{next(self._claims)}"
        claimable = Q(status=Delivery.PENDING, next_attempt_at__lte=now) | Q(
            status=Delivery.SENDING, claimed_at__lt=now - self.lease
        )
        async with in_transaction() as connection:
            query = Notification.filter(claimable).order_by("id").limit(self.batch)
            if connection.capabilities.dialect == "postgres":
                query = query.select_for_update(skip_locked=True)
            candidates = await query.using_db(connection)
            if not candidates:
                return []
            ids = [row.id for row in candidates]
            # The condition again, so a second claimer on SQLite takes nothing.
            await Notification.filter(claimable, id__in=ids).using_db(
                connection
            ).update(status=Delivery.SENDING, claim=token, claimed_at=now)
            retaken = [row.id for row in candidates if row.status == Delivery.SENDING]
            if retaken:
                await Notification.filter(id__in=retaken, claim=token).using_db(
                    connection
                ).update(reclaims=F("reclaims") + 1)

        if retaken:
            log.warning("retook %d alerts whose sender stopped mid-send; the phone "
                        "may get them twice", len(retaken))
        rows = await Notification.filter(claim=token, status=Delivery.SENDING)
        self._unsent.update({row.id: token for row in rows})
        return rows

    def _tokens_for(self, key: vapid.VapidKey) -> vapid.Tokens:
        """Signed headers for the current key, made anew after a rotation."""
        if self._tokens is None or self._tokens.key.key_id != key.key_id:
            self._tokens = vapid.Tokens(key, self.settings.vapid_contact)
        return self._tokens

    async def _deliver(self, session: aiohttp.ClientSession, tokens: vapid.Tokens,
                       limit: asyncio.Semaphore, row: Notification,
                       subscription: PushSubscription | None) -> None:
        if subscription is None:
            await self._finish(row, Delivery.GONE, "the device unsubscribed")
            return
        async with limit:
            self._unsent.pop(row.id, None)
            outcome = await delivery.send(
                session, tokens, subscription, row.payload,
                payload.topic(row.case_id), row.urgency, self.timeout,
            )
            await self._record(row, subscription, outcome)

    async def _record(self, row: Notification, subscription: PushSubscription,
                      outcome: Outcome) -> None:
        reference = row.payload.get("reference", "")
        if outcome.result == Result.SENT:
            await self._mark_sent(row)
            return
        if outcome.result == Result.GONE:
            await self._drop(subscription, outcome.reason)
            log.info("push subscription %d is gone (%s); dropped it",
                     subscription.id, outcome.reason)
            return

        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            await self._finish(row, Delivery.FAILED,
                               f"gave up after {attempts} attempts: {outcome.reason}")
            log.warning("gave up on a %s alert for %s after %d attempts: %s",
                        row.kind, reference, attempts, outcome.reason)
            return
        wait = outcome.retry_after
        if wait is None:
            wait = delivery.backoff(attempts, self.backoff)
        await Notification.filter(id=row.id, claim=row.claim).update(
            status=Delivery.PENDING, claim=None, attempts=attempts,
            next_attempt_at=datetime.now(UTC) + wait, last_error=outcome.reason,
        )
        log.info("alert for %s not sent (%s); trying again in %.0f s",
                 reference, outcome.reason, wait.total_seconds())

    async def _mark_sent(self, row: Notification) -> None:
        """Mark accepted alerts sent, gathering those accepted meanwhile.

        While one update runs, rows accepted since wait for the next, so a row
        waits for at most one update besides its own: that keeps short the
        window in which a crash would have it sent again.
        """
        self._accepted.append(row)
        if self._marking:
            return
        self._marking = True
        try:
            await self._mark_accepted()
        finally:
            self._marking = False

    async def _mark_accepted(self) -> None:
        while self._accepted:
            rows = list(self._accepted)
            claims: dict[str | None, list[int]] = defaultdict(list)
            for accepted in rows:
                claims[accepted.claim].append(accepted.id)
            now = datetime.now(UTC)
            for claim, ids in claims.items():
                await Notification.filter(id__in=ids, claim=claim).update(
                    status=Delivery.SENT, sent_at=now, attempts=F("attempts") + 1
                )
            # Dropped only once marked, so a worker stopped mid-update can
            # still mark them on its way out.
            del self._accepted[:len(rows)]

    async def _finish(self, row: Notification, status: Delivery,
                      reason: str) -> None:
        await Notification.filter(id=row.id, claim=row.claim).update(
            status=status, attempts=row.attempts + 1, last_error=reason[:300]
        )

    async def _drop(self, subscription: PushSubscription, reason: str) -> None:
        """Forget a device the push service no longer knows, and its queue."""
        async with in_transaction() as connection:
            await Notification.filter(
                subscription_id=subscription.id,
                status__in=[Delivery.PENDING, Delivery.SENDING],
            ).using_db(connection).update(
                status=Delivery.GONE, last_error=f"push service answered {reason}"
            )
            await PushSubscription.filter(id=subscription.id).using_db(
                connection
            ).delete()

    async def _release_unsent(self) -> None:
        """Hand back claimed rows not yet sent, so a restart need not wait."""
        unsent, self._unsent = self._unsent, {}
        for row_id, token in unsent.items():
            try:
                await Notification.filter(id=row_id, claim=token).update(
                    status=Delivery.PENDING, claim=None, claimed_at=None
                )
            except BaseORMException:
                return

    async def check_due(self) -> int:
        """Queue the due-soon and overdue alerts of open member enquiries, once."""
        now = datetime.now(UTC)
        cases = await Case.filter(
            kind=CaseKind.MEMBER_ENQUIRY, status__in=list(OPEN),
            due_at__not_isnull=True, due_at__lte=now + DUE_SOON,
        )
        if not cases:
            return 0
        done = set(await DueReminder.filter(
            case_id__in=[case.id for case in cases]
        ).values_list("case_id", "kind"))

        queued = 0
        for case in cases:
            assert case.due_at is not None
            kind = AlertKind.OVERDUE if case.due_at <= now else AlertKind.DUE_SOON
            if (case.id, kind) in done:
                continue
            try:
                async with in_transaction() as connection:
                    await DueReminder.create(case_id=case.id, kind=kind,
                                             using_db=connection)
                    queued += await enqueue(connection, case.member_id, case.id,
                                            case.reference, kind, str(case.id))
            except IntegrityError:
                continue
        return queued


@dataclass(frozen=True)
class Running:
    worker: PushWorker
    task: asyncio.Task[None]


def start(settings: Settings) -> Running | None:
    """Start the worker beside the server, unless the settings turn it off."""
    vapid.load_or_create(settings.data_dir)
    if not settings.push_worker:
        return None
    if settings.vapid_contact.endswith("@localhost"):
        log.warning("CASEHUB_VAPID_CONTACT is %s: Apple's push service refuses "
                    "alerts with a local contact", settings.vapid_contact)
    worker = PushWorker(settings)
    return Running(worker, asyncio.create_task(worker.run(), name="push-worker"))


async def stop(running: Running | None) -> None:
    """Let the worker finish its batch, cancelling it if that takes too long."""
    if running is None:
        return
    running.worker.finish()
    try:
        await asyncio.wait_for(running.task, GRACE_SECONDS)
    except TimeoutError:
        log.warning("the push worker did not finish within %.0f s; stopped it",
                    GRACE_SECONDS)
