"""Protection for staff forms against cross-site request forgery.

Each session holds a random token; every form posts it back, and a post
without the matching token is refused.
"""

from __future__ import annotations

import hmac
import secrets

from quart import request, session

from server.errors import ApiError, refuse_nul


def csrf_token() -> str:
    token = session.get("csrf")
    if token is None:
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return str(token)


async def check_csrf() -> None:
    form = await request.form
    refuse_nul(form.to_dict(flat=False))
    sent = form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        raise ApiError(403, "csrf_failed",
                       "This form has expired; reload the page and try again.")
