"""The server's VAPID key pair: made on first start, kept in the data folder.

Push services tie every subscription to the public key the browser was given,
so the pair must outlive restarts. Rotating it makes a new pair; subscriptions
made with the old one stop working and are dropped, and phones subscribe
again when they see the key the server now serves.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from server.notifications.models import PushSubscription

log = logging.getLogger(__name__)

KEY_FILE = "private_key.pem"


@dataclass(frozen=True)
class VapidKey:
    signer: Vapid02
    public_key: str
    key_id: str


class Tokens:
    """Signed VAPID headers, one per push service, reused until near expiry.

    A token names the push service's origin, so one serves every device of
    that service; signing one per message would double the cost of sending.
    """

    LIFETIME = 12 * 3600
    RENEW_BEFORE = 3600

    def __init__(self, key: VapidKey, contact: str) -> None:
        self.key = key
        self.contact = contact
        self._held: dict[str, tuple[str, int]] = {}

    def header(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        origin = f"{parts.scheme}://{parts.netloc}"
        now = int(time.time())
        held = self._held.get(origin)
        if held is not None and held[1] - now > self.RENEW_BEFORE:
            return held[0]

        expires = now + self.LIFETIME
        # A new claims dict each time: the signer may keep what it is given.
        signed = self.key.signer.sign(
            {"sub": self.contact, "aud": origin, "exp": expires}
        )
        header = str(signed["Authorization"])
        self._held[origin] = (header, expires)
        return header


def folder(data_dir: Path) -> Path:
    return data_dir / "vapid"


def load_or_create(data_dir: Path) -> VapidKey:
    """The current key pair, made and saved first if there is none."""
    path = folder(data_dir) / KEY_FILE
    if not path.exists():
        _write(path, ec.generate_private_key(ec.SECP256R1()))
        log.info("made a new VAPID key pair")
    return _cached(path)


async def rotate_and_drop(data_dir: Path) -> tuple[VapidKey, int]:
    """Rotate the key pair and drop the subscriptions the old one made."""
    key = rotate(data_dir)
    dropped = await PushSubscription.exclude(key_id=key.key_id).delete()
    return key, dropped


def rotate(data_dir: Path) -> VapidKey:
    """Replace the key pair with a new one and return it."""
    path = folder(data_dir) / KEY_FILE
    _write(path, ec.generate_private_key(ec.SECP256R1()))
    key = _cached(path)
    log.info("rotated the VAPID key pair; the key id is now %s", key.key_id)
    return key


_cache: dict[Path, tuple[tuple[int, int], VapidKey]] = {}


def _cached(path: Path) -> VapidKey:
    """Read the key again only when the file changed, as after a rotation."""
    status = path.stat()
    stamp = (status.st_ino, status.st_mtime_ns)
    held = _cache.get(path)
    if held is not None and held[0] == stamp:
        return held[1]
    key = _read(path)
    _cache[path] = (stamp, key)
    return key


def _read(path: Path) -> VapidKey:
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} does not hold an elliptic curve key")
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return VapidKey(
        signer=Vapid02(private_key=private),
        public_key=b64url(point),
        key_id=b64url(hashlib.sha256(point).digest()[:9]),
    )


def _write(path: Path, private: ec.EllipticCurvePrivateKey) -> None:
    """Write the key readable by its owner alone, replacing any old one whole."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temporary = path.with_suffix(".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
