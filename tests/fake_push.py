"""A push service on 127.0.0.1 that checks every message as a real one would.

It decrypts each body with the subscription keys the test made, checks the
VAPID token against the key the server serves, and records what arrived. It
can be told how to answer, one endpoint at a time.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import http_ece
import pytest
from aiohttp import web
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from server.config import PUSH_HOSTS, Settings

TOPIC_CHARS = set(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Device:
    """A browser's side of a subscription: its key pair and auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def subscription(self) -> dict[str, Any]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962,
            serialization.PublicFormat.UncompressedPoint,
        )
        return {"endpoint": self.endpoint,
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}


@dataclass
class Message:
    device: str
    data: dict[str, Any]
    headers: Mapping[str, str]
    claims: dict[str, Any]
    size: int
    at: float = field(default_factory=time.monotonic)


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


class FakePushService:
    def __init__(self) -> None:
        self.devices: dict[str, Device] = {}
        self.messages: list[Message] = []
        self.refused: list[tuple[str, int]] = []
        self.problems: list[str] = []
        # Answers to give, per device token, before answering 201 again.
        self.answers: dict[str, list[Answer]] = {}
        self.delay = 0.0
        self.server_key: str | None = None
        self.arrived = asyncio.Event()
        self.origin = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=8192)
        app.router.add_post("/push/{token}", self._receive)
        app.router.add_get("/count", self._count)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.origin = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def new_device(self) -> Device:
        token = uuid.uuid4().hex
        device = Device(f"{self.origin}/push/{token}",
                        ec.generate_private_key(ec.SECP256R1()),
                        uuid.uuid4().bytes)
        self.devices[token] = device
        return device

    def answer(self, device: Device, *answers: Answer) -> None:
        self.answers.setdefault(device.endpoint.rsplit("/", 1)[1], []).extend(answers)

    def for_device(self, device: Device) -> list[Message]:
        token = device.endpoint.rsplit("/", 1)[1]
        return [message for message in self.messages if message.device == token]

    async def wait_for(self, count: int, within: float = 10.0) -> None:
        deadline = time.monotonic() + within
        while len(self.messages) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(self.messages)} of {count} arrived")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except TimeoutError:
                pass

    async def _count(self, request: web.Request) -> web.Response:
        return web.json_response({"messages": len(self.messages),
                                  "problems": len(self.problems)})

    async def _receive(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        device = self.devices.get(token)
        if device is None:
            return web.Response(status=404)
        body = await request.read()
        try:
            claims = self._check(request, body)
            data = json.loads(http_ece.decrypt(
                body, private_key=device.private_key, auth_secret=device.auth,
                version="aes128gcm",
            ))
        except (ValueError, KeyError) as error:
            self.problems.append(str(error))
            return web.Response(status=400, text=str(error))

        queued = self.answers.get(token)
        if queued:
            answer = queued.pop(0)
            self.refused.append((token, answer.status))
            return web.Response(status=answer.status, headers=answer.headers,
                                text=answer.body)
        self.messages.append(Message(token, data, request.headers.copy(), claims,
                                     len(body)))
        self.arrived.set()
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(status=201)

    def _check(self, request: web.Request, body: bytes) -> dict[str, Any]:
        """Check the headers and VAPID token as RFC 8030 and RFC 8292 ask."""
        headers = request.headers
        if int(headers.get("TTL", "0")) <= 0:
            raise ValueError("TTL missing or zero")
        if headers.get("Urgency") not in {"very-low", "low", "normal", "high"}:
            raise ValueError(f"bad Urgency {headers.get('Urgency')!r}")
        topic = headers.get("Topic", "")
        if not topic or len(topic) > 32 or set(topic) - TOPIC_CHARS:
            raise ValueError(f"bad Topic {topic!r}")
        if headers.get("Content-Encoding") != "aes128gcm":
            raise ValueError("Content-Encoding is not aes128gcm")
        if len(body) > 4096:
            raise ValueError(f"a body of {len(body)} bytes")
        return self._check_vapid(headers.get("Authorization", ""))

    def _check_vapid(self, header: str) -> dict[str, Any]:
        scheme, _, rest = header.partition(" ")
        if scheme != "vapid":
            raise ValueError(f"not a vapid Authorization: {header[:20]!r}")
        parts = dict(item.strip().split("=", 1) for item in rest.split(","))
        token, key = parts["t"], parts["k"]
        if self.server_key is not None and key != self.server_key:
            raise ValueError("signed with a key the server does not serve")

        head, claims_part, signature = token.split(".")
        public = ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), unb64url(key)
        )
        raw = unb64url(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                   int.from_bytes(raw[32:], "big"))
        try:
            public.verify(der, f"{head}.{claims_part}".encode(),
                          ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as error:
            raise ValueError("the VAPID signature does not verify") from error

        if json.loads(unb64url(head)).get("alg") != "ES256":
            raise ValueError("the VAPID token is not ES256")
        claims = json.loads(unb64url(claims_part))
        if claims.get("aud") != self.origin:
            raise ValueError(f"aud {claims.get('aud')!r} is not {self.origin}")
        if not 0 < claims["exp"] - time.time() <= 24 * 3600:
            raise ValueError("exp is not within the next 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            raise ValueError(f"sub {claims.get('sub')!r} is not mailto: or https:")
        return claims


# Wiring for the tests: settings that allow the fake, and a running fake.


def loopback_settings(settings: Settings, worker: bool = False) -> Settings:
    """Settings that accept the fake on 127.0.0.1, with the worker on or off."""
    return dataclasses.replace(settings, push_hosts=(*PUSH_HOSTS, "127.0.0.1"),
                               push_worker=worker,
                               vapid_contact="mailto:hub@council.example.org")


@pytest.fixture
async def fake() -> AsyncIterator[FakePushService]:
    service = FakePushService()
    await service.start()
    yield service
    await service.stop()


CONSTITUENT = {"name": "Bridget Quinlan", "address": "14 Wellwood Street",
               "phone": "07700 900123", "email": "bridget@example.org"}


@dataclass
class Scene:
    council: Any
    token: str
    devices: list[Device]
    case: Any


async def scene(client: Any, fake: FakePushService, devices: int = 1,
                **case_args: Any) -> Scene:
    """A member with subscribed devices and one case, and the agent signed in."""
    from server.models import Case
    from tests.factories import bearer, enroll, make_council, new_case, push, sign_in

    council = await make_council()
    token = await enroll(client, council.members[0])
    made = [fake.new_device() for _ in range(devices)]
    for index, device in enumerate(made):
        device_token = token if index == 0 else await enroll(client,
                                                             council.members[0])
        response = await client.put("/api/push/subscription",
                                    headers=bearer(device_token),
                                    json=device.subscription())
        assert response.status_code == 200, await response.get_data(as_text=True)

    mutation = new_case(council.fly_tipping, 1, constituent=CONSTITUENT, **case_args)
    response = await push(client, token, [mutation])
    assert (await response.get_json())["results"][0]["status"] == "applied"
    await sign_in(client, council.agent)
    case = await Case.get(id=mutation["args"]["case_id"])
    return Scene(council, token, made, case)


async def change_status(client: Any, reference: str, status: str,
                        note: str | None = None) -> None:
    response = await client.post(f"/api/staff/cases/{reference}/status",
                                 json={"status": status, "note": note})
    assert response.status_code == 200, await response.get_data(as_text=True)


async def serve(devices: int) -> None:
    """Run the fake alone, as the benchmark does in a process of its own.

    The first line written is `{origin, subscriptions}`; it then serves until
    stopped.
    """
    import sys

    service = FakePushService()
    await service.start()
    made = [service.new_device().subscription() for _ in range(devices)]
    sys.stdout.write(json.dumps({"origin": service.origin,
                                 "subscriptions": made}) + "\n")
    sys.stdout.flush()
    await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    asyncio.run(serve(int(sys.argv[1])))
