"""casehub's own SMTP server, where the members' mailbox and replies arrive.

It runs in the app's event loop, so taking a message in is an ordinary
await on the ORM. It takes mail only for the mailbox and its reply
addresses, refuses messages over MAX_MESSAGE bytes, and says 250 only once
a message is committed: one it could not store gets 451, and the sending
server keeps it and tries again later.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from typing import cast

from aiosmtpd.smtp import SMTP, Envelope, Session
from tortoise.exceptions import BaseORMException

from server.config import ConfigError, Settings
from server.mail import addresses, intake, outbox

log = logging.getLogger(__name__)

MAX_MESSAGE = 25 * 1024 * 1024
# How long a stopping server waits for the messages it is taking in.
GRACE_SECONDS = 15.0
TRY_LATER = "451 4.3.0 casehub could not store the message; try again later"

# aiosmtpd logs every command at INFO, addresses included; casehub keeps
# personal data out of its logs.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Handler:
    settings: Settings
    in_hand: set[asyncio.Task[intake.TakenIn]] = field(default_factory=set)

    async def handle_RCPT(self, server: SMTP, session: Session,
                          envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if not addresses.is_ours(address):
            return "550 5.1.1 No mailbox by that name here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session,
                          envelope: Envelope) -> str:
        raw = cast(bytes, envelope.original_content)
        # Shielded, so a sender that hangs up cannot leave a message half
        # taken in; if it never heard 250 it sends again, and the copy is
        # recognised by its Message-ID.
        task = asyncio.create_task(intake.take_in(
            self.settings, raw, envelope.mail_from, list(envelope.rcpt_tos)))
        self.in_hand.add(task)
        task.add_done_callback(self._done)
        try:
            await asyncio.shield(task)
        except Exception:
            # Logged once, by _done, which sees every way a message can fail.
            return TRY_LATER
        return "250 2.0.0 Message accepted"

    async def handle_exception(self, error: Exception) -> str:
        log.error("the mail server failed in a conversation", exc_info=error)
        return TRY_LATER

    def _done(self, task: asyncio.Task[intake.TakenIn]) -> None:
        self.in_hand.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if isinstance(error, BaseORMException | OSError):
            log.error("could not store a message; its sender will try again: %s",
                      error)
        else:
            log.error("taking in a message failed", exc_info=error)


@dataclass
class MailServer:
    server: asyncio.Server
    handler: Handler

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.sockets[0].getsockname()[:2]
        return str(host), int(port)


async def start(settings: Settings) -> MailServer | None:
    """Listen for mail where the settings say, unless they say off."""
    if settings.smtp_listen is None:
        return None
    handler = Handler(settings)
    running = MailServer(await _listen(settings.smtp_listen, handler), handler)
    log.info("taking in mail for %s at %s:%d", outbox.sender.address,
             *running.address)
    return running


async def check_listen(settings: Settings) -> None:
    """Raise ConfigError now if the mail port cannot be had, before serving."""
    if settings.smtp_listen is None:
        return
    server = await _listen(settings.smtp_listen, Handler(settings))
    server.close()
    await server.wait_closed()


async def _listen(address: tuple[str, int], handler: Handler) -> asyncio.Server:
    host, port = address
    loop = asyncio.get_running_loop()
    try:
        return await loop.create_server(
            lambda: SMTP(handler, data_size_limit=MAX_MESSAGE, enable_SMTPUTF8=True,
                         hostname=outbox.sender.domain, ident="casehub", loop=loop),
            host, port,
        )
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise ConfigError(
            f"CASEHUB_SMTP_LISTEN is {host}:{port}, where casehub cannot take in "
            f"mail: {reason}"
        ) from None


async def stop(running: MailServer | None) -> None:
    """Stop listening, and let the messages in hand finish."""
    if running is None:
        return
    running.server.close()
    in_hand = list(running.handler.in_hand)
    if in_hand:
        _, pending = await asyncio.wait(in_hand, timeout=GRACE_SECONDS)
        if pending:
            log.warning("stopped with %d messages still being taken in; their "
                        "senders will send them again", len(pending))
