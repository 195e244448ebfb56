"""Cursors: where a device has read the feed up to, signed so none is forged.

A cursor is opaque to the device. It holds the feed version read up to, the
feed's epoch (which a restore from backup changes), and the reader's access
epoch (which changes when what they may see shrinks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass

from sync.errors import SyncError

MAX_CURSOR_LENGTH = 200


@dataclass(frozen=True)
class Cursor:
    version: int
    epoch: str
    acl_epoch: int
    user_id: int


def encode_cursor(cursor: Cursor, key: bytes) -> str:
    body = json.dumps(
        [cursor.version, cursor.epoch, cursor.acl_epoch, cursor.user_id],
        separators=(",", ":"),
    ).encode()
    return f"{_b64(body)}.{_b64(_sign(body, key))}"


def decode_cursor(token: str, key: bytes) -> Cursor:
    """Read a cursor, refusing anything malformed or not signed by us."""
    if len(token) > MAX_CURSOR_LENGTH or token.count(".") != 1:
        raise _invalid()
    body_part, signature_part = token.split(".")
    try:
        body = _unb64(body_part)
        signature = _unb64(signature_part)
    except ValueError:
        raise _invalid() from None
    if not hmac.compare_digest(signature, _sign(body, key)):
        raise _invalid()

    version, epoch, acl_epoch, user_id = json.loads(body)
    return Cursor(int(version), str(epoch), int(acl_epoch), int(user_id))


def _invalid() -> SyncError:
    return SyncError(
        "invalid_cursor",
        "The cursor is not one this server gave out; pull again without one.",
        field="cursor",
    )


def _sign(body: bytes, key: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError("empty or non-ASCII")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
