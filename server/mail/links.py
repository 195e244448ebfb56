"""Links that show a case's photos to a department outside casehub.

A hand-off email cannot ask its reader to sign in, so each photo link is
signed with a server key over the case, the photo, the department the case
is with, and a date after which it stops working. Once the case moves to
another department the signature no longer matches, and the link is dead.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from server.db import server_key
from server.models import Case

LINK_DAYS = 90
KEY_NAME = "photo_links"
base_url = "http://127.0.0.1:8000"


def configure(public_url: str) -> None:
    global base_url
    base_url = public_url.rstrip("/")


async def photo_link(case: Case, sha256: str, department_id: int) -> str:
    until = int(time.time()) + LINK_DAYS * 86400
    signature = sign(await server_key(KEY_NAME), case.reference, sha256,
                     department_id, until)
    return (f"{base_url}/mail/photos/{case.reference}/{sha256}"
            f"?until={until}&sig={signature}")


def sign(key: bytes, reference: str, sha256: str, department_id: int,
         until: int) -> str:
    text = f"{reference}|{sha256}|{department_id}|{until}".encode()
    return hmac.new(key, text, hashlib.sha256).hexdigest()


async def link_holds(case: Case, sha256: str, until: int, signature: str) -> bool:
    """Whether a photo link is still good for the case as it stands."""
    if case.department_id is None or until < time.time():
        return False
    expected = sign(await server_key(KEY_NAME), case.reference, sha256,
                    case.department_id, until)
    return hmac.compare_digest(expected, signature)
