"""The worker that sends queued mail to the relay, in the server or on its own.

Each batch is claimed in a short transaction (marked `sending` under a
lease), then sent one message at a time over one SMTP connection with no
transaction open; each message is marked `sent` as soon as the relay accepts
it. Just before sending, the worker renews its claim on that message, so
another worker can retake it only if this one stopped for a whole lease.

A worker that dies mid-batch leaves its rows `sending`; once the lease runs
out another worker sends them. A message the relay accepted just before the
crash, and not yet marked, therefore goes out twice: SMTP gives no way to
avoid that, so the window is kept to one database update, and the repeat
carries the same Message-ID, by which mail programs show it once. A worker
told to stop finishes the message in hand and hands the rest back, so only
a crash opens that window.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import socket
import ssl
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from typing import Any

import aiosmtplib
from tortoise.exceptions import BaseORMException
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from server.config import Settings
from server.mail import outbox
from server.mail.models import MailDirection, MailMessage, MailState

log = logging.getLogger(__name__)

# After a wake-up the rows may not be committed yet; look again quickly for
# a short while rather than wait a whole poll.
HINT_WINDOW = 2.0
HINT_POLL = 0.02
# How long a stopping worker may spend on the message in hand.
GRACE_SECONDS = 35.0
# Mail submission over TLS from the first byte (RFC 8314).
SUBMISSIONS_PORT = 465


@dataclass(frozen=True)
class Outcome:
    sent: bool
    permanent: bool = False
    reason: str = ""
    # The SMTP code the relay answered, or None when it could not be reached.
    code: int | None = None


SENT = Outcome(sent=True)


class MailWorker:
    def __init__(self, relay: tuple[str, int], *,
                 login: tuple[str, str] | None = None,
                 tls_context: ssl.SSLContext | None = None, batch: int = 50,
                 lease: float = 120.0, poll: float = 5.0, max_attempts: int = 40,
                 backoff: float = 30.0, max_backoff: float = 3600.0,
                 timeout: float = 30.0) -> None:
        self.relay = relay
        self.login = login
        # Whom to trust for the relay's certificate; the system's by default.
        self.tls_context = tls_context
        self.batch = batch
        self.lease = timedelta(seconds=lease)
        self.poll = poll
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        host = socket.gethostname()[:30]
        self.worker_id = f"{host}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._claims = itertools.count(1)
        self._event = asyncio.Event()
        self._hinted_at = float("-inf")
        self._stopping = False
        self._unsent: dict[int, str] = {}

    def wake(self) -> None:
        self._hinted_at = asyncio.get_running_loop().time()
        self._event.set()

    def finish(self) -> None:
        """Stop after the message in hand; the rest of the batch goes back."""
        self._stopping = True
        self._event.set()

    async def run(self) -> None:
        """Send mail until told to finish, or cancelled."""
        outbox.listen(self.wake)
        log.info("mail worker %s started, sending through %s:%d", self.worker_id,
                 *self.relay)
        try:
            while not self._stopping:
                try:
                    if await self.run_once():
                        continue
                except (BaseORMException, OSError) as error:
                    log.error("mail worker step failed: %s", error)
                    await asyncio.sleep(self.poll)
                    continue
                await self._idle()
        finally:
            outbox.stop_listening(self.wake)
            await self._release_unsent()
            log.info("mail worker %s stopped", self.worker_id)

    async def _idle(self) -> None:
        loop = asyncio.get_running_loop()
        hinted = loop.time() - self._hinted_at < HINT_WINDOW
        try:
            await asyncio.wait_for(self._event.wait(),
                                   HINT_POLL if hinted else self.poll)
        except TimeoutError:
            pass
        self._event.clear()

    async def run_once(self) -> int:
        """Claim one batch and send it; returns how many rows were claimed."""
        rows = await self.claim()
        if not rows:
            return 0

        client: aiosmtplib.SMTP | None = None
        try:
            for row in rows:
                if self._stopping:
                    break
                if not await self._renew(row):
                    continue
                client, outcome = await self._send(client, row)
                await self._record(row, outcome)
        finally:
            await _close(client)
        return len(rows)

    async def claim(self) -> list[MailMessage]:
        """Mark a batch of outgoing mail as ours for the length of the lease."""
        now = datetime.now(UTC)
        token = f"{self.worker_id}:{next(self._claims)}"
        claimable = Q(direction=MailDirection.OUT) & (
            Q(state=MailState.QUEUED, next_attempt_at__lte=now)
            | Q(state=MailState.SENDING, claimed_at__lt=now - self.lease)
        )
        async with in_transaction() as connection:
            query = MailMessage.filter(claimable).order_by("id").limit(self.batch)
            if connection.capabilities.dialect == "postgres":
                query = query.select_for_update(skip_locked=True)
            candidates = await query.using_db(connection)
            if not candidates:
                return []
            # The condition again, so a second claimer on SQLite takes nothing.
            await MailMessage.filter(
                claimable, id__in=[row.id for row in candidates]
            ).using_db(connection).update(state=MailState.SENDING, claim=token,
                                          claimed_at=now)

        retaken = [row.id for row in candidates if row.state == MailState.SENDING]
        if retaken:
            log.warning("retook %d messages whose sender stopped mid-send; a "
                        "recipient may get one of them twice", len(retaken))
        rows = await MailMessage.filter(claim=token,
                                        state=MailState.SENDING).order_by("id")
        self._unsent.update({row.id: token for row in rows})
        return rows

    async def _renew(self, row: MailMessage) -> bool:
        """Take the lease afresh for this one message; False if it is gone."""
        self._unsent.pop(row.id, None)
        renewed = await MailMessage.filter(
            id=row.id, claim=row.claim, state=MailState.SENDING
        ).update(claimed_at=datetime.now(UTC))
        return bool(renewed)

    async def _send(self, client: aiosmtplib.SMTP | None,
                    row: MailMessage) -> tuple[aiosmtplib.SMTP | None, Outcome]:
        """Send one message, connecting first if need be.

        Returns the connection to reuse for the next message, or None when it
        broke and must be opened again.
        """
        recipient = _address(row.recipient)
        if not recipient:
            return client, Outcome(False, True, "the recipient address is empty")
        try:
            if client is None:
                client = await self._connect()
            if row.source.isascii():
                await client.sendmail(row.sender, [recipient], row.source)
            else:
                await client.sendmail(row.sender, [recipient],
                                      row.source.encode("utf-8"),
                                      mail_options=["BODY=8BITMIME"])
        except aiosmtplib.SMTPAuthenticationError as error:
            # The relay refused casehub, not this message: try it again later.
            log.error("the relay refused casehub's sign-in: %s %s", error.code,
                      error.message)
            await _close(client)
            return None, Outcome(False, False, f"the relay refused the sign-in: "
                                 f"{error.code} {error.message}")
        except aiosmtplib.SMTPRecipientsRefused as refused:
            first = refused.recipients[0]
            return client, _answered(first.code, first.message)
        except aiosmtplib.SMTPResponseException as error:
            if isinstance(error, aiosmtplib.SMTPConnectError):
                await _close(client)
                return None, Outcome(False, False, f"could not connect: {error}")
            return client, _answered(error.code, error.message)
        except (aiosmtplib.SMTPException, OSError) as error:
            await _close(client)
            return None, Outcome(False, False, f"could not reach the relay: {error}")
        except ValueError as error:
            return client, Outcome(False, True, f"cannot be sent: {error}")
        return client, SENT

    async def _connect(self) -> aiosmtplib.SMTP:
        host, port = self.relay
        signing_in: dict[str, Any] = {}
        if self.login is not None:
            # A password never crosses the network in the clear: port 465
            # speaks TLS from the start, and on any other the relay must
            # agree to STARTTLS first. Without one, STARTTLS when offered.
            implicit = port == SUBMISSIONS_PORT
            signing_in = {"username": self.login[0], "password": self.login[1],
                          "use_tls": implicit, "start_tls": not implicit}
        client = aiosmtplib.SMTP(hostname=host, port=port, timeout=self.timeout,
                                 local_hostname=outbox.sender.domain,
                                 tls_context=self.tls_context, **signing_in)
        await client.connect()
        return client

    async def _record(self, row: MailMessage, outcome: Outcome) -> None:
        attempts = row.attempts + 1
        mine = MailMessage.filter(id=row.id, claim=row.claim)
        if outcome.sent:
            await mine.update(state=MailState.SENT, sent_at=datetime.now(UTC),
                              attempts=attempts, last_error=None)
            log.info("sent message %d%s", row.id, _about(row))
            return

        if outcome.permanent or attempts >= self.max_attempts:
            reason = outcome.reason
            if not outcome.permanent:
                reason = f"gave up after {attempts} attempts: {reason}"
            await mine.update(state=MailState.FAILED, attempts=attempts,
                              last_error=reason[:1000])
            log.warning("could not send message %d%s (%s)", row.id, _about(row),
                        _code(outcome))
            return
        wait = backoff(attempts, self.backoff, self.max_backoff)
        await mine.update(state=MailState.QUEUED, claim=None, claimed_at=None,
                          attempts=attempts, next_attempt_at=datetime.now(UTC) + wait,
                          last_error=outcome.reason[:1000])
        log.info("message %d%s not sent yet (%s); trying again in %.0f s", row.id,
                 _about(row), _code(outcome), wait.total_seconds())

    async def _release_unsent(self) -> None:
        """Hand back claimed rows not yet sent, so a restart need not wait."""
        unsent, self._unsent = self._unsent, {}
        for row_id, token in unsent.items():
            try:
                await MailMessage.filter(id=row_id, claim=token,
                                         state=MailState.SENDING).update(
                    state=MailState.QUEUED, claim=None, claimed_at=None)
            except BaseORMException:
                return


def backoff(attempts: int, base: float, cap: float) -> timedelta:
    """Exponential back-off with jitter, so a batch's retries spread out."""
    seconds = min(base * 2 ** max(attempts - 1, 0), cap)
    return timedelta(seconds=seconds * random.uniform(0.5, 1.0))


