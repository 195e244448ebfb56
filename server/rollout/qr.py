"""The QR code a trainer shows at a slot: the app's join page, code filled in."""

from __future__ import annotations

import io
from urllib.parse import quote

import segno

SCALE = 8
BORDER = 4


def join_url(public_url: str, code: str) -> str:
    return f"{public_url}/#join={quote(code)}"


def png(data: str) -> bytes:
    """A black-on-white PNG that a phone's camera reads across a desk."""
    code = segno.make(data, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=SCALE, border=BORDER)
    return out.getvalue()
