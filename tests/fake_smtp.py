"""A real SMTP server standing in for the council's mail relay.

It runs aiosmtpd in the test's own event loop on a free port, keeps every
message it accepts, and answers DATA with whatever the test queues first, so
a test can make the relay busy (4xx), refuse (5xx) or vanish. Given a TLS
context and logins, it also offers STARTTLS and takes mail only from a
client that signed in over TLS, as a council's relay does.
"""

from __future__ import annotations

import asyncio
import email
import socket
import ssl
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Sink:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    # Answers to give DATA, first to last, before accepting again.
    answers: list[str] = field(default_factory=list)
    # How long to take over each message, to catch a worker mid-batch.
    delay: float = 0.0
    # Recipients refused at RCPT, as a relay refuses an unknown address.
    refused: set[str] = field(default_factory=set)
    # With both, STARTTLS and AUTH, and mail only after signing in over TLS.
    tls_context: ssl.SSLContext | None = None
    logins: dict[str, str] = field(default_factory=dict)
    # Each sign-in tried, as (user, whether it was accepted).
    sign_ins: list[tuple[str, bool]] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def relay(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    async def start(self) -> Sink:
        loop = asyncio.get_running_loop()
        guarded: dict[str, Any] = {}
        if self.logins:
            guarded = {"tls_context": self.tls_context,
                       "require_starttls": self.tls_context is not None,
                       "authenticator": self._authenticate,
                       "auth_required": True, "auth_require_tls": True}
        self._server = await loop.create_server(
            lambda: SMTP(_Handler(self), hostname="relay.test", loop=loop,
                         **guarded),
            "127.0.0.1", self.port,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def wait_for(self, count: int, within: float = 5.0) -> list[Received]:
        async def enough() -> None:
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(enough(), within)
        return self.received

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, data: Any) -> AuthResult:
        # Not handled: aiosmtpd then answers a failure with 535 itself.
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        accepted = self.logins.get(user) == password
        self.sign_ins.append((user, accepted))
        return AuthResult(success=accepted, handled=False)

    def message_ids(self) -> list[str]:
        return [str(item.message["Message-ID"]) for item in self.received]


class _Handler:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: SMTP, session: Session,
                          envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address in self.sink.refused:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,
                          envelope: Envelope) -> str:
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        if self.sink.answers:
            answer = self.sink.answers.pop(0)
            if not answer.startswith("250"):
                return answer
        raw = cast(bytes, envelope.original_content)
        message = cast(EmailMessage,
                       email.message_from_bytes(raw, policy=policy.default))
        self.sink.received.append(Received(str(envelope.mail_from),
                                           list(envelope.rcpt_tos), message, raw))
        self.sink._arrived.set()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def text_of(message: EmailMessage) -> str:
    body: Any = message.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""