def _answered(code: int, message: str) -> Outcome:
    """A refusal by the relay: 5xx is for good, anything else may pass later."""
    reason = f"the relay answered {code} {message}".strip()
    return Outcome(False, 500 <= code < 600, reason, code)


def _address(recipient: str) -> str:
    found = getaddresses([recipient])
    return found[0][1] if found else ""


def _about(row: MailMessage) -> str:
    return f" for case {row.case_id}" if row.case_id else ""


def _code(outcome: Outcome) -> str:
    # The relay's words may quote the address, which stays out of the log.
    return f"SMTP {outcome.code}" if outcome.code else "relay unreachable"


async def _close(client: aiosmtplib.SMTP | None) -> None:
    if client is None or not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


@dataclass(frozen=True)
class Running:
    worker: MailWorker
    task: asyncio.Task[None]


def start(settings: Settings) -> Running | None:
    """Start the worker beside the server, unless the settings say not to."""
    if not settings.mail_worker:
        return None
    if settings.smtp_relay is None:
        log.warning("CASEHUB_SMTP_RELAY is not set: outgoing mail waits in the "
                    "outbox until one is")
        return None
    worker = MailWorker(settings.smtp_relay, login=settings.smtp_login)
    return Running(worker, asyncio.create_task(worker.run(), name="mail-worker"))


async def stop(running: Running | None) -> None:
    """Let the worker finish the message in hand, cancelling it if that hangs."""
    if running is None:
        return
    running.worker.finish()
    try:
        await asyncio.wait_for(running.task, GRACE_SECONDS)
    except TimeoutError:
        log.warning("the mail worker did not finish within %.0f s; stopped it",
                    GRACE_SECONDS)
