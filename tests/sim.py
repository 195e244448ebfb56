"""A simulated phone that follows the app's sync rules, for protocol tests.

The device keeps what the app keeps in IndexedDB (the outbox, the next
sequence number, the cursor, the confirmed store and queued photos) apart from
what only lives in memory while a sync runs. A crash loses the latter alone.
Faults are injected at the edge of each request, as a flaky network would.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from quart.typing import TestClientProtocol

from sync import PROTOCOL_VERSION

Key = tuple[str, str]


class Fault(StrEnum):
    NONE = "none"
    DROP_REQUEST = "drop_request"  # the server never sees the push
    LOSE_RESPONSE = "lose_response"  # the server commits, the phone times out
    DUPLICATE = "duplicate"  # the same push arrives twice at once
    REORDER = "reorder"  # the outbox goes as two batches, the later one first
    SKIP_UPLOAD = "skip_upload"  # the push runs ahead of its photo upload


class Offline(Exception):
    """A request or its answer was lost; the phone gives up this round."""


@dataclass
class Pending:
    id: str
    seq: int
    name: str
    args: dict[str, Any]
    client_time: str = "2026-11-30T09:15:00+00:00"

    def wire(self) -> dict[str, Any]:
        return {"id": self.id, "seq": self.seq, "name": self.name,
                "args": self.args, "client_time": self.client_time}


@dataclass
class Stored:
    """The part of a device that survives a crash."""

    outbox: list[Pending] = field(default_factory=list)
    next_seq: int = 1
    cursor: str | None = None
    confirmed: dict[Key, dict[str, Any]] = field(default_factory=dict)
    photos: dict[str, bytes] = field(default_factory=dict)
    uploaded: set[str] = field(default_factory=set)


@dataclass
class SimDevice:
    client: TestClientProtocol
    token: str
    label: str = "phone"
    stored: Stored = field(default_factory=Stored)
    # Only in memory: the last answers seen, for tests to look at.
    last_push: dict[str, Any] | None = None
    last_pull: dict[str, Any] | None = None
    allocated: int = 0

    # Making changes offline.

    def mutate(self, name: str, args: dict[str, Any],
               client_time: str | None = None) -> Pending:
        """Queue a mutation, numbering it in the same step that stores it."""
        pending = Pending(str(uuid.uuid4()), self.stored.next_seq, name, args)
        if client_time is not None:
            pending.client_time = client_time
        self.stored.next_seq += 1
        self.stored.outbox.append(pending)
        self.allocated += 1
        return pending

    def keep_photo(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        self.stored.photos[sha256] = data
        return sha256

    def crash(self) -> None:
        """Lose everything held only in memory."""
        self.last_push = None
        self.last_pull = None

    async def crash_while_pulling(self) -> None:
        """Ask for a page and die before storing it."""
        response = await self.client.post(
            "/api/sync/pull", headers=self._auth(),
            json={"protocol": PROTOCOL_VERSION, "cursor": self.stored.cursor},
        )
        assert response.status_code == 200, await response.get_json()
        self.crash()

    # Talking to the server.

    async def sync(self, fault: Fault = Fault.NONE, limit: int | None = None) -> None:
        """Push then pull, as the app does; a lost request ends the round."""
        try:
            await self.push(fault)
        except Offline:
            return
        await self.pull_all(limit)

    async def push(self, fault: Fault = Fault.NONE) -> None:
        if not self.stored.outbox:
            return
        if fault != Fault.SKIP_UPLOAD:
            await self.upload_photos()

        batch = [pending.wire() for pending in self.stored.outbox]
        if fault == Fault.DROP_REQUEST:
            raise Offline("push dropped")
        if fault == Fault.REORDER and len(batch) > 1:
            half = len(batch) // 2
            await self._send_push(batch[half:])
            await self._send_push(batch[:half])
            return
        if fault == Fault.DUPLICATE:
            await asyncio.gather(self._send_push(batch), self._send_push(batch))
            return
        answered = await self._send_push(batch)
        if fault == Fault.LOSE_RESPONSE and answered:
            raise Offline("push answer lost")

    async def _send_push(self, batch: list[dict[str, Any]]) -> bool:
        """Send one batch; True when the server took it."""
        response = await self.client.post(
            "/api/sync/push", headers=self._auth(),
            json={"protocol": PROTOCOL_VERSION, "mutations": batch},
        )
        body = await response.get_json()
        if response.status_code == 409 and body["code"] == "mutation_gap":
            self.renumber(body["expected_seq"])
            return False
        if response.status_code != 200:
            raise AssertionError(f"push answered {response.status_code}: {body}")
        self.last_push = body
        return True

    def renumber(self, expected_seq: int) -> None:
        """Number the outbox on from where the server says it stands.

        Only a server that stands behind the outbox (restored from a backup)
        makes the numbers move; a gap from batches that crossed on the way
        leaves them as they are, since some of them may already be applied.
        """
        outbox = self.stored.outbox
        if not outbox or expected_seq >= outbox[0].seq:
            return
        for offset, pending in enumerate(outbox):
            pending.seq = expected_seq + offset
        self.stored.next_seq = expected_seq + len(outbox)

    async def upload_photos(self) -> None:
        for sha256, data in self.stored.photos.items():
            if sha256 in self.stored.uploaded:
                continue
            response = await self.client.put(
                f"/api/photos/{sha256}", headers=self._auth(), data=data
            )
            assert response.status_code in (200, 201), await response.get_json()
            self.stored.uploaded.add(sha256)

    async def pull(self, limit: int | None = None) -> dict[str, Any]:
        """Pull one page and apply it, with its cursor, in one step."""
        request: dict[str, Any] = {"protocol": PROTOCOL_VERSION,
                                   "cursor": self.stored.cursor}
        if limit is not None:
            request["limit"] = limit
        response = await self.client.post("/api/sync/pull", headers=self._auth(),
                                          json=request)
        body = await response.get_json()
        assert response.status_code == 200, body

        self.apply_page(body)
        self.last_pull = body
        return body

    async def pull_all(self, limit: int | None = None) -> None:
        while (await self.pull(limit))["more"]:
            pass

    def apply_page(self, body: dict[str, Any]) -> None:
        stored = self.stored
        if body["reset"]:
            stored.confirmed = {}
        for change in body["changes"]:
            stored.confirmed[(change["entity"], change["id"])] = change["data"]
        stored.outbox = [pending for pending in stored.outbox
                         if pending.seq > body["acknowledged_seq"]]
        stored.cursor = body["cursor"]

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    # What the device holds.

    def held(self, entity: str) -> dict[str, dict[str, Any]]:
        return {key[1]: data for key, data in self.stored.confirmed.items()
                if key[0] == entity}
